import math

import pytest
import torch
import torch.nn.functional as F

from csc_core.method.loss import nt_xent


def nt_xent_reference(z1, z2, temperature):
    """Slow NT-Xent straight from SimCLR's Algorithm 1: a double loop over the 2N embeddings."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n2 = z.shape[0]
    n = n2 // 2
    total = 0.0
    for i in range(n2):
        j = (i + n) % n2
        sims = [torch.dot(z[i], z[k]) / temperature for k in range(n2)]
        denom = sum(torch.exp(sims[k]) for k in range(n2) if k != i)
        total += -torch.log(torch.exp(sims[j]) / denom)
    return total / n2


@pytest.mark.parametrize("n, d, temperature", [(2, 3, 0.07), (5, 8, 0.5), (8, 32, 0.07), (16, 4, 1.0), (3, 2, 0.2)])
def test_matches_slow_reference(n, d, temperature):
    g = torch.Generator().manual_seed(n * 100 + d)
    z1, z2 = torch.randn(n, d, generator=g, dtype=torch.float64), torch.randn(n, d, generator=g, dtype=torch.float64)
    assert torch.allclose(nt_xent(z1, z2, temperature), nt_xent_reference(z1, z2, temperature), rtol=1e-9)


@pytest.mark.parametrize("n", [2, 7, 64])
def test_all_identical_embeddings_closed_form(n):
    # every similarity is equal, so each anchor's softmax over its 2N-1 others is uniform: loss = log(2N - 1)
    z = torch.ones(n, 5)
    assert nt_xent(z, z.clone(), 0.07).item() == pytest.approx(math.log(2 * n - 1), rel=1e-5)


@pytest.mark.parametrize("temperature", [0.07, 0.5, 1.0])
def test_orthogonal_samples_identical_views_closed_form(temperature):
    # positives have cosine 1, the 2N-2 negatives cosine 0
    n = 6
    z = torch.eye(n, 8, dtype=torch.float64)
    expected = -math.log(math.exp(1 / temperature) / (math.exp(1 / temperature) + 2 * n - 2))
    assert nt_xent(z, z.clone(), temperature).item() == pytest.approx(expected, rel=1e-9)


def test_symmetric_in_the_two_views():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(10, 6, generator=g), torch.randn(10, 6, generator=g)
    assert torch.allclose(nt_xent(a, b, 0.07), nt_xent(b, a, 0.07))


def test_scale_invariant_because_inputs_are_normalised():
    g = torch.Generator().manual_seed(2)
    a, b = torch.randn(10, 6, generator=g), torch.randn(10, 6, generator=g)
    assert torch.allclose(nt_xent(a, b, 0.07), nt_xent(3 * a, 0.5 * b, 0.07), atol=1e-6)


def test_gradient_reaches_both_views():
    a, b = torch.randn(4, 3, requires_grad=True), torch.randn(4, 3, requires_grad=True)
    nt_xent(a, b, 0.07).backward()
    assert a.grad.abs().sum() > 0 and b.grad.abs().sum() > 0


@pytest.mark.parametrize("temperature", [0.0, -1.0, 1e-9, float("nan")])
def test_vanishing_temperature_raises(temperature):
    with pytest.raises(ValueError, match="temperature"):
        nt_xent(torch.randn(4, 3), torch.randn(4, 3), temperature)


def test_mismatched_shapes_raise():
    with pytest.raises(ValueError, match="equal shape"):
        nt_xent(torch.randn(4, 3), torch.randn(5, 3), 0.07)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    a, b = torch.randn(8, 4), torch.randn(8, 4)
    assert torch.allclose(nt_xent(a.cuda(), b.cuda(), 0.07).cpu(), nt_xent(a, b, 0.07), atol=1e-5)


def test_batched_form_equals_one_problem_at_a_time():
    g = torch.Generator().manual_seed(3)
    z1, z2 = (
        torch.randn(4, 9, 5, generator=g, dtype=torch.float64),
        torch.randn(4, 9, 5, generator=g, dtype=torch.float64),
    )
    batched = nt_xent(z1, z2, 0.2)
    assert batched.shape == (4,)
    for k in range(4):
        assert torch.allclose(batched[k], nt_xent_reference(z1[k], z2[k], 0.2), rtol=1e-9)


def test_the_temperature_is_required():
    with pytest.raises(TypeError, match="temperature"):
        nt_xent(torch.randn(4, 3), torch.randn(4, 3))
