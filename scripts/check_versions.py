"""Fail when the Python and JavaScript package versions disagree (package.json is the source)."""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """Compare the installed distribution's version with package.json's."""
    js = json.loads((ROOT / "package.json").read_text())["version"]
    py = version("mlwork-jupyter")
    if js != py:
        print(f"version mismatch: package.json {js}, installed Python package {py}; reinstall")
        return 1
    widget = (ROOT / "labextension" / "src" / "version.ts").read_text()
    if f"MODULE_VERSION = '{js}'" not in widget:
        print(f"version mismatch: labextension/src/version.ts must say MODULE_VERSION = '{js}'")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
