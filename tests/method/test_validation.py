"""The argument checks every entry point runs first: each names the argument and accepts numpy scalars."""

import numpy as np
import pytest
import scipy.sparse as sp

from csc_core.method.validation import (
    MIN_TEMPERATURE,
    check_choice,
    check_counts,
    check_float,
    check_int,
    check_seed,
    check_sizes,
    check_temperature,
)


def test_integers_from_numpy_are_python_ints_and_bools_or_fractions_are_refused():
    assert check_int("n", np.int64(5), minimum=1) == 5 and type(check_int("n", np.int32(5))) is int
    assert check_int("n", 3, minimum=1, maximum=3) == 3
    for bad in (True, np.bool_(True), 2.5, 2.0, "2", None):
        with pytest.raises(TypeError, match="^n must be an integer"):
            check_int("n", bad)
    with pytest.raises(ValueError, match=r"^n must be an integer from 1 to 3, got 4"):
        check_int("n", 4, minimum=1, maximum=3)


def test_floats_must_be_finite_and_within_bounds():
    assert check_float("lr", np.float32(0.5), above=0) == 0.5 and type(check_float("lr", 1)) is float
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="^lr must be a finite number > 0"):
            check_float("lr", bad, above=0)
    with pytest.raises(ValueError, match="<= 1"):
        check_float("keep", 1.5, above=0, maximum=1)
    for bad in (True, "0.1", None):
        with pytest.raises(TypeError, match="^lr must be"):
            check_float("lr", bad)


def test_choices_sizes_seeds_and_temperatures():
    assert check_choice("mask", "cell", ("batch", "cell")) == "cell"
    with pytest.raises(ValueError, match="mask must be one of 'batch', 'cell'"):
        check_choice("mask", "gene", ("batch", "cell"))
    assert check_sizes("hidden", [np.int64(64), 32]) == (64, 32)
    with pytest.raises(ValueError, match=r"hidden\[1\]"):
        check_sizes("hidden", (64, 0))
    for bad in ((), "64-32", 64):
        with pytest.raises(TypeError, match="hidden"):
            check_sizes("hidden", bad)
    assert check_seed(np.uint32(2**32 - 1)) == 2**32 - 1
    for bad in (-1, 2**32):
        with pytest.raises(ValueError, match="seed"):
            check_seed(bad)
    assert check_temperature(np.float64(0.07)) == 0.07 and check_temperature(MIN_TEMPERATURE) == MIN_TEMPERATURE
    for bad in (0.0, MIN_TEMPERATURE / 2, float("nan"), float("inf"), True, "0.07"):
        with pytest.raises(ValueError, match="temperature"):
            check_temperature(bad)


def test_counts_name_what_is_wrong_and_why_a_size_is_needed():
    good = sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 3.0], [0.0, 1.0]]))
    check_counts(good)
    with pytest.raises(ValueError, match=r"Too few cells: got 3, need at least 5 \(n_clusters=5\)"):
        check_counts(good, min_cells=5, why="n_clusters=5")
    with pytest.raises(ValueError, match="numeric"):
        check_counts(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="1 cells have no counts"):
        check_counts(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.warns(UserWarning, match="non-integer"):
        check_counts(np.array([[1.5, 0.0], [1.0, 1.0]]))


@pytest.mark.parametrize("to", [np.asarray, sp.csr_matrix, sp.csc_matrix, sp.coo_matrix])
def test_counts_without_variation_are_refused_for_training_but_not_for_embedding(to):
    one_gene = to(np.array([[1.0, 0.0], [2.0, 0.0], [5.0, 0.0]]))
    identical = to(np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]))
    with pytest.raises(ValueError, match="Only 1 gene has counts"):
        check_counts(one_gene)
    with pytest.raises(ValueError, match="All 3 cells have the same counts: there is nothing"):
        check_counts(identical)
    alike = to(np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]))  # the same after normalising: NaN after scaling
    with pytest.raises(ValueError, match="All 3 cells have the same counts up to library size"):
        check_counts(alike)
    check_counts(alike, min_cells=1, varied=False)
    check_counts(one_gene, varied=False)
    check_counts(identical, min_cells=1, varied=False)
    check_counts(to(np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 3.0]])))  # one cell differing in one gene is enough
    check_counts(to(np.array([[1.0, 2.0], [2.0, 4.0], [2.0, 5.0]])))  # in proportion too


@pytest.mark.parametrize("block_values", [3, 6, 9, 1 << 22])  # 1, 2, 3 cells a block; all
def test_cells_alike_are_found_whatever_the_block_size(block_values):
    from csc_core.method.validation import _all_proportional

    x = np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [3.0, 6.0, 0.0], [0.5, 1.0, 0.0]])
    totals = x.sum(axis=1)
    assert _all_proportional(sp.csr_matrix(x), totals, block_values=block_values)
    x[3, 2] = 1.0  # the last cell differs: found in the last block
    assert not _all_proportional(sp.csr_matrix(x), x.sum(axis=1), block_values=block_values)
