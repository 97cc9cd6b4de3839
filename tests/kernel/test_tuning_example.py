"""`example_notebooks/03_tuning.ipynb` end to end in a real kernel: four libraries' searches."""

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mlwork_jupyter.display.panel import PANEL_MIME
from mlwork_jupyter.provenance.store import Store

pytestmark = [pytest.mark.kernel, pytest.mark.tensorflow]

EXAMPLE = Path(__file__).parents[2] / "example_notebooks" / "03_tuning.ipynb"
LIBRARIES = {
    "digits-random-search": ("keras-tuner", 4),
    "cancer-autokeras": ("autokeras", 2),
    "digits-flaml": ("flaml", 12),
    "digits-grid": ("scikit-learn", 4),
}


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tuning")
    target = folder / EXAMPLE.name
    shutil.copy(EXAMPLE, target)
    nb = nbformat.read(target, as_version=4)
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(folder)}}).execute(
        env={**os.environ, "JPY_SESSION_NAME": str(target)}
    )
    return folder, nb


def test_each_library_search_is_a_tune_run_with_its_trials(executed):
    folder, nb = executed
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    with Store(folder / ".mlwork") as store:
        runs = {r.name: r for r in store.runs(stage="tune")}
        children = [r for r in store.runs(include_children=True) if r.parent]
    assert set(runs) == set(LIBRARIES)
    for name, (library, trials) in LIBRARIES.items():
        run = runs[name]
        assert run.status == "ok", (name, run.error)
        assert run.params["library"] == library
        mine = [c for c in children if c.parent == run.id]
        assert len(mine) == trials == run.metrics["trials"], name
        assert all(c.trial["status"] == "ok" for c in mine), name
        assert run.params["best_trial"] in {c.trial["id"] for c in mine}
        assert run.artifacts, name  # the best model


def test_each_tune_cell_shows_its_final_trials_panel(executed):
    _, nb = executed
    tune_cells = [c for c in nb.cells if c.source.startswith("%%mlwork tune")]
    assert len(tune_cells) == len(LIBRARIES)
    for cell in tune_cells:
        [panel] = [o["data"][PANEL_MIME] for o in cell.outputs if PANEL_MIME in o.get("data", {})]
        assert panel["kind"] == "tune"
        assert panel["status"] == "ok"
        assert panel["tune"]["best"] is not None
        html = next(o["data"]["text/html"] for o in cell.outputs if PANEL_MIME in o.get("data", {}))
        assert "<svg" in html


def test_the_saved_notebook_shows_static_trials_panels_in_nbconvert_html(executed):
    from nbconvert import HTMLExporter

    _, nb = executed
    html, _ = HTMLExporter().from_notebook_node(nb)
    for name in LIBRARIES:
        assert f"<strong>{name}</strong>" in html  # each panel's static header
    assert "best mean_test_score" in html  # the grid search's best, as static HTML
