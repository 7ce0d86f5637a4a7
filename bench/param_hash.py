"""Do the trained parameters hash the same? The check that a refactor or a speed-up left training bit for bit alone.

Trains ``csc_core.fit`` with the defaults at a constant learning rate (``lr_decay=0``, as the defaults were when the
digests were taken) on worm_neuron_cell and 10X_PBMC_top2000, seeds 0 and 1, with each CPU
kernel (``"compiled"`` and ``"torch"``), and prints per run three short sha256 digests (first 16 hex digits): of the
trained ``state_dict`` (every key's name, then its tensor's bytes, in order), of the training cells' embedding and of
the loss history. The parameters' digests are compared with :data:`EXPECTED`, the values of the code before the
package was split into layers; the exit status is 1 on any mismatch. Nothing is stored and nothing is timed.

The digests hold on one processor type: another (or another vector width, or another MKL) trains other bits
(the chapter "Computational cost").

    python -m bench param-hash [--datasets worm_neuron_cell 10X_PBMC_top2000] [--seeds 0 1] [--kernels compiled torch]
"""

from __future__ import annotations

import hashlib
import sys

from bench import common

DATASETS = ("worm_neuron_cell", "10X_PBMC_top2000")
SEEDS = (0, 1)
KERNELS = ("compiled", "torch")
#: The parameters' digests, (data set, kernel, seed) → digest, measured on an Intel Xeon (AVX-512).
EXPECTED = {
    ("worm_neuron_cell", "compiled", 0): "da377bdf8bf7d5eb",
    ("worm_neuron_cell", "compiled", 1): "d9867b169796aaee",
    ("worm_neuron_cell", "torch", 0): "1e96f9d68a79a791",
    ("worm_neuron_cell", "torch", 1): "9a2c44d65f41421a",
    ("10X_PBMC_top2000", "compiled", 0): "d43c0d3b1c696193",
    ("10X_PBMC_top2000", "compiled", 1): "271db71d9c610021",
    ("10X_PBMC_top2000", "torch", 0): "db1ab0628fbb2de1",
    ("10X_PBMC_top2000", "torch", 1): "c929ec6f2df57d49",
}
EXPECTED_CPU = "Intel(R) Xeon(R) Processor (AVX-512)"


def state_digest(state_dict) -> str:
    """sha256 over ``key.encode()`` then ``tensor.numpy().tobytes()`` for each item in order; 16 hex digits."""
    h = hashlib.sha256()
    for key, tensor in state_dict.items():
        h.update(key.encode())
        h.update(tensor.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def array_digest(array) -> str:
    """sha256 of an array's bytes (C order); 16 hex digits."""
    import numpy as np

    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


def digests(adata, *, seed: int, kernel: str) -> dict:
    """Train the defaults (constant learning rate) on ``adata`` with ``seed`` and ``kernel``; the three digests."""
    import csc_core

    model = csc_core.fit(adata, seed=seed, kernel=kernel, lr_decay=0.0, progress=False)
    return {
        "params": state_digest(model.ensemble.state_dict()),
        "embedding": array_digest(model.embedding),
        "loss": array_digest(model.record["loss"]),
    }


def main(argv=None) -> None:
    import csc_core
    from csc_core.harness.machine import processor

    p = common.parser("param-hash", __doc__)
    p.add_argument("--datasets", nargs="+", default=list(DATASETS))
    p.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    p.add_argument("--kernels", nargs="+", default=list(KERNELS), choices=["compiled", "torch", "autograd"])
    args = p.parse_args(argv)
    threads = common.set_threads(args.threads)
    cpu = processor()
    print(
        f"processor {cpu}, {threads} threads"
        + (
            ""
            if cpu == EXPECTED_CPU
            else f" — the expected digests were measured on {EXPECTED_CPU}: another processor trains other bits"
        )
    )
    mismatches = 0
    for dataset in args.datasets:
        adata = csc_core.data.load(dataset)
        for kernel in args.kernels:
            for seed in args.seeds:
                d = digests(adata, seed=seed, kernel=kernel)
                expected = EXPECTED.get((dataset, kernel, seed))
                verdict = (
                    "no expected value"
                    if expected is None
                    else "match"
                    if d["params"] == expected
                    else f"MISMATCH (expected {expected})"
                )
                mismatches += expected is not None and d["params"] != expected
                print(
                    f"{dataset:18s} {kernel:8s} seed {seed}  params {d['params']}  embedding {d['embedding']}  "
                    f"loss {d['loss']}  {verdict}",
                    flush=True,
                )
    checked = sum(
        key in EXPECTED for key in ((d, k, s) for d in args.datasets for k in args.kernels for s in args.seeds)
    )
    print(
        f"{checked - mismatches} of {checked} parameter digests match"
        + (" — trained parameters hash the same" if checked and not mismatches else "")
    )
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
