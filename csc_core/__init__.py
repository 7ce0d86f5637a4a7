"""csc_core — contrastive self-supervised clustering of single-cell RNA-seq data (Ciortan & Defrance 2021).

``csc_core.contrastive_sc(adata)`` clusters raw counts; ``csc_core.fit(adata)`` trains a model that embeds new cells.
The package is laid out in layers, each importing only from those below it:

- the API: :mod:`~csc_core.api` (``contrastive_sc``, ``fit``), :mod:`~csc_core.model` (``ContrastiveModel``,
  ``load_model``), :mod:`~csc_core.settings` (``Settings``, ``DEFAULTS``, ``PAPER``), :mod:`~csc_core.cli`;
- :mod:`~csc_core.competitors`: scDeepCluster, scziDesk and the baselines;
- :mod:`~csc_core.pipeline`: the training loop, early stopping, kNN graph, Leiden, KMeans, the resolution choice and
  the paper's variants;
- :mod:`~csc_core.kernels`: the training step, three ways (autograd reference, PyTorch closed form, numba);
- :mod:`~csc_core.method`: the building blocks (preprocessing, augmentation, encoders, NT-Xent, DEC head, checks);
- :mod:`~csc_core.data`: data loading with hash checks, the Splat simulator, the paper's values, metrics.

The book's harness (:mod:`csc_core.harness`: result store, grids, figures, book runner) is not part of
``import csc_core``. Names are loaded on first use, so importing the package is instant and ``csc --help`` answers
without loading PyTorch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: Public name → the module that defines it.
_EXPORTS = {
    "contrastive_sc": "api",
    "fit": "api",
    "ContrastiveModel": "model",
    "load_model": "model",
    "Settings": "settings",
    "DEFAULTS": "settings",
    "PAPER": "settings",
    "scdeepcluster": "competitors",
    "sczidesk": "competitors",
}
_SUBMODULES = ("api", "cli", "competitors", "data", "kernels", "method", "model", "pipeline", "settings")

__all__ = [*_EXPORTS, *_SUBMODULES]

if TYPE_CHECKING:  # for static analysis and editors; at run time the names load lazily
    from . import api, cli, competitors, data, kernels, method, model, pipeline, settings  # noqa: F401
    from .api import contrastive_sc, fit  # noqa: F401
    from .competitors import scdeepcluster, sczidesk  # noqa: F401
    from .model import ContrastiveModel, load_model  # noqa: F401
    from .settings import DEFAULTS, PAPER, Settings  # noqa: F401


def __getattr__(name: str):
    # PEP 562: import a public name's module on first access (PyTorch, scanpy and numba load only when needed)
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'csc_core' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
