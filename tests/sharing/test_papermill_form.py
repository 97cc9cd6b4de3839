"""papermill itself runs a notebook whose `parameters` cell carries an mlwork form."""

from __future__ import annotations

from typing import TYPE_CHECKING

import nbformat
import pytest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.kernel

papermill = pytest.importorskip("papermill")

PARAMETERS = (
    "%mlwork form\n"
    'learning_rate = 0.01  # @param {type:"number"}\n'
    'epochs = 3  # @param {type:"slider", min:1, max:10}\n'
)


def _notebook(path: Path) -> None:
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("%load_ext mlwork_jupyter"),
            params,
            nbformat.v4.new_code_cell(
                "%%mlwork train --name fit\nprint('lr', learning_rate, 'epochs', epochs)"
            ),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, path)


def _stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_papermill_reads_and_overrides_a_form_parameters_cell(tmp_path: Path) -> None:
    source, out = tmp_path / "train.ipynb", tmp_path / "train-out.ipynb"
    _notebook(source)
    # papermill sees the parameters through the `%mlwork form` line.
    inferred = papermill.inspect_notebook(str(source))
    assert {name: p["default"] for name, p in inferred.items()} == {
        "learning_rate": "0.01",
        "epochs": "3",
    }

    papermill.execute_notebook(
        str(source),
        str(out),
        parameters={"epochs": 7},
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "epochs = 7" in injected.source
    assert "lr 0.01 epochs 7" in _stdout(nb.cells[-1])
    # The parameters cell kept its source and shows the form's static fallback here.
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert params.source == PARAMETERS
    form = [o for o in params.outputs if "application/vnd.mlwork.form.v1+json" in o.get("data", {})]
    assert len(form) == 1
    assert form[0]["data"]["text/plain"] == (
        "Form with learning_rate, epochs: run the cell to show the form."
    )
