"""The labextension is installed where JupyterLab finds it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]


def test_labextension_list_shows_mlwork_enabled_and_ok() -> None:
    jupyter = Path(sys.executable).parent / "jupyter"
    result = subprocess.run(
        [str(jupyter), "labextension", "list"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    lines = [line for line in text.splitlines() if line.split()[:1] == ["mlwork-jupyter"]]
    assert len(lines) == 1, text
    version = json.loads((REPO / "package.json").read_text())["version"]
    assert lines[0].split()[1:4] == [f"v{version}", "enabled", "OK"], lines[0]
