import numpy as np
import pytest

from csc_core import cluster, metrics


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    centres = np.eye(4, 8) * 10
    labels = np.repeat(np.arange(4), 30)
    return centres[labels] + rng.normal(size=(120, 8)), labels


def test_leiden_recovers_separated_groups_without_k(blobs):
    x, truth = blobs
    assert metrics.scores(truth, cluster.leiden(x, n_neighbors=10, resolution=0.5))["ari"] > 0.95


def test_leiden_is_seeded(blobs):
    x, _ = blobs
    np.testing.assert_array_equal(cluster.leiden(x, seed=3), cluster.leiden(x, seed=3))


def test_kmeans_recovers_separated_groups(blobs):
    x, truth = blobs
    assert metrics.scores(truth, cluster.kmeans(x, n_clusters=4))["ari"] == pytest.approx(1.0)


def test_too_few_cells_for_the_graph_raises():
    with pytest.raises(ValueError, match="Too few cells"):
        cluster.leiden(np.zeros((5, 2)), n_neighbors=15)


def test_metrics_of_a_perfect_and_a_relabelled_clustering():
    truth = np.array([0, 0, 1, 1, 2, 2])
    s = metrics.scores(truth, np.array([5, 5, 3, 3, 9, 9]))
    assert s == {"ari": pytest.approx(1.0), "nmi": pytest.approx(1.0), "n_clusters": 3}
    assert metrics.scores(truth, np.zeros(6))["ari"] == pytest.approx(0.0)


def test_approximate_graph_matches_scanpys_construction(monkeypatch, blobs):
    # on well-separated data pynndescent finds the exact neighbours, so both paths must give the same graph
    x, _ = blobs
    exact = cluster.knn_graph(x, n_neighbors=10)
    assert abs(exact - cluster.knn_graph(x, n_neighbors=10, method="approximate")).max() < 1e-4
    monkeypatch.setattr(cluster, "EXACT_KNN_MAX_CELLS", 50)  # "auto" chooses by size
    assert abs(exact - cluster.knn_graph(x, n_neighbors=10)).max() < 1e-4
    assert abs(exact - cluster.knn_graph(x, n_neighbors=10, method="exact")).max() == 0
    with pytest.raises(ValueError, match="method must be"):
        cluster.knn_graph(x, method="annoy")


def test_large_data_uses_the_approximate_search_and_still_clusters(monkeypatch, blobs):
    x, truth = blobs
    monkeypatch.setattr(cluster, "EXACT_KNN_MAX_CELLS", 50)  # force pynndescent on 120 cells
    assert metrics.scores(truth, cluster.leiden(x, n_neighbors=10, resolution=0.5))["ari"] > 0.95


def test_coassociation_counts_how_often_pairs_share_a_cluster():
    c = cluster.coassociation([np.array([0, 0, 1, 1]), np.array([5, 5, 5, 7])]).toarray()
    expected = np.array([[0, 1, 0.5, 0], [1, 0, 0.5, 0], [0.5, 0.5, 0, 0.5], [0, 0, 0.5, 0]])
    np.testing.assert_allclose(c, expected)


def test_coassociation_leiden_recovers_the_consensus(blobs):
    _, truth = blobs
    rng = np.random.default_rng(0)
    noisy = []
    for _ in range(5):  # each clustering mislabels 10 % of the cells at random
        lab = truth.copy()
        flip = rng.random(lab.size) < 0.1
        lab[flip] = rng.integers(0, 4, flip.sum())
        noisy.append(lab)
    consensus = cluster.coassociation_leiden(noisy, resolution=0.5)
    assert metrics.scores(truth, consensus)["ari"] > max(metrics.scores(truth, n)["ari"] for n in noisy)


def test_coassociation_rejects_mismatched_clusterings():
    with pytest.raises(ValueError, match="same cells"):
        cluster.coassociation([np.zeros(3), np.zeros(4)])


def test_lean_leiden_for_large_graphs_agrees_with_scanpys_and_is_seeded(monkeypatch):
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(6), 60)
    x = (np.eye(6, 10) * 4)[labels] + rng.normal(size=(360, 10))  # overlapping enough that Leiden has work to do
    graph = cluster.knn_graph(x, n_neighbors=15)
    via_scanpy = cluster.leiden_on_graph(graph, resolution=0.5, seed=2)
    monkeypatch.setattr(cluster, "EXACT_KNN_MAX_CELLS", 100)  # the graph-from-arrays path on 360 cells
    lean = cluster.leiden_on_graph(graph, resolution=0.5, seed=2)
    np.testing.assert_array_equal(lean, cluster.leiden_on_graph(graph, resolution=0.5, seed=2))
    assert metrics.scores(via_scanpy, lean)["ari"] > 0.9
    assert metrics.scores(labels, lean)["ari"] > 0.8


def test_cosine_silhouette_equals_scikit_learns_definition():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 6)).astype(np.float32)
    x[5] = 0.0  # a zero vector: cosine distance 1 to every other cell, as scikit-learn's normalisation leaves it
    for k in (2, 7, 60):  # 60 clusters of ~5 cells: some singletons, which score 0
        labels = rng.integers(0, k, 300)
        labels[0] = 999
        (ours,) = cluster.cosine_silhouette(x, [labels], max_cells=300)
        assert ours == pytest.approx(silhouette_score(x, labels, metric="cosine"), abs=1e-6)
    # on a sample: the silhouette of the sampled cells among themselves
    labels = rng.integers(0, 4, 300)
    (sampled,) = cluster.cosine_silhouette(x, [labels], max_cells=120, seed=3)
    idx = np.sort(np.random.default_rng(3).choice(300, size=120, replace=False))
    assert sampled == pytest.approx(silhouette_score(x[idx], labels[idx], metric="cosine"), abs=1e-6)


def test_cosine_silhouette_ranks_the_true_partition_first(blobs):
    x, truth = blobs
    rng = np.random.default_rng(0)
    merged = np.where(truth == 3, 2, truth)
    scores = cluster.cosine_silhouette(x, [truth, merged, rng.permutation(truth), np.zeros(120, int)], max_cells=80)
    assert scores[0] > scores[1] > scores[2] and scores[3] == -1.0


def test_pick_resolution_prefers_the_lowest_within_tolerance():
    assert cluster.pick_resolution([0.3, 0.5, 1.0], [0.30, 0.31, 0.33], tolerance=0.02) == 1
    assert cluster.pick_resolution([1.0, 0.5, 0.3], [0.33, 0.31, 0.30], tolerance=0.02) == 1  # order-free
    assert cluster.pick_resolution([0.3, 0.5, 1.0], [0.30, 0.31, 0.33], tolerance=0.0) == 2
    assert cluster.pick_resolution([0.3, 0.5, 1.0], [0.30, 0.31, 0.33], tolerance=0.05) == 0
    with pytest.raises(ValueError, match="one silhouette per resolution"):
        cluster.pick_resolution([0.3, 0.5], [0.1])


def test_auto_resolution_finds_the_groups_and_reports_every_candidate(blobs):
    x, truth = blobs
    scores = []
    labels = cluster.leiden(x, n_neighbors=10, resolution="auto", scores=scores)
    assert metrics.scores(truth, labels)["ari"] > 0.95
    table = scores[0]
    assert list(table["resolution"]) == list(cluster.AUTO_RESOLUTIONS) and table["chosen"].sum() == 1
    np.testing.assert_array_equal(labels, cluster.leiden(x, n_neighbors=10, resolution="auto"))  # seeded


def test_auto_resolution_on_a_fine_structure_goes_above_the_lowest():
    # 24 groups of 20 cells, close enough that at the lowest resolution Leiden merges some of them
    rng = np.random.default_rng(0)
    truth = np.repeat(np.arange(24), 20)
    x = (rng.normal(size=(24, 16)) * 3 / np.sqrt(2))[truth] + rng.normal(size=(480, 16))
    scores = []
    labels = cluster.leiden(x, n_neighbors=15, resolution="auto", scores=scores)
    low = cluster.leiden(x, n_neighbors=15, resolution=min(cluster.AUTO_RESOLUTIONS))
    assert metrics.scores(truth, labels)["ari"] > metrics.scores(truth, low)["ari"]
    assert scores[0].loc[scores[0]["chosen"], "resolution"].item() > min(cluster.AUTO_RESOLUTIONS)


def test_auto_resolution_on_many_cells_chooses_on_a_sample(monkeypatch, blobs):
    x, truth = blobs
    calls = []
    monkeypatch.setattr(cluster, "AUTO_MAX_CELLS", 60)
    real = cluster.knn_graph
    monkeypatch.setattr(cluster, "knn_graph", lambda e, **kw: calls.append(len(e)) or real(e, **kw))
    labels = cluster.leiden(x, n_neighbors=10, resolution="auto")
    assert calls == [120, 60]  # the whole graph, then the sample's
    assert labels.shape == (120,) and metrics.scores(truth, labels)["ari"] > 0.95


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
    assert len(leidens) == (1 if resolution == 0.5 else len(cluster.AUTO_RESOLUTIONS) + (max_cells < 120))


def test_no_progress_bar_by_default(capsys, blobs):
    cluster.leiden(blobs[0], n_neighbors=10, resolution="auto")
    assert capsys.readouterr().err == ""


def test_unknown_resolution_word_raises(blobs):
    with pytest.raises(ValueError, match="'auto'"):
        cluster.leiden(blobs[0], resolution="best")



def test_umap_connectivity_kernels_load_from_numbas_disk_cache_in_a_new_process(blobs, tmp_path):
    """umap compiles them in every process (3 s); after a knn_graph here, a new process loads them, same graph."""
    import subprocess
    import sys

    import scipy.sparse as sp
    from umap import umap_

    x, _ = blobs
    here = cluster.knn_graph(x, n_neighbors=10)
    assert cluster.cache_umap_kernels()
    assert umap_.smooth_knn_dist.stats.cache_path is not None  # umap's default NullCache has none
    np.save(tmp_path / "x.npy", x)
    script = ("import sys, numpy as np, scipy.sparse as sp; from umap import umap_; "
              "from csc_core.cluster import knn_graph; "
              "sp.save_npz(sys.argv[2], knn_graph(np.load(sys.argv[1]), n_neighbors=10)); "
              "print(sum(k.stats.cache_hits.total() for k in (umap_.smooth_knn_dist, "
              "umap_.compute_membership_strengths)))")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "x.npy"), str(tmp_path / "g.npz")],
                         capture_output=True, text=True, check=True)
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
    assert cluster.cache_umap_kernels.__wrapped__() is False  # the undecorated function: once-per-process aside
