"""The competitors' training step, reference (``kernel="torch"``) against the fast step (float32, bfloat16).

Three parts, all on the paper's protocol (2,000 genes, batch 256, 300 pretraining epochs):

- ``steps``: milliseconds per pretraining step of the three variants, interleaved ``--repeats`` times in one process
  (one epoch each), so that a busy machine slows all of them alike; rows to
  ``bench/results/competitor_speed_steps.csv``;
- ``runs``: ``fit_competitors`` end to end (pretraining + both clustering stages) per data set and seed, with the ARI
  of scDeepCluster and scziDesk; rows to ``bench/results/competitor_speed_runs.csv``. The reference's ARIs for these
  sets and seeds are stored in ``results/competitors.csv``; ``--reference-seeds`` reruns the reference for its
  seconds on this machine (and to check that it reproduces its stored ARI).
- ``floor``: the step's five big matrix products (the three heads forward, their input and weight gradients, the
  first layer forward and its weight gradient) timed alone in float32, ``--repeats`` times: no step that computes the
  protocol's arithmetic in float32 can be faster on this machine; rows to ``bench/results/competitor_speed_floor.csv``.

Every row records the threads and the 1-minute load average before it was measured.

    python -m bench competitor-speed [--part steps runs floor] [--datasets ...] [--seeds 0 1 2] [--repeats 5]
"""

from __future__ import annotations

import time

from bench import common

DATASETS = ["mouse_bladder_cell_select_2100", "worm_neuron_cell_select_2100", "10X_PBMC_select_2100_top2000"]
#: (variant, kernel, precision) of the fast path measured; the reference is ("reference", "torch", "float32").
FAST = [("fast-fp32", "fast", "float32"), ("fast-bf16", "fast", "bfloat16")]
REFERENCE = ("reference", "torch", "float32")


def steps(dataset: str, repeats: int) -> list[dict]:
    """ms per pretraining step of the reference and the fast step, interleaved ``repeats`` times."""
    import torch

    from csc_core import data
    from csc_core.competitors.fast_step import FastZINBStep, ZINBData, train_epoch_fast
    from csc_core.competitors.fit import zinb_inputs
    from csc_core.competitors.zinb import ZINBAutoencoder, train_epoch

    x, raw, sf = (torch.from_numpy(a) for a in zinb_inputs(data.load(dataset), n_genes=2000))
    zdata = ZINBData(x, raw, sf)
    epochs = {}
    for variant, kernel, precision in [REFERENCE, *FAST]:
        torch.manual_seed(0)
        model = ZINBAutoencoder(x.shape[1])
        gen = torch.Generator().manual_seed(0)
        if kernel == "torch":
            opt = torch.optim.Adam(model.parameters(), lr=1e-3, amsgrad=True)
            epochs[variant] = (
                kernel,
                precision,
                lambda m=model, o=opt, g=gen: train_epoch(m, x, raw, sf, o, batch_size=256, generator=g),
            )
        else:
            step = FastZINBStep(model, zdata, precision=precision)
            opt = torch.optim.Adam([step.params], lr=1e-3, amsgrad=True, fused=True)
            epochs[variant] = (
                kernel,
                precision,
                lambda s=step, o=opt, g=gen: train_epoch_fast(s, o, batch_size=256, generator=g),
            )
        epochs[variant][2]()  # warm: buffers, first calls
    n_steps = -(-x.shape[0] // 256)
    rows = []
    for repeat in range(repeats):
        for variant, (kernel, precision, run) in epochs.items():
            load = common.load_average()
            t = time.perf_counter()
            run()
            ms = (time.perf_counter() - t) / n_steps * 1e3
            rows.append(
                dict(
                    dataset=dataset,
                    variant=variant,
                    kernel=kernel,
                    precision=precision,
                    repeat=repeat,
                    ms_per_step=ms,
                    threads=torch.get_num_threads(),
                    load_at_repeat=load,
                )
            )
            print(f"{dataset:32s} {variant:10s} repeat {repeat}: {ms:7.2f} ms/step (load {load:.2f})", flush=True)
    return rows


def floor(repeats: int, *, n_genes: int = 2000, batch: int = 256, calls: int = 20) -> list[dict]:
    """ms of each of the step's five big float32 products (median of ``repeats`` × ``calls``), and their sum."""
    import torch

    from csc_core.competitors.zinb import ZINBAutoencoder

    hidden = ZINBAutoencoder(n_genes).mean.in_features  # the heads' input: the decoder's last layer
    gen = torch.Generator().manual_seed(0)

    def rand(*shape):
        return torch.randn(*shape, generator=gen)

    products = {  # (m × k) @ (k × n), as the step computes them
        "heads forward": (rand(batch, hidden), rand(hidden, 3 * n_genes)),
        "heads input gradient": (rand(batch, 3 * n_genes), rand(3 * n_genes, hidden)),
        "heads weight gradient": (rand(hidden, batch), rand(batch, 3 * n_genes)),
        "first layer forward": (rand(batch, n_genes), rand(n_genes, hidden)),
        "first layer weight gradient": (rand(n_genes, batch), rand(batch, hidden)),
    }
    for a, b in products.values():  # warm: BLAS buffers and threads
        for _ in range(calls):
            a @ b
    rows = []
    for name, (a, b) in products.items():
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            for _ in range(calls):
                a @ b
            times.append((time.perf_counter() - t) / calls)
        ms = sorted(times)[len(times) // 2] * 1e3
        macs = a.shape[0] * a.shape[1] * b.shape[1]
        rows.append(dict(product=name, ms=ms, gflops=2 * macs / ms / 1e6, threads=torch.get_num_threads()))
    total = sum(r["ms"] for r in rows)
    macs = sum(a.shape[0] * a.shape[1] * b.shape[1] for a, b in products.values())
    rows.append(dict(product="all five", ms=total, gflops=2 * macs / total / 1e6, threads=torch.get_num_threads()))
    for r in rows:
        print(f"{r['product']:28s} {r['ms']:6.2f} ms  {r['gflops']:6.1f} GFLOP/s", flush=True)
    return rows


def runs(dataset: str, seed: int, variant: tuple[str, str, str]) -> list[dict]:
    """``fit_competitors`` end to end on ``dataset`` with ``seed``: seconds and ARI of each competitor."""
    import torch

    from csc_core import data
    from csc_core.competitors import fit_competitors
    from csc_core.data import metrics

    name, kernel, precision = variant
    adata = data.load(dataset)
    truth = adata.obs["cell_type"].to_numpy()
    k = len(set(truth))
    load = common.load_average()
    t = time.perf_counter()
    out = fit_competitors(adata, n_clusters=k, seed=seed, kernel=kernel, precision=precision, progress=False)
    seconds = time.perf_counter() - t
    rows = []
    for method, label in (("scdeepcluster", "scDeepCluster"), ("sczidesk", "sczi")):
        labels, _, record = out[method]
        tm = record["timings"]
        rows.append(
            dict(
                dataset=dataset,
                seed=seed,
                variant=name,
                kernel=record["params"]["kernel"],
                precision=record["params"]["precision"],
                method=label,
                **metrics.scores(truth, labels),
                epochs_run=record["params"]["epochs_run"],
                run_seconds=seconds,
                pretrain_seconds=tm["pretrain"],
                cluster_seconds=tm["cluster"],
                threads=torch.get_num_threads(),
            )
        )
        print(
            f"{dataset:32s} seed {seed} {name:10s} {label:14s} ARI {rows[-1]['ari']:.3f}  run {seconds:6.1f} s "
            f"(pretrain {tm['pretrain']:.1f} s, load {load:.2f})",
            flush=True,
        )
    return rows


def main(argv=None):
    p = common.parser("competitor-speed", __doc__, threads=2)
    p.add_argument("--part", nargs="+", default=["steps", "runs"], choices=["steps", "runs", "floor"])
    p.add_argument("--datasets", nargs="+", default=DATASETS)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--reference-seeds", nargs="*", type=int, default=[0], help="seeds the reference reruns")
    p.add_argument("--variants", nargs="+", default=[v for v, _, _ in FAST], help="fast variants of the runs")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    common.setup(threads=args.threads)
    run, load = common.run_stamp(), common.check_quiet("competitor-speed")
    if "steps" in args.part:
        table = common.store("competitor_speed_steps")
        for dataset in args.datasets:
            common.add(table, steps(dataset, args.repeats), run=run, load=load)
    if "floor" in args.part:
        common.add(common.store("competitor_speed_floor"), floor(args.repeats), run=run, load=common.load_average())
    if "runs" in args.part:
        table = common.store("competitor_speed_runs")
        fast = [v for v in FAST if v[0] in args.variants]
        for seed in args.seeds:
            for dataset in args.datasets:
                variants = ([REFERENCE] if seed in args.reference_seeds else []) + fast
                for variant in variants:
                    common.add(table, runs(dataset, seed, variant), run=run, load=common.load_average())


if __name__ == "__main__":
    main()
