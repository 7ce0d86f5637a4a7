"""What CI and the publishing workflow run: the browser install step, the workflow's steps, the Makefile targets."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("bash", "mktemp", "tail", "rm", "cat", "chmod", "touch")


def _machine(tmp_path, *, have, apt_works=True):
    """A PATH holding only the tools the step needs, stubs of ``have`` (chromium, chromedriver) and of apt-get."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for tool in TOOLS:
        os.symlink(shutil.which(tool), bin_ / tool)
    (bin_ / "id").write_text("#!/bin/sh\necho 0\n")  # root: no sudo
    for name in have:
        (bin_ / name).write_text("#!/bin/sh\nexit 0\n")
    install = 'for p in chromium chromedriver; do printf "#!/bin/sh\\n" > "$BIN/$p"; chmod +x "$BIN/$p"; done'
    (bin_ / "apt-get").write_text(
        '#!/bin/sh\necho "$@" >> "$BIN/../apt.log"\n'
        + (f'[ "$1" = install ] && {{ {install}; }}\nexit 0\n' if apt_works else 'echo "E: no network"; exit 100\n')
    )
    for f in bin_.iterdir():
        f.chmod(0o755)
    env = {"PATH": str(bin_), "BIN": str(bin_), "HOME": str(tmp_path)}
    return env, tmp_path / "apt.log"


def _browser_step(env):
    return subprocess.run(
        [shutil.which("bash"), str(ROOT / ".ci" / "browser")], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("have", [("chromium",), ()], ids=["chromium-without-chromedriver", "neither"])
def test_browser_step_installs_chromium_and_chromedriver_when_either_is_missing(tmp_path, have):
    env, apt_log = _machine(tmp_path, have=have)
    done = _browser_step(env)
    assert done.returncode == 0, done.stderr
    assert "install -y -qq chromium chromium-driver" in apt_log.read_text()
    assert (tmp_path / "bin" / "chromedriver").exists() and "installed" in done.stdout


def test_browser_step_does_nothing_when_both_are_there(tmp_path):
    env, apt_log = _machine(tmp_path, have=("chromium", "chromedriver"))
    assert _browser_step(env).returncode == 0 and not apt_log.exists()


def test_browser_step_fails_early_naming_what_it_could_not_install(tmp_path):
    env, _ = _machine(tmp_path, have=("chromium",), apt_works=False)
    done = _browser_step(env)
    assert done.returncode == 1
    assert "could not install Chromium and chromedriver" in done.stderr and "E: no network" in done.stderr


def test_ci_runs_the_browser_step_before_anything_else_and_the_readmes_test_command():
    run = (ROOT / ".ci" / "run").read_text()
    assert run.index("bash .ci/browser") < run.index("make install") < run.index("make test")
    assert "make test" in (ROOT / "README.md").read_text()


def test_publishing_workflow_is_valid_and_computes_what_results_lack_before_building():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the bare key `on` as True
    assert "push" in on and set(workflow["jobs"]) == {"build", "deploy"}
    steps = workflow["jobs"]["build"]["steps"]
    assert all("uses" in s or "run" in s for s in steps)
    runs = [s.get("run", "") for s in steps]
    missing = next(i for i, r in enumerate(runs) if r.startswith("make missing"))
    book = next(i for i, r in enumerate(runs) if r.startswith("make book"))
    check = next(i for i, r in enumerate(runs) if r.startswith("make check-book"))
    assert missing < book < check
    assert workflow["jobs"]["deploy"]["needs"] == "build"


def test_make_missing_runs_the_real_data_chapters_with_the_paper_profile():
    # Run under `make test` too: a nested make prints "Entering/Leaving directory" lines unless told not to.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "missing", "VENV=/nonexistent"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.strip().splitlines()
    wanted = "csc_core.harness.book --profile paper --only real_data all_methods --no-html"
    assert any(wanted in line for line in lines), dry.stdout
