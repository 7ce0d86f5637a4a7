"""Check the rendered book in a real browser: every page opened in headless Chromium, as a reader would see it.

Serves the HTML folder on localhost, opens each page with Selenium driving Debian's ``chromium`` through its
``chromedriver``, and reports every image the browser could not load, every internal link to a page or anchor that does
not exist, every Python traceback rendered in an output cell, and what makes a page read like a lab notebook: object
reprs in outputs (``<… at 0x…>``, ``np.int64(…)``), papermill's injected-parameters cell, per-task log lines ("read
back from …") and tables, code or outputs clipped at the page's right edge (an element of the article whose content
is wider than its box). Saves a full-page screenshot of each page.

    python -m csc_core.harness.browser [_build/html] [--screenshots _build/screenshots]

Exit code 0 when no problem is found, 1 otherwise, 2 when Chromium or chromedriver is missing.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

#: Generated pages that are not chapters (Sphinx's index and search pages).
SKIPPED = {"genindex.html", "search.html", "py-modindex.html"}
#: Text that only a Python error prints.
TRACEBACK_MARKERS = ("Traceback (most recent call last)",)
#: Object reprs that mean an output cell shows Python's internals instead of a result (checked in output text).
REPR_PATTERNS = (
    re.compile(r"<[\w.]+(?: object)? at 0x[0-9a-fA-F]+>"),
    re.compile(r"\bnp\.(?:int|float|uint|bool_|str_|complex)\w*\("),
    re.compile(r"\bnumpy\.(?:int|float)\d+\("),
)
#: Text of a per-task log line or a per-run warning (the grid runners' chatter) in an output cell.
LOG_MARKERS = ("read back from", "tasks not stored in", "UserWarning:")
#: Slack (pixels) before an element counts as clipped.
CLIP_TOLERANCE = 2
#: Height (pixels) of one screenshot; a taller page is saved in several.
SHOT_HEIGHT = 12000

_BROKEN_IMAGES_JS = """
return Array.from(document.images)
  .filter(img => !img.complete || img.naturalWidth === 0)
  .map(img => img.getAttribute('src'));
"""
_LINKS_JS = "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);"
_IDS_JS = "return Array.from(document.querySelectorAll('[id]')).map(e => e.id);"
_OUTPUTS_JS = """
return Array.from(document.querySelectorAll('.cell_output, .output, [class*=traceback], [class*=error]'))
  .map(e => e.innerText);
"""
#: Papermill's injected cell: its tag becomes a class; its source starts with "# Parameters".
_INJECTED_JS = """
const cells = new Set(document.querySelectorAll('.tag_injected-parameters'));
document.querySelectorAll('.cell_input, div.highlight').forEach(e => {
  if ((e.textContent || '').trimStart().startsWith('# Parameters')) cells.add(e.closest('.cell') || e);
});
return cells.size;
"""
#: Elements of the article whose content is wider than their box (a sideways scroll bar, or content cut off), and
#: elements reaching past the article's right edge.
_CLIPPED_JS = """
const tol = arguments[0];
const article = document.querySelector('article, .bd-article, [role=main], main') || document.body;
const right = article.getBoundingClientRect().right;
const describe = e => {
  const cls = (typeof e.className === 'string' && e.className) ? '.' + e.className.trim().split(/\\s+/).join('.') : '';
  const text = (e.innerText || e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
  return `${e.tagName.toLowerCase()}${cls} (${e.scrollWidth}px in ${e.clientWidth}px): ${text}`;
};
const found = [];
const reported = [];
for (const e of [article, ...article.querySelectorAll('*')]) {
  if (!e.clientWidth || e.closest('details:not([open])')) continue;
  if (reported.some(r => r.contains(e))) continue;  // inside an element already reported: one problem, one line
  const overflow = getComputedStyle(e).overflowX;
  const scrolls = overflow !== 'visible' && e.scrollWidth > e.clientWidth + tol;
  const sticksOut = ['TABLE', 'PRE', 'IMG', 'svg'].includes(e.tagName) && e.getBoundingClientRect().right > right + tol;
  if (scrolls || sticksOut) {
    found.push(describe(e));
    reported.push(e);
  }
}
return found;
"""


@dataclass(frozen=True)
class Problem:
    """One thing a reader would trip over on ``page``.

    Parameters
    ----------
    page
        The page, relative to the site's root (``book/real_data.html``).
    kind
        ``"missing image"``, ``"broken link"``, ``"traceback"``, ``"object repr"``, ``"injected parameters"``,
        ``"log line"`` or ``"clipped"``.
    detail
        The image's source, the link's target, the traceback's last line, the repr or log line, the number of
        injected cells, or the clipped element (tag, classes, widths, its first words).
    """

    page: str
    kind: (
        str  # "missing image", "broken link", "traceback", "object repr", "injected parameters", "log line", "clipped"
    )
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}: {self.detail}"


def find_browser() -> tuple[str, str] | None:
    """Paths of Chromium and chromedriver, or ``None`` when either is missing.

    Returns
    -------
    tuple of (str, str) or None
        ``(chromium, chromedriver)`` as found on ``PATH``; ``None`` when either is missing.
    """
    # Debian's chromium; GitHub's Ubuntu runners ship Google Chrome and a matching chromedriver instead
    chromium = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the check reports problems itself
        pass


def _serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _driver(chromium: str, chromedriver: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    # the flags that keep Chromium quiet on a closed network and working as root in a container
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(chromedriver), options=options)


def pages(folder: Path) -> list[Path]:
    """Every HTML page of the built book, relative to ``folder`` (Sphinx's generated index pages excluded).

    Parameters
    ----------
    folder
        The rendered HTML (``_build/html``).

    Returns
    -------
    list of pathlib.Path
        The pages, sorted; folders starting with ``_`` or ``.`` (static assets, sources) are left out.
    """
    return sorted(
        p.relative_to(folder)
        for p in folder.rglob("*.html")
        if p.name not in SKIPPED and not any(part.startswith(("_", ".")) for part in p.relative_to(folder).parts[:-1])
    )


def _local_target(href: str, base: str) -> tuple[str, str] | None:
    """``(path relative to the site, fragment)`` of a link into the served site, else ``None``."""
    if not href.startswith(base):
        return None
    url, fragment = urldefrag(href)
    return unquote(urlsplit(url).path).lstrip("/"), fragment


def output_problems(page: str, texts) -> list[Problem]:
    """The tracebacks, object reprs and per-task log lines in the text of a page's output cells.

    Parameters
    ----------
    page
        The page, relative to the site's root.
    texts
        The text of each output element.

    Returns
    -------
    list of Problem
        One per traceback (its last line), repr (the matched text) and log line (the line).
    """
    found = []
    for text in texts:
        if any(marker in text for marker in TRACEBACK_MARKERS):
            found.append(Problem(page, "traceback", text.strip().splitlines()[-1][:200]))
            continue
        for pattern in REPR_PATTERNS:
            found += [Problem(page, "object repr", m.group(0)[:120]) for m in pattern.finditer(text)]
        for line in text.splitlines():
            if any(marker in line for marker in LOG_MARKERS):
                found.append(Problem(page, "log line", line.strip()[:200]))
    return found


def check_site(
    folder: str | Path,
    *,
    screenshots: str | Path | None = None,
    browser: tuple[str, str] | None = None,
    progress: bool = True,
) -> list[Problem]:
    """Open every page of the built book in headless Chromium and return the problems found.

    Parameters
    ----------
    folder
        The rendered HTML (``_build/html``).
    screenshots
        Folder for one full-page PNG per page (created); ``None``: no screenshots.
    browser
        ``(chromium, chromedriver)`` paths; ``None``: found on ``PATH``.
    progress
        Print each page as it is checked.

    Returns
    -------
    list of Problem
        Every missing image, broken internal link, rendered traceback, object repr, injected-parameters cell,
        per-task log line and clipped element, sorted; empty when the book is clean.

    Raises
    ------
    FileNotFoundError
        If ``folder`` holds no HTML pages, or Chromium or chromedriver cannot be found.
    """
    folder = Path(folder)
    if not (folder / "index.html").exists() and not any(folder.glob("*.html")):
        raise FileNotFoundError(f"No HTML pages in {folder}: build the book first (make book).")
    browser = browser or find_browser()
    if browser is None:
        raise FileNotFoundError(
            "Chromium and chromedriver are needed (Debian: apt-get install chromium chromium-driver)."
        )
    shots = Path(screenshots) if screenshots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    server, base = _serve(folder)
    driver = _driver(*browser)
    problems: list[Problem] = []
    ids: dict[str, set[str]] = {}
    links: list[tuple[str, str, str]] = []
    try:
        for page in pages(folder):
            name = page.as_posix()
            driver.get(base + name)
            if progress:
                print(f"checking {name}", flush=True)
            ids[name] = set(driver.execute_script(_IDS_JS))
            problems += [Problem(name, "missing image", src) for src in driver.execute_script(_BROKEN_IMAGES_JS)]
            problems += output_problems(name, driver.execute_script(_OUTPUTS_JS))
            injected = driver.execute_script(_INJECTED_JS)
            if injected:
                problems.append(Problem(name, "injected parameters", f"{injected} papermill cell(s) shown"))
            problems += [Problem(name, "clipped", d) for d in driver.execute_script(_CLIPPED_JS, CLIP_TOLERANCE)]
            for href in driver.execute_script(_LINKS_JS):
                target = _local_target(href, base)
                if target:
                    links.append((name, *target))
            if shots:  # a page taller than one window is saved in parts: page.png, page_2.png, …
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(1280, min(max(900, height), SHOT_HEIGHT))
                stem = name.replace("/", "__").removesuffix(".html")
                for part, top in enumerate(range(0, height, SHOT_HEIGHT), start=1):
                    driver.execute_script("window.scrollTo(0, arguments[0]);", top)
                    driver.save_screenshot(str(shots / (f"{stem}_{part}.png" if part > 1 else f"{stem}.png")))
                driver.set_window_size(1280, 900)
    finally:
        driver.quit()
        server.shutdown()
    for page, path, fragment in links:
        path = path or page
        file = folder / path
        if file.is_dir():
            file, path = file / "index.html", f"{path.rstrip('/')}/index.html".lstrip("/")
        if not file.exists():
            problems.append(Problem(page, "broken link", path))
        elif fragment and path in ids and fragment not in ids[path]:
            problems.append(Problem(page, "broken link", f"{path}#{fragment}"))
    return sorted(set(problems), key=str)


def main(argv=None) -> int:
    """Command line: check a built book, print the problems, exit 0 (none), 1 (some) or 2 (no browser).

    Parameters
    ----------
    argv
        The command-line arguments; ``None`` reads :data:`sys.argv`.

    Returns
    -------
    int
        The exit code: 0 when no problem is found, 1 otherwise, 2 when Chromium or chromedriver is missing.
    """
    p = argparse.ArgumentParser(prog="python -m csc_core.harness.browser", description=__doc__.splitlines()[0])
    p.add_argument("html", nargs="?", default="_build/html", help="the rendered book (default: _build/html)")
    p.add_argument("--screenshots", default="_build/screenshots", help="folder for one PNG per page ('' for none)")
    args = p.parse_args(argv)
    if find_browser() is None:
        print("Chromium or chromedriver not found (Debian: apt-get install chromium chromium-driver).", file=sys.stderr)
        return 2
    problems = check_site(args.html, screenshots=args.screenshots or None)
    for problem in problems:
        print(problem, file=sys.stderr)
    n = len(pages(Path(args.html)))
    print(
        f"{n} pages checked in headless Chromium: {len(problems)} problem(s)"
        + (f"; screenshots in {args.screenshots}" if args.screenshots else "")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
