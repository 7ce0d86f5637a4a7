"""Agreement between clusterings and known cell types."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def scores(truth, labels) -> dict[str, float]:
    """Agreement of a clustering with known cell types: ARI, NMI and the number of clusters found.

    Parameters
    ----------
    truth
        The known cell types.
    labels
        The clustering.

    Returns
    -------
    ``{"ari", "nmi", "n_clusters"}``.
    """
    truth, labels = np.asarray(truth), np.asarray(labels)
    return {
        "ari": float(adjusted_rand_score(truth, labels)),
        "nmi": float(normalized_mutual_info_score(truth, labels)),
        "n_clusters": int(len(np.unique(labels))),
    }
