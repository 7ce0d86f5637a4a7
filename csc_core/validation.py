"""Checks on user input, each failing with a message that names the problem."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp


def check_counts(x, *, min_cells: int = 2) -> None:
    """Validate a raw count matrix (cells × genes, dense or sparse).

    Raises ``ValueError`` for an empty matrix, NaN or infinite values, negative counts, cells whose counts are all zero,
    or fewer than ``min_cells`` cells; warns (and continues) for non-integer counts.
    """
    n_cells, n_genes = x.shape
    if n_cells == 0 or n_genes == 0:
        raise ValueError(f"The count matrix is empty ({n_cells} cells × {n_genes} genes).")
    values = x.data if sp.issparse(x) else np.asarray(x)
    if not np.issubdtype(values.dtype, np.number):
        raise ValueError(f"Counts must be numeric, got dtype {values.dtype}.")
    if np.isnan(values).any():
        raise ValueError(f"The count matrix contains {int(np.isnan(values).sum())} NaN values.")
    if np.isinf(values).any():
        raise ValueError(f"The count matrix contains {int(np.isinf(values).sum())} infinite values.")
    if (values < 0).any():
        raise ValueError(
            f"The count matrix contains {int((values < 0).sum())} negative values; contrastive-sc expects raw counts "
            "(did you pass log-normalised or scaled data?)."
        )
    if n_cells < min_cells:
        raise ValueError(f"Too few cells: got {n_cells}, need at least {min_cells}.")
    totals = np.asarray(x.sum(axis=1)).ravel()
    if (totals == 0).any():
        raise ValueError(
            f"{int((totals == 0).sum())} cells have no counts at all; remove them first, "
            "e.g. `sc.pp.filter_cells(adata, min_counts=1)`."
        )
    if not np.array_equal(np.trunc(values), values):  # integers (np.mod would take 13x as long)
        warnings.warn(
            "The count matrix has non-integer values; contrastive-sc expects raw counts. Continuing.",
            UserWarning, stacklevel=3,
        )
