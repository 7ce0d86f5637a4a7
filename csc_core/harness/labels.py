"""What readers see instead of file and column names: data set and method labels, and the methods' colours."""

from __future__ import annotations

import pandas as pd

from .methods import (
    BASELINE_KMEANS,
    BASELINE_LEIDEN,
    CLUSTER_NN,
    COASSOCIATION,
    CSC_KMEANS,
    CSC_LEIDEN,
    KMEANS,
    PCA_KMEANS,
    SCANPY,
    SCDEEPCLUSTER,
    SCZI,
)

#: The paper's four real data sets (its Table 1), as the registry spells them, and as the book names them.
PAPER_REAL_DATASETS = {
    "10X PBMC": "10X PBMC",
    "Mouse ES Cell": "Mouse ES cells",
    "Worm Neuron Cell": "Worm neuron cells",
    "Mouse Bladder Cell": "Mouse bladder cells",
}
#: Data sets beyond the paper, by registry name.
OTHER_DATASETS = {
    "cellbench_celseq2_p1": "CellBench CEL-seq2, plate 1",
    "cellbench_celseq2_p2": "CellBench CEL-seq2, plate 2",
    "cellbench_celseq2_p3": "CellBench CEL-seq2, plate 3",
    "zeisel_brain": "Zeisel mouse brain",
    "cbmc_citeseq": "CBMC CITE-seq",
}
#: Method names where the paper's result files' spelling is not what a reader should see.
METHOD_LABELS = {SCZI: "scziDesk", BASELINE_KMEANS: "Baseline K-means"}

#: Colours: contrastive-sc stands out (dark blue), its ensemble variants in lighter blues, the single-encoder baselines
#: (variant a) in purples, the deep competitors in oranges, the reference pipelines in greens and grey.
METHOD_COLOURS = {
    CSC_LEIDEN: "#08306b",
    CSC_KMEANS: "#2171b5",
    BASELINE_LEIDEN: "#54278f",
    BASELINE_KMEANS: "#9e9ac8",
    CLUSTER_NN: "#6baed6",
    COASSOCIATION: "#c6dbef",
    SCDEEPCLUSTER: "#d94801",
    SCZI: "#fd8d3c",
    SCANPY: "#238b45",
    PCA_KMEANS: "#74c476",
    KMEANS: "#969696",
}


def _base(paper_name: str) -> str:
    """The book's name of a paper data set without its cut: ``"Worm Neuron Cell (2100)"`` → ``"Worm neuron cells"``."""
    base = paper_name.split(" (")[0]
    return PAPER_REAL_DATASETS.get(base, base)


def dataset_label(name: str) -> str:
    """A data set's name for readers: the biology and the cut, e.g. ``"10X PBMC (2,100 cells)"``.

    Registered data sets get their paper name and their number of cells; a cut that keeps every gene where another
    cut of the same cells keeps 2,000 says so (``"10X PBMC (2,100 cells, all genes)"``). The paper's own names
    (``"Mouse ES Cell (2100)"``), seeded samples of a registered data set (``"worm_neuron_cell_select_2100@200"`` →
    ``"Worm neuron cells (200 of 2,100 cells)"``) and simulated kinds (``"balanced"``) are accepted too; anything
    else is returned with underscores as spaces.

    Parameters
    ----------
    name
        A name of :func:`csc_core.data.available`, of the paper's result files, or any other label.

    Returns
    -------
    str
        The label.
    """
    from ..data.registry import REGISTRY

    base, _, cells = name.partition("@")  # a seeded sample of a data set's cells (the generalisation panel's)
    if cells.isdigit() and base in REGISTRY:
        return f"{dataset_label(base).rsplit(' (', 1)[0]} ({int(cells):,} of {REGISTRY[base].n_cells:,} cells)"
    entry = REGISTRY.get(name)
    if entry is None:
        if name.split(" (")[0] in PAPER_REAL_DATASETS:  # the paper's spelling
            cut = name.partition(" (")[2].rstrip(")")
            return f"{_base(name)} ({int(cut):,} cells)" if cut.isdigit() else _base(name)
        return OTHER_DATASETS.get(name, name.replace("_", " "))
    if not entry.paper_dataset:
        return f"{OTHER_DATASETS.get(name, name.replace('_', ' '))} ({entry.n_cells:,} cells)"
    label = f"{_base(entry.paper_dataset)} ({entry.n_cells:,} cells"
    siblings = [
        e
        for e in REGISTRY.values()
        if e.name != name and e.paper_dataset == entry.paper_dataset and e.n_cells == entry.n_cells
    ]
    if siblings and all(e.n_genes < entry.n_genes for e in siblings):
        label += ", all genes"
    return label + ")"


def paper_base(name: str) -> str:
    """Which of the paper's four real data sets a registered data set is a cut of (``"Worm neuron cells"``).

    Parameters
    ----------
    name
        A name of :func:`csc_core.data.available`.

    Returns
    -------
    str
        The book's name of the paper data set (:data:`PAPER_REAL_DATASETS`); ``""`` for a data set beyond the paper.
    """
    from ..data.registry import REGISTRY

    entry = REGISTRY.get(name)
    return _base(entry.paper_dataset) if entry is not None and entry.paper_dataset else ""


def method_label(method: str) -> str:
    """A method's name for readers (the paper's, except ``"sczi"`` → ``"scziDesk"``).

    Parameters
    ----------
    method
        A method name as stored (:data:`csc_core.harness.methods.ALL_METHODS`, the competitors).

    Returns
    -------
    str
        The label.
    """
    return METHOD_LABELS.get(method, method)


def method_colours(methods) -> dict[str, str]:
    """A colour per method (:data:`METHOD_COLOURS`; methods not listed there get the tab10 colours in turn).

    Parameters
    ----------
    methods
        Method names as stored.

    Returns
    -------
    dict
        Method → colour (a matplotlib colour string).
    """
    extra = iter(f"C{i}" for i in range(10))
    return {m: METHOD_COLOURS.get(m) or next(extra) for m in methods}


def readable(table: pd.DataFrame, *, columns: dict | None = None) -> pd.DataFrame:
    """A copy of ``table`` with data set and method names for readers, in its values, index and column labels.

    Values of the columns ``dataset`` and ``method`` and index or column levels of those names are relabelled
    (:func:`dataset_label`, :func:`method_label`); column and index labels that are method or data set names are
    too (pivoted tables), and ``columns`` renames further columns.

    Parameters
    ----------
    table
        A result table or a pivot of one.
    columns
        Further column renames (applied last).

    Returns
    -------
    pandas.DataFrame
        The relabelled copy (categorical columns keep their order).
    """
    from ..data.registry import REGISTRY
    from .methods import ALL_METHODS, COMPETITORS

    methods = set(ALL_METHODS) | set(COMPETITORS)

    def label(value):
        if isinstance(value, str):
            if value in methods:
                return method_label(value)
            base, _, cells = value.partition("@")  # a seeded sample of a registered data set's cells
            if base in REGISTRY and (not cells or cells.isdigit()):
                return dataset_label(value)
        return value

    out = table.copy()
    for col in ("dataset", "method"):
        if col in out.columns:
            if isinstance(out[col].dtype, pd.CategoricalDtype):
                out[col] = out[col].cat.rename_categories(label)
            else:
                out[col] = out[col].map(label)
    for axis in ("index", "columns"):
        labels = getattr(out, axis)
        if isinstance(labels, pd.MultiIndex):
            new = labels.set_levels([level.map(label) for level in labels.levels])
        else:
            new = labels.map(label)
        setattr(out, axis, new)
    if out.index.name in ("dataset", "method"):
        out.index.name = {"dataset": "data set"}.get(out.index.name, out.index.name)
    return out.rename(columns=columns) if columns else out
