"""The kNN graph (scanpy's construction, exact or approximate) and Leiden on it (scanpy's call, or the lean path)."""

import numpy as np
import pytest

from csc_core.data import metrics
from csc_core.pipeline import graph


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    centres = np.eye(4, 8) * 10
    labels = np.repeat(np.arange(4), 30)
    return centres[labels] + rng.normal(size=(120, 8)), labels


@pytest.fixture
def structureless():
    """The graph of 200 cells from one Gaussian.

    No partition is much better than its neighbours, so Leiden's moves depend on the order its random generator visits
    the nodes in.
    """
    x = np.random.default_rng(0).normal(size=(200, 5))
    return graph.knn_graph(x, n_neighbors=10)


def test_approximate_graph_matches_scanpys_construction(monkeypatch, blobs):
    # on well-separated data pynndescent finds the exact neighbours, so both paths must give the same graph
    x, _ = blobs
    exact = graph.knn_graph(x, n_neighbors=10)
    assert abs(exact - graph.knn_graph(x, n_neighbors=10, method="approximate")).max() < 1e-4
    monkeypatch.setattr(graph, "EXACT_KNN_MAX_CELLS", 50)  # "auto" chooses by size
    assert abs(exact - graph.knn_graph(x, n_neighbors=10)).max() < 1e-4
    assert abs(exact - graph.knn_graph(x, n_neighbors=10, method="exact")).max() == 0
    with pytest.raises(ValueError, match="method must be"):
        graph.knn_graph(x, n_neighbors=10, method="annoy")


def test_too_few_cells_for_the_graph_raises():
    with pytest.raises(ValueError, match="Too few cells"):
        graph.knn_graph(np.zeros((5, 2)), n_neighbors=15)


@pytest.mark.parametrize("lean", [False, True])
def test_leiden_on_a_graph_is_seeded_and_the_seed_matters(monkeypatch, structureless, lean):
    """The same seed gives the same partition, and the seed matters.

    On a graph without clear communities other seeds give other partitions — which fails if the seed were ignored
    (every seed would then give seed 0's partition).
    """
    if lean:
        monkeypatch.setattr(graph, "EXACT_KNN_MAX_CELLS", 100)  # the graph-from-arrays path on 200 cells
    first = graph.leiden_on_graph(structureless, resolution=1.0, seed=0)
    np.testing.assert_array_equal(first, graph.leiden_on_graph(structureless, resolution=1.0, seed=0))
    others = [graph.leiden_on_graph(structureless, resolution=1.0, seed=s) for s in range(1, 6)]
    assert min(metrics.scores(first, o)["ari"] for o in others) < 0.95  # another partition, not relabelled
    np.testing.assert_array_equal(others[2], graph.leiden_on_graph(structureless, resolution=1.0, seed=3))


def test_lean_leiden_for_large_graphs_agrees_with_scanpys_and_is_seeded(monkeypatch):
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(6), 60)
    x = (np.eye(6, 10) * 4)[labels] + rng.normal(size=(360, 10))  # overlapping enough that Leiden has work to do
    g = graph.knn_graph(x, n_neighbors=15)
    via_scanpy = graph.leiden_on_graph(g, resolution=0.5, seed=2)
    monkeypatch.setattr(graph, "EXACT_KNN_MAX_CELLS", 100)  # the graph-from-arrays path on 360 cells
    lean = graph.leiden_on_graph(g, resolution=0.5, seed=2)
    np.testing.assert_array_equal(lean, graph.leiden_on_graph(g, resolution=0.5, seed=2))
    assert metrics.scores(via_scanpy, lean)["ari"] > 0.9
    assert metrics.scores(labels, lean)["ari"] > 0.8


def test_leiden_at_several_resolutions_gives_more_clusters_higher_up(blobs):
    x, _ = blobs
    g = graph.knn_graph(x, n_neighbors=10)
    low, high = graph.leiden_resolutions(g, [0.1, 5.0], seed=0)
    assert np.unique(low).size < np.unique(high).size
    np.testing.assert_array_equal(
        low, graph.leiden_on_igraph(graph.igraph_of(g), resolution=0.1, seed=0)
    )  # the lean path


def test_umap_connectivity_kernels_load_from_numbas_disk_cache_in_a_new_process(blobs, tmp_path):
    """umap compiles them in every process (3 s); after a knn_graph here, a new process loads them, same graph."""
    import subprocess
    import sys

    import scipy.sparse as sp
    from umap import umap_

    x, _ = blobs
    here = graph.knn_graph(x, n_neighbors=10)
    assert graph.cache_umap_kernels()
    assert umap_.smooth_knn_dist.stats.cache_path is not None  # umap's default NullCache has none
    np.save(tmp_path / "x.npy", x)
    script = (
        "import sys, numpy as np, scipy.sparse as sp; from umap import umap_; "
        "from csc_core.pipeline.graph import knn_graph; "
        "sp.save_npz(sys.argv[2], knn_graph(np.load(sys.argv[1]), n_neighbors=10)); "
        "print(sum(k.stats.cache_hits.total() for k in (umap_.smooth_knn_dist, "
        "umap_.compute_membership_strengths)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "x.npy"), str(tmp_path / "g.npz")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(out.stdout.split()[-1]) == 2  # both kernels came from the disk cache, none was compiled
    there = sp.load_npz(tmp_path / "g.npz")
    assert (here != there).nnz == 0


def test_no_writable_numba_cache_leaves_the_kernels_compiled_per_process(monkeypatch):
    """numba raises when it finds no writable cache location; knn_graph must still run (uncached), not fail."""
    from umap import umap_

    class Unwritable:
        def enable_caching(self):
            raise RuntimeError("cannot cache function: no locator available")

    monkeypatch.setattr(umap_, "smooth_knn_dist", Unwritable())
    assert graph.cache_umap_kernels.__wrapped__() is False  # the undecorated function: once-per-process aside
