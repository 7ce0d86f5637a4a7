"""The real-browser check of the rendered book, on a tiny site with known faults (skipped without Chromium)."""

from __future__ import annotations

import base64

import pytest

from csc_core.harness import browser

pytestmark = pytest.mark.skipif(browser.find_browser() is None, reason="Chromium and chromedriver not installed")

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def _site(tmp_path, *, faults: bool):
    (tmp_path / "img").mkdir(parents=True)
    (tmp_path / "img" / "ok.png").write_bytes(PNG)
    (tmp_path / "part").mkdir()
    (tmp_path / "part" / "chapter.html").write_text(
        '<html><body><h1 id="top">Chapter</h1><img src="../img/ok.png"><a href="../index.html#intro">back</a>'
        '<div class="cell_output"><pre>0.75</pre></div></body></html>'
    )
    body = '<h1 id="intro">Intro</h1><img src="img/ok.png"><a href="part/chapter.html#top">chapter</a>'
    if faults:
        body += (
            '<img src="img/missing.png"><a href="part/nowhere.html">gone</a><a href="part/chapter.html#nope">x</a>'
            '<div class="cell_output"><pre>Traceback (most recent call last):\n  File "x"\n'
            "ValueError: bad counts</pre></div>"
        )
    (tmp_path / "index.html").write_text(f"<html><body>{body}</body></html>")
    (tmp_path / "genindex.html").write_text("<html><body><img src='never.png'></body></html>")  # skipped page
    return tmp_path


def test_a_clean_site_passes_and_gets_screenshots(tmp_path):
    site = _site(tmp_path / "site", faults=False)
    problems = browser.check_site(site, screenshots=tmp_path / "shots", progress=False)
    assert problems == []
    assert sorted(p.name for p in (tmp_path / "shots").iterdir()) == ["index.png", "part__chapter.png"]


def test_missing_images_broken_links_and_tracebacks_are_reported(tmp_path):
    site = _site(tmp_path / "site", faults=True)
    found = {(p.page, p.kind, p.detail) for p in browser.check_site(site, progress=False)}
    assert ("index.html", "missing image", "img/missing.png") in found
    assert ("index.html", "broken link", "part/nowhere.html") in found
    assert ("index.html", "broken link", "part/chapter.html#nope") in found
    assert ("index.html", "traceback", "ValueError: bad counts") in found
    assert len(found) == 4  # nothing on the clean chapter, nothing from the skipped genindex page


def test_command_line_exit_codes(tmp_path):
    good = _site(tmp_path / "good", faults=False)
    bad = _site(tmp_path / "bad", faults=True)
    assert browser.main([str(good), "--screenshots", ""]) == 0
    assert browser.main([str(bad), "--screenshots", ""]) == 1


def _lab_page(tmp_path, body: str):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "index.html").write_text(
        f'<html><body><main><article class="bd-article" style="width:600px">{body}</article></main></body></html>'
    )
    return tmp_path


LEFTOVERS = {
    "object repr": '<div class="cell_output"><pre>&lt;torch._C.Generator object at 0x7f3a2c1b5d70&gt;</pre></div>'
    '<div class="cell_output"><pre>{"wins": np.int64(3), "ari": np.float64(0.5)}</pre></div>',
    "injected parameters": '<div class="cell tag_injected-parameters"><div class="cell_input">'
    '<div class="highlight"><pre># Parameters\nprofile = "quick"</pre></div></div></div>',
    "log line": '<div class="cell_output"><pre>default settings: 6 tasks, 6 read back from real_data.csv, 0 run\n'
    "default settings: 4 tasks, 4 read back from real_data.csv, 0 run</pre></div>",
    "clipped": '<div class="output" style="overflow-x:auto"><table><tr>'
    + "".join(f'<td style="min-width:90px">column {i}</td>' for i in range(12))
    + "</tr></table></div>",
}


@pytest.mark.parametrize("kind", sorted(LEFTOVERS))
def test_lab_notebook_leftovers_fail_the_check(tmp_path, kind):
    found = browser.check_site(_lab_page(tmp_path / "site", LEFTOVERS[kind]), progress=False)
    assert found and {p.kind for p in found} == {kind}, found
    if kind == "injected parameters":
        assert [p.detail for p in found] == ["1 papermill cell(s) shown"]
    if kind == "object repr":
        assert sorted(p.detail for p in found) == [
            "<torch._C.Generator object at 0x7f3a2c1b5d70>",
            "np.float64(",
            "np.int64(",
        ]
    if kind == "log line":
        assert len(found) == 2 and all("read back from real_data.csv" in p.detail for p in found)
    if kind == "clipped":
        assert "column 0" in found[0].detail


def test_clean_outputs_pass_wrapped_text_narrow_tables_and_folded_cells(tmp_path):
    body = (
        '<div class="cell_output"><pre style="white-space:pre-wrap">'
        + "contrastive-sc above scanpy on 4 of 6 data sets " * 20
        + "</pre></div>"
        '<div class="output" style="overflow-x:auto"><table><tr><td>ARI</td><td>0.750</td></tr></table></div>'
        '<details><summary>Show code</summary><div class="highlight" style="overflow-x:auto"><pre>'
        + "x"
        * 400
        + "</pre></div></details>"  # folded: nothing is clipped until a reader opens it
        '<div class="cell tag_parameters"><div class="cell_input"><pre>profile = "quick"</pre></div></div>'
    )
    assert browser.check_site(_lab_page(tmp_path / "site", body), progress=False) == []


def test_output_problems_reads_reprs_logs_and_tracebacks_from_text():
    found = browser.output_problems("p.html", ["n = np.int64(3)", "ok 0.5", "Traceback (most recent call last):\nE: x"])
    assert [(p.kind, p.detail) for p in found] == [("object repr", "np.int64("), ("traceback", "E: x")]
    assert browser.output_problems("p.html", ["np.int64 is a type; 3 clusters"]) == []


def test_a_clipped_table_is_reported_once_with_its_wrapper(tmp_path):
    found = browser.check_site(_lab_page(tmp_path / "site", LEFTOVERS["clipped"]), progress=False)
    assert len(found) == 1 and found[0].detail.startswith("div.output")


def test_a_page_taller_than_one_screenshot_is_saved_in_parts(tmp_path, monkeypatch):
    site = _site(tmp_path / "site", faults=False)
    tall = '<html><body><h1 id="top">Tall</h1><div style="height:2500px">tall</div></body></html>'
    (site / "part" / "chapter.html").write_text(tall)
    monkeypatch.setattr(browser, "SHOT_HEIGHT", 1000)
    assert browser.check_site(site, screenshots=tmp_path / "shots", progress=False) == []
    names = sorted(p.name for p in (tmp_path / "shots").iterdir())
    assert names == ["index.png", "part__chapter.png", "part__chapter_2.png", "part__chapter_3.png"]
