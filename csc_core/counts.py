"""Which counts of an AnnData a call reads (``X``, a layer or ``raw``), checked before any work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .method.validation import check_counts, check_layer, check_unique_genes

if TYPE_CHECKING:
    import anndata as ad


def source(adata: ad.AnnData, layer: str | None, use_raw: bool) -> ad.AnnData:
    """The AnnData the counts are read from: ``adata``, or with ``use_raw`` its ``raw`` as an AnnData.

    Parameters
    ----------
    adata
        The caller's data.
    layer
        The layer named by the caller (``None``: ``X``); refused together with ``use_raw``.
    use_raw
        Read ``adata.raw`` instead.

    Returns
    -------
    ``adata`` or ``adata.raw.to_adata()``.
    """
    if getattr(adata, "isbacked", False):
        raise ValueError(
            f"adata is backed by {adata.filename} (read with backed='r'): training needs the counts in memory. "
            "Load them with adata = adata.to_memory(), or read the file without backed="
        )
    if not isinstance(use_raw, bool):
        raise TypeError(f"use_raw must be True or False, got {use_raw!r}.")
    if not use_raw:
        return adata
    if adata.raw is None:
        raise ValueError("use_raw=True, but adata.raw is empty: give the counts in X or in a layer (layer=).")
    if layer is not None:
        raise ValueError(f"use_raw=True reads adata.raw.X; it cannot be combined with layer={layer!r}.")
    return adata.raw.to_adata()


def counts(adata: ad.AnnData, layer: str | None):
    """The matrix ``layer`` names (``None``: ``X``), after checking the layer exists and the gene names are unique.

    Parameters
    ----------
    adata
        The data (after :func:`source`).
    layer
        A layer of ``adata``, or ``None`` for ``X``.

    Returns
    -------
    The cells × genes matrix, unchanged.
    """
    check_unique_genes(adata.var_names)
    return adata.X if check_layer(layer, adata.layers.keys()) is None else adata.layers[layer]


def checked_input(
    adata: ad.AnnData, layer: str | None, use_raw: bool, *, min_cells: int = 2, why: str = "", varied: bool = True
) -> ad.AnnData:
    """The AnnData the counts are read from (:func:`source`), its counts checked before any work.

    Log-normalised values are refused when scanpy's record (``uns["log1p"]``) says ``X`` was log-transformed and the
    values are not integers; ``use_raw=True`` then reads the counts kept in ``raw``.

    Parameters
    ----------
    adata
        The caller's data.
    layer
        A layer, or ``None`` for ``X``.
    use_raw
        Read ``adata.raw`` instead.
    min_cells
        Fewer cells are refused.
    why
        Why ``min_cells`` are needed, for the message.
    varied
        Refuse counts without variation (training data; not cells to embed with a trained model).

    Returns
    -------
    The AnnData to read the counts from.
    """
    data = source(adata, layer, use_raw)
    logged = layer is None and "log1p" in data.uns
    check_counts(counts(data, layer), min_cells=min_cells, why=why, logged=logged, varied=varied)
    return data
