"""Early stopping by cluster stability: stop training when the clusters of the embedding stop changing.

The paper leaves "a stopping criterion" to future work; it trains for a fixed number of epochs. Contrastive training
has no validation loss that tracks clustering quality (the loss keeps falling while the clusters are long settled),
so the check here looks at what the method is used for: every ``every`` optimizer steps, the cells of one fixed seeded
sample are embedded (eval mode, as the final embedding is) and clustered with Leiden on their kNN graph, and the
partition is compared with the previous check's by the adjusted Rand index. Training stops once ``patience``
consecutive checks agree with their predecessor at least ``agreement`` — and never before ``min_steps``.

A check needs no labels and does not touch the training's random generator or its parameters, so a run that does not
stop early is identical to one trained without the monitor. Its graph is a plain symmetric kNN graph (cosine
neighbours by a matrix product and ``topk``, every edge weight 1) rather than scanpy's UMAP connectivities: with
scanpy's neighbours and Leiden a check costs several times as much (``bench/README.md``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.metrics import adjusted_rand_score

from ..method.encoder import EncoderEnsemble, embed
from .graph import leiden_resolutions

#: Defaults of :class:`StabilityStop` (what ``early_stopping=True`` uses); ``python -m bench early-stopping`` measures
#: them against full-length training (the "Computational cost" chapter).
STOP_DEFAULTS = {"every": 200, "agreement": 0.95, "patience": 2, "n_cells": 2000, "n_neighbors": 15, "resolution": 1.0}


def check_stop_settings(**settings) -> dict:
    """``settings`` for :class:`StabilityStop` after checking them, with :data:`STOP_DEFAULTS` filled in.

    Parameters
    ----------
    **settings
        Keys of :data:`STOP_DEFAULTS`.

    Returns
    -------
    Every setting, checked.

    Raises
    ------
    KeyError
        For an unknown name.
    ValueError
        For a value out of range — before any training starts.
    """
    unknown = set(settings) - set(STOP_DEFAULTS)
    if unknown:
        raise KeyError(f"Unknown early-stopping settings {sorted(unknown)}; known: {sorted(STOP_DEFAULTS)}.")
    s = {**STOP_DEFAULTS, **settings}
    if s["every"] < 1 or s["patience"] < 1:
        raise ValueError(f"every and patience must be at least 1, got every={s['every']}, patience={s['patience']}.")
    if not 0.0 < s["agreement"] <= 1.0:
        raise ValueError(f"agreement is an adjusted Rand index in (0, 1], got {s['agreement']}.")
    if s["n_neighbors"] < 1 or s["n_cells"] < 2:
        raise ValueError(
            f"n_neighbors must be at least 1 and n_cells at least 2, got {s['n_neighbors']}, {s['n_cells']}."
        )
    return s


def knn_partition(
    embedding: torch.Tensor, *, n_neighbors: int = 15, resolution: float = 1.0, seed: int = 0
) -> np.ndarray:
    """Leiden communities (modularity, igraph) of the symmetric cosine kNN graph of ``embedding``.

    Parameters
    ----------
    embedding
        Cells × dims.
    n_neighbors
        Neighbours per cell.
    resolution
        Leiden resolution.
    seed
        Seeds Leiden.

    Returns
    -------
    Integer labels, one per cell.
    """
    n = embedding.shape[0]
    if n <= n_neighbors:
        raise ValueError(f"Too few cells for a {n_neighbors}-nearest-neighbour graph: got {n}.")
    z = torch.nn.functional.normalize(embedding.float(), dim=1)
    sim = z @ z.T
    sim.fill_diagonal_(-2.0)  # a cell is not its own neighbour (cosines are at least −1)
    idx = sim.topk(n_neighbors, dim=1).indices.cpu().numpy()
    adjacency = sp.csr_matrix((np.ones(idx.size), (np.repeat(np.arange(n), n_neighbors), idx.ravel())), shape=(n, n))
    return leiden_resolutions(adjacency.maximum(adjacency.T), [resolution], seed=seed)[0]


class AgreementStreak:
    """The stopping decision alone, fed one check's agreement at a time.

    Stop once ``patience`` consecutive checks agreed with their predecessor at least ``agreement``, but never before
    ``min_steps``. :class:`StabilityStop` decides with it during training,
    :func:`csc_core.harness.stopping_tables.replay_stopping` on stored checks.

    Parameters
    ----------
    agreement
        The ARI with the previous check that counts as "unchanged".
    patience
        Consecutive unchanged checks needed.
    min_steps
        Never stop before this step.
    """

    def __init__(self, *, agreement: float, patience: int, min_steps: int = 0):
        self.agreement, self.patience, self.min_steps = agreement, patience, min_steps
        self.streak = 0

    def update(self, step: int, agreed: float) -> bool:
        """Count the check at ``step`` and tell whether to stop now.

        Parameters
        ----------
        step
            The optimizer step of the check.
        agreed
            Its ARI with the previous check (NaN for the first).

        Returns
        -------
        Whether training should stop.
        """
        self.streak = self.streak + 1 if agreed >= self.agreement else 0  # NaN compares False
        return self.streak >= self.patience and step >= self.min_steps


class StabilityStop:
    """Decides, every ``every`` steps, whether training may stop: the sample's clusters no longer change.

    Parameters
    ----------
    x
        The training input, cells × genes (the sample is drawn from its rows).
    min_steps
        Never stop before this many steps.
    every
        Optimizer steps between checks.
    agreement
        Adjusted Rand index between a check's partition and the previous one's that counts as "unchanged".
    patience
        Consecutive unchanged checks needed to stop.
    n_cells
        Cells in the sample (all of them if fewer).
    n_neighbors, resolution
        kNN graph and Leiden resolution of each check's clustering.
    seed
        Seeds the sample and Leiden.

    Attributes
    ----------
    history
        One dict per check: ``step``, ``agreement`` (ARI with the previous check; NaN for the first), ``n_clusters``.
    stopped_at
        The step training stopped at, or ``None``.
    """

    def __init__(
        self,
        x: torch.Tensor,
        *,
        min_steps: int = 0,
        every: int = STOP_DEFAULTS["every"],
        agreement: float = STOP_DEFAULTS["agreement"],
        patience: int = STOP_DEFAULTS["patience"],
        n_cells: int = STOP_DEFAULTS["n_cells"],
        n_neighbors: int = STOP_DEFAULTS["n_neighbors"],
        resolution: float = STOP_DEFAULTS["resolution"],
        seed: int = 0,
    ):
        check_stop_settings(
            every=every,
            agreement=agreement,
            patience=patience,
            n_cells=n_cells,
            n_neighbors=n_neighbors,
            resolution=resolution,
        )
        n = x.shape[0]
        sample = np.sort(np.random.default_rng(seed).choice(n, size=min(n, n_cells), replace=False))
        if sample.size <= n_neighbors:
            raise ValueError(f"Early stopping needs more than {n_neighbors} cells, got {sample.size}.")
        self.x = x.index_select(0, torch.from_numpy(sample).to(x.device))
        self.every, self.n_neighbors, self.resolution, self.seed = every, n_neighbors, resolution, seed
        self.history: list[dict] = []
        self.stopped_at: int | None = None
        self._previous: np.ndarray | None = None
        self._rule = AgreementStreak(agreement=agreement, patience=patience, min_steps=min_steps)

    def __call__(self, ensemble: EncoderEnsemble, step: int) -> bool:
        """After optimizer step ``step`` (counted from 1): check if it is time to, and return whether to stop."""
        if step % self.every:
            return False
        was_training = ensemble.training
        labels = knn_partition(
            embed(ensemble, self.x), n_neighbors=self.n_neighbors, resolution=self.resolution, seed=self.seed
        )
        ensemble.train(was_training)  # embed() switches to eval mode
        same = np.nan if self._previous is None else adjusted_rand_score(self._previous, labels)
        self._previous = labels
        self.history.append({"step": int(step), "agreement": float(same), "n_clusters": int(np.unique(labels).size)})
        if self._rule.update(step, same):
            self.stopped_at = int(step)
            return True
        return False
