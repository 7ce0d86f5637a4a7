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
    assert "Not computed here: no download" in note and "`b`, `d`." in note
    assert "Not computed yet" in note and "`c`." in note and "`a`" not in note
    assert chapter.absent_note(["a", "b", "c", "d"]) == ""


def test_glue_values_glue_every_value_as_a_plain_python_value(monkeypatch):
    import myst_nb
    import numpy as np

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: glued.update({name: (value, display)}))
    chapter.glue_values({"ratio": np.float64(1.5), "n": np.int64(6), "label": "Worm"})
    assert glued == {"ratio": (1.5, False), "n": (6, False), "label": ("Worm", False)}
    assert type(glued["ratio"][0]) is float and type(glued["n"][0]) is int  # no np.float64(…) repr on the page
