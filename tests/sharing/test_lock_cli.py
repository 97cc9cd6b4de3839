import json
import subprocess
import sys

import pytest
from packaging.requirements import Requirement

from mlwork_jupyter.cli import main

pytestmark = pytest.mark.kernel

_SMALL = ("six", "packaging", "certifi", "idna", "pytz", "tzdata")


def _requirement_lines(text):
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_lock_pins_every_recorded_package_in_pips_format(iris, tmp_path, capsys):
    target = tmp_path / "requirements.txt"
    assert main(["lock", str(iris), "-o", str(target)]) == 0
    assert "pins to" in capsys.readouterr().out
    text = target.read_text()
    lines = _requirement_lines(text)
    parsed = [Requirement(line.split("  #")[0]) for line in lines]
    assert all(len(r.specifier) == 1 for r in parsed)
    assert all(next(iter(r.specifier)).operator in {"==", "==="} for r in parsed)
    names = {r.name for r in parsed}
    assert {"scikit-learn", "pandas", "numpy", "ipykernel"} <= names
    # The project itself is an editable install here: pip cannot reproduce it from the file.
    assert "mlwork-jupyter" not in names
    assert "# mlwork-jupyter==" in text
    assert "editable install of" in text


def test_pip_accepts_the_lock_in_a_dry_run_without_the_network(iris, tmp_path, capsys):
    target = tmp_path / "requirements.txt"
    assert main(["lock", str(iris), "-o", str(target)]) == 0
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-index",
         "--disable-pip-version-check", "-r", str(target)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Would install" not in done.stdout  # every pin is what is installed here


def test_pip_resolves_a_few_pins_from_the_configured_index(iris, tmp_path, capsys):
    assert main(["lock", str(iris), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)["requirements"]
    few = [e["line"] for e in entries if e["name"] in _SMALL and e["line"]][:3]
    assert few
    target = tmp_path / "few.txt"
    target.write_text("\n".join(few) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--ignore-installed",
         "--disable-pip-version-check", "-r", str(target)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    if done.returncode != 0 and "NewConnectionError" in done.stdout + done.stderr:
        pytest.skip("no package index reachable from here")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Would install" in done.stdout


def test_lock_prints_to_stdout_by_default(iris, capsys):
    assert main(["lock", str(iris)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Exact pins of the environment recorded in")
    assert "scikit-learn==" in out
