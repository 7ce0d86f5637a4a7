"""Clustering an embedding: Leiden on its kNN graph (no number of clusters) or KMeans, and the progress bar."""

import numpy as np
import pytest

from csc_core.data import metrics
from csc_core.pipeline import cluster, graph
from csc_core.pipeline.medoid import LEIDEN_STARTS
from csc_core.pipeline.resolution import AUTO_RESOLUTIONS


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    centres = np.eye(4, 8) * 10
    labels = np.repeat(np.arange(4), 30)
    return centres[labels] + rng.normal(size=(120, 8)), labels


def test_leiden_recovers_separated_groups_without_k(blobs):
    x, truth = blobs
    assert metrics.scores(truth, cluster.leiden(x, n_neighbors=10, resolution=0.5))["ari"] > 0.95


def test_leiden_is_seeded():
    """Same seed, same labels; and the seed reaches Leiden.

    On cells without structure other seeds give other partitions (with the seed ignored, every seed would give seed
    0's).
    """
    x = np.random.default_rng(0).normal(size=(200, 5))
    first = cluster.leiden(x, n_neighbors=10, resolution=1.0, seed=3)
    np.testing.assert_array_equal(first, cluster.leiden(x, n_neighbors=10, resolution=1.0, seed=3))
    others = [cluster.leiden(x, n_neighbors=10, resolution=1.0, seed=s) for s in (0, 1, 2, 4)]
    assert min(metrics.scores(first, o)["ari"] for o in others) < 0.95


def test_kmeans_recovers_separated_groups(blobs):
    x, truth = blobs
    assert metrics.scores(truth, cluster.kmeans(x, n_clusters=4))["ari"] == pytest.approx(1.0)
    for bad in (0, 121):
        with pytest.raises(ValueError, match="n_clusters must be between 1 and the number of cells"):
            cluster.kmeans(x, n_clusters=bad)


def test_too_few_cells_for_the_graph_raises():
    with pytest.raises(ValueError, match="Too few cells"):
        cluster.leiden(np.zeros((5, 2)), n_neighbors=15, resolution=1.0)


def test_large_data_uses_the_approximate_search_and_still_clusters(monkeypatch, blobs):
    x, truth = blobs
    monkeypatch.setattr(graph, "EXACT_KNN_MAX_CELLS", 50)  # force pynndescent on 120 cells
    assert metrics.scores(truth, cluster.leiden(x, n_neighbors=10, resolution=0.5))["ari"] > 0.95


def test_timings_record_the_graph_and_the_clustering(blobs):
    timings = {}
    cluster.leiden(blobs[0], n_neighbors=10, resolution=0.5, timings=timings)
    assert set(timings) == {"graph", "cluster"} and all(t >= 0 for t in timings.values())


@pytest.mark.parametrize("resolution, max_cells", [(0.5, 1000), ("auto", 1000), ("auto", 60)])
def test_progress_bar_names_each_step_and_ends_full(monkeypatch, blobs, resolution, max_cells):
    seen = []

    class Recording(cluster.tqdm):
        def set_postfix_str(self, s="", refresh=True):
            seen.append(s)
            super().set_postfix_str(s, refresh)

        def close(self):
            seen.append((self.n, self.total))
            super().close()

    monkeypatch.setattr(cluster, "tqdm", Recording)
    monkeypatch.setattr(cluster, "AUTO_MAX_CELLS", max_cells)
    x, _ = blobs
    labels = cluster.leiden(x, n_neighbors=10, resolution=resolution, progress=True)
    assert labels.shape == (120,)
    assert seen[0] == "10-NN graph of 120 cells"
    assert seen[-1][0] == seen[-1][1]  # every step counted: the bar ends full
    leidens = [s for s in seen if isinstance(s, str) and s.startswith("Leiden at resolution")]
    further = [s for s in leidens if ", start " in s]  # the medoid's starts; the third only when the first two differ
    assert len(leidens) - len(further) == (1 if resolution == 0.5 else len(AUTO_RESOLUTIONS) + (max_cells < 120))
    assert 1 <= len(further) <= LEIDEN_STARTS - 1 if (resolution, max_cells) == ("auto", 1000) else not further


def test_no_progress_bar_by_default(capsys, blobs):
    cluster.leiden(blobs[0], n_neighbors=10, resolution="auto")
    assert capsys.readouterr().err == ""


def test_unknown_resolution_word_raises(blobs):
    with pytest.raises(ValueError, match="'auto'"):
        cluster.leiden(blobs[0], n_neighbors=10, resolution="best")
