import math
import subprocess
import sys

import pytest

from mlwork_jupyter.sharing.drift import (
    compare_accelerators,
    compare_cuda,
    compare_git,
    compare_packages,
    compare_platform,
    compare_python,
)
from mlwork_jupyter.sharing.lock import lock_entries
from mlwork_jupyter.sharing.tolerance import Tolerance, parse_tol
from mlwork_jupyter.sharing.verify import requirements_closure, tensorflow_build_info


def _by_name(diffs):
    return {d.name: (d.severity, d.recorded, d.present) for d in diffs}


def test_python_minor_versions_are_major_patches_minor():
    assert _by_name(compare_python({"version": "3.11.7"}, {"version": "3.12.0"})) == {
        "version": ("major", "3.11.7", "3.12.0")
    }
    assert _by_name(compare_python({"version": "3.11.7"}, {"version": "3.11.9"})) == {
        "version": ("minor", "3.11.7", "3.11.9")
    }
    assert compare_python({"version": "3.11.7"}, {"version": "3.11.7"}) == []


def test_packages_are_graded_by_how_much_they_matter():
    used = {"pandas": "3.1.1", "scikit-learn": "1.9.1"}
    recorded = {**used, "numpy": "2.4.6", "joblib": "1.5", "rich": "14.0"}
    present = {"pandas": "3.1.1", "numpy": "2.4.7", "rich": "14.1", "threadpoolctl": "3.6"}
    diffs = _by_name(
        compare_packages(used, recorded, present, {"numpy", "joblib", "threadpoolctl"})
    )
    assert diffs == {
        "scikit-learn": ("major", "1.9.1", None),
        "numpy": ("minor", "2.4.6", "2.4.7"),
        "joblib": ("minor", "1.5", None),
        "threadpoolctl": ("minor", None, "3.6"),
        "rich": ("info", "14.0", "14.1"),
    }


def test_without_a_full_list_only_imported_packages_are_compared():
    diffs = compare_packages({"pandas": "3.0"}, None, {"pandas": "3.1", "x": "1"}, set())
    assert _by_name(diffs) == {"pandas": ("major", "3.0", "3.1")}


def test_platform_git_gpus_and_cuda():
    assert _by_name(compare_platform("Linux-6.1-x86_64", {"platform": "Linux-6.2-x86_64"})) == {
        "platform": ("info", "Linux-6.1-x86_64", "Linux-6.2-x86_64")
    }
    assert (
        compare_platform(
            {"os": "Linux", "machine": "x86_64"}, {"os": "Darwin", "machine": "x86_64"}
        )[0].severity
        == "minor"
    )
    git = {"root": "/r", "commit": "a" * 40, "dirty": False, "diff_hash": None}
    assert compare_git(git, dict(git), dirty_beyond_notebook=None) == []
    moved = compare_git(git, {**git, "commit": "b" * 40}, dirty_beyond_notebook=None)
    assert _by_name(moved) == {"commit": ("minor", "a" * 40, "b" * 40)}
    # Running and saving the notebook dirties it: that alone is no drift.
    assert (
        compare_git(git, {**git, "dirty": True, "diff_hash": "x"}, dirty_beyond_notebook=False)
        == []
    )
    dirty = compare_git(git, {**git, "dirty": True, "diff_hash": "x"}, dirty_beyond_notebook=True)
    assert _by_name(dirty)["dirty"][0] == "minor"
    gpu = {"source": "nvidia-smi", "name": "NVIDIA H100", "driver": "550"}
    assert compare_accelerators([gpu], [gpu]) == []
    assert _by_name(compare_accelerators([gpu], [])) == {
        "devices": ("major", "NVIDIA H100", "none")
    }
    assert _by_name(compare_accelerators([gpu], [{**gpu, "driver": "560"}]))["driver"][0] == "minor"
    cuda = {"is_cuda_build": True, "cuda_version": "12.5.1", "cudnn_version": "9"}
    assert compare_cuda(cuda, dict(cuda)) == []
    assert compare_cuda(None, cuda) == []
    assert _by_name(compare_cuda(cuda, {**cuda, "cudnn_version": "8"})) == {
        "cudnn_version": ("major", "9", "8")
    }


def test_tolerances():
    assert parse_tol("accuracy=0.01") == ("accuracy", 0.0, 0.01)
    assert parse_tol("*loss=2%") == ("*loss", 0.02, 0.0)
    for bad in ("accuracy", "=1", "a=x", "a=-1"):
        with pytest.raises(ValueError):
            parse_tol(bad)
    tol = Tolerance(rules=(("acc*", 0.0, 0.01), ("accuracy", 0.0, 0.001)))
    assert tol.check("accuracy", 0.9, 0.9).result == "equal"
    assert tol.check("accuracy", 0.9, 0.9005).result == "within"
    assert tol.check("accuracy", 0.9, 0.905).result == "differs"  # the last matching rule wins
    assert tol.check("acc_top5", 0.9, 0.905).result == "within"
    assert tol.check("loss", 1.0, 1.0 + 1e-9).result == "within"  # default rtol 1e-5
    assert tol.check("loss", 1.0, 1.001).result == "differs"
    assert tol.check("Model.fit_seconds", 1.0, 9.0).result == "ignored"
    assert Tolerance(rules=(("*seconds", 0.0, 0.5),)).check("fit_seconds", 1, 9).result == "differs"
    assert tol.check("loss", math.nan, math.nan).result == "equal"


def test_lock_entries_for_urls_editables_and_odd_versions():
    entries = lock_entries(
        {"a": "1.0", "b": "2.0+cu121", "c": "0.1", "d": "1.0", "e": "weird-version", "f": "3"},
        {
            "c": "editable:/src/c",
            "d": "url:git+https://github.com/o/d@abc123",
            "f": "url:file:///w/f.whl",
        },
    )
    lines = {e.name: (e.line, e.note) for e in entries}
    assert lines["a"] == ("a==1.0", "")
    assert lines["b"][0] == "b==2.0+cu121"
    assert "local build" in lines["b"][1]
    assert lines["c"][0] is None
    assert lines["d"][0] == "d @ git+https://github.com/o/d@abc123"
    assert lines["e"][0] == "e===weird-version"
    assert lines["f"][0] is None


def test_requirements_closure_and_build_info_read_no_tensorflow():
    closure = requirements_closure({"pandas"})
    assert "numpy" in closure
    assert "pandas" not in closure
    info = tensorflow_build_info()
    assert info is None or set(info) == {"is_cuda_build", "cuda_version", "cudnn_version"}


def test_the_sharing_package_imports_no_ipython_tensorflow_nbclient_or_mlflow():
    probe = (
        "import sys\n"
        "import mlwork_jupyter.sharing.verify, mlwork_jupyter.sharing.rerun\n"
        "import mlwork_jupyter.sharing.lock, mlwork_jupyter.sharing.mlflow_export\n"
        "import mlwork_jupyter.provenance.source\n"
        "from mlwork_jupyter.sharing.verify import tensorflow_build_info\n"
        "tensorflow_build_info()\n"
        "bad = {'IPython', 'tensorflow', 'nbclient', 'mlflow'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
