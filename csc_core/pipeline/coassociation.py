"""The paper's variant S3: the co-association matrix of several clusterings, and Leiden communities of it."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .graph import leiden_on_graph


def coassociation(labelings) -> sp.csr_matrix:
    """Share of the clusterings in ``labelings`` that put each pair of cells together (sparse, zero diagonal).

    The matrix holds one entry per pair of cells that share a cluster at least once, so its size grows with the
    square of the cluster sizes: meant for the paper's data sizes (thousands of cells), not for millions.

    Parameters
    ----------
    labelings
        Clusterings of the same cells (one label array each).

    Returns
    -------
    Cells × cells, CSR.
    """
    labelings = [np.asarray(lab) for lab in labelings]
    if not labelings:
        raise ValueError("Need at least one clustering.")
    n = labelings[0].shape[0]
    if any(lab.shape != (n,) for lab in labelings):
        raise ValueError("Every clustering must label the same cells.")
    total = sp.csr_matrix((n, n))
    for lab in labelings:
        _, codes = np.unique(lab, return_inverse=True)
        member = sp.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, codes.max() + 1))
        total = total + member @ member.T
    total = (total / len(labelings)).tocsr()
    total.setdiag(0)
    total.eliminate_zeros()
    return total


def coassociation_leiden(labelings, *, resolution: float, seed: int = 0) -> np.ndarray:
    """The paper's variant S3: Leiden communities of the co-association graph of several clusterings.

    Parameters
    ----------
    labelings
        Clusterings of the same cells (e.g. each encoder's own Leiden partition).
    resolution
        Leiden resolution on the co-association graph.
    seed
        Seeds Leiden.

    Returns
    -------
    Integer labels, one per cell.
    """
    return leiden_on_graph(coassociation(labelings), resolution=resolution, seed=seed)
