"""The competitors' protocol: scDeepCluster's published settings, which scziDesk shares (their one source)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..method.validation import check_int


@dataclass(frozen=True)
class Protocol:
    """How the ZINB competitors are trained (scDeepCluster's published defaults; scziDesk uses the same autoencoder).

    Parameters
    ----------
    n_genes
        Highly variable genes modelled (scDeepCluster recommends 2,000).
    pretrain_epochs
        Epochs of autoencoder pretraining (300).
    cluster_epochs
        At most this many epochs of the clustering stage; it stops earlier once fewer than 0.1 % of the cells change
        cluster between epochs (scDeepCluster's ``tol``).
    batch_size
        Cells per minibatch (256).
    """

    n_genes: int = 2000
    pretrain_epochs: int = 300
    cluster_epochs: int = 200
    batch_size: int = 256

    def __post_init__(self):
        for f in dataclasses.fields(self):
            minimum = 2 if f.name == "batch_size" else 1
            object.__setattr__(self, f.name, check_int(f.name, getattr(self, f.name), minimum=minimum))

    def replace(self, **overrides) -> Protocol:
        """A copy with ``overrides`` applied (``None`` keeps a value; an unknown name raises ``KeyError``).

        Parameters
        ----------
        **overrides
            Field name → value.

        Returns
        -------
        The new protocol (checked).
        """
        unknown = set(overrides) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise KeyError(f"Unknown competitor settings {sorted(unknown)}; known: {list(self.asdict())}.")
        return dataclasses.replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def asdict(self) -> dict:
        """Every field as a plain dict.

        Returns
        -------
        Field name → value.
        """
        return dataclasses.asdict(self)


#: The published protocol (the competitors' defaults).
PROTOCOL = Protocol()
