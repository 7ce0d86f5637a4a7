"""The reference pipelines: scanpy's Leiden workflow, PCA + KMeans, KMeans on the expression."""

import pytest

from csc_core.competitors import baselines
from csc_core.data import metrics


def test_each_baseline_separates_clear_types_and_times_scanpys_stages(adata):
    truth = adata.obs["cell_type"]
    timings = {}
    assert (
        metrics.scores(truth, baselines.scanpy_leiden(adata, n_genes=60, resolution=0.5, timings=timings))["ari"] > 0.9
    )
    assert set(timings) == {"preprocess", "pca", "graph", "cluster"}
    assert metrics.scores(truth, baselines.pca_kmeans(adata, n_clusters=3, n_genes=60))["ari"] > 0.9
    assert metrics.scores(truth, baselines.kmeans_on_expression(adata, n_clusters=3, n_genes=60))["ari"] > 0.9


def test_the_gene_count_is_required(adata):
    for run in (baselines.scanpy_leiden, baselines.pca_kmeans, baselines.kmeans_on_expression):
        with pytest.raises(TypeError, match="n_genes"):
            run(adata, n_clusters=3) if run is not baselines.scanpy_leiden else run(adata)
