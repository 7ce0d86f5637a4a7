"""The medoid of several Leiden starts: the partition that agrees most with the others."""

import numpy as np
import pytest

from csc_core.data import metrics
from csc_core.pipeline import graph, medoid
from csc_core.pipeline.medoid import LEIDEN_STARTS, leiden_medoid, medoid_index


def test_the_medoid_is_the_partition_the_others_agree_with():
    rng = np.random.default_rng(0)
    truth = np.repeat(np.arange(4), 25)
    near = truth.copy()
    near[:3] = 1  # three cells moved
    far = rng.permutation(truth)  # unrelated
    assert medoid_index([far, near, truth]) in (1, 2)
    assert medoid_index([near, far, truth, near]) == 0  # the first among equals
    assert medoid_index([truth, truth.copy()]) == 0
    assert medoid_index([far, truth, np.where(truth == 3, 2, truth)]) == 1  # agrees with the merge and the split
    with pytest.raises(ValueError, match="at least two"):
        medoid_index([truth])


@pytest.fixture
def overlapping():
    # groups close enough that Leiden's seed changes the partition at a high resolution
    rng = np.random.default_rng(3)
    truth = np.repeat(np.arange(8), 40)
    x = (rng.normal(size=(8, 10)) * 1.2)[truth] + rng.normal(size=(320, 10))
    return graph.igraph_of(graph.knn_graph(x, n_neighbors=15)), truth


def test_leiden_medoid_runs_the_further_starts_and_returns_one_of_them(overlapping, monkeypatch):
    g, _ = overlapping
    first = graph.leiden_on_igraph(g, resolution=2.0, seed=0)
    runs = []
    real = medoid.leiden_on_igraph
    monkeypatch.setattr(medoid, "leiden_on_igraph", lambda g, **kw: runs.append(kw["seed"]) or real(g, **kw))
    labels, starts = leiden_medoid(g, first, resolution=2.0, seed=0)
    assert runs == [1, 2] and starts == LEIDEN_STARTS  # the first two differ here: all three run
    candidates = [first] + [real(g, resolution=2.0, seed=s) for s in (1, 2)]
    assert any(np.array_equal(labels, c) for c in candidates)
    assert np.array_equal(labels, candidates[medoid_index(candidates)])
    again, _ = leiden_medoid(g, first, resolution=2.0, seed=0)
    np.testing.assert_array_equal(labels, again)  # seeded


def test_two_identical_starts_settle_it_without_a_third(overlapping, monkeypatch):
    g, _ = overlapping
    first = graph.leiden_on_igraph(g, resolution=2.0, seed=0)
    runs = []
    monkeypatch.setattr(medoid, "leiden_on_igraph", lambda g, **kw: runs.append(kw["seed"]) or first.copy())
    labels, starts = leiden_medoid(g, first, resolution=2.0, seed=5)
    assert runs == [6] and starts == 2
    np.testing.assert_array_equal(labels, first)


def test_an_outvoted_first_start_is_replaced(overlapping, monkeypatch):
    g, truth = overlapping
    unlucky = np.where(truth < 4, 0, 1)  # the search's start merged the groups; the other two find them
    monkeypatch.setattr(medoid, "leiden_on_igraph", lambda g, **kw: truth.copy())
    labels, _ = leiden_medoid(g, unlucky, resolution=1.0, seed=0)
    assert metrics.scores(truth, labels)["ari"] == 1.0


def test_relabelled_partitions_count_as_the_same():
    a = np.array([0, 0, 1, 1, 2])
    assert medoid._same_partition(a, np.array([5, 5, 3, 3, 9]))
    assert not medoid._same_partition(a, np.array([0, 0, 1, 2, 2]))
