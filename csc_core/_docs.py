"""Shared docstring text: each parameter that several public functions take is described once, here.

As scanpy's ``tools/_docs.py``: a function's docstring holds ``{doc_seed}``-style fields and is filled in with
:func:`doc_params`, so ``contrastive_sc``, ``fit``, the model and the competitors describe ``adata``, ``seed``,
``device`` … in the same words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

doc_adata = """\
adata
    Raw counts, cells × genes, in ``X`` (or ``layers[layer]``, or ``raw.X`` with ``use_raw=True``). ``X`` is never
    modified."""

doc_settings = """\
settings
    The preset the settings start from: ``"default"`` (:data:`csc_core.DEFAULTS`, chosen by measurement),
    ``"paper"`` (:data:`csc_core.PAPER`, the paper's own settings), or a :class:`csc_core.Settings`."""

doc_overrides = """\
**overrides
    Any field of :class:`csc_core.Settings` (``n_genes``, ``n_models``, ``hidden``, ``epochs``, ``min_steps``,
    ``batch_size``, ``lr``, ``lr_decay``, ``keep``, ``temperature``, ``mask``, ``n_neighbors``, ``resolution``),
    replacing the preset's value; ``None`` keeps it. Each is checked before any work is done."""

doc_seed = """\
seed
    Seeds everything random: initialisation, minibatches, augmentation and clustering (``random_state`` is accepted
    as scanpy's name for it). Same seed ⇒ same result on the same kind of processor."""

doc_device = """\
device
    ``"auto"`` (CUDA when PyTorch sees a GPU, else the CPU), ``"cpu"`` or ``"cuda"``; an explicit ``"cuda"`` without
    a GPU raises instead of falling back."""

doc_layer = """\
layer
    Read counts from ``adata.layers[layer]`` instead of ``X``."""

doc_use_raw = """\
use_raw
    Read counts from ``adata.raw`` (the common layout where ``X`` holds log-normalised values and ``raw`` the counts).
"""

doc_key_added = """\
key_added
    Prefix of the fields written: ``obsm["X_{key_added}"]``, ``obs["{key_added}_cluster"]``, ``uns[key_added]``."""

doc_progress = """\
progress
    Show progress bars over the long stages (training epochs; the clustering steps, which take minutes at a million
    cells)."""

doc_kernel = """\
kernel
    How each training step is computed (:mod:`csc_core.kernels`): ``"auto"`` (numba-compiled on the CPU for the
    ``"batch"`` mask, PyTorch's closed-form step elsewhere), ``"compiled"``, ``"torch"``, or ``"autograd"`` (the
    readable reference, slowest). They compute the same step and round differently, so one seed gives other
    encoders with each."""

doc_early_stopping = """\
early_stopping
    Stop training once the clusters of the embedding stop changing (:class:`csc_core.pipeline.stopping.StabilityStop`:
    every 200 steps a fixed sample of 2,000 cells is clustered; two checks in a row that agree with the previous one
    at ARI ≥ 0.95 end training, never before ``min_steps``). ``True`` uses those settings, a dict overrides them (keys
    of :data:`csc_core.pipeline.stopping.STOP_DEFAULTS`). Meant for large data sets; off by default."""

doc_copy = """\
copy
    Return a modified copy instead of writing into ``adata``."""

doc_n_clusters_competitor = """\
n_clusters
    Number of clusters (the competitors, like KMeans, must be told it)."""


# The harness's figures (:mod:`csc_core.harness.figures`, :mod:`csc_core.harness.cost_figures`): a function that
# draws on one axes takes ``ax`` and ``title`` and returns the axes; one that draws a figure of panels returns it.
doc_ax = """\
ax
    The axes to draw on; ``None``: a new figure."""

doc_ax_sized = """\
ax
    The axes to draw on; ``None``: a new figure sized to the data."""

doc_ax_title = """\
title
    The axes' title; ``None``: none."""

doc_ax_returns = """\
Returns
-------
matplotlib.axes.Axes
    The axes drawn on (``ax``, or a new figure's)."""

doc_fig_title = """\
title
    The figure's title; ``None``: none."""

doc_fig_returns = """\
Returns
-------
matplotlib.figure.Figure
    The new figure."""

doc_leiden_run = """\
resolution
    Leiden resolution (higher gives more clusters).
seed
    Seeds Leiden.

Returns
-------
Integer labels, one per cell."""

#: The figure texts above, as :func:`doc_params` takes them (both figure modules use this one dict).
figure_docs = dict(
    doc_ax=doc_ax,
    doc_ax_sized=doc_ax_sized,
    doc_ax_title=doc_ax_title,
    doc_ax_returns=doc_ax_returns,
    doc_fig_title=doc_fig_title,
    doc_fig_returns=doc_fig_returns,
)


def doc_params(**texts: str) -> Callable[[F], F]:
    """Fill a function's docstring fields (``{doc_seed}`` …) with the shared texts ``texts``.

    Parameters
    ----------
    **texts
        Field name → text, e.g. ``doc_seed=doc_seed``.

    Returns
    -------
    A decorator that formats the decorated function's docstring and returns the function.
    """

    def decorate(fn: F) -> F:
        fn.__doc__ = fn.__doc__.format(**{k: _indent(v) for k, v in texts.items()})
        return fn

    return decorate


def _indent(text: str) -> str:
    """``text`` with every line but the first indented by four spaces (a docstring section's own indent)."""
    first, *rest = text.splitlines()
    return "\n".join([first, *("    " + line if line else line for line in rest)])
