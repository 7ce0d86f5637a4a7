"""The method's building blocks, one paper concept per file, on tensors and arrays.

``preprocess`` (counts → z-scored highly variable genes), ``augment`` (gene-dropout views), ``encoder`` (the MLP and
the batched ensemble), ``loss`` (NT-Xent), ``dec`` (the DEC clustering head), ``validation`` (input checks) and
``device``. No block knows about kernels or training.
"""
