"""The evaluation panel in a real JupyterLab: saved payloads, each view, themes, a live cell."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

import nbformat
import pytest
from playwright.sync_api import expect

from . import evaluation_payloads as payloads
from .lab_support import KERNEL_TIMEOUT_MS, PANEL_MIME, panel_cell

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Locator

    from .lab_support import LabPage

pytestmark = pytest.mark.browser

EVIL = "<img src=x onerror=alert(1)>"
UP, DOWN = "\N{BLACK UP-POINTING TRIANGLE}", "\N{BLACK DOWN-POINTING TRIANGLE}"
MINUS, NO_VALUE = "\N{MINUS SIGN}", "\N{EN DASH}"


def _evaluate_cell(*bundles: dict[str, Any]) -> nbformat.NotebookNode:
    return panel_cell(*bundles, source="%%mlwork evaluate\npass")


def _panels(lab_page: LabPage, count: int) -> Locator:
    panels = lab_page.page.locator(".mlwork-panel.mlwork-evaluate")
    expect(panels).to_have_count(count)
    return panels


def _section(panel: Locator, key: str) -> Locator:
    return panel.locator(f"[data-mlwork-section='{key}']")


def _check_metrics(panel: Locator, ev: dict[str, Any]) -> None:
    """Value, delta coloured by the metric's direction, best so far."""
    expect(_section(panel, "metrics").locator("tbody tr")).to_have_count(len(ev["metrics"]))
    accuracy = panel.locator("[data-mlwork-metric='accuracy']")
    expect(accuracy.locator("td").nth(1)).to_have_text("0.85")
    expect(accuracy.locator("td").nth(2)).to_have_text(f"+0.02 {UP}")
    expect(accuracy.locator("td").nth(2)).to_have_class("mlwork-delta mlwork-delta-better")
    expect(accuracy).to_have_class("mlwork-best")
    log_loss = panel.locator("[data-mlwork-metric='log_loss'] td").nth(2)
    expect(log_loss).to_have_text(f"+0.02 {UP}")
    expect(log_loss).to_have_class("mlwork-delta mlwork-delta-worse")
    expect(log_loss).to_have_attribute("title", "worse than the previous run (lower is better)")


def _check_confusion(lab_page: LabPage, panel: Locator, ev: dict[str, Any]) -> None:
    """A heatmap of counts, switched to shares and back in place, by mouse and by key."""
    confusion = _section(panel, "confusion")
    cells = confusion.locator(".mlwork-heat-cell")
    counts = ev["confusion"]["counts"]
    normalized = ev["confusion"]["normalized"]
    expect(cells).to_have_text([str(c) for row in counts for c in row])
    expect(confusion.locator("thead th.mlwork-heatmap-label")).to_have_text(list(payloads.IRIS))
    expect(cells.nth(0)).to_have_class("mlwork-heat-cell mlwork-heat-diagonal mlwork-heat-strong")
    share = round(normalized[0][0] * 100)
    expect(cells.nth(0)).to_have_attribute(
        "title", f"true setosa, predicted setosa: {counts[0][0]} ({share}% of setosa)"
    )
    normalised = confusion.get_by_role("radio", name="normalised by true class")
    normalised.check()
    expect(confusion.locator(".mlwork-confusion")).to_have_attribute(
        "data-mlwork-mode", "normalized"
    )
    expect(cells).to_have_text([f"{round(v * 100)}%" for row in normalized for v in row])
    normalised.focus()
    lab_page.page.keyboard.press("ArrowDown")  # the radio group's own key, not the notebook's
    expect(confusion.get_by_role("radio", name="counts")).to_be_checked()
    expect(cells.nth(0)).to_have_text(str(counts[0][0]))


def _check_curves(lab_page: LabPage, panel: Locator, ev: dict[str, Any]) -> None:
    """ROC and PR: one line per class plus the chance line, values under the cursor."""
    expect(panel).to_have_attribute("data-mlwork-charts", "2")
    expect(panel.locator(".mlwork-chart canvas")).to_have_count(2)
    roc = panel.locator("[data-mlwork-chart='roc']")
    expect(roc.locator(".mlwork-series-name")).to_have_text([*payloads.IRIS, "chance"])
    first_value = roc.locator(".mlwork-series-value").first
    expect(first_value).to_have_text(f"AUC {round(ev['curves']['roc'][0]['value'], 3)}")
    roc.locator(".u-over").hover(position={"x": 30, "y": 30})
    expect(first_value).to_have_text(re.compile(r"^-?[\d.]+, -?[\d.]+$"))
    lab_page.page.mouse.move(0, 0)
    expect(first_value).to_contain_text("AUC")


def test_classification_panel(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    multi = payloads.multiclass(leak=5)
    name = lab.write_notebook("evaluate-classes.ipynb", [_evaluate_cell(multi)])
    lab_page.open_notebook(name)
    panel = _panels(lab_page, 1).first
    expect(page.locator(".jp-OutputArea .jp-RenderedHTML")).to_have_count(0)
    ev = multi[PANEL_MIME]["evaluate"]
    expect(panel.locator(".mlwork-panel-title")).to_have_text("iris-forest")
    expect(panel.locator(".mlwork-badge.mlwork-stage")).to_have_text("evaluate")
    expect(panel.locator(".mlwork-eval-summary")).to_have_text(
        "classification · 300 rows · auto: proba given"
    )
    _check_metrics(panel, ev)
    _check_confusion(lab_page, panel, ev)
    expect(_section(panel, "per-class").locator("tbody tr td:first-child")).to_have_text(
        list(payloads.IRIS)
    )
    _check_curves(lab_page, panel, ev)
    # Slices with the worst one marked; leakage as a visible warning.
    expect(_section(panel, "slices").locator("tbody tr")).to_have_count(4)
    worst = _section(panel, "slices").locator("tr.mlwork-worst")
    expect(worst).to_have_count(1)
    expect(worst.locator("td").first).to_have_text("east worst")
    warning = panel.locator(".mlwork-leakage-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("5 of 300 evaluated rows also occur in the training data")
    assert lab_page.dialogs == []


def test_binary_panel_adds_calibration_and_replaces_in_place(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    name = lab.write_notebook("evaluate-binary.ipynb", [_evaluate_cell(payloads.multiclass())])
    lab_page.open_notebook(name)
    panel = _panels(lab_page, 1).first
    expect(panel.locator(".mlwork-chart canvas")).to_have_count(2)
    panel.get_by_role("radio", name="normalised by true class").check()

    # As `update_display` does: the same renderer draws the new payload, the old plots go.
    page.evaluate(
        """bundle => {
            const cell = window.jupyterapp.shell.currentWidget.content.widgets[0];
            cell.outputArea.model.set(0, {output_type: 'display_data', data: bundle, metadata: {}});
        }""",
        payloads.binary(),
    )
    expect(panel.locator(".mlwork-panel-title")).to_have_text("churn-binary")
    expect(panel).to_have_attribute("data-mlwork-renders", "2")
    expect(panel.locator(".mlwork-heat-cell")).to_have_count(4)
    # The user's choice of values stays.
    expect(panel.locator(".mlwork-confusion")).to_have_attribute("data-mlwork-mode", "normalized")
    expect(panel.locator(".mlwork-chart canvas")).to_have_count(3)
    expect(page.locator(".uplot")).to_have_count(3)
    expect(panel.locator("[data-mlwork-chart='calibration'] .mlwork-series-name")).to_have_text(
        ["model", "perfectly calibrated"]
    )
    expect(panel.locator(".mlwork-eval-notes li")).to_have_text(
        ["binary scores use 'churn' (the second class) as the positive"]
    )
    expect(panel.locator(".mlwork-leakage")).to_have_count(0)
    assert lab_page.dialogs == []


def test_regression_panels_points_and_density(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    small = payloads.regression()
    big = payloads.regression(rows=100_000, title="house-prices-100k")
    name = lab.write_notebook("evaluate-regression.ipynb", [_evaluate_cell(small, big)])
    lab_page.open_notebook(name)
    points, density = _panels(lab_page, 2).nth(0), _panels(lab_page, 2).nth(1)

    expect(points).to_have_attribute("data-mlwork-task", "regression")
    mae = points.locator("[data-mlwork-metric='mae'] td")
    expect(mae.nth(2)).to_have_text(f"{MINUS}0.02 {DOWN}")
    expect(mae.nth(2)).to_have_class("mlwork-delta mlwork-delta-better")
    expect(points.locator(".mlwork-leakage-quiet")).to_have_text(
        "leakage check: no evaluated row occurs in the training data "
        "(against X_train of train run 'gbr')"
    )
    # Up to 2,000 rows: scatters as points on canvases, the histogram as SVG bars.
    expect(points.locator(".mlwork-chart canvas")).to_have_count(2)
    scatter = points.locator("[data-mlwork-chart='scatter']")
    expect(scatter.locator(".mlwork-series-name")).to_have_text(["rows", "predicted = actual"])
    expect(scatter.locator(".mlwork-series-value").first).to_have_text("600")
    hist = points.locator("[data-mlwork-chart='residual-histogram'] .mlwork-hist-bar")
    expect(hist).to_have_count(50)

    # 100k rows: density grids, no canvas at all.
    expect(density.locator("canvas")).to_have_count(0)
    grids = density.locator(".mlwork-svgplot .mlwork-density")
    expect(grids).to_have_count(2)
    cells = int(density.locator("[data-mlwork-chart='scatter'] svg.mlwork-svgplot").get_attribute(
        "data-mlwork-cells") or 0)  # fmt: skip
    assert 200 < cells <= 64 * 64
    expect(density.locator("[data-mlwork-chart='scatter'] .mlwork-svgplot-guide")).to_have_count(1)
    expect(density.locator("[data-mlwork-chart='scatter'] .mlwork-svgplot")).to_have_attribute(
        "aria-label", "predicted vs actual: rows per bin, darker is more"
    )
    expect(density.locator(".mlwork-chart-position").first).to_have_text("density of 100,000 rows")
    assert page.locator(".mlwork-panel-problem").count() == 0
    assert lab_page.dialogs == []


def test_clustering_panel(lab_page: LabPage) -> None:
    lab = lab_page.lab
    bundle = payloads.clustering()
    name = lab.write_notebook("evaluate-clusters.ipynb", [_evaluate_cell(bundle)])
    lab_page.open_notebook(name)
    panel = _panels(lab_page, 1).first
    clustering = bundle[PANEL_MIME]["evaluate"]["clustering"]
    rows = _section(panel, "clusters").locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.locator("td:first-child")).to_have_text(clustering["clusters"])
    expect(rows.locator("td:nth-child(2) .mlwork-bar-value")).to_have_text(
        [str(n) for n in clustering["sizes"]]
    )
    largest = max(clustering["sizes"])
    widest = rows.nth(clustering["sizes"].index(largest)).locator(".mlwork-bar-size")
    assert widest.evaluate("el => el.style.width") == "100%"
    negative = [i for i, s in enumerate(clustering["silhouette"]) if s < 0]
    expect(panel.locator(".mlwork-bar-negative")).to_have_count(len(negative))
    expect(panel.locator("[data-mlwork-metric='silhouette'] td").nth(2)).to_have_text(NO_VALUE)
    expect(panel.locator(".mlwork-chart")).to_have_count(0)
    assert lab_page.dialogs == []


def test_hostile_labels_stay_text(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    bundle = payloads.multiclass(labels=(EVIL, "b", "c"), title=EVIL, leak=2)
    ev = bundle[PANEL_MIME]["evaluate"]
    ev["notes"].append(EVIL)
    ev["leakage"]["warning"] = EVIL
    ev["slices"]["rows"][0][0] = EVIL
    ev["metrics"][0]["name"] = EVIL
    name = lab.write_notebook("evaluate-hostile.ipynb", [_evaluate_cell(bundle)], trusted=True)
    lab_page.open_notebook(name)
    panel = _panels(lab_page, 1).first
    expect(panel.locator(".mlwork-panel-title")).to_have_text(EVIL)
    expect(panel.locator(".mlwork-heatmap thead th.mlwork-heatmap-label").first).to_have_text(EVIL)
    expect(panel.locator(".mlwork-heatmap tbody th").first).to_have_text(EVIL)
    expect(panel.locator("[data-mlwork-chart='roc'] .mlwork-series-name").first).to_have_text(EVIL)
    expect(_section(panel, "per-class").locator("tbody td").first).to_have_text(EVIL)
    expect(_section(panel, "slices").locator("tbody td").first).to_contain_text(EVIL)
    expect(panel.locator(".mlwork-leakage-warning")).to_contain_text(EVIL)
    expect(panel.locator(".mlwork-eval-notes li").last).to_have_text(EVIL)
    expect(panel.locator("tbody tr").first.locator("td").first).to_have_text(EVIL)
    expect(panel.locator("canvas")).to_have_count(2)
    assert page.locator(".jp-OutputArea img").count() == 0
    assert lab_page.dialogs == []


def _broken(change: dict[str, Any] | None = None, **section: Any) -> dict[str, Any]:
    bundle = copy.deepcopy(payloads.multiclass())
    payload = bundle[PANEL_MIME]
    if change is not None:
        payload.update(change)
    if section:
        payload["evaluate"].update(section)
    return bundle


def _malformed() -> list[tuple[dict[str, Any], str]]:
    return [
        (_broken({"evaluate": None}), "evaluate is null, expected an object"),
        (_broken(rows="300"), "evaluate.rows is a string, expected a number"),
        (
            _broken(metrics=[{"name": "accuracy", "value": [1]}]),
            "evaluate.metrics[0].value is a list, expected a number",
        ),
        (
            _broken(confusion={"labels": ["a", "b"], "counts": [[1, 2], [3]], "normalized": []}),
            "evaluate.confusion.counts[1] has 1 items, expected 2 (one column per label)",
        ),
        (
            _broken(curves={"roc": [{"label": "a", "x": [0, 1], "y": [0, "1"]}]}),
            "evaluate.curves.roc[0].y[1] is a string, expected a number",
        ),
        (
            _broken(leakage={"status": 1}),
            "evaluate.leakage.status is a number, expected a string",
        ),
    ]


def test_malformed_evaluation_shows_message(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    malformed = _malformed()
    cells = [
        _evaluate_cell(*[bundle for bundle, _ in malformed]),
        _evaluate_cell(payloads.clustering(title="still-fine")),
    ]
    name = lab.write_notebook("evaluate-malformed.ipynb", cells)
    lab_page.open_notebook(name)
    problems = page.locator(".mlwork-panel-problem")
    expect(problems).to_have_count(len(malformed))
    for i, (_, message) in enumerate(malformed):
        expect(problems.nth(i)).to_have_text(f"mlwork: cannot show this panel ({message})")
    expect(page.locator(".mlwork-evaluate .mlwork-panel-title")).to_have_text("still-fine")
    assert lab_page.dialogs == []


def _theme(lab_page: LabPage, name: str) -> None:
    lab_page.execute("apputils:change-theme", {"theme": name})
    expect(lab_page.page.locator("body")).to_have_attribute("data-jp-theme-name", name)
    expect(lab_page.page.locator("#jupyterlab-splash")).to_have_count(0)


def test_evaluation_screens_light_and_dark(lab_page: LabPage, artifacts_dir: Path) -> None:
    lab, page = lab_page.lab, lab_page.page
    screens = {
        "classification": payloads.multiclass(leak=5),
        "binary": payloads.binary(),
        "regression": payloads.regression(),
        "regression-density": payloads.regression(rows=100_000, title="house-prices-100k"),
        "clustering": payloads.clustering(),
    }
    cells = [_evaluate_cell(bundle) for bundle in screens.values()]
    name = lab.write_notebook("evaluate-screens.ipynb", cells)
    lab_page.open_notebook(name)
    panels = _panels(lab_page, len(screens))
    expect(page.locator(".mlwork-evaluate canvas")).to_have_count(2 + 3 + 2)
    plot = panels.first.locator(".mlwork-plot").first
    ink = "el => el.dataset.mlworkInk"
    # Tall enough for the tallest panel: a screenshot shows only what the notebook shows.
    page.set_viewport_size({"width": 1280, "height": 2400})
    try:
        for theme, suffix in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
            before = plot.evaluate(ink)
            _theme(lab_page, theme)
            if suffix == "dark":
                # The canvas strokes follow the theme: its colours are read again.
                page.wait_for_function(
                    "([el, ink]) => el.dataset.mlworkInk !== ink",
                    arg=[plot.element_handle(), before],
                )
            for i, key in enumerate(screens):
                panel = panels.nth(i)
                panel.scroll_into_view_if_needed()
                panel.screenshot(path=artifacts_dir / f"evaluate-{key}-{suffix}.png")
    finally:
        _theme(lab_page, "JupyterLab Light")

    # Narrow: the tables scroll inside the panel, the panel itself never overflows.
    page.set_viewport_size({"width": 560, "height": 2400})
    first = panels.first
    page.wait_for_function(
        "el => el.getBoundingClientRect().width < 560", arg=first.element_handle()
    )
    overflow = first.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 1
    first.screenshot(path=artifacts_dir / "evaluate-classification-narrow.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert lab_page.dialogs == []


IRIS_CELLS = [
    "%load_ext mlwork_jupyter",
    (
        "import mlwork_jupyter as mlwork\n"
        "from sklearn.datasets import load_iris\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "from sklearn.model_selection import train_test_split\n"
        "X, y = load_iris(return_X_y=True, as_frame=True)\n"
        "X_train, X_test, y_train, y_test = train_test_split(\n"
        "    X, y, test_size=0.3, random_state=0, stratify=y)"
    ),
    (
        "%%mlwork train --name forest\n"
        "model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)"
    ),
    (
        "%%mlwork evaluate --name forest-test\n"
        "ev = mlwork.evaluate(y_test, proba=model.predict_proba(X_test), labels=model.classes_,\n"
        "                     X=X_test)"
    ),
]


def test_evaluate_cell_renders_live(lab_page: LabPage, artifacts_dir: Path) -> None:
    lab, page = lab_page.lab, lab_page.page
    folder = lab.root / "live-evaluate"
    folder.mkdir()
    cells = [nbformat.v4.new_code_cell(source) for source in IRIS_CELLS]
    name = lab.write_notebook("live-evaluate/evaluate.ipynb", cells)
    lab_page.open_notebook(name)
    lab_page.wait_for_kernel_ready()
    lab_page.execute("notebook:run-all-cells")

    panel = page.locator(".jp-NotebookPanel .mlwork-panel.mlwork-evaluate")
    expect(panel).to_have_count(1, timeout=KERNEL_TIMEOUT_MS)
    expect(panel.locator(".mlwork-panel-title")).to_have_text("forest-test")
    expect(panel.locator(".mlwork-heat-cell")).to_have_count(9)
    expect(panel.locator(".mlwork-heatmap tbody th")).to_have_text(["0", "1", "2"])
    expect(panel.locator("[data-mlwork-metric='accuracy'] td").nth(1)).to_have_text(
        re.compile(r"^0\.\d+$|^1$")
    )
    expect(panel.locator(".mlwork-chart canvas")).to_have_count(2)
    # The model was trained in this kernel: the check ran, and found iris's one duplicate row
    # (rows 101 and 142 are equal) on both sides of the split.
    expect(panel.locator(".mlwork-leakage-warning")).to_contain_text(
        "1 of 45 evaluated rows also occur in the training data"
    )
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=artifacts_dir / "evaluate-live-iris.png")
    assert lab_page.dialogs == []
