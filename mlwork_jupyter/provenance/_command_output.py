"""Run a fixed external command (git, nvidia-smi, sysctl) and read its output, never failing."""

from __future__ import annotations

import os
import subprocess
from typing import Final

_COMMAND_ENV: Final = {
    # A read-only `git status` must not rewrite the index: that would look like a change.
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}


def run_command(argv: list[str], cwd: str | None, timeout: float) -> str | None:
    """Run a fixed command; its stdout, or None on any failure (missing, error, timeout)."""
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            capture_output=True,
            timeout=timeout,
            check=False,
            env={**os.environ, **_COMMAND_ENV},
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "surrogateescape")
