"""The method's settings: one frozen, validated object, with the library's defaults and the paper's as presets.

This is the only place defaults are written down. :data:`DEFAULTS` is ``Settings()``; :data:`PAPER` the paper's own
settings. Every public entry point starts from a preset and applies the caller's overrides through
:meth:`Settings.replace`, which checks each value before any work is done; the layers below take explicit
arguments and have no defaults of their own for these.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .method.validation import check_choice, check_float, check_int, check_sizes, check_temperature

#: Gene masks of the augmentation: ``"batch"`` (one random gene subset per view and minibatch, fast) or ``"cell"``
#: (every cell draws its own genes: the paper's augmentation).
MASKS = ("batch", "cell")


@dataclass(frozen=True)
class Settings:
    """The settings of contrastive-sc: what it trains and how it clusters.

    The field defaults are the library's defaults (:data:`DEFAULTS`). The loss, temperature, gene count, ensemble
    size and augmentation strength follow the paper; the encoder size, epochs, minimum steps, batch size, learning
    rate, augmentation form, neighbours and resolution were chosen by measurement over six real data sets (the
    book's chapter "Choosing the defaults" shows the tables): the highest mean Leiden ARI, preferring the cheaper
    setting among those within noise of it. Values are checked when a ``Settings`` is made; numpy scalars are
    accepted and stored as Python numbers.

    Parameters
    ----------
    n_genes
        Highly variable genes kept (paper: 1,500 on real data, 500 on simulated data).
    n_models
        Encoders in the ensemble (paper: 3).
    hidden
        Layer sizes of each encoder; the last is the embedding size (paper: ``(256, 64, 32)``).
    epochs
        Training passes over the cells.
    min_steps
        At least this many optimizer steps: small data sets get more than ``epochs`` passes.
    batch_size
        Cells per minibatch (each gives ``2 * batch_size`` embeddings to NT-Xent).
    lr
        Adam learning rate.
    lr_decay
        Share of the training's last steps over which the learning rate falls linearly to zero (0: constant, as in
        the paper). The encoders' final weights then settle instead of ending on one noisy step, which matters most
        when few cells are passed over many times.
    keep
        Share of genes each augmented view keeps (the paper finds ≤ 0.2 works best).
    temperature
        NT-Xent temperature.
    mask
        ``"batch"`` (one random gene subset per view and minibatch) or ``"cell"`` (each cell its own subset).
    n_neighbors
        Neighbours of the kNN graph Leiden runs on.
    resolution
        Leiden resolution (higher gives more clusters), or ``"auto"``: chosen per data set without labels
        (:func:`csc_core.pipeline.resolution.select_resolution`), the partition being the medoid of three Leiden
        starts there (:func:`csc_core.pipeline.medoid.leiden_medoid`).
    """

    n_genes: int = 1500
    n_models: int = 3
    hidden: tuple[int, ...] = (64, 32)
    epochs: int = 10
    min_steps: int = 500
    batch_size: int = 128
    lr: float = 1e-2
    lr_decay: float = 0.3
    keep: float = 0.2
    temperature: float = 0.07
    mask: str = "batch"
    n_neighbors: int = 30
    resolution: float | str = "auto"

    def __post_init__(self):
        checked = {
            "n_genes": check_int("n_genes", self.n_genes, minimum=1),
            "n_models": check_int("n_models", self.n_models, minimum=1),
            "hidden": check_sizes("hidden", self.hidden),
            "epochs": check_int("epochs", self.epochs, minimum=1),
            "min_steps": check_int("min_steps", self.min_steps, minimum=0),
            "batch_size": check_int("batch_size", self.batch_size, minimum=2),
            "lr": check_float("lr", self.lr, above=0),
            "lr_decay": check_float("lr_decay", self.lr_decay, minimum=0, maximum=1),
            "keep": check_float("keep", self.keep, above=0, maximum=1),
            "temperature": check_temperature(self.temperature),
            "mask": check_choice("mask", self.mask, MASKS),
            "n_neighbors": check_int("n_neighbors", self.n_neighbors, minimum=2),
            "resolution": _check_resolution(self.resolution),
        }
        for name, value in checked.items():  # frozen: set the normalised values the dataclass way
            object.__setattr__(self, name, value)

    def replace(self, **overrides) -> Settings:
        """A copy with ``overrides`` applied; ``None`` keeps a field's value, an unknown name raises ``KeyError``.

        Parameters
        ----------
        **overrides
            Field name → new value.

        Returns
        -------
        The new settings (checked).
        """
        unknown = set(overrides) - set(FIELDS)
        if unknown:
            raise KeyError(f"Unknown settings {sorted(unknown)}; known: {list(FIELDS)}.")
        return dataclasses.replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def asdict(self) -> dict:
        """Every field as plain Python values (``hidden`` as a list), e.g. for ``uns`` or a results table.

        Returns
        -------
        Field name → value.
        """
        out = dataclasses.asdict(self)
        out["hidden"] = list(self.hidden)
        return out

    def training(self) -> dict:
        """The fields that shape training, as keyword arguments of :func:`csc_core.pipeline.train.train_ensemble`.

        Returns
        -------
        Field name → value, for :data:`TRAINING_FIELDS`.
        """
        return {name: getattr(self, name) for name in TRAINING_FIELDS}


def _check_resolution(value) -> float | str:
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"resolution must be a positive number or 'auto', got {value!r}.")
        return value
    return check_float("resolution", value, above=0)


#: Every field of :class:`Settings`, in order.
FIELDS = tuple(f.name for f in dataclasses.fields(Settings))
#: The fields that shape training (the others — ``n_neighbors``, ``resolution`` — shape the clustering).
TRAINING_FIELDS = (
    "n_genes",
    "n_models",
    "hidden",
    "epochs",
    "min_steps",
    "batch_size",
    "lr",
    "lr_decay",
    "keep",
    "temperature",
    "mask",
)

#: The library's defaults. A 64 → 32 encoder trained for 10 epochs of minibatches of 128 — at least 500 steps —
#: trains several times faster than the paper's 256 → 64 → 32 encoders over 100 epochs of 300, with about the same mean
#: ARI over the six real data sets (``bench/results/tune_defaults.csv``, ``bench/results/speed.csv``).
DEFAULTS = Settings()
#: The paper's own settings (real data: the authors' code and supplement): 256 → 64 → 32 encoders, 100 epochs of 300
#: cells, Adam 1e-3 at a constant rate, per-cell gene dropout keeping 20 %, Leiden with 10 neighbours at resolution 1.
PAPER = Settings(
    hidden=(256, 64, 32),
    epochs=100,
    min_steps=0,
    batch_size=300,
    lr=1e-3,
    lr_decay=0.0,
    mask="cell",
    n_neighbors=10,
    resolution=1.0,
)
#: The presets by name (``settings="default"`` or ``"paper"``).
PRESETS = {"default": DEFAULTS, "paper": PAPER}


def resolve(settings: str | Settings = "default", **overrides) -> Settings:
    """The preset ``settings`` (a name of :data:`PRESETS` or a :class:`Settings`) with ``overrides`` applied.

    Parameters
    ----------
    settings
        ``"default"``, ``"paper"`` or a :class:`Settings`.
    **overrides
        Fields to replace; ``None`` keeps the preset's value.

    Returns
    -------
    The checked settings.
    """
    if isinstance(settings, Settings):
        return settings.replace(**overrides)
    if not isinstance(settings, str) or settings not in PRESETS:
        raise ValueError(f"settings must be one of {tuple(PRESETS)} or a csc_core.Settings, got {settings!r}.")
    return PRESETS[settings].replace(**overrides)


def preset_name(settings: str | Settings) -> str:
    """The name recorded for ``settings``: the preset's name, or ``"custom"`` for a :class:`Settings` object.

    Parameters
    ----------
    settings
        What was passed as ``settings``.

    Returns
    -------
    ``"default"``, ``"paper"`` or ``"custom"``.
    """
    if isinstance(settings, str):
        return settings
    return next((name for name, preset in PRESETS.items() if preset == settings), "custom")
