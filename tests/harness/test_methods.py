"""One data set, one seed: every method scored (csc_core.harness.methods)."""

import pytest

from csc_core.harness import methods as benchmark

FAST = dict(n_genes=40, epochs=3, min_steps=0, batch_size=32, n_neighbors=10, network_epochs=2, device="cpu")


def test_method_rows_score_every_variant_and_baseline(adata):
    rows = benchmark.method_rows(adata, 0, methods=benchmark.ALL_METHODS, **FAST)
    assert sorted(r["method"] for r in rows) == sorted(benchmark.ALL_METHODS)
    for r in rows:
        assert -0.5 <= r["ari"] <= 1 and r["n_types"] == 3 and r["seconds"] > 0
    told_k = {
        benchmark.CSC_KMEANS,
        benchmark.BASELINE_KMEANS,
        benchmark.CLUSTER_NN,
        benchmark.KMEANS,
        benchmark.PCA_KMEANS,
    }
    assert all(r["n_clusters"] == 3 for r in rows if r["method"] in told_k)
    with pytest.raises(ValueError, match="Unknown methods"):
        benchmark.method_rows(adata, 0, methods=["DESC"], **FAST)


def test_method_rows_train_with_the_settings_asked_for(monkeypatch, adata):
    """The stored form of hidden ("16-8") and every override reach the training; the baselines use its n_genes."""
    trained, genes = [], []
    real_train, real_pca = benchmark.train_ensemble, benchmark.baselines.pca_kmeans
    monkeypatch.setattr(benchmark, "train_ensemble", lambda x, **kw: trained.append(kw) or real_train(x, **kw))
    monkeypatch.setattr(
        benchmark.baselines, "pca_kmeans", lambda adata, **kw: genes.append(kw["n_genes"]) or real_pca(adata, **kw)
    )
    fast = {**FAST, "hidden": "16-8", "lr": 5e-3}
    rows = benchmark.method_rows(adata, 0, methods=[benchmark.CSC_KMEANS, benchmark.PCA_KMEANS], kernel="torch", **fast)
    assert [r["method"] for r in rows] == [benchmark.CSC_KMEANS, benchmark.PCA_KMEANS]
    (kw,) = trained
    assert kw["hidden"] == (16, 8) and kw["lr"] == 5e-3 and kw["epochs"] == 3 and kw["kernel"] == "torch"
    assert genes == [40]


def test_benchmark_row_of_a_competitor_scores_against_the_truth(adata):
    rows = benchmark.competitor_rows(adata, 0, n_genes=60, pretrain_epochs=20, cluster_epochs=10, batch_size=32)
    assert [r["method"] for r in rows] == [benchmark.SCDEEPCLUSTER, benchmark.SCZI]
    for row in rows:
        assert row["n_types"] == 3 and row["ari"] > 0.9
        assert row["seconds"] >= row["pretrain_seconds"] + row["cluster_seconds"]
    assert rows[0]["pretrain_seconds"] == rows[1]["pretrain_seconds"]  # one shared pretraining
    with pytest.raises(ValueError, match="Unknown competitors"):
        benchmark.competitor_rows(adata, 0, methods=["scVI"])
