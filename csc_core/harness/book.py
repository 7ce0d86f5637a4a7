"""Build the book: execute each jupytext chapter with papermill, then render the executed copies with Jupyter Book.

Sources (``book/**/*.py``, percent format) are never executed in place: each run writes its executed notebook into
``_build/source/`` beside copies of ``_config.yml``, ``_toc.yml`` and the markdown pages, and Jupyter Book 1.x renders
that folder (``execute_notebooks: "off"``) to ``_build/html``. A chapter that fails stops the build before anything
is rendered, with papermill's message naming the failing cell.

    python -m csc_core.harness.book [--profile quick|paper] [--only real_data] [-p name value ...] [--no-html]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from .chapter import find_root

SOURCE_SUFFIXES = {".md", ".bib", ".png", ".svg", ".jpg", ".ipynb", ".css"}
#: Tags added to the executed notebook's cells (by their papermill tag) so the page shows what readers need: the cell
#: papermill injects is removed, the ``parameters`` cell folded (a click shows it).
RENDER_TAGS = {"injected-parameters": "remove-cell", "parameters": "hide-input"}
#: Warnings about the machine running the chapters, not about their results, that executed chapters do not print
#: (``PYTHONWARNINGS`` syntax): tqdm's note that Jupyter widgets are not installed (pooch imports ``tqdm.auto``).
KERNEL_WARNINGS_IGNORED = ("ignore:IProgress not found",)


def toc_files(root: Path) -> list[str]:
    """Every ``file:`` entry of ``_toc.yml`` (``root`` included), in order, without extensions.

    Parameters
    ----------
    root
        The repository root holding ``_toc.yml``.

    Returns
    -------
    list of str
        The table of contents' entries, in reading order.
    """
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    found.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return found


def chapters(root: Path) -> list[Path]:
    """The jupytext chapters listed in the table of contents.

    Parameters
    ----------
    root
        The repository root holding ``_toc.yml``.

    Returns
    -------
    list of pathlib.Path
        The ``.py`` sources of the entries that have one, in reading order (markdown pages are left out).
    """
    return [root / f"{entry}.py" for entry in toc_files(root) if (root / f"{entry}.py").exists()]


def execute(source: Path, output: Path, *, parameters: dict | None = None, timeout: int = 4 * 3600) -> Path:
    """Run a jupytext chapter with papermill and write the executed ``.ipynb`` atomically to ``output``.

    The notebook is executed into a hidden ``.partial.ipynb`` beside ``output`` and moved into place only when every
    cell succeeded, so ``output`` always holds a complete run. Its papermill cells are tagged for rendering
    (:func:`tag_for_rendering`): the injected parameters removed, the ``parameters`` cell folded. The kernel runs
    with :data:`KERNEL_WARNINGS_IGNORED` added to ``PYTHONWARNINGS``.

    Parameters
    ----------
    source
        The chapter's jupytext (percent-format) source; it is executed with its own folder as working directory.
    output
        Where the executed notebook goes.
    parameters
        Papermill parameters injected after the chapter's ``parameters`` cell.
    timeout
        Per-cell execution timeout, in seconds.

    Returns
    -------
    pathlib.Path
        ``output``.

    Raises
    ------
    RuntimeError
        If a cell fails; the message names the cell and where the partly executed notebook is.
    """
    import jupytext
    import papermill

    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.stem}.partial.ipynb")
    previous = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [previous, *KERNEL_WARNINGS_IGNORED]))  # the kernel's
    try:
        papermill.execute_notebook(
            nb,
            str(partial),
            parameters=parameters or {},
            kernel_name="python3",
            cwd=str(source.parent),
            progress_bar=False,
            execution_timeout=timeout,
            report_mode=False,
        )
    except papermill.PapermillExecutionError as err:
        raise RuntimeError(
            f"Chapter {source} failed in cell {err.exec_count} ({err.ename}: {err.evalue}). "
            f"The partly executed notebook is at {partial}; nothing was rendered."
        ) from err
    finally:
        if previous is None:
            os.environ.pop("PYTHONWARNINGS", None)
        else:
            os.environ["PYTHONWARNINGS"] = previous
    tag_for_rendering(partial)
    os.replace(partial, output)
    return output


def tag_for_rendering(notebook: Path) -> None:
    """Add :data:`RENDER_TAGS` to an executed notebook's cells, in place: no papermill cell on the rendered page.

    Parameters
    ----------
    notebook
        An executed ``.ipynb``.
    """
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        for papermill_tag, render_tag in RENDER_TAGS.items():
            if papermill_tag in tags and render_tag not in tags:
                tags.append(render_tag)
    nbformat.write(nb, notebook)


def stage(root: Path, staging: Path) -> None:
    """Copy the book's configuration and non-notebook pages into ``staging`` (executed chapters go beside them).

    Parameters
    ----------
    root
        The repository root holding ``_config.yml``, ``_toc.yml`` and ``book/``.
    staging
        The folder Jupyter Book renders; created when missing.
    """
    staging.mkdir(parents=True, exist_ok=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(root / name, staging / name)
    for path in (root / "book").rglob("*"):
        if path.is_file() and path.suffix in SOURCE_SUFFIXES and ".ipynb_checkpoints" not in path.parts:
            target = staging / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def build(
    root: str | os.PathLike = ".",
    *,
    profile: str = "quick",
    parameters: dict | None = None,
    only: list[str] | None = None,
    html: bool = True,
) -> Path:
    """Execute every chapter (or those named in ``only``) and render the HTML; return ``_build/html``.

    Parameters
    ----------
    root
        The repository root, or any folder inside it.
    profile
        The chapters' ``profile`` parameter (``"quick"`` or ``"paper"``).
    parameters
        Further papermill parameters passed to every chapter.
    only
        Chapter names (file stems) to execute; the others keep their last executed copy.
    html
        Render the HTML after executing; with ``False`` the chapters are only executed.

    Returns
    -------
    pathlib.Path
        The rendered book's folder, ``_build/html``.

    Raises
    ------
    RuntimeError
        If a chapter fails, if ``html`` is requested while some chapter has never been executed, or if the rendered
        text refers to a glued value it cannot show (:func:`glue_problems`).
    """
    root = find_root(root)
    staging = root / "_build" / "source"
    stage(root, staging)
    for source in chapters(root):
        if only and source.stem not in only:
            continue
        t0 = time.perf_counter()
        print(f"[book] executing {source.relative_to(root)} (profile={profile}) …", flush=True)
        execute(
            source,
            staging / source.relative_to(root).with_suffix(".ipynb"),
            parameters={"profile": profile, **(parameters or {})},
        )
        print(f"[book] {source.stem}: {time.perf_counter() - t0:.0f} s", flush=True)
    missing = [s for s in chapters(root) if not (staging / s.relative_to(root).with_suffix(".ipynb")).exists()]
    if missing and html:
        raise RuntimeError(f"Not executed yet: {', '.join(str(m) for m in missing)} (run without --only first).")
    if html:
        cmd = [
            sys.executable,
            "-c",
            "from jupyter_book.cli.main import main; main()",
            "build",
            str(staging),
            "--path-output",
            str(root),
        ]
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(done.stdout, end="", flush=True)
        if done.returncode:
            raise subprocess.CalledProcessError(done.returncode, cmd, done.stdout)
        unglued = glue_problems(done.stdout)
        if unglued:
            raise RuntimeError(
                f"{len(unglued)} number(s) in the chapters' text could not be filled in (MyST-NB glue):\n"
                + "\n".join(unglued)
            )
    return root / "_build" / "html"


def glue_problems(log: str) -> list[str]:
    """The lines of a Jupyter Book log where text refers to a glued value it could not show.

    A key missing from the executed notebook, or a value its format cannot read (``{glue:text}`x:.3f``` of
    ``"np.float64(0.5)"``), leaves a hole in a sentence; Sphinx only warns about it.

    Parameters
    ----------
    log
        The output of ``jupyter-book build``.

    Returns
    -------
    list of str
        The warnings tagged ``[mystnb.glue]``, colour codes removed.
    """
    import re

    plain = re.sub(r"\x1b\[[0-9;]*m", "", log)
    return [line.strip() for line in plain.splitlines() if "[mystnb.glue]" in line]


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main(argv=None) -> None:
    """Command-line entry point: ``python -m csc_core.harness.book``.

    Parameters
    ----------
    argv
        The command-line arguments; ``None`` reads :data:`sys.argv`.
    """
    p = argparse.ArgumentParser(prog="python -m csc_core.harness.book", description=__doc__.splitlines()[0])
    p.add_argument("--profile", default=os.environ.get("PROFILE", "quick"), help="quick (default) or paper")
    p.add_argument("--only", nargs="+", help="chapter names (file stems) to execute; others keep their last run")
    p.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="extra papermill parameter (VALUE parsed as JSON when possible)",
    )
    p.add_argument("--no-html", action="store_true", help="execute only, do not render")
    args = p.parse_args(argv)
    params = {name: _parse_value(value) for name, value in args.parameter}
    out = build(profile=args.profile, parameters=params, only=args.only, html=not args.no_html)
    print(f"[book] done: {out / 'index.html'}" if not args.no_html else "[book] executed")


if __name__ == "__main__":
    main()
