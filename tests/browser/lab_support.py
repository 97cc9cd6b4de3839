"""Helpers of the browser tier: the Lab server handle, notebooks with record outputs, pages."""

from __future__ import annotations

import contextlib
import json
import math
import socket
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
import pytest

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator

    from nbformat.sign import NotebookNotary
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
RECORD_MIME = "application/vnd.mlwork.record.v1+json"
PANEL_MIME = "application/vnd.mlwork.panel.v1+json"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SERVER_START_S = 120.0
# A page action on a loaded 2-core machine can take a while; these are limits, not sleeps.
UI_TIMEOUT_MS = 60_000
KERNEL_TIMEOUT_MS = 120_000


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab server."""

    url: str
    token: str
    root: Path
    notary: NotebookNotary

    def workspace_url(self, path: str) -> str:
        """URL opening `path` in a fresh workspace, so tests do not restore each other's tabs."""
        return f"{self.url}lab/workspaces/t{uuid.uuid4().hex[:12]}/tree/{path}?token={self.token}"

    def write_notebook(
        self, name: str, cells: list[nbformat.NotebookNode], *, trusted: bool = False
    ) -> str:
        """Write a notebook with a python3 kernelspec into the server root."""
        nb = nbformat.v4.new_notebook(
            cells=cells,
            metadata={
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                "language_info": {"name": "python"},
            },
        )
        nbformat.validate(nb)
        if trusted:
            self.notary.sign(nb)
        nbformat.write(nb, self.root / name)
        return name


def record_output(payload: Any, html: str = "<b>fallback</b>") -> nbformat.NotebookNode:
    """A saved display_data output carrying an mlwork record bundle."""
    return nbformat.v4.new_output(
        "display_data",
        data={RECORD_MIME: payload, "text/html": html, "text/plain": "mlwork record"},
    )


def record_cell(*payloads: Any, source: str = "%%mlwork data\npass") -> nbformat.NotebookNode:
    """A code cell whose saved outputs are record bundles (never executed by the tests)."""
    cell = nbformat.v4.new_code_cell(source, outputs=[record_output(p) for p in payloads])
    cell.execution_count = 1
    return cell


def sample_record(**changes: Any) -> dict[str, Any]:
    """A complete, valid version 1 record (docs/records.md)."""
    record: dict[str, Any] = {
        "version": 1,
        "id": "01JDQ3Z8N4X7K2M9P5R6S8T0VW",
        "parent": None,
        "stage": "train",
        "name": "digits-mlp",
        "status": "ok",
        "started": "2026-11-25T10:00:00.123456+00:00",
        "duration_s": 12.345,
        "notebook": "01_digits.ipynb",
        "cell_id": "a1b2c3",
        "code_hash": "5f0c3a9e1b2d4c6f8a0b1c2d3e4f5a6b",
        "error": None,
        "environment": {
            "hash": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
            "python": "3.11.7",
            "platform": "Linux-6.1-x86_64",
            "packages": {"keras": "3.12.0", "numpy": "2.4.6", "tensorflow": "2.21.0"},
        },
        "inputs": [
            {
                "kind": "array",
                "name": "x_train",
                "fingerprint": "0123456789abcdef0123456789abcdef",
                "method": "full",
                "shape": [1437, 64],
                "schema": None,
                "size": 735744,
            }
        ],
        "outputs": [
            {
                "kind": "file",
                "name": "models/digits.keras",
                "fingerprint": "fedcba9876543210fedcba9876543210",
                "method": "full",
                "shape": None,
                "schema": None,
                "size": 123456,
            }
        ],
        "params": {"learning_rate": 0.001, "optimizer": "adam", "epochs": 20},
        "metrics": {"accuracy": 0.9667, "loss": 0.1234, "val_accuracy": 0.9583},
        "artifacts": [
            {
                "name": "model.keras",
                "digest": "5f0c3a9e1b2d4c6f8a0b1c2d3e4f5a6b",
                "size": 123456,
                "path": ".mlwork/artifacts/5f/5f0c3a9e1b2d4c6f8a0b1c2d3e4f5a6b",
            }
        ],
        "device": "CPU (default strategy)",
        "warnings": [],
    }
    record.update(changes)
    return record


def panel_bundle(
    *, epochs: int = 20, steps: int = 36, done: int | None = None, **changes: Any
) -> dict[str, Any]:
    """A live panel's bundle as the kernel's `Panel` builds it, after `done` of `epochs` epochs.

    Metrics follow smooth deterministic curves (loss falls, accuracy rises, validation a little
    worse); per-batch loss is reported four times an epoch. `changes` replace payload fields.
    """
    from mlwork_jupyter.display.panel import Panel

    now = [0.0]
    panel = Panel(lambda bundle, update: None, title="digits-mlp", clock=lambda: now[0])
    done = epochs if done is None else done
    for epoch in range(1, done + 1):
        for quarter in range(4):
            t = epoch - 1 + quarter / 4
            step = (epoch - 1) * steps + (quarter + 1) * steps // 4
            panel.metrics({"loss": 2.3 * math.exp(-t / 4) + 0.05}, step=step, kind="batch")
        panel.metrics(
            {
                "loss": 2.3 * math.exp(-epoch / 4) + 0.04,
                "accuracy": 1 - 0.9 * math.exp(-epoch / 3),
                "val_loss": 2.3 * math.exp(-epoch / 4) + 0.12 + 0.002 * epoch,
                "val_accuracy": 0.97 - 0.87 * math.exp(-epoch / 3),
            },
            step=epoch,
        )
        now[0] += 0.25
        panel.progress(
            epoch=epoch, epochs=epochs, step=steps, steps=steps, eta_s=0.25 * (epochs - epoch)
        )
    if done == epochs:
        panel.close("ok")
    bundle = panel.bundle()
    bundle[PANEL_MIME].update(changes)
    return bundle


def panel_cell(
    *bundles: dict[str, Any], source: str = "%%mlwork train\npass"
) -> nbformat.NotebookNode:
    """A code cell whose saved outputs are the given display bundles (never executed)."""
    outputs = [nbformat.v4.new_output("display_data", data=bundle) for bundle in bundles]
    cell = nbformat.v4.new_code_cell(source, outputs=outputs)
    cell.execution_count = 1
    return cell


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_settings(settings: Path) -> None:
    """Lab settings that keep the page quiet: no news or update toasts."""
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )


def wait_for_server(proc: subprocess.Popen[bytes], url: str, token: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    request = urllib.request.Request(
        f"{url}api/status", headers={"Authorization": f"token {token}"}
    )
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        # Polling interval of the readiness probe, not a wait for the condition itself.
        time.sleep(0.2)
    pytest.fail(
        f"jupyter lab did not answer {url}api/status in {SERVER_START_S} s:\n{log.read_text()}"
    )


@contextlib.contextmanager
def running_lab(base: Path) -> Iterator[tuple[str, str, Path]]:
    """Run a throw-away JupyterLab for a benchmark; yield its URL, token and root folder."""
    import os
    import secrets
    import subprocess
    import sys

    root = base / "root"
    root.mkdir()
    write_settings(base / "settings")
    token, port = secrets.token_hex(16), free_port()
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        KERAS_HOME=str(base / "keras"),
    )
    argv = [
        sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
        "--allow-root", f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    log = base / "lab.log"
    with log.open("wb") as out:
        lab = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_server(lab, url, token, log)
        yield url, token, root
    finally:
        lab.terminate()
        lab.wait(timeout=20)


@dataclass
class LabPage:
    """A browser page on the Lab server, with the JavaScript dialogs it saw."""

    page: Page
    lab: Lab
    dialogs: list[str]

    def open_notebook(self, name: str) -> None:
        """Open a notebook in a fresh workspace and wait until its cells are shown."""
        self.page.goto(self.lab.workspace_url(name))
        self.page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=UI_TIMEOUT_MS)

    def wait_for_kernel_idle(self) -> None:
        """Wait until the notebook's kernel reports idle."""
        self.page.locator(
            ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']"
        ).first.wait_for(state="attached", timeout=KERNEL_TIMEOUT_MS)

    def wait_for_kernel_ready(self) -> None:
        """Wait until the kernel is idle and has answered `kernel_info` (commands then run)."""
        self.wait_for_kernel_idle()
        self.page.evaluate(
            """async () => {
                const panel = window.jupyterapp.shell.currentWidget;
                await panel.sessionContext.ready;
                await panel.sessionContext.session.kernel.info;
            }"""
        )

    def save_and_shutdown(self) -> None:
        """Save the current notebook, wait until it is saved, then shut its kernel down."""
        self.execute("docmanager:save")
        self.page.wait_for_function(
            """async () => {
                const panel = window.jupyterapp.shell.currentWidget;
                if (panel.context.model.dirty) return false;
                await panel.sessionContext.shutdown();
                return true;
            }""",
            timeout=KERNEL_TIMEOUT_MS,
        )

    def execute(self, command: str, args: dict[str, Any] | None = None) -> None:
        """Run a JupyterLab command through the app exposed in the page."""
        self.page.evaluate(
            "([id, args]) => window.jupyterapp.commands.execute(id, args)", [command, args or {}]
        )
