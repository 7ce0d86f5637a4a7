"""The paper's variant S3: the co-association of several clusterings, and Leiden on it."""

import numpy as np
import pytest

from csc_core.data import metrics
from csc_core.pipeline import coassociation


def test_coassociation_counts_how_often_pairs_share_a_cluster():
    c = coassociation.coassociation([np.array([0, 0, 1, 1]), np.array([5, 5, 5, 7])]).toarray()
    expected = np.array([[0, 1, 0.5, 0], [1, 0, 0.5, 0], [0.5, 0.5, 0, 0.5], [0, 0, 0.5, 0]])
    np.testing.assert_allclose(c, expected)


def test_coassociation_leiden_recovers_the_consensus():
    truth = np.repeat(np.arange(4), 30)
    rng = np.random.default_rng(0)
    noisy = []
    for _ in range(5):  # each clustering mislabels 10 % of the cells at random
        lab = truth.copy()
        flip = rng.random(lab.size) < 0.1
        lab[flip] = rng.integers(0, 4, flip.sum())
        noisy.append(lab)
    consensus = coassociation.coassociation_leiden(noisy, resolution=0.5)
    assert metrics.scores(truth, consensus)["ari"] > max(metrics.scores(truth, n)["ari"] for n in noisy)


def test_coassociation_rejects_mismatched_clusterings():
    with pytest.raises(ValueError, match="same cells"):
        coassociation.coassociation([np.zeros(3), np.zeros(4)])
    with pytest.raises(ValueError, match="at least one"):
        coassociation.coassociation([])
