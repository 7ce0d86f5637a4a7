"""The paper's competitors and baselines, re-implemented here so that every method runs on the same data and machine.

- :mod:`.zinb`: the zero-inflated negative binomial autoencoder scDeepCluster and scziDesk share;
- :mod:`.stages`: their two clustering stages (DEC; weighted soft K-means with self-training), on
  :mod:`csc_core.method.dec`'s head;
- :mod:`.joint` (the joint training loop), :mod:`.fit` (one pretraining, both stages), :mod:`.protocol` (their
  published settings), :mod:`.api` (``scdeepcluster(adata, …)``, ``sczidesk(adata, …)``);
- :mod:`.baselines`: scanpy's standard Leiden pipeline, PCA + KMeans, KMeans.
"""

from .api import scdeepcluster, sczidesk
from .fit import METHODS, fit_competitor, fit_competitors
from .protocol import PROTOCOL, Protocol

__all__ = ["METHODS", "PROTOCOL", "Protocol", "fit_competitor", "fit_competitors", "scdeepcluster", "sczidesk"]
