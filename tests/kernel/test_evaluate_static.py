"""The evaluation panel's static fallback in `nbconvert --to html`: escaped tables and SVG."""

import os

import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_notebook

pytestmark = pytest.mark.kernel

EVIL = "<img src=x onerror=alert(1)>"


def test_static_html_of_an_evaluation_is_escaped_tables_and_svg(tmp_path):
    nb = new_notebook(
        cells=[
            new_code_cell("%load_ext mlwork_jupyter"),
            new_code_cell(
                "%%mlwork evaluate --name static\n"
                "import numpy as np\nimport mlwork_jupyter as mlwork\n"
                "rng = np.random.default_rng(0)\n"
                f"labels = np.array(['cat', {EVIL!r}])\n"
                "y = labels[rng.integers(0, 2, 200)]\n"
                "p = rng.random(200)\n"
                "pred = np.where(p > 0.5, labels[1], labels[0])\n"
                "ev = mlwork.evaluate(y, pred, proba=p, labels=labels)"
            ),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    NotebookClient(nb, timeout=180, resources={"metadata": {"path": str(tmp_path)}}).execute(
        env={**os.environ, "JPY_SESSION_NAME": str(tmp_path / "static.ipynb")}
    )
    html, _ = HTMLExporter().from_notebook_node(nb)
    start = html.index('class="mlwork-panel mlwork-evaluate"')
    panel = html[start : html.index("</div>\n", start) if "</div>\n" in html[start:] else None]
    assert "<svg" in panel  # the confusion heatmap and the curves
    assert "balanced_accuracy" in panel
    assert "roc_auc" in panel
    assert EVIL not in html  # the label is text everywhere, never markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
