"""Environment snapshots: content, caching, refresh, git facts and what stays out of them."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
import xxhash

from mlwork_jupyter.provenance.environment import (
    ENV_ALLOWLIST,
    Snapshot,
    diff,
    imported_modules,
    packages_in_use,
    set_seeds,
    snapshot,
    value_modules,
)
from mlwork_jupyter.provenance.secrets import MASK

if TYPE_CHECKING:
    from pathlib import Path

FIELDS = {
    "python",
    "platform",
    "cpu",
    "memory_bytes",
    "accelerators",
    "cuda",
    "packages",
    "package_origins",
    "env_vars",
    "git",
    "seeds",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.stdout.strip()


@pytest.fixture
def plain_dir(tmp_path: Path) -> Path:
    path = tmp_path / "plain"
    path.mkdir()
    return path


def test_snapshot_has_every_field(plain_dir: Path) -> None:
    snap = snapshot(cwd=plain_dir)
    assert set(snap.data) == FIELDS
    assert len(snap.hash) == 32
    int(snap.hash, 16)
    data = snap.data
    assert data["python"]["version"] == platform.python_version()
    assert data["python"]["executable"] == sys.executable
    assert data["platform"]["os"] == platform.system()
    assert data["cpu"]["logical_cores"] == os.cpu_count()
    assert data["memory_bytes"] is None or data["memory_bytes"] > 0
    assert isinstance(data["accelerators"], list)
    assert data["packages"]["pytest"] == importlib.metadata.version("pytest")
    assert data["packages"]["detect-secrets"] == "1.5.0"
    assert set(data["env_vars"]) <= set(ENV_ALLOWLIST)
    assert data["git"] is None
    json.dumps(data, allow_nan=False)


def test_hash_is_xxh3_of_the_canonical_json(plain_dir: Path) -> None:
    snap = snapshot(cwd=plain_dir)
    canonical = json.dumps(snap.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert snap.hash == xxhash.xxh3_128_hexdigest(canonical.encode())


def test_the_cached_snapshot_is_returned_while_nothing_changes(plain_dir: Path) -> None:
    first = snapshot(cwd=plain_dir)
    assert snapshot(cwd=plain_dir) is first
    assert snapshot(cwd=str(plain_dir)).hash == first.hash


def test_set_seeds_refreshes_the_snapshot(plain_dir: Path) -> None:
    before = snapshot(cwd=plain_dir)
    set_seeds(test_refresh=1234)
    after = snapshot(cwd=plain_dir)
    assert after is not before
    assert after.hash != before.hash
    assert after.data["seeds"]["test_refresh"] == 1234
    assert ("seeds.test_refresh", None, 1234) in diff(before.data, after.data)
    set_seeds(test_refresh=1234)
    assert snapshot(cwd=plain_dir) is after
    with pytest.raises(TypeError, match="'bad' must be an int"):
        set_seeds(bad="7")  # type: ignore[arg-type]


def test_allow_listed_variables_are_recorded(
    plain_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(cwd=plain_dir)
    monkeypatch.setenv("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    monkeypatch.setenv("MY_UNLISTED_SETTING", "not-recorded-value")
    after = snapshot(cwd=plain_dir)
    assert after.data["env_vars"]["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    assert after.hash != before.hash
    assert "not-recorded-value" not in json.dumps(after.data)


def test_secret_variables_never_enter_the_snapshot(
    plain_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "tok-Zq81-never-recorded"
    monkeypatch.setenv("MY_API_TOKEN", secret)
    # Even when it leaks into an allow-listed variable, its value is masked there.
    monkeypatch.setenv("XLA_FLAGS", f"--xla_dump_to=/tmp/{secret}")
    data = snapshot(cwd=plain_dir).data
    dumped = json.dumps(data)
    assert secret not in dumped
    assert "MY_API_TOKEN" not in dumped
    assert data["env_vars"]["XLA_FLAGS"] == f"--xla_dump_to=/tmp/{MASK}"


def test_installing_a_package_refreshes_the_snapshot(
    tmp_path: Path, plain_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site-packages"
    (site / "mlwork_fake_one-1.2.3.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(site))
    assert snapshot(cwd=plain_dir).data["packages"]["mlwork-fake-one"] == "1.2.3"
    before = snapshot(cwd=plain_dir)
    info = site / "mlwork_fake_two-0.1.dist-info"
    info.mkdir()
    (info / "direct_url.json").write_text(
        json.dumps({"url": "file:///src/two", "dir_info": {"editable": True}})
    )
    # Timestamps can be coarser than two quick mkdirs; an install takes longer than that.
    stamp = site.stat().st_mtime_ns + 1_000_000
    os.utime(site, ns=(stamp, stamp))
    after = snapshot(cwd=plain_dir)
    assert after is not before
    assert after.data["packages"]["mlwork-fake-two"] == "0.1"
    assert after.data["package_origins"]["mlwork-fake-two"] == "editable:/src/two"


def test_git_facts_of_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "train.py").write_text("print('v1')\n")
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "first")
    git(repo, "remote", "add", "origin", "https://user:pw-Xq9z@git.example.com/team/x.git")
    git(repo, "remote", "add", "mirror", "git@github.com:team/x.git")
    monkeypatch.chdir(repo)

    clean = snapshot().data["git"]
    assert clean == {
        "root": str(repo.resolve()),
        "commit": git(repo, "rev-parse", "HEAD"),
        "branch": "main",
        "dirty": False,
        "diff_hash": None,
        "remotes": {
            "mirror": "git@github.com:team/x.git",
            "origin": "https://git.example.com/team/x.git",
        },
    }

    (repo / "train.py").write_text("print('v2')\n")
    git(repo, "add", "train.py")  # the index changes: the snapshot notices at once
    dirty = snapshot().data["git"]
    assert dirty["dirty"] is True
    assert dirty["diff_hash"] is not None
    assert dirty["commit"] == clean["commit"]

    git(repo, "commit", "-q", "-m", "second")
    committed = snapshot().data["git"]
    assert committed["dirty"] is False
    assert committed["commit"] == git(repo, "rev-parse", "HEAD") != clean["commit"]
    assert "pw-Xq9z" not in json.dumps(snapshot().data)


def test_an_unsaved_edit_shows_as_dirty(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "src" / "model.py").write_text("units = 8\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    (repo / "src" / "model.py").write_text("units = 16\n")
    info = snapshot(cwd=repo / "src").data["git"]
    assert info["root"] == str(repo.resolve())
    assert info["dirty"] is True


def test_no_repository_and_missing_directories_give_no_git(tmp_path: Path) -> None:
    assert snapshot(cwd=tmp_path / "does-not-exist").data["git"] is None


def test_packages_in_use_follows_the_imports() -> None:
    import numpy as np

    snap = snapshot()
    in_use = packages_in_use(snap)
    assert in_use["numpy"] == np.__version__
    assert in_use["pytest"] == snap.data["packages"]["pytest"]
    assert "ruff" in snap.data["packages"]
    assert "ruff" not in in_use  # installed, never imported
    assert all(snap.data["packages"][name] == v for name, v in in_use.items())


def test_packages_in_use_of_a_cell_are_what_it_imports_and_touches() -> None:
    import pandas as pd

    code = (
        "import json, os.path\n"
        "import pandas as pd\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from . import local\n"
        "def f():\n    import xxhash\n"
    )
    assert imported_modules(code) == {"json", "os", "pandas", "sklearn", "xxhash"}
    assert imported_modules("!pip install x") == frozenset()  # IPython syntax: nothing known
    touched = value_modules([pd.Series([1.0]).to_numpy(), pd, pd.DataFrame, print, object()])
    assert touched == {"numpy", "pandas", "builtins"}
    snap = snapshot()
    in_use = packages_in_use(snap, imported_modules(code) | touched)
    assert set(in_use) == {"numpy", "pandas", "scikit-learn", "xxhash"}  # no stdlib, no pytest
    assert in_use["pandas"] == snap.data["packages"]["pandas"]


def test_diff_lists_changed_added_and_removed_leaves() -> None:
    a = {"packages": {"numpy": "2.3.0", "old": "1"}, "git": None, "seeds": {}, "cpu": {"n": 2}}
    b = {"packages": {"numpy": "2.4.6", "new": "2"}, "git": {"dirty": True}, "seeds": {}}
    assert diff(a, b) == [
        ("cpu", {"n": 2}, None),
        ("git", None, {"dirty": True}),
        ("packages.new", None, "2"),
        ("packages.numpy", "2.3.0", "2.4.6"),
        ("packages.old", "1", None),
    ]
    assert diff(b, b) == []


def test_snapshot_is_frozen(plain_dir: Path) -> None:
    snap = snapshot(cwd=plain_dir)
    assert isinstance(snap, Snapshot)
    with pytest.raises(AttributeError):
        snap.hash = "0"  # type: ignore[misc]


def test_importing_and_snapshotting_loads_neither_ipython_nor_tensorflow() -> None:
    code = (
        "import sys\n"
        "import mlwork_jupyter.provenance\n"
        "from mlwork_jupyter.provenance import environment, secrets\n"
        "heavy = ('IPython', 'tensorflow', 'keras', 'detect_secrets')\n"
        "assert not [m for m in heavy if m in sys.modules], sys.modules.keys() & set(heavy)\n"
        "snap = environment.snapshot()\n"
        "environment.packages_in_use(snap)\n"
        "assert 'IPython' not in sys.modules and 'tensorflow' not in sys.modules\n"
        "assert snap.data['cuda'] is None\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.tensorflow
def test_tensorflow_build_info_once_the_user_imported_tensorflow() -> None:
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("tensorflow is not installed (the [tensorflow] extra)")
    code = (
        "import json\n"
        "from mlwork_jupyter.provenance import environment\n"
        "before = environment.snapshot()\n"
        "import tensorflow as tf\n"
        "after = environment.snapshot()\n"
        "assert after is not before and before.data['cuda'] is None\n"
        "print(json.dumps(after.data['cuda']))\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    cuda = json.loads(done.stdout.strip().splitlines()[-1])
    assert cuda["tensorflow"] == importlib.metadata.version("tensorflow")
    assert set(cuda) == {"tensorflow", "is_cuda_build", "cuda_version", "cudnn_version"}
