"""The medoid of three Leiden starts: the partition that agrees most with the others, so no one start decides."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score
from tqdm import tqdm

from .graph import leiden_on_igraph
from .progress import done, stage

#: Leiden starts (seeds ``seed``, ``seed + 1``, ``seed + 2``) at the resolution ``"auto"`` chooses. One start's
#: partition depends on its seed: on the 2,100-cell bladder set one embedding's partitions at one resolution differ by
#: more than 0.1 ARI from seed to seed. Of three starts, the medoid is an unlucky one only when two of the three are;
#: on the generalisation panel it raised the mean ARI (the "Choosing the defaults" chapter shows it). Three because
#: then two identical starts settle it (:func:`leiden_medoid`), and two more Leiden runs is what it costs.
LEIDEN_STARTS = 3


def medoid_index(labelings) -> int:
    """Index of the partition with the highest mean adjusted Rand index to the others; the first among equals.

    Parameters
    ----------
    labelings
        Two or more partitions of the same cells.

    Returns
    -------
    The index into ``labelings``.
    """
    labelings = [np.asarray(lab) for lab in labelings]
    n = len(labelings)
    if n < 2:
        raise ValueError(f"Need at least two partitions for a medoid, got {n}.")
    agree = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            agree[i, j] = agree[j, i] = adjusted_rand_score(labelings[i], labelings[j])
    return int(np.argmax((agree.sum(axis=1) - 1.0) / (n - 1)))


def leiden_medoid(
    g, first: np.ndarray, *, resolution: float, seed: int = 0, bar: tqdm | None = None
) -> tuple[np.ndarray, int]:
    """The medoid (:func:`medoid_index`) of :data:`LEIDEN_STARTS` Leiden starts at ``resolution``.

    ``first`` is the start seeded ``seed``, already run (the resolution search's partition); the others are seeded
    ``seed + 1``, ``seed + 2``. When the second start finds the same partition as the first, the third is not run:
    the first is then the medoid whatever the third finds (its mean agreement, (1 + a) / 2 for the third's ARI ``a``
    to it, is at least the third's, ``a``).

    Parameters
    ----------
    g
        The igraph graph (:func:`~csc_core.pipeline.graph.igraph_of`).
    first
        The partition of the start seeded ``seed``.
    resolution
        Leiden resolution.
    seed
        The first start's seed.
    bar
        A tqdm bar, advanced once per further start (also for one not needed).

    Returns
    -------
    labels
        The medoid partition.
    starts
        How many starts were run, ``first`` included.
    """
    starts = [np.asarray(first)]
    for j in range(1, LEIDEN_STARTS):
        if j == 2 == LEIDEN_STARTS - 1 and _same_partition(starts[0], starts[1]):
            done(bar)  # of three starts, two identical ones settle the medoid
            continue
        stage(bar, f"Leiden at resolution {resolution:g}, start {j + 1} of {LEIDEN_STARTS}")
        starts.append(leiden_on_igraph(g, resolution=resolution, seed=seed + j))
        done(bar)
    return starts[medoid_index(starts)], len(starts)


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` and ``b`` group the cells alike, whatever their labels: codes in order of first appearance."""
    return bool(np.array_equal(pd.factorize(a)[0], pd.factorize(b)[0]))
