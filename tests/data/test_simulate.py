"""The Splat simulator reproduces the properties of the Splat model, each checked against a number."""

import numpy as np
import pytest
from scipy.stats import norm

from csc_core.data.simulate import PAPER_DATASETS, PAPER_GROUP_PROB, paper_dataset, splat


def test_same_seed_same_matrix_other_seed_differs():
    a, b = splat(300, 400, group_prob=[0.5, 0.5], seed=3), splat(300, 400, group_prob=[0.5, 0.5], seed=3)
    c = splat(300, 400, group_prob=[0.5, 0.5], seed=4)
    assert (a.X != b.X).nnz == 0 and (a.layers["true_counts"] != b.layers["true_counts"]).nnz == 0
    assert list(a.obs["cell_type"]) == list(b.obs["cell_type"])
    assert (a.X != c.X).nnz > 0


def test_group_proportions_follow_group_prob():
    adata = splat(20000, 50, group_prob=[0.1, 0.3, 0.6], seed=0)
    share = adata.obs["cell_type"].value_counts(normalize=True).sort_index()
    np.testing.assert_allclose(share.to_numpy(), [0.1, 0.3, 0.6], atol=0.012)  # > 3 binomial sd


def test_group_prob_is_normalised_like_splatter():
    adata = splat(10, 20, group_prob=PAPER_GROUP_PROB[16], seed=0)
    assert sum(adata.uns["splat"]["params"]["group_prob"]) == pytest.approx(1.0)


def test_share_of_de_genes_and_of_down_regulated_ones():
    adata = splat(
        20, 40000, group_prob=[0.5, 0.5], de_prob=0.1, de_down_prob=0.3, de_fac_loc=0.1, de_fac_scale=0.4, seed=0
    )
    # a factor is below 1 if down-regulated (inverted) and LogNormal > 1, or up-regulated and LogNormal < 1
    p_above = norm.sf(0, loc=0.1, scale=0.4)
    expected_below = 0.3 * p_above + 0.7 * (1 - p_above)
    for g in (1, 2):
        facs = adata.var[f"de_fac_group{g}"].to_numpy()
        de = facs != 1
        assert de.mean() == pytest.approx(0.1, abs=0.005)
        assert (facs[de] < 1).mean() == pytest.approx(expected_below, abs=0.025)
        assert np.log(facs[de]).std() == pytest.approx(np.sqrt(0.4**2 + 0.1**2 - (0.1 * (1 - 2 * 0.3)) ** 2), abs=0.02)


def test_library_sizes_are_lognormal_with_lib_loc_and_lib_scale():
    adata = splat(3000, 2000, lib_loc=11.0, lib_scale=0.2, seed=0)
    log_totals = np.log(np.asarray(adata.layers["true_counts"].sum(axis=1)).ravel())
    assert log_totals.mean() == pytest.approx(11.0, abs=0.02)
    assert log_totals.std() == pytest.approx(0.2, abs=0.02)


def test_mean_variance_trend_follows_the_bcv():
    # one group, equal libraries, no outliers and a near-constant BCV draw: var = mean + ((bcv_common + 1/sqrt(mean))
    # * sqrt(bcv_df / chi2)) ** 2 * mean ** 2 for every gene
    adata = splat(4000, 300, lib_scale=1e-9, out_prob=0.0, bcv_common=0.2, bcv_df=1e6, seed=1)
    x = adata.layers["true_counts"].toarray()
    mean, var = x.mean(axis=0), x.var(axis=0, ddof=1)
    ok = mean > 5
    phi = (var[ok] - mean[ok]) / mean[ok] ** 2
    expected = (0.2 + 1 / np.sqrt(mean[ok])) ** 2
    assert ok.sum() > 50
    assert np.median(phi / expected) == pytest.approx(1.0, abs=0.05)
    assert (var[ok] > mean[ok]).all()  # over-dispersed relative to Poisson


@pytest.mark.parametrize("mid, rate", [(-1, 0.08), (0, 0.165), (1, 0.30), (1.5, 0.38)])
def test_dropout_rates_match_the_paper(mid, rate):
    adata = paper_dataset("balanced", 4, mid)
    assert adata.uns["splat"]["dropout_rate"] == pytest.approx(rate, abs=0.02)
    true_nnz = adata.layers["true_counts"].nnz
    assert adata.uns["splat"]["dropout_rate"] == pytest.approx((true_nnz - adata.X.nnz) / true_nnz)


def test_dropout_only_removes_counts():
    adata = splat(200, 300, dropout_type="experiment", dropout_mid=1.0, seed=0)
    diff = adata.layers["true_counts"] - adata.X
    assert diff.min() >= 0
    observed = adata.X.toarray()
    true = adata.layers["true_counts"].toarray()
    assert np.array_equal(observed[observed > 0], true[observed > 0])


def test_no_dropout_keeps_the_true_counts():
    adata = splat(100, 200, seed=0)
    assert (adata.X != adata.layers["true_counts"]).nnz == 0 and adata.uns["splat"]["dropout_rate"] == 0


@pytest.mark.parametrize("kind, k, n_cells", [("balanced", 8, 2000), ("imbalanced", 8, 3000)])
def test_paper_datasets_have_the_paper_shape_and_name(kind, k, n_cells):
    adata = paper_dataset(kind, k, 0)
    assert adata.shape == (n_cells, 2500) and adata.obs["cell_type"].nunique() == k
    assert adata.uns["dataset"]["name"] == f"data_0c{k}"
    assert adata.X.dtype == np.float32 and adata.X.format == "csr"


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="kind"):
        paper_dataset("skewed", 4, 0)
    with pytest.raises(ValueError, match="n_groups"):
        paper_dataset("balanced", 5, 0)
    with pytest.raises(ValueError, match="dropout_type"):
        splat(10, 10, dropout_type="batch")


def test_dropping_the_true_counts_layer_changes_nothing_else():
    full = splat(150, 200, dropout_type="experiment", seed=5)
    lean = splat(150, 200, dropout_type="experiment", seed=5, keep_true_counts=False)
    assert "true_counts" not in lean.layers
    assert (full.X != lean.X).nnz == 0
    assert lean.uns["splat"]["dropout_rate"] == full.uns["splat"]["dropout_rate"]


def test_row_stacking_equals_scipy_vstack_and_frees_the_blocks():
    import scipy.sparse as sp

    from csc_core.data.simulate import _stack_rows

    rng = np.random.default_rng(0)
    blocks = [sp.random(n, 7, density=0.3, format="csr", dtype=np.float32, random_state=rng) for n in (5, 0, 3, 9)]
    expected = sp.vstack(blocks, format="csr")
    stacked = _stack_rows(list_ := list(blocks))
    assert list_ == []  # emptied as it went
    assert stacked.shape == expected.shape and (stacked != expected).nnz == 0
    assert stacked.indices.dtype == np.int32


def test_the_paper_has_32_simulated_data_sets():
    assert len(set(PAPER_DATASETS)) == 32
    assert {kind for kind, _, _ in PAPER_DATASETS} == {"balanced", "imbalanced"}
