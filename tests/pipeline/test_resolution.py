"""Choosing Leiden's resolution without labels: the cosine silhouette of each resolution's partition."""

import numpy as np
import pandas as pd
import pytest

from csc_core.data import metrics
from csc_core.pipeline import cluster, graph, resolution
from csc_core.pipeline.resolution import (
    AUTO_RESOLUTIONS,
    cosine_silhouette,
    pick_resolution,
    resolution_doubt,
    select_resolution,
)


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    centres = np.eye(4, 8) * 10
    labels = np.repeat(np.arange(4), 30)
    return centres[labels] + rng.normal(size=(120, 8)), labels


def test_cosine_silhouette_equals_scikit_learns_definition():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 6)).astype(np.float32)
    x[5] = 0.0  # a zero vector: cosine distance 1 to every other cell, as scikit-learn's normalisation leaves it
    for k in (2, 7, 60):  # 60 clusters of ~5 cells: some singletons, which score 0
        labels = rng.integers(0, k, 300)
        labels[0] = 999
        (ours,) = cosine_silhouette(x, [labels], max_cells=300)
        assert ours == pytest.approx(silhouette_score(x, labels, metric="cosine"), abs=1e-6)
    # on a sample: the silhouette of the sampled cells among themselves
    labels = rng.integers(0, 4, 300)
    (sampled,) = cosine_silhouette(x, [labels], max_cells=120, seed=3)
    idx = np.sort(np.random.default_rng(3).choice(300, size=120, replace=False))
    assert sampled == pytest.approx(silhouette_score(x[idx], labels[idx], metric="cosine"), abs=1e-6)


def test_cosine_silhouette_ranks_the_true_partition_first(blobs):
    x, truth = blobs
    rng = np.random.default_rng(0)
    merged = np.where(truth == 3, 2, truth)
    scores = cosine_silhouette(x, [truth, merged, rng.permutation(truth), np.zeros(120, int)], max_cells=80)
    assert scores[0] > scores[1] > scores[2] and scores[3] == -1.0


def test_pick_resolution_prefers_the_lowest_within_tolerance():
    absolute = {"relative": False}
    assert pick_resolution([0.3, 0.5, 1.0], [0.30, 0.31, 0.33], tolerance=0.02, **absolute) == 1
    assert pick_resolution([1.0, 0.5, 0.3], [0.33, 0.31, 0.30], tolerance=0.02, **absolute) == 1  # order-free
    assert pick_resolution([0.3, 0.5, 1.0], [0.30, 0.31, 0.33], tolerance=0.0, **absolute) == 2
    assert pick_resolution([0.3, 0.5, 1.0], [0.30, 0.31, 0.33], tolerance=0.05, **absolute) == 0
    with pytest.raises(ValueError, match="one silhouette per resolution"):
        pick_resolution([0.3, 0.5], [0.1])


def test_the_tolerance_is_a_share_of_the_silhouettes_range_whatever_their_scale():
    # the same shape at two scales (worm-like rising silhouettes; plate-like silhouettes within hundredths): the
    # lowest resolution within 20 % of the range of the best is chosen in both, where an absolute tolerance of 0.02
    # takes the finest partition on one and the coarsest on the other
    res = [0.2, 0.3, 0.5, 1.0]
    for scale in (1.0, 0.05):
        sil = [scale * v for v in (0.20, 0.26, 0.295, 0.30)]
        assert pick_resolution(res, sil, tolerance=0.2) == 2
    assert pick_resolution(res, [0.20, 0.26, 0.295, 0.30], tolerance=0.02, relative=False) == 2
    assert pick_resolution(res, [0.010, 0.013, 0.01475, 0.015], tolerance=0.02, relative=False) == 0


def test_one_cluster_partitions_neither_widen_the_range_nor_win():
    # a one-cluster partition scores -1: counted in the range it would make every partition "nearly the best"
    assert pick_resolution([0.1, 0.2, 0.5, 1.0], [-1.0, 0.05, 0.085, 0.09], tolerance=0.2) == 2
    assert pick_resolution([0.1, 0.2], [-1.0, -1.0], tolerance=0.2) == 0


def test_select_resolution_reports_each_candidate_and_returns_the_chosen_partition(blobs):
    x, truth = blobs
    g = graph.knn_graph(x, n_neighbors=10)
    best, labels, table = select_resolution(x, g, resolutions=(0.3, 1.0, 3.0), seed=0)
    assert list(table["resolution"]) == [0.3, 1.0, 3.0] and table["chosen"].sum() == 1
    assert table.loc[table["chosen"], "resolution"].item() == best
    assert table.loc[table["chosen"], "n_clusters"].item() == np.unique(labels).size
    assert metrics.scores(truth, labels)["ari"] > 0.95
    assert table.loc[~table["chosen"], "starts"].eq(1).all() and table.loc[table["chosen"], "starts"].item() in (2, 3)
    _, one, single = select_resolution(x, g, resolutions=(0.3, 1.0, 3.0), seed=0, medoid=False)
    assert single["starts"].eq(1).all()
    np.testing.assert_array_equal(one, graph.leiden_on_graph(g, resolution=best, seed=0))  # the search's own start


def test_auto_resolution_finds_the_groups_and_reports_every_candidate(blobs):
    x, truth = blobs
    scores = []
    labels = cluster.leiden(x, n_neighbors=10, resolution="auto", scores=scores)
    assert metrics.scores(truth, labels)["ari"] > 0.95
    table = scores[0]
    assert list(table["resolution"]) == list(AUTO_RESOLUTIONS) and table["chosen"].sum() == 1
    np.testing.assert_array_equal(labels, cluster.leiden(x, n_neighbors=10, resolution="auto"))  # seeded


def test_auto_resolution_on_a_fine_structure_goes_above_the_lowest():
    # 24 groups of 20 cells, close enough that at the lowest resolution Leiden merges some of them
    rng = np.random.default_rng(0)
    truth = np.repeat(np.arange(24), 20)
    x = (rng.normal(size=(24, 16)) * 3 / np.sqrt(2))[truth] + rng.normal(size=(480, 16))
    scores = []
    labels = cluster.leiden(x, n_neighbors=15, resolution="auto", scores=scores)
    low = cluster.leiden(x, n_neighbors=15, resolution=min(AUTO_RESOLUTIONS))
    assert metrics.scores(truth, labels)["ari"] > metrics.scores(truth, low)["ari"]
    assert scores[0].loc[scores[0]["chosen"], "resolution"].item() > min(AUTO_RESOLUTIONS)


def test_auto_resolution_on_many_cells_chooses_on_a_sample(monkeypatch, blobs):
    x, truth = blobs
    calls = []
    monkeypatch.setattr(cluster, "AUTO_MAX_CELLS", 60)
    real = cluster.knn_graph
    monkeypatch.setattr(cluster, "knn_graph", lambda e, **kw: calls.append(len(e)) or real(e, **kw))
    labels = cluster.leiden(x, n_neighbors=10, resolution="auto")
    assert calls == [120, 60]  # the whole graph, then the sample's
    assert labels.shape == (120,) and metrics.scores(truth, labels)["ari"] > 0.95


def test_the_sample_size_the_api_uses_is_the_resolution_modules():
    assert cluster.AUTO_MAX_CELLS == resolution.AUTO_MAX_CELLS


def _table(resolutions, n_clusters, silhouettes, chosen):
    return pd.DataFrame(
        {
            "resolution": resolutions,
            "n_clusters": n_clusters,
            "silhouette": silhouettes,
            "chosen": [i == chosen for i in range(len(resolutions))],
        }
    )


def test_resolution_doubt_names_a_flat_criterion_a_two_way_split_and_a_near_tie_at_an_edge():
    res = [0.2, 0.5, 1.0]
    assert resolution_doubt(_table(res, [3, 5, 8], [0.30, 0.40, 0.35], chosen=1)) is None
    assert resolution_doubt(_table(res, [3, 5, 8], [0.45, 0.40, 0.35], chosen=0)) is None  # a clear edge choice
    low = resolution_doubt(_table(res, [3, 5, 8], [0.402, 0.40, 0.35], chosen=0))
    assert "lowest" in low and "resolution=0.1" in low and "kmeans" in low
    high = resolution_doubt(_table(res, [3, 5, 8], [0.30, 0.398, 0.40], chosen=2))
    assert "highest" in high and "resolution=1.5" in high
    same = _table(res, [3, 8, 8], [0.30, 0.399, 0.40], chosen=2)  # the runner-up is the same partition size
    assert resolution_doubt(same) is None
    assert "coarsest split" in resolution_doubt(_table(res, [2, 5, 8], [0.50, 0.40, 0.35], chosen=0))
    flat = resolution_doubt(_table(res, [1, 5, 8], [-1.0, 0.300, 0.305], chosen=2))  # one cluster does not count
    assert "weak" in flat


def test_an_unsure_auto_resolution_warns(blobs, monkeypatch):
    x, _ = blobs
    monkeypatch.setattr(cluster, "select_resolution", lambda *a, **k: (0.2, np.zeros(len(x), int), _flat()))
    with pytest.warns(UserWarning, match="the choice is weak"):
        cluster.leiden(x, n_neighbors=10, resolution="auto")


def _flat():
    return _table([0.2, 0.5, 1.0], [2, 3, 4], [0.10, 0.101, 0.102], chosen=0)
