import numpy as np
import pytest

from csc_core.data import metrics


def test_metrics_of_a_perfect_and_a_relabelled_clustering():
    truth = np.array([0, 0, 1, 1, 2, 2])
    s = metrics.scores(truth, np.array([5, 5, 3, 3, 9, 9]))
    assert s == {"ari": pytest.approx(1.0), "nmi": pytest.approx(1.0), "n_clusters": 3}
    assert metrics.scores(truth, np.zeros(6))["ari"] == pytest.approx(0.0)
