"""What the book's chapters share: the book's root, and each profile's data sets and seeds."""

from pathlib import Path

import pytest

from csc_core.harness import chapter

ROOT = Path(__file__).resolve().parents[2]


def test_the_root_is_found_from_any_folder_inside_the_book(tmp_path):
    assert chapter.find_root(ROOT / "book") == ROOT and chapter.find_root(ROOT) == ROOT
    with pytest.raises(FileNotFoundError, match="_toc.yml"):
        chapter.find_root(tmp_path)


def test_real_data_plan_follows_the_profile_unless_told_otherwise(monkeypatch):
    from csc_core import data

    monkeypatch.setattr(data, "fetchable", lambda name: name != "worm_neuron_cell_select_2100")
    assert chapter.real_data_plan("quick") == (["10X_PBMC_select_2100_top2000"], [0])  # unfetchable ones skipped
    datasets, seeds = chapter.real_data_plan("paper")
    assert seeds == [0, 1, 2] and "worm_neuron_cell_select_2100" not in datasets and len(datasets) > 2
    assert chapter.real_data_plan("paper", ["x"], [5]) == (["x"], [5])
    with pytest.raises(ValueError, match="profile"):
        chapter.real_data_plan("full")


def test_absent_note_names_every_paper_data_set_not_shown_with_why(monkeypatch):
    from csc_core import data
    from csc_core.harness import chapter

    monkeypatch.setattr(data, "available", lambda paper=None: ["a", "b", "c", "d"])
    monkeypatch.setattr(data, "fetchable", lambda name: name == "c")
    assert chapter.absent_datasets(["a"]) == {"b": "no download", "c": "not computed yet", "d": "no download"}
    note = chapter.absent_note(["a"])
    assert "Not computed here: no download" in note and "b (`b`), d (`d`)." in note
    assert "Not computed yet" in note and "c (`c`)." in note and "`a`" not in note
    assert chapter.absent_note(["a", "b", "c", "d"]) == ""


def test_every_chapter_accepts_quick_and_paper_and_refuses_other_profiles_by_name(tmp_path):
    for profile in chapter.PROFILES:
        assert chapter.check_profile(profile) == profile
    with pytest.raises(ValueError, match=r"Unknown profile 'one-seed'.*'quick' or 'paper'"):
        chapter.check_profile("one-seed")
    for part in chapter.PLANS:
        with pytest.raises(ValueError, match="'quick' or 'paper'"):
            chapter.setup("subset", part=part)


def test_setup_plans_each_part_and_sets_the_figure_defaults_once(tmp_path, monkeypatch):
    import warnings

    import matplotlib.pyplot as plt

    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # setup sets the chapters' format

    from csc_core.data.simulate import PAPER_DATASETS
    from csc_core.harness import figures

    plt.rcParams["font.size"] = 3
    plan = chapter.setup("quick", part="simulated", start=ROOT / "book")
    assert plt.rcParams["font.size"] == figures.RC_PARAMS["font.size"]
    assert plan.root == ROOT and plan.results == ROOT / "results" and plan.seeds == [0]
    assert plan.datasets == [("balanced", 4, 1.0), ("imbalanced", 8, 1.0)]
    paper = chapter.setup("paper", part="simulated ablations", seeds=[0], results_dir=tmp_path, start=ROOT)
    assert paper.datasets == PAPER_DATASETS and paper.seeds == [0] and paper.results == tmp_path
    assert paper.store("x").path == tmp_path / "x.csv"
    assert chapter.setup("paper", part="teaching", start=ROOT).seeds == [0]
    assert chapter.setup("paper", part="other", start=ROOT).seeds == [0, 1, 2]
    assert warnings.formatwarning is chapter.short_warning
    assert warnings.formatwarning("careful", UserWarning, "/tmp/ipykernel_1/2.py", 4) == "UserWarning: careful\n"
    with pytest.raises(ValueError, match="part"):
        chapter.setup("quick", part="nope", start=ROOT)


def test_run_summary_is_one_line_about_the_rows_shown():
    import pandas as pd

    rows = pd.DataFrame(
        {"dataset": ["a", "a", "b", "b"], "seed": [0, 1, 0, 1], "method": ["m"] * 4, "cpu": ["AMD EPYC (AVX2)"] * 4}
    )
    rows.attrs.update(store="real_data.csv", read_back=1, computed=1)
    line = chapter.run_summary(rows)
    assert line.startswith("4 results shown (2 data sets × 2 seeds × 1 method), stored in real_data.csv")
    assert "this run computed 1 of its 2 task(s)" in line and "\n" not in line
    assert "read back from" not in line  # the browser check's marker of per-task log lines
    assert chapter.run_summary(rows.iloc[:0]) == "No stored results for these settings yet."


def test_paper_data_sets_are_drawn_computed_or_published_only():
    shown = ["worm_neuron_cell", "worm_neuron_cell_select_2100", "10X_PBMC_select_2100_top2000"]
    drawn, published_only = chapter.paper_datasets(shown)
    assert drawn[:2] == ["10X_PBMC_top2000", "10X_PBMC_select_2100_top2000"]  # the paper's order: PBMC first
    assert "mouse_ES_cell" in published_only and "10X_PBMC_top2000" in published_only
    assert set(shown) <= set(drawn) and not set(shown) & set(published_only)
    assert len(drawn) == 8  # four data sets, two cuts each


def test_the_coverage_sentence_counts_data_sets_not_cuts(monkeypatch):
    from csc_core import data

    monkeypatch.setattr(data, "fetchable", lambda name: False)
    shown = [
        "worm_neuron_cell",
        "worm_neuron_cell_select_2100",
        "mouse_bladder_cell_select_2100",
        "10X_PBMC_top2000",
        "10X_PBMC_select_2100_top2000",
        "mouse_bladder_cell_top2000",
    ]
    text = chapter.coverage_sentence(shown)
    assert "3 of them in both cuts — 3 data sets in 2 cuts" in text and "6 of 6" not in text
    assert "**Mouse ES cells** is shown with the paper's published values only" in text
    assert "could not be downloaded" in text and "make missing" in text
    assert "is not shown" in chapter.coverage_sentence(shown, published_bars=False)
    assert "Mouse ES" not in chapter.coverage_sentence([*shown, "mouse_ES_cell", "mouse_ES_cell_select_2100"])


def test_concat_runs_adds_up_what_the_grids_read_back_and_computed():
    import pandas as pd

    a = pd.DataFrame({"dataset": ["x"], "seed": [0], "method": ["m"]})
    b = a.assign(seed=1)
    a.attrs.update(store="t.csv", read_back=2, computed=1)
    b.attrs.update(store="t.csv", read_back=3, computed=0)
    rows = chapter.concat_runs([a, b])
    assert len(rows) == 2 and rows.attrs == {"store": "t.csv", "read_back": 5, "computed": 1}
    assert "this run computed 1 of its 6 task(s)" in chapter.run_summary(rows)


def test_glue_mouse_es_glues_the_papers_numbers_and_says_whether_the_page_computes_it(monkeypatch):
    glued = {}
    monkeypatch.setattr(chapter, "glue", lambda name, value: glued.__setitem__(name, value))
    chapter.glue_mouse_es(["worm_neuron_cell"])
    assert set(glued) == {"es_csc", "es_sdc", "es_sczi", "es_scanpy", "es_here"}
    assert glued["es_csc"] < glued["es_sdc"]  # the paper's own numbers: contrastive-sc's worst data set
    assert "not computed on this page" in glued["es_here"].data
    chapter.glue_mouse_es(["mouse_ES_cell"])
    assert glued["es_here"].data == "This page computes it too."


def test_ablation_grids_runs_each_value_with_its_settings_fixed_ones_and_labels_the_rows():
    import pandas as pd

    calls = []

    def grid(overrides):
        calls.append(overrides)
        frame = pd.DataFrame({"dataset": ["x"], "ari": [overrides.get("epochs", overrides.get("keep"))]})
        frame.attrs.update(store="t.csv", read_back=1, computed=0)
        return frame

    tables = chapter.ablation_grids(grid, {"epochs": ({"min_steps": 0}, [5, 10]), "keep": ({}, [0.2])})
    assert calls == [{"min_steps": 0, "epochs": 5}, {"min_steps": 0, "epochs": 10}, {"keep": 0.2}]
    assert list(tables) == ["epochs", "keep"]
    assert tables["epochs"]["epochs"].tolist() == [5, 10] and tables["keep"]["keep"].tolist() == [0.2]
    assert tables["epochs"].attrs["read_back"] == 2
