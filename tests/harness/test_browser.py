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
