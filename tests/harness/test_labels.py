"""Names readers see instead of file and column names (csc_core.harness.labels)."""

import pandas as pd

from csc_core.harness import labels


def test_data_sets_get_their_biology_and_their_cut():
    assert labels.dataset_label("10X_PBMC_select_2100_top2000") == "10X PBMC (2,100 cells)"
    assert labels.dataset_label("10X_PBMC_select_2100") == "10X PBMC (2,100 cells, all genes)"
    assert labels.dataset_label("worm_neuron_cell") == "Worm neuron cells (4,186 cells)"
    assert labels.dataset_label("mouse_bladder_cell_top2000") == "Mouse bladder cells (2,746 cells)"
    assert labels.dataset_label("mouse_ES_cell_select_2100") == "Mouse ES cells (2,100 cells)"
    assert labels.dataset_label("cellbench_celseq2_p1") == "CellBench CEL-seq2, plate 1 (156 cells)"
    assert labels.dataset_label("Mouse ES Cell (2100)") == "Mouse ES cells (2,100 cells)"  # the paper's spelling
    assert labels.dataset_label("balanced") == "balanced" and labels.dataset_label("a_b") == "a b"
    # a seeded sample of a registered data set (the generalisation panel's `name@cells`)
    assert labels.dataset_label("worm_neuron_cell_select_2100@200") == "Worm neuron cells (200 of 2,100 cells)"
    assert labels.dataset_label("unknown@200") == "unknown@200"


def test_every_registered_data_set_has_its_own_label():
    from csc_core.data import available

    names = available()
    assert len({labels.dataset_label(n) for n in names}) == len(names)
    assert {labels.paper_base(n) for n in available(paper=True)} == set(labels.PAPER_REAL_DATASETS.values())
    assert labels.paper_base("cellbench_celseq2_p1") == ""


def test_methods_keep_the_papers_names_except_sczi_and_contrastive_sc_has_its_own_colour():
    assert labels.method_label("sczi") == "scziDesk" and labels.method_label("scanpy") == "scanpy"
    colours = labels.method_colours(["contrastive-sc", "scDeepCluster", "something new", "another"])
    assert len(set(colours.values())) == 4 and colours["something new"] == "C0"


def test_readable_relabels_values_index_and_columns():
    t = pd.DataFrame({"dataset": ["worm_neuron_cell"], "method": ["sczi"], "ari": [0.5]})
    out = labels.readable(t)
    assert out.loc[0, "dataset"] == "Worm neuron cells (4,186 cells)" and out.loc[0, "method"] == "scziDesk"
    wide = t.pivot_table(index="method", columns="dataset", values="ari")
    out = labels.readable(wide)
    assert list(out.index) == ["scziDesk"] and list(out.columns) == ["Worm neuron cells (4,186 cells)"]
    assert t.loc[0, "method"] == "sczi"  # a copy


def test_readable_relabels_seeded_samples_and_leaves_other_at_signs_alone():
    t = pd.DataFrame({"ari": [0.1, 0.2, 0.3]}, index=["worm_neuron_cell_select_2100@200", "a@b", "x@200"])
    out = labels.readable(t)
    assert list(out.index) == ["Worm neuron cells (200 of 2,100 cells)", "a@b", "x@200"]
