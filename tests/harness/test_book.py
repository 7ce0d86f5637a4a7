"""The book's structure, and chapters executed end to end through papermill with small parameters."""

import json
import re
from pathlib import Path

import pytest

from csc_core.harness import book
from tests.helpers import shared_data_available

ROOT = Path(__file__).resolve().parents[2]


def test_every_toc_entry_has_a_source():
    entries = book.toc_files(ROOT)
    assert "book/real_data/real_data" in entries
    for entry in entries:
        assert any((ROOT / f"{entry}{ext}").exists() for ext in (".md", ".py", ".ipynb")), entry


def test_every_chapter_has_a_tagged_parameters_cell_with_the_common_parameters():
    import jupytext

    for source in book.chapters(ROOT):
        cells = [c for c in jupytext.read(source).cells if "parameters" in c.metadata.get("tags", [])]
        assert len(cells) == 1, source
        for name in ("profile", "device", "seeds"):
            assert f"{name} =" in cells[0].source, (source, name)


def test_a_failing_chapter_names_its_cell_and_leaves_no_output(tmp_path):
    src = tmp_path / "broken.py"
    src.write_text('# %% tags=["parameters"]\nprofile = "quick"\n\n# %%\nx = 1\n\n# %%\nraise ValueError("boom")\n')
    out = tmp_path / "out" / "broken.ipynb"
    with pytest.raises(RuntimeError, match=r"cell .*ValueError: boom"):
        book.execute(src, out)
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.skipif(not shared_data_available("10X_PBMC_select_2100_top2000"), reason="data not available offline")
def test_real_data_chapter_runs_through_papermill(tmp_path):
    out = book.execute(
        ROOT / "book" / "real_data" / "real_data.py",
        tmp_path / "real_data.ipynb",
        parameters={
            "datasets": ["10X_PBMC_select_2100_top2000"],
            "seeds": [0],
            "epochs": 2,
            "n_genes": 300,
            "results_dir": str(tmp_path / "results"),
        },
    )
    nb = json.loads(out.read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2  # the ARI figure and the UMAP
    import pandas as pd

    rows = pd.read_csv(tmp_path / "results" / "real_data.csv")
    assert set(rows["method"]) == {"contrastive-sc", "Ensemble K-means", "scanpy", "PCA + KMeans"}
    assert (rows["epochs"] == 2).all() and rows["ari"].between(-1, 1).all()


#: A commit hash (7-40 hex digits with a letter and a digit) or a date: what a chapter for readers does not carry.
HASH_OR_DATE = r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\b|\b20\d\d-\d\d-\d\d\b"


@pytest.mark.slow
@pytest.mark.skipif(not shared_data_available("10X_PBMC_select_2100_top2000"), reason="data not available offline")
def test_computational_cost_chapter_runs_through_papermill(tmp_path):
    out = book.execute(
        ROOT / "book" / "computational_cost" / "computational_cost.py",
        tmp_path / "cost.ipynb",
        parameters={"dataset": "10X_PBMC_select_2100_top2000", "seeds": [0, 1], "measure_here": True},
    )
    nb = json.loads(out.read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4  # stages, scaling, spread, processors
    shown = [c for c in nb["cells"] if "remove-output" not in c["metadata"].get("tags", [])]
    assert not [o for c in shown for o in c.get("outputs", []) if o["output_type"] == "stream"]  # no prints on the page
    tables = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert "10X PBMC (2,100 cells)" in "".join(tables[-1])  # the table measured here
    glued = {o["metadata"]["scrapbook"]["name"] for o in outputs if "scrapbook" in o.get("metadata", {})}
    assert {"ratio_median", "slope_train", "n_clustering_bigger", "es_steps_early"} <= glued
    source = (ROOT / "book" / "computational_cost" / "computational_cost.py").read_text()
    assert len(source.splitlines()) <= 300 and not re.search(HASH_OR_DATE, source)


@pytest.mark.slow
@pytest.mark.skipif(not shared_data_available("worm_neuron_cell_select_2100"), reason="data not available offline")
def test_the_paper_profile_computes_a_data_set_results_lack_and_names_those_it_cannot_download(tmp_path):
    """What `make missing` does before the published build, here with one stored data set taken out of results/."""
    import pandas as pd

    from csc_core import data
    from csc_core.harness.labels import dataset_label

    absent = "worm_neuron_cell_select_2100"
    results = tmp_path / "results"
    results.mkdir()
    stored = pd.read_csv(ROOT / "results" / "real_data.csv")
    stored[stored["dataset"] != absent].to_csv(results / "real_data.csv", index=False)
    out = book.execute(
        ROOT / "book" / "real_data" / "real_data.py",
        tmp_path / "real_data.ipynb",
        parameters={"profile": "paper", "seeds": [0], "results_dir": str(results)},
    )
    rows = pd.read_csv(results / "real_data.csv")
    new = rows[rows["dataset"] == absent]
    assert len(new) == 4 and set(new["seed"]) == {0}  # one row per method, computed now
    assert len(rows) == len(stored[stored["dataset"] != absent]) + 4  # nothing else was recomputed
    nb = json.loads(out.read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    shown = "".join("".join(o.get("data", {}).get("text/html", "")) for o in outputs)
    notes = "".join("".join(o.get("data", {}).get("text/markdown", "")) for o in outputs)
    assert dataset_label(absent) in shown  # the chapter's table holds the data set computed now, by its label
    for name in data.available(paper=True):  # every paper data set is shown, or named with why it is not
        assert dataset_label(name) in shown or f"`{name}`" in notes, name
    if not all(data.fetchable(n) for n in data.available(paper=True)):
        assert notes.count("Not computed here: no download") == 1


def test_papermills_cells_are_tagged_so_the_page_hides_them(tmp_path):
    src = tmp_path / "chapter.py"
    src.write_text('# %% tags=["parameters"]\nprofile = "quick"\n\n# %%\nprint(profile)\n')
    out = book.execute(src, tmp_path / "out" / "chapter.ipynb", parameters={"profile": "paper"})
    cells = json.loads(out.read_text())["cells"]
    tags = [c["metadata"].get("tags", []) for c in cells]
    assert tags[0] == ["parameters", "hide-input"]
    assert tags[1] == ["injected-parameters", "remove-cell"]
    assert "".join(cells[2]["outputs"][0]["text"]).strip() == "paper"


def test_chapters_run_without_the_widget_warning_and_restore_the_environment(tmp_path, monkeypatch):
    import os

    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    src = tmp_path / "warns.py"
    src.write_text(
        '# %% tags=["parameters"]\nprofile = "quick"\n\n# %%\nimport warnings\n'
        'warnings.warn("IProgress not found. Please update jupyter and ipywidgets.")\nprint("done")\n'
    )
    out = book.execute(src, tmp_path / "out" / "warns.ipynb")
    outputs = json.loads(out.read_text())["cells"][-1]["outputs"]
    assert [o.get("name") for o in outputs] == ["stdout"]  # no stderr: the warning is ignored
    assert "PYTHONWARNINGS" not in os.environ


def test_glue_warnings_are_found_in_the_build_log():
    log = (
        "\x1b[91m/x/real_data.ipynb:10002: WARNING: No key 'csc_mean' found in glue data for this document. "
        "[mystnb.glue]\x1b[39;49;00m\nbuild succeeded, 2 warnings.\n"
        "/x/sim.ipynb:2: WARNING: Failed to format text/plain data: could not convert string to float: "
        "'np.float64(0.5)' [mystnb.glue]\n/x/a.md: WARNING: something else\n"
    )
    found = book.glue_problems(log)
    assert len(found) == 2 and found[0].startswith("/x/real_data.ipynb") and "np.float64(0.5)" in found[1]
    assert book.glue_problems("build succeeded.") == []


def test_glued_numpy_numbers_are_plain_numbers():
    pytest.importorskip("myst_nb")
    import numpy as np
    from IPython.core.interactiveshell import InteractiveShell

    from csc_core.harness import chapter

    shown = []
    shell = InteractiveShell.instance()
    shell.display_pub.publish = lambda data, metadata=None, **kw: shown.append(data)
    try:
        chapter.glue("x", np.float64(0.5))
        chapter.glue("n", np.int64(3))
    finally:
        InteractiveShell.clear_instance()
    plain = [next(v for k, v in d.items() if k.endswith("text/plain")) for d in shown]
    assert plain == ["0.5", "3"]  # not "np.float64(0.5)": the text role could not format that
