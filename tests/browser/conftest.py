"""Fixtures for the browser tier: a real JupyterLab server and Debian's Chromium."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from nbformat.sign import NotebookNotary

from .lab_support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    UI_TIMEOUT_MS,
    Lab,
    LabPage,
    free_port,
    wait_for_server,
    write_settings,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from playwright.sync_api import Browser


@contextlib.contextmanager
def _lab_server(base: Path, disabled: tuple[str, ...] = ()) -> Iterator[Lab]:
    """Start `jupyter lab` from this venv on a free local port with throw-away config.

    `disabled` names JupyterLab plugins to turn off (as a user's page_config.json would).
    """
    root = base / "root"
    root.mkdir()
    write_settings(base / "settings")
    if disabled:
        labconfig = base / "config" / "labconfig"
        labconfig.mkdir(parents=True)
        (labconfig / "page_config.json").write_text(
            json.dumps({"disabledExtensions": dict.fromkeys(disabled, True)})
        )
    token = secrets.token_hex(16)
    port = free_port()
    env = dict(os.environ)
    # Fresh config, runtime and user state; JUPYTER_DATA_DIR and sys.prefix stay as they are so
    # the installed labextension and kernelspec are found.
    env.update(
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        IPYTHONDIR=str(base / "ipython"),
        KERAS_HOME=str(base / "keras"),
    )
    notary_dir = base / "notary"
    notary_dir.mkdir()
    log = base / "lab.log"
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--ServerApp.open_browser=False",
        "--allow-root",
        "--FileContentsManager.delete_to_trash=False",
        f"--ServerApp.root_dir={root}",
        f"--NotebookNotary.data_dir={notary_dir}",
        "--LabApp.expose_app_in_browser=True",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_server(proc, url, token, log)
        yield Lab(url=url, token=token, root=root, notary=NotebookNotary(data_dir=str(notary_dir)))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A JupyterLab server for the whole session, with our labextension as installed."""
    with _lab_server(tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(scope="module")
def lab_without_forms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A JupyterLab server whose mlwork forms plugin is disabled (as in a front end without it)."""
    with _lab_server(tmp_path_factory.mktemp("lab-noforms"), ("mlwork-jupyter:forms",)) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Python playwright."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def lab_page(lab: Lab, browser: Browser) -> Iterator[LabPage]:
    """A fresh browser context on the Lab server; JavaScript dialogs are recorded and dismissed."""
    with _page(lab, browser) as page:
        yield page


@pytest.fixture
def lab_page_without_forms(lab_without_forms: Lab, browser: Browser) -> Iterator[LabPage]:
    """A fresh browser context on the Lab server whose forms plugin is disabled."""
    with _page(lab_without_forms, browser) as page:
        yield page


@contextlib.contextmanager
def _page(lab: Lab, browser: Browser) -> Iterator[LabPage]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield LabPage(page=page, lab=lab, dialogs=dialogs)
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where screenshots go (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
