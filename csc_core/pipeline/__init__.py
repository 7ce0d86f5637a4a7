"""The method's pipeline on tensors and arrays.

The training loop (:mod:`.train`, any kernel), early stopping
(:mod:`.stopping`), the kNN graph and Leiden (:mod:`.graph`), clustering an embedding (:mod:`.cluster`), choosing the
resolution (:mod:`.resolution`), and the paper's variants: the clustering network (:mod:`.cluster_network`, variant
b) and the co-association of several clusterings (:mod:`.coassociation`, S3). Variant a, one encoder, is a slice of
the ensemble's embedding (:meth:`csc_core.method.encoder.EncoderEnsemble.encoders`).
"""
