import json
import time

import nbformat
import pytest

from mlwork_jupyter.cli import main
from mlwork_jupyter.provenance.notebook import notebook_records

pytestmark = pytest.mark.kernel


def _rerun(capsys, path, *extra):
    out = path.with_name("out.ipynb")
    code = main(["rerun", str(path), "-o", str(out), "--timeout", "120", "--json", *extra])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err, out


def test_rerun_of_the_iris_example_reproduces(iris, capsys):
    out = iris.with_name("checked.ipynb")
    code = main(["rerun", str(iris), "-o", str(out), "--timeout", "120"])
    captured = capsys.readouterr()
    assert code == 0, captured.out
    assert "running the code of" in captured.err.splitlines()[0]
    assert captured.out.count("reproduced") >= 4
    assert "verdict: 4 reproduced" in captured.out
    assert [r.name for r in notebook_records(out)] == [
        "load-iris",
        "split",
        "forest",
        "forest-test",
    ]
    assert nbformat.read(out, as_version=4).metadata["mlwork"]["rerun"]["result"]["exit"] == 0


def test_a_tolerance_too_tight_for_a_noisy_metric_differs(noisy, capsys):
    code, payload, err, _ = _rerun(capsys, noisy, "--tol", "noise=1e-12")
    assert "fresh python3 kernel" in err
    assert code == 1
    [cell] = payload["cells"]
    assert cell["result"] == "differs"
    noise = next(c for c in cell["checks"] if c["name"] == "noise")
    assert noise["result"] == "differs"
    steady = next(c for c in cell["checks"] if c["name"] == "steady")
    assert steady["result"] == "equal"


def test_a_loose_tolerance_accepts_the_noise(noisy, capsys):
    assert main(["rerun", str(noisy), "--tol", "noise=1", "--timeout", "120"]) == 0
    assert "within tolerance" in capsys.readouterr().out
    assert noisy.with_name("noisy.rerun.ipynb").is_file()


def test_a_parameter_override_rewrites_the_literal_and_is_recorded(noisy, capsys):
    code, payload, _, out = _rerun(capsys, noisy, "-p", "lr", "0.5", "--tol", "noise=1")
    assert code == 1  # the parameter and the metric computed from it changed, as asked
    assert payload["parameters"] == [
        {"name": "lr", "value": 0.5, "how": "rewritten", "cell": 1, "was": "0.1"}
    ]
    [record] = notebook_records(out)
    assert record.params == {"lr": 0.5}
    assert record.metrics["steady"] == 1.0
    nb = nbformat.read(out, as_version=4)
    assert 'lr = 0.5  # @param {type:"number"}' in nb.cells[1].source
    assert nb.metadata["mlwork"]["rerun"]["parameters"] == {"lr": 0.5}
    assert nb.cells[1].metadata["mlwork"]["overridden"] == {"lr": {"was": "0.1", "now": "0.5"}}


def test_an_unknown_parameter_is_a_usage_error(noisy, capsys):
    assert main(["rerun", str(noisy), "-p", "nope", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    expected = (
        "mlwork rerun: parameter 'nope' not found: no cell is tagged 'parameters' and no cell "
        "has `nope = ...  # @param`"
    )
    assert err == [expected]


def test_a_cell_that_kills_its_kernel_is_reported_with_its_cell(noisy, capsys):
    nb = nbformat.read(noisy, as_version=4)
    nb.cells[1].source = "%%mlwork train --name noisy\nimport os\nos.kill(os.getpid(), 9)"
    nbformat.write(nb, noisy)
    started = time.monotonic()
    code, payload, _, _ = _rerun(capsys, noisy)
    assert time.monotonic() - started < 60
    assert code == 1
    assert payload["stopped"]["cell"] == 1
    assert payload["stopped"]["kind"] == "kernel died"
    [cell] = payload["cells"]
    assert (cell["cell"], cell["result"]) == (1, "failed")
    assert "kernel died" in cell["error"]


def test_a_failing_cell_stops_the_rerun_and_later_cells_are_not_run(iris, capsys):
    nb = nbformat.read(iris, as_version=4)
    split = next(i for i, c in enumerate(nb.cells) if "--name split" in c.source)
    nb.cells[split].source += "\nraise ValueError('broken on purpose')"
    nbformat.write(nb, iris)
    code, payload, _, _ = _rerun(capsys, iris)
    assert code == 1
    assert payload["stopped"]["cell"] == split
    results = {c["name"]: c["result"] for c in payload["cells"]}
    assert results == {
        "load-iris": "reproduced",
        "split": "failed",
        "forest": "not run",
        "forest-test": "not run",
    }
    failed = next(c for c in payload["cells"] if c["name"] == "split")
    assert "broken on purpose" in failed["error"]


def test_a_parameters_cell_gets_the_override_injected_after_it(noisy, capsys):
    nb = nbformat.read(noisy, as_version=4)
    params = nbformat.v4.new_code_cell("scale = 1")
    params.metadata["tags"] = ["parameters"]
    nb.cells.insert(1, params)
    nb.cells[2].source = nb.cells[2].source.replace("lr = 0.1", "lr = 0.1 * scale")
    nbformat.write(nb, noisy)
    code, payload, _, out = _rerun(capsys, noisy, "-p", "scale", "3", "--tol", "noise=1")
    assert code == 1
    assert payload["parameters"][0]["how"] == "injected"
    [cell] = payload["cells"]
    assert cell["cell"] == 3  # the recorded cell moved down past the injected one
    steady = next(c for c in cell["checks"] if c["name"] == "steady")
    assert steady["result"] == "differs"
    ran = nbformat.read(out, as_version=4)
    assert ran.cells[2].metadata["tags"] == ["injected-parameters"]
    assert "scale = 3" in ran.cells[2].source
    [record] = notebook_records(out)
    assert record.params == {"lr": 0.30000000000000004}
