import numpy as np
import pytest
import torch

from csc_core import metrics
from csc_core.cluster_network import ClusteringHead, clustering_loss, target_distribution, train_cluster_network
from csc_core.encoder import Encoder


def test_student_t_assignments_match_the_closed_form():
    centres = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    with torch.no_grad():
        q, d2 = ClusteringHead(centres, alpha=1.0)(torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
    np.testing.assert_allclose(d2[0].numpy(), [0.0, 25.0])
    np.testing.assert_allclose(q[0].numpy(), np.array([1.0, 1 / 26]) / (1 + 1 / 26), rtol=1e-6)
    np.testing.assert_allclose(q.sum(1).numpy(), 1.0, rtol=1e-6)
    assert q[1, 1] > q[1, 0] and q[2, 0] > q[2, 1]


def test_target_distribution_is_decs_formula_and_sharpens():
    q = torch.tensor([[0.6, 0.4], [0.3, 0.7], [0.5, 0.5]])
    p = target_distribution(q)
    w = q.numpy() ** 2 / q.numpy().sum(0)
    np.testing.assert_allclose(p.numpy(), w / w.sum(1, keepdims=True), rtol=1e-6)
    assert p[0, 0] > q[0, 0] and p[1, 1] > q[1, 1]  # confident assignments grow


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
    assert any(not torch.equal(a, b) for a, b in zip(before, enc.parameters()))


def test_network_rejects_bad_cluster_counts(separated):
    x, _ = separated
    with pytest.raises(ValueError, match="n_clusters"):
        train_cluster_network(Encoder(20, (16, 8)), x, n_clusters=1)
    with pytest.raises(ValueError, match="n_clusters"):
        train_cluster_network(Encoder(20, (16, 8)), x, n_clusters=500)
