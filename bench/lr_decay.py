"""How much, and over how many steps, to lower the learning rate at the end of training: the panel per ``lr_decay``.

contrastive-sc with the defaults except ``lr_decay`` — the share of the last optimizer steps over which the learning
rate falls linearly to zero; 0 is a constant rate, as in the paper — on the generalisation panel
(:data:`bench.generalisation.PANEL`: the six paper sets, the three CellBench plates, Zeisel, CBMC and the 200- and
500-cell samples). Per data set × seed × value: ARI, NMI, clusters and the resolution ``"auto"`` chose, with the
rule's name (``auto_rule``). Rows go to ``bench/results/lr_decay.csv``; rerunning skips what is stored. The
"Choosing the defaults" chapter shows the table. Seconds are not stored: the learning rate does not change the work.

    python -m bench lr-decay [--values 0 0.2 0.3 0.5] [--seeds 0 1 2] [--datasets ...] [--workers 1]
"""

from __future__ import annotations

from bench import common
from bench.generalisation import PANEL, load

#: The shares tried by default: constant, and decays over the last fifth, 30 % and half of the steps.
VALUES = (0.0, 0.2, 0.3, 0.5)


def _run(dataset: str, seed: int, lr_decay: float, auto_rule: str) -> list[dict]:
    import warnings

    import csc_core
    from csc_core.data import metrics
    from csc_core.harness.methods import CSC_LEIDEN
    from csc_core.pipeline.resolution import check_auto_rule

    check_auto_rule(auto_rule)
    adata = load(dataset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the rule's doubts are the generalisation benchmark's subject, not this one's
        csc_core.contrastive_sc(adata, seed=seed, lr_decay=lr_decay, progress=False)
    truth, labels = adata.obs["cell_type"].to_numpy(), adata.obs["csc_cluster"].to_numpy()
    return [
        dict(
            method=CSC_LEIDEN,
            **metrics.scores(truth, labels),
            chosen_resolution=adata.uns["csc"]["params"]["resolution"],
            n_cells=adata.n_obs,
            n_types=adata.obs["cell_type"].nunique(),
        )
    ]


def main(argv=None):
    from csc_core.pipeline.resolution import AUTO_RULE

    p = common.parser("lr-decay", __doc__, threads=2, workers=True)
    p.add_argument("--values", type=float, nargs="+", default=list(VALUES))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--datasets", nargs="+", default=list(PANEL))
    args = p.parse_args(argv)
    common.setup(threads=args.threads)
    tasks = [
        dict(dataset=d, seed=s, lr_decay=v, auto_rule=AUTO_RULE)
        for s in args.seeds
        for d in args.datasets
        for v in args.values
    ]
    common.grid("lr_decay", tasks, _run, workers=args.workers, desc="lr-decay")


if __name__ == "__main__":
    main()
