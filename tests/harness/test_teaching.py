"""The teaching chapter's small experiments (csc_core.harness.teaching), on tiny data."""

import numpy as np
import torch

from csc_core.harness import teaching


def _blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    truth = np.repeat(["a", "b", "c"], n // 3)
    centres = {"a": 0.0, "b": 6.0, "c": -6.0}
    z = rng.normal(size=(n, 4)) + np.array([centres[t] for t in truth])[:, None]
    return z.astype(np.float32), truth


def test_kmeans_ari_is_told_the_number_of_types_and_scores_it():
    z, truth = _blobs()
    assert teaching.kmeans_ari(z, truth) == 1.0
    assert teaching.kmeans_ari(np.random.default_rng(1).normal(size=z.shape), truth) < 0.2


def test_sweep_trains_one_encoder_per_value_and_seed():
    z, truth = _blobs()
    x = torch.from_numpy(z)
    table = teaching.sweep(x, truth, "keep", (0.2, 0.9), steps=3, seeds=(0, 1))
    assert list(table.columns) == ["keep", "seed", "ARI"] and len(table) == 4
    assert table["ARI"].between(-1, 1).all()
    ensemble, history = teaching.train_encoder(x, steps=3, n_models=2)
    assert history.shape[1] == 2


def test_resolution_table_scores_every_resolution_tried():
    z, truth = _blobs(90)
    labels, table = teaching.resolution_table(z, truth, n_neighbors=10)
    assert {"resolution", "n_clusters", "silhouette", "chosen", "ARI"} <= set(table.columns)
    assert table["chosen"].sum() == 1 and len(labels) == len(truth)
    assert table.loc[table["chosen"], "ARI"].item() > 0.9
