import json
import subprocess
import sys
import time

import nbformat
import pytest

from mlwork_jupyter.cli import main
from mlwork_jupyter.provenance.record import RECORD_MIME

pytestmark = pytest.mark.kernel


def _verify_json(capsys, path, *extra):
    code = main(["verify", str(path), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def _cards(nb):
    return [
        out["data"][RECORD_MIME]
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if RECORD_MIME in out.get("data", {})
    ]


def test_verify_is_clean_right_after_a_run(iris, capsys):
    assert main(["verify", str(iris)]) == 0
    out = capsys.readouterr().out
    assert "matches its records" in out
    code, payload = _verify_json(capsys, iris)
    assert code == 0
    assert payload["clean"] is True
    assert payload["checked"]["files"] >= 1
    assert all(d["severity"] == "info" for d in payload["differences"])


def test_one_byte_changed_in_the_csv_is_drift_naming_the_file(iris, capsys):
    csv = iris.parent / "iris.csv"
    data = bytearray(csv.read_bytes())
    data[-2] = ord("9") if data[-2] != ord("9") else ord("8")
    csv.write_bytes(bytes(data))
    assert main(["verify", str(iris)]) == 1
    text = capsys.readouterr().out
    assert "iris.csv" in text
    assert "major" in text
    code, payload = _verify_json(capsys, iris)
    assert code == 1
    [diff] = [d for d in payload["differences"] if d["what"] == "file"]
    assert diff["name"] == "iris.csv"
    assert diff["severity"] == "major"
    assert diff["recorded"] != diff["present"]


def test_a_missing_data_file_is_drift(iris, capsys):
    (iris.parent / "iris.csv").unlink()
    code, payload = _verify_json(capsys, iris)
    assert code == 1
    [diff] = [d for d in payload["differences"] if d["what"] == "file"]
    assert diff["present"] is None


def test_a_record_naming_another_package_version_is_drift(iris, capsys):
    nb = nbformat.read(iris, as_version=4)
    cards = _cards(nb)
    present = cards[0]["environment"]["packages"]["scikit-learn"]
    for card in cards:
        card["environment"]["packages"]["scikit-learn"] = "0.24.2"
        if "all_packages" in card["environment"]:
            card["environment"]["all_packages"]["scikit-learn"] = "0.24.2"
    edited = iris.with_name("edited.ipynb")
    nbformat.write(nb, edited)
    assert main(["verify", str(edited)]) == 1
    text = capsys.readouterr().out
    line = next(ln for ln in text.splitlines() if "scikit-learn" in ln)
    assert "0.24.2" in line
    assert present in line
    _, payload = _verify_json(capsys, edited)
    [diff] = [d for d in payload["differences"] if d["name"] == "scikit-learn"]
    assert (diff["severity"], diff["recorded"], diff["present"]) == ("major", "0.24.2", present)


def test_without_a_store_the_embedded_records_are_enough(iris, capsys):
    import shutil

    shutil.rmtree(iris.parent / ".mlwork")
    code, payload = _verify_json(capsys, iris)
    assert code == 0
    assert any("no store" in note for note in payload["notes"])


def test_an_edited_cell_is_reported(iris, capsys):
    nb = nbformat.read(iris, as_version=4)
    cell = next(c for c in nb.cells if c.source.startswith("%%mlwork data --name split"))
    cell.source = cell.source.replace("test_size=0.2", "test_size=0.3")
    nbformat.write(nb, iris)
    code, payload = _verify_json(capsys, iris)
    assert code == 1
    [diff] = [d for d in payload["differences"] if d["what"] == "code"]
    assert "split" in diff["name"]
    assert diff["severity"] == "minor"


def test_verify_is_fast_and_never_imports_tensorflow(iris):
    probe = (
        "import sys, time\n"
        "t = time.perf_counter()\n"
        "from mlwork_jupyter.cli import main\n"
        f"code = main(['verify', {str(iris)!r}, '--json'])\n"
        "print('SECONDS', time.perf_counter() - t, file=sys.stderr)\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n"
        "assert 'nbclient' not in sys.modules and 'mlflow' not in sys.modules\n"
        "sys.exit(code)\n"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    # Not a timing assert on the bar (that is benchmarks/bench_verify.py); a hang guard only.
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize("command", ["verify", "rerun", "lock"])
def test_errors_are_one_line(command, tmp_path, capsys):
    missing = tmp_path / "missing.ipynb"
    assert main([command, str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"mlwork {command}: {missing}: no such file"
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    assert main([command, str(text_file)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"mlwork {command}: {text_file}: not a notebook; pass a .ipynb file"
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert main([command, str(broken)]) == 2
    err = capsys.readouterr().err
    assert "not a readable notebook" in err
    assert len(err.strip().splitlines()) == 1
    plain = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), plain)
    assert main([command, str(plain)]) == 2
    err = capsys.readouterr().err
    assert "no mlwork records" in err
    assert len(err.strip().splitlines()) == 1


def test_export_errors_are_one_line(tmp_path, capsys):
    uri = (tmp_path / "mlruns").as_uri()
    assert main(["export", "--mlflow", uri, str(tmp_path / "missing.ipynb")]) == 2
    assert capsys.readouterr().err.strip().endswith("no such file")
    assert main(["export", "--mlflow", uri, str(tmp_path)]) == 2
    assert "no mlwork store" in capsys.readouterr().err
    plain = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), plain)
    assert main(["export", "--mlflow", uri, str(plain)]) == 2
    assert "no mlwork records" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["verify", "lock", "export"])
def test_an_unreadable_store_is_one_line(command, iris, capsys):
    (iris.parent / ".mlwork" / "mlwork.sqlite").write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (iris.parent / ".mlwork" / f"mlwork.sqlite{suffix}").unlink(missing_ok=True)
    argv = [command, str(iris)]
    if command == "export":
        argv = ["export", "--mlflow", (iris.parent / "mlruns").as_uri(), str(iris)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"mlwork {command}: cannot open the mlwork store")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("command", ["verify", "rerun", "lock", "export"])
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out
    assert f"mlwork {command}" in out
