"""DEC's clustering head, scziDesk's soft K-means weights, DEC's target distribution, KL and the centres of clusters."""

import numpy as np
import pytest
import torch

from csc_core.method.dec import ClusteringHead, SoftKMeansHead, centres_of, kl_divergence, target_distribution


def test_student_t_assignments_match_the_closed_form():
    centres = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    with torch.no_grad():
        q, d2 = ClusteringHead(centres, alpha=1.0)(torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
    np.testing.assert_allclose(d2[0].numpy(), [0.0, 25.0])
    np.testing.assert_allclose(q[0].numpy(), np.array([1.0, 1 / 26]) / (1 + 1 / 26), rtol=1e-6)
    np.testing.assert_allclose(q.sum(1).numpy(), 1.0, rtol=1e-6)
    assert q[1, 1] > q[1, 0] and q[2, 0] > q[2, 1]


def test_the_head_copies_its_centres_and_trains_them():
    centres = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    head = ClusteringHead(centres)
    assert isinstance(head.centres, torch.nn.Parameter) and head.centres.data_ptr() != centres.data_ptr()
    q, _ = head(torch.tensor([[1.0, 1.0]]))
    q[0, 0].backward()
    assert head.centres.grad is not None and head.centres.grad.abs().sum() > 0


def test_soft_kmeans_weights_are_a_softmax_of_minus_alpha_d2():
    centres = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    with torch.no_grad():
        w, d2 = SoftKMeansHead(centres, alpha=0.5)(torch.tensor([[0.0, 1.0]]))
    expected = np.exp(-0.5 * np.array([1.0, 18.0]))
    np.testing.assert_allclose(d2[0].numpy(), [1.0, 18.0], rtol=1e-6)
    np.testing.assert_allclose(w[0].numpy(), expected / expected.sum(), rtol=1e-5)


def test_target_distribution_is_decs_formula_and_sharpens():
    q = torch.tensor([[0.6, 0.4], [0.3, 0.7], [0.5, 0.5]])
    p = target_distribution(q)
    w = q.numpy() ** 2 / q.numpy().sum(0)
    np.testing.assert_allclose(p.numpy(), w / w.sum(1, keepdims=True), rtol=1e-6)
    assert p[0, 0] > q[0, 0] and p[1, 1] > q[1, 1]  # confident assignments grow


def test_kl_divergence_is_the_mean_over_cells_and_zero_only_at_equality():
    p = torch.tensor([[0.9, 0.1], [0.5, 0.5]])
    q = torch.tensor([[0.6, 0.4], [0.5, 0.5]])
    expected = (0.9 * np.log(0.9 / 0.6) + 0.1 * np.log(0.1 / 0.4)) / 2
    assert kl_divergence(p, q).item() == pytest.approx(expected, rel=1e-5)
    assert kl_divergence(q, q).item() == pytest.approx(0.0, abs=1e-7)


def test_centres_are_the_mean_embedding_of_each_cluster():
    z = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0], [0.0, 6.0]])
    np.testing.assert_allclose(centres_of(z, np.array([0, 0, 1, 1]), 2).numpy(), [[1.0, 0.0], [0.0, 5.0]])
