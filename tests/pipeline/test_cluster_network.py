import numpy as np
import pytest
import torch

from csc_core.data import metrics
from csc_core.method.dec import target_distribution
from csc_core.method.encoder import Encoder
from csc_core.pipeline.cluster_network import clustering_loss, train_cluster_network


def test_clustering_loss_is_zero_only_at_the_target_without_kmeans_term():
    q = torch.tensor([[0.6, 0.4], [0.3, 0.7]])
    d2 = torch.tensor([[1.0, 2.0], [3.0, 0.5]])
    assert clustering_loss(q, q, d2, kmeans_weight=0.0).item() == pytest.approx(0.0, abs=1e-7)
    assert clustering_loss(q, target_distribution(q), d2, kmeans_weight=0.0).item() > 0
    soft_kmeans = (0.6 * 1 + 0.4 * 2 + 0.3 * 3 + 0.7 * 0.5) / 2
    assert clustering_loss(q, q, d2, kmeans_weight=2.0).item() == pytest.approx(2 * soft_kmeans, rel=1e-6)


@pytest.fixture
def separated():
    rng = np.random.default_rng(0)
    truth = np.repeat(np.arange(3), 60)
    centres = np.zeros((3, 20))
    centres[np.arange(3), np.arange(3) * 5] = 6.0
    return torch.tensor(centres[truth] + rng.normal(size=(180, 20)), dtype=torch.float32), truth


def test_network_finds_separated_groups_and_is_seeded(separated):
    x, truth = separated

    def run(seed):
        torch.manual_seed(0)
        return train_cluster_network(Encoder(20, (16, 8)), x, n_clusters=3, epochs=20, batch_size=32, seed=seed)

    labels, record = run(0)
    assert metrics.scores(truth, labels)["ari"] > 0.95
    assert record["loss"].shape == (20,) and 0.0 <= record["changed"] <= 1.0
    np.testing.assert_array_equal(labels, run(0)[0])


def test_network_training_moves_the_encoder(separated):
    x, _ = separated
    torch.manual_seed(0)
    enc = Encoder(20, (16, 8))
    before = [p.detach().clone() for p in enc.parameters()]
    train_cluster_network(enc, x, n_clusters=3, epochs=2, batch_size=32)
    assert any(not torch.equal(a, b) for a, b in zip(before, enc.parameters(), strict=True))


def test_network_rejects_bad_cluster_counts(separated):
    x, _ = separated
    with pytest.raises(ValueError, match="n_clusters"):
        train_cluster_network(Encoder(20, (16, 8)), x, n_clusters=1)
    with pytest.raises(ValueError, match="n_clusters"):
        train_cluster_network(Encoder(20, (16, 8)), x, n_clusters=500)
