"""A trained contrastive-sc model that can be saved, loaded and used to embed new cells.

The model is the encoder ensemble plus everything its input depends on: the genes it reads, the library size cells are
normalised to, and each gene's mean and standard deviation after ``log1p`` (the z-scoring of the training data). New
cells go through exactly that preprocessing, so their embedding lives in the same space as the training cells'.

Saved with :func:`torch.save` as a dictionary of tensors, strings and numbers only, and read back with
``torch.load(weights_only=True)``: loading a model file never unpickles arbitrary objects.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
import torch

from .counts import checked_input, counts
from .method.device import resolve_device
from .method.encoder import EncoderEnsemble, embed

#: The gene names files without any get (``gene0``, ``gene1``, …): they say nothing about which gene is which.
_GENERIC_GENE = re.compile(r"gene\d+")

if TYPE_CHECKING:
    import anndata as ad

FORMAT_VERSION = 1


@dataclass
class ContrastiveModel:
    """A trained encoder ensemble and the preprocessing its input expects.

    Parameters
    ----------
    ensemble
        The trained encoders.
    genes
        Names of the genes the encoders read, in order.
    mean, std
        Each gene's mean and standard deviation of ``log1p`` normalised expression in the training data.
    target_sum
        Library size every cell is normalised to before ``log1p`` (the training data's median).
    params
        The training parameters (``uns["csc"]["params"]`` of the run that trained it).
    record
        The record of the training run (``params``, ``loss`` per epoch and encoder, ``timings``, and ``stopping``
        with early stopping); empty for a loaded model.
    embedding
        The embedding of the training cells as training left it (cells × (n_models · embedding size)); ``None`` for a
        loaded model.
    """

    ensemble: EncoderEnsemble
    genes: list[str]
    mean: np.ndarray
    std: np.ndarray
    target_sum: float
    params: dict = field(default_factory=dict)
    record: dict = field(default_factory=dict, repr=False)
    embedding: np.ndarray | None = field(default=None, repr=False)

    def transform(self, adata: ad.AnnData, *, layer: str | None = None, use_raw: bool = False) -> np.ndarray:
        """The encoders' input for the cells of ``adata``: the training data's preprocessing applied to new counts.

        Genes of the model missing from ``adata`` are taken as zero counts, with a warning; if none is present, this
        raises.

        Parameters
        ----------
        adata
            Raw counts.
        layer
            Read counts from this layer instead of ``X``.
        use_raw
            Read counts from ``adata.raw``.

        Returns
        -------
        Cells × the model's genes, float32, as in training.
        """
        adata = checked_input(adata, layer, use_raw, min_cells=1, varied=False)
        x_counts = counts(adata, layer)
        if all(_GENERIC_GENE.fullmatch(str(g)) for g in self.genes):
            warnings.warn(
                "The model's genes have generic names (gene0, gene1, …), as files without gene names get: they match "
                "the new cells' genes by position only. Make sure the data has the same genes in the same order.",
                stacklevel=2,
            )
        x_counts = sp.csr_matrix(x_counts, dtype=np.float32)
        index = adata.var_names.get_indexer(self.genes)
        present = index >= 0
        if not present.any():
            raise ValueError("None of the model's genes are in the data: were the var_names (gene names) changed?")
        if not present.all():
            warnings.warn(
                f"{int((~present).sum())} of the model's {len(self.genes)} genes are missing from the data; "
                "they are taken as zero counts.",
                stacklevel=2,
            )
        totals = np.asarray(x_counts.sum(axis=1)).ravel()
        x = np.zeros((adata.n_obs, len(self.genes)), dtype=np.float32)
        x[:, present] = x_counts[:, index[present]].toarray()
        x = np.log1p(x / (totals / self.target_sum)[:, None])
        std = np.where(self.std > 0, self.std, 1.0)  # constant genes scale to 0, as in training
        return ((x - self.mean) / std).astype(np.float32)

    def embed(
        self, adata: ad.AnnData, *, layer: str | None = None, use_raw: bool = False, device: str | torch.device = "cpu"
    ) -> np.ndarray:
        """Embedding of the cells of ``adata`` (raw counts), in the same space as the training cells'.

        Parameters
        ----------
        adata
            Raw counts.
        layer
            Read counts from this layer instead of ``X``.
        use_raw
            Read counts from ``adata.raw``.
        device
            Where to compute: ``"cpu"``, ``"cuda"`` (refused, before any work, when PyTorch sees no GPU) or
            ``"auto"``.

        Returns
        -------
        Cells × (n_models · embedding size).
        """
        device = resolve_device(device)
        x = torch.from_numpy(self.transform(adata, layer=layer, use_raw=use_raw)).to(device)
        return embed(self.ensemble.to(device), x).cpu().numpy()

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model to ``path``, atomically (a crash never leaves a half-written file under that name).

        Parameters
        ----------
        path
            The file to write.

        Returns
        -------
        The path written.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        content = {
            "format_version": FORMAT_VERSION,
            "n_models": self.ensemble.n_models,
            "n_genes": self.ensemble.n_genes,
            "hidden": list(self.ensemble.hidden),
            "state_dict": {k: v.detach().cpu() for k, v in self.ensemble.state_dict().items()},
            "genes": list(self.genes),
            "mean": torch.from_numpy(np.asarray(self.mean, dtype=np.float32)),
            "std": torch.from_numpy(np.asarray(self.std, dtype=np.float32)),
            "target_sum": float(self.target_sum),
            "params": {
                k: v for k, v in self.params.items() if isinstance(v, (str, int, float, bool, list, type(None)))
            },
        }
        partial = path.with_name(f".{path.name}.partial")
        try:
            torch.save(content, partial)
            partial.replace(path)
        except BaseException:  # never leave the temporary file behind (a full disk, an interrupt)
            partial.unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str | torch.device = "cpu") -> ContrastiveModel:
        """Read a model written by :meth:`save` (``torch.load(weights_only=True)``: no arbitrary unpickling).

        Parameters
        ----------
        path
            The model file.
        device
            Where to put the encoders.

        Returns
        -------
        The model.
        """
        path = Path(path)
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a directory, not a model file (one written by `csc run --save-model`).")
        if not path.is_file():
            raise FileNotFoundError(f"No such model file: {path}")
        try:
            content = torch.load(path, map_location=device, weights_only=True)
        except Exception as err:  # truncated, not a torch file, or holding objects weights_only refuses
            # not torch's own text: for a pickle it advises weights_only=False, which would unpickle arbitrary objects
            raise ValueError(
                f"{path} is not a readable csc_core model file (one written by `csc run --save-model` or "
                f"ContrastiveModel.save); PyTorch could not load it safely ({type(err).__name__})."
            ) from err
        if not isinstance(content, dict) or content.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path} is not a csc_core model file of format {FORMAT_VERSION}.")
        ensemble = EncoderEnsemble(content["n_models"], content["n_genes"], tuple(content["hidden"]), seed=0)
        ensemble.load_state_dict(content["state_dict"])
        return cls(
            ensemble=ensemble.to(device).eval(),
            genes=list(content["genes"]),
            mean=content["mean"].numpy(),
            std=content["std"].numpy(),
            target_sum=content["target_sum"],
            params=dict(content["params"]),
        )


def load_model(path: str | os.PathLike, *, device: str | torch.device = "cpu") -> ContrastiveModel:
    """Read a model saved by ``contrastive_sc(..., save_model=path)`` or :meth:`ContrastiveModel.save`.

    Parameters
    ----------
    path
        The model file.
    device
        Where to put the encoders.

    Returns
    -------
    The :class:`ContrastiveModel`.
    """
    return ContrastiveModel.load(path, device=device)
