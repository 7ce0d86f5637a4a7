"""Checks on user input, each failing with a message that names the argument, its value and what is accepted.

Every public entry point calls these before any work is done, so a mistake never costs a training run. They accept
numpy scalars wherever Python numbers are accepted (scanpy users pass ``np.int64`` seeds and sizes).
"""

from __future__ import annotations

import math
import numbers
import os
import tempfile
import warnings
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

#: The smallest NT-Xent temperature accepted: a guard against zero, negative, NaN and vanishing temperatures (the loss
#: divides by it), not a tuned bound.
MIN_TEMPERATURE = 1e-4


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as a Python ``int``, or a ``ValueError``/``TypeError`` naming ``name``, the value and the range.

    Parameters
    ----------
    name
        The argument's name, for the message.
    value
        An integer (Python or numpy; ``bool`` and non-integral floats are refused).
    minimum, maximum
        Inclusive bounds, ``None`` for none.

    Returns
    -------
    The value as ``int``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer{_range(minimum, maximum)}, got {value!r}.")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an integer{_range(minimum, maximum)}, got {value}.")
    return value


def check_float(
    name: str, value, *, above: float | None = None, minimum: float | None = None, maximum: float | None = None
) -> float:
    """``value`` as a finite Python ``float``, or an error naming ``name``, the value and the accepted range.

    Parameters
    ----------
    name
        The argument's name, for the message.
    value
        A real number (Python or numpy; ``bool`` is refused).
    above
        Exclusive lower bound.
    minimum, maximum
        Inclusive bounds.

    Returns
    -------
    The value as ``float``.
    """
    bounds = " ".join(
        filter(
            None,
            [
                f"> {above:g}" if above is not None else "",
                f">= {minimum:g}" if minimum is not None else "",
                f"<= {maximum:g}" if maximum is not None else "",
            ],
        )
    )
    wanted = f"a finite number{' ' + bounds if bounds else ''}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {wanted}, got {value!r}.")
    value = float(value)
    if (
        not math.isfinite(value)
        or (above is not None and not value > above)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        raise ValueError(f"{name} must be {wanted}, got {value}.")
    return value


def check_choice(name: str, value, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``, else a ``ValueError`` listing them.

    Parameters
    ----------
    name
        The argument's name, for the message.
    value
        The value given.
    choices
        The accepted values.

    Returns
    -------
    The value.
    """
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}.")
    return value


def check_sizes(name: str, value) -> tuple[int, ...]:
    """A non-empty sequence of positive layer sizes as a tuple of ints (``hidden=(64, 32)``).

    Parameters
    ----------
    name
        The argument's name, for the message.
    value
        A list or tuple of positive integers.

    Returns
    -------
    The sizes as a tuple of ``int``.
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) == 0:
        raise TypeError(f"{name} must be a non-empty sequence of layer sizes such as (64, 32), got {value!r}.")
    return tuple(check_int(f"{name}[{i}]", v, minimum=1) for i, v in enumerate(value))


def check_seed(value, *, name: str = "seed") -> int:
    """A random seed: a non-negative integer below 2**32 (Python or numpy), as numpy's generators accept.

    Parameters
    ----------
    value
        The seed given.
    name
        The argument's name, for the message (``"random_state"`` for scanpy's spelling).

    Returns
    -------
    The seed as ``int``.
    """
    return check_int(name, value, minimum=0, maximum=2**32 - 1)


def check_key(name: str, value) -> str:
    """A key of ``obs``/``obsm``/``uns`` (``key_added``): a non-empty string without whitespace.

    Parameters
    ----------
    name
        The argument's name, for the message.
    value
        The key given.

    Returns
    -------
    The key.
    """
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise ValueError(f"{name} must be a non-empty string without spaces (e.g. 'csc'), got {value!r}.")
    return value


def check_layer(layer, layers: Collection[str]) -> str | None:
    """``layer`` if it is ``None`` (read ``X``) or one of ``layers``, else a ``KeyError`` listing the layers there are.

    Parameters
    ----------
    layer
        The layer asked for.
    layers
        The names of the layers present (``adata.layers.keys()``).

    Returns
    -------
    The layer.
    """
    if layer is None:
        return None
    if not isinstance(layer, str) or layer not in layers:
        available = ", ".join(map(repr, layers)) if len(layers) else "none"
        raise KeyError(f"layer={layer!r} is not a layer of the data; available layers: {available} (or layer=None).")
    return layer


def check_writable(name: str, path: str | os.PathLike) -> Path:
    """``path`` as a :class:`~pathlib.Path` if a file can be written there, else an ``OSError`` naming it.

    Checked before any work, so a run never ends unable to save what it computed. Refuses an existing directory, a
    path under a regular file and a folder one cannot create files in (found by creating and removing an empty file in
    the nearest existing folder, which the writers create the missing folders under).

    Parameters
    ----------
    name
        The argument's name, for the message.
    path
        The file to be written.

    Returns
    -------
    The path.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{name}={str(path)!r} is a directory; give a file name to write.")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise NotADirectoryError(f"{name}={str(path)!r} cannot be written: {str(folder)!r} is a file, not a folder.")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".csc-write-check-"):
            pass
    except OSError as err:
        raise PermissionError(
            f"{name}={str(path)!r} cannot be written: no file can be created in {str(folder)!r} ({err.strerror})."
        ) from err
    return path


def _range(minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum} to {maximum}"
    if minimum is not None:
        return f" >= {minimum}"
    return f" <= {maximum}" if maximum is not None else ""


def check_temperature(temperature) -> float:
    """``temperature`` as a float if it is a usable NT-Xent temperature, else a ``ValueError`` naming the problem.

    Parameters
    ----------
    temperature
        The temperature given.

    Returns
    -------
    The temperature as ``float``.
    """
    if (
        isinstance(temperature, (bool, np.bool_))
        or not isinstance(temperature, numbers.Real)
        or not temperature >= MIN_TEMPERATURE
        or not math.isfinite(temperature)
    ):  # also catches NaN
        raise ValueError(
            f"temperature must be positive and not vanishingly small (>= {MIN_TEMPERATURE}), got {temperature}."
        )
    return float(temperature)


def check_counts(x, *, min_cells: int = 2, why: str = "", logged: bool = False, varied: bool = True) -> None:
    """Validate a raw count matrix (cells × genes, dense or sparse).

    Parameters
    ----------
    x
        The counts.
    min_cells
        Fewer cells than this is an error.
    why
        What ``min_cells`` comes from, for the message (e.g. ``"n_neighbors=30 needs more cells than neighbours"``).
    logged
        The data says it was log-transformed (scanpy's ``uns["log1p"]``): non-integer values are then an error.
    varied
        The counts are to be learnt from: fewer than two genes with counts, or cells that all have the same counts
        (up to library size), are then an error (there is nothing to tell the cells apart by; scaling would divide by
        zero).

    Raises
    ------
    ValueError
        For an empty matrix, a non-numeric one, NaN or infinite values, negative counts, cells whose counts are all
        zero, fewer than ``min_cells`` cells, non-integer values when ``logged``, or counts without variation when
        ``varied``. Otherwise non-integer counts only
        warn (and the run continues).
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
        raise ValueError(f"Too few cells: got {n_cells}, need at least {min_cells}{f' ({why})' if why else ''}.")
    totals = np.asarray(x.sum(axis=1)).ravel()
    if (totals == 0).any():
        raise ValueError(
            f"{int((totals == 0).sum())} cells have no counts at all; remove them first, "
            "e.g. `sc.pp.filter_cells(adata, min_counts=1)`."
        )
    if varied:
        _check_varied(x, totals)
    if not np.array_equal(np.trunc(values), values):  # integers (np.mod is much slower)
        if logged:
            raise ValueError(
                "The matrix is log-normalised (adata.uns['log1p'] is set and its values are not integers); "
                "contrastive-sc normalises raw counts itself: pass use_raw=True (--use-raw) if adata.raw holds "
                "the counts, or layer= (--layer) naming a layer of raw counts."
            )
        warnings.warn(
            "The count matrix has non-integer values; contrastive-sc expects raw counts. Continuing.",
            UserWarning,
            stacklevel=3,
        )


def _check_varied(x, totals: np.ndarray) -> None:
    """Refuse counts that cannot separate cells: fewer than two genes with counts, or every cell alike.

    Alike means the same counts up to library size (every cell's counts a multiple of the first cell's): normalising
    each cell to one total then leaves nothing that varies, and scaling the genes divides by zero.
    """
    expressed = int((np.asarray((x != 0).sum(axis=0)).ravel() > 0).sum())
    if expressed < 2:
        raise ValueError(
            f"Only {expressed} gene has counts; contrastive-sc compares cells by their genes and needs at least 2."
        )
    if not _all_proportional(x, totals):
        return
    if np.all(totals == totals[0]):
        raise ValueError(f"All {x.shape[0]} cells have the same counts: there is nothing to cluster.")
    raise ValueError(
        f"All {x.shape[0]} cells have the same counts up to library size (each cell's counts are a multiple of every "
        "other's): after normalising each cell to the same total there is nothing to cluster."
    )


def _all_proportional(x, totals: np.ndarray, *, block_values: int = 1 << 22) -> bool:
    """Whether every row of ``x`` is a multiple of the first (compared block by block; real data stops at once)."""
    n_cells, n_genes = x.shape
    if sp.issparse(x) and x.format not in ("csr", "csc"):  # COO and others cannot be sliced by rows
        x = x.tocsr()

    def rows(start, stop):
        block = x[start:stop]
        block = block.toarray() if sp.issparse(block) else np.asarray(block)
        return block.astype(np.float64) / totals[start:stop, None]

    first = rows(0, 1)[0]
    step = max(1, block_values // max(n_genes, 1))
    for start in range(1, n_cells, step):
        if not np.allclose(rows(start, start + step), first, rtol=1e-6, atol=0):
            return False
    return True


def check_unique_genes(var_names) -> None:
    """Refuse repeated gene names: genes are matched by name between training data and new cells.

    Parameters
    ----------
    var_names
        The data's ``var_names``.

    Raises
    ------
    ValueError
        Naming how many are repeated and one of them.
    """
    if not var_names.is_unique:
        dup = var_names[var_names.duplicated()]
        raise ValueError(
            f"Gene names (var_names) must be unique: {dup.nunique()} are repeated, e.g. {dup[0]!r}. A model finds the "
            "genes of new cells by name; call adata.var_names_make_unique() first."
        )
