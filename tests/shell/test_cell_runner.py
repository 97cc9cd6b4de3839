"""A `%%mlwork` cell runs as the same cell without the magic: IPython runs its body."""

import ast
import json
import subprocess
import sys

from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from mlwork_jupyter.provenance.record import RECORD_MIME


def _plain_and_magic(ip, body: str, name: str = "same") -> tuple:
    plain = ip.run_cell(body, store_history=True)
    magic = ip.run_cell(f"%%mlwork data --name {name}\n{body}", store_history=True)
    return plain, magic


def test_annotations_are_evaluated_as_in_a_plain_cell(ip):
    body = "def g(a: int) -> str: ...\nannotations = g.__annotations__"
    ip.run_cell(body)
    plain = ip.user_ns["annotations"]
    ip.run_cell(f"%%mlwork data\n{body}")
    assert plain == {"a": int, "return": str}
    assert ip.user_ns["annotations"] == plain


def test_a_future_import_in_an_earlier_cell_carries_as_in_ipython(ip):
    # The shell's own compiler flags apply: a user's `from __future__` import stays in force.
    ip.run_cell("from __future__ import annotations")
    ip.run_cell("%%mlwork data\ndef h(a: int): ...\nann = h.__annotations__")
    assert ip.user_ns["ann"] == {"a": "int"}


class _Doubler(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, int) and not isinstance(node.value, bool):
            return ast.copy_location(ast.Constant(node.value * 2), node)
        return node


def test_registered_ast_transformers_apply(ip):
    ip.ast_transformers.append(_Doubler())
    try:
        ip.run_cell("%%mlwork data\nvalue = 21")
    finally:
        ip.ast_transformers.pop()
    assert ip.user_ns["value"] == 42


_AWAIT = """
import json, sys
from IPython.testing.globalipapp import start_ipython
ip = start_ipython()
ip.run_line_magic("load_ext", "mlwork_jupyter")
ip.run_line_magic("config", f"MlworkMagics.store_dir = {sys.argv[1]!r}")
res = ip.run_cell(
    "%%mlwork data --name wait\\nimport asyncio\\nawait asyncio.sleep(0)\\nawaited = 'yes'",
    store_history=True,
)
from mlwork_jupyter.provenance.store import Store
with Store(sys.argv[1]) as store:
    runs = [(r.name, r.status) for r in store.runs()]
print(json.dumps({"ok": res.success, "awaited": ip.user_ns.get("awaited"), "runs": runs}))
"""


def test_top_level_await_works(tmp_path):
    # A shell of its own: a test session's browser tests keep an event loop running on this
    # thread (Playwright's sync API), and IPython cannot run a loop inside a running one.
    out = subprocess.run(
        [sys.executable, "-c", _AWAIT, str(tmp_path / ".mlwork")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        timeout=120,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"ok": True, "awaited": "yes", "runs": [["wait", "ok"]]}


def test_out_underscore_and_semicolon_as_in_a_plain_cell(ip):
    ip.run_cell("x = 20")
    res = ip.run_cell("%%mlwork data\nx + 1", store_history=True)
    assert res.result == 21
    assert ip.user_ns["_"] == 21
    assert ip.user_ns["Out"][res.execution_count] == 21
    quiet = ip.run_cell("%%mlwork data\nx + 2;", store_history=True)
    assert quiet.result is None
    assert ip.user_ns["_"] == 21


def test_traceback_is_the_users_with_the_cells_line_numbers(ip):
    body = "a = 1\n1 / 0"
    with capture_output() as plain_out:
        ip.run_cell(body, store_history=True)
    with capture_output() as magic_out:
        res = ip.run_cell(f"%%mlwork data\n{body}", store_history=True)
    assert isinstance(res.error_in_exec, ZeroDivisionError)
    assert "----> 3 1 / 0" in magic_out.stdout  # the magic line is line 1
    assert "1 # %%mlwork data" in magic_out.stdout  # and reads as the cell does, not blank
    assert "----> 2 1 / 0" in plain_out.stdout
    assert f"Cell In[{res.execution_count}], line 3" in magic_out.stdout
    assert "mlwork_jupyter" not in magic_out.stdout


def test_syntax_error_is_ipythons_and_nothing_is_recorded(ip, store, tmp_path):
    res = ip.run_cell("%%mlwork data\nx = (", store_history=True)
    assert isinstance(res.error_before_exec, SyntaxError)
    assert not (tmp_path / ".mlwork" / "mlwork.sqlite").exists() or store().count() == 0


def test_keyboard_interrupt_is_interrupted_and_patches_are_restored(ip, store):
    import sklearn.base

    from mlwork_jupyter.provenance import audit

    fit_before = sklearn.base.BaseEstimator.__dict__.get("fit")
    res = ip.run_cell(
        "%%mlwork train\nfrom sklearn.linear_model import Ridge\nraise KeyboardInterrupt"
    )
    assert isinstance(res.error_in_exec, KeyboardInterrupt)
    assert store().runs()[0].status == "interrupted"
    assert sklearn.base.BaseEstimator.__dict__.get("fit") is fit_before
    assert audit._ACTIVE == ()  # the audit hook watches nothing outside a cell
    from mlwork_jupyter.stages.run import current_run

    assert current_run() is None


def test_fit_patch_restored_after_error_and_success(ip):
    from sklearn.linear_model import Ridge

    fit = Ridge.fit
    ip.run_cell("%%mlwork train\nfrom sklearn.linear_model import Ridge\nraise ValueError('x')")
    assert Ridge.fit is fit
    ip.run_cell("%%mlwork train\nRidge().fit([[0.0], [1.0]], [0.0, 1.0])")
    assert Ridge.fit is fit


def test_bad_line_runs_nothing_and_records_nothing(ip, store, tmp_path):
    res = ip.run_cell("%%mlwork data --name 'unclosed\nran = True")
    assert isinstance(res.error_before_exec, UsageError)
    assert "ran" not in ip.user_ns
    assert not (tmp_path / ".mlwork" / "mlwork.sqlite").exists() or store().count() == 0


def test_help_still_shows(ip):
    with capture_output() as cap:
        ip.run_cell("%%mlwork?")
    # The terminal shell pages the docstring to stdout.
    assert "STAGE is one of" in cap.stdout


def test_record_is_the_same_as_through_the_cell_magic(ip, store):
    ip.run_cell("import numpy as np\narr = np.arange(5)")
    with capture_output() as hooked:
        ip.run_cell("%%mlwork data --name same\ndoubled = arr * 2")
    with capture_output() as direct:
        ip.run_cell_magic("mlwork", "data --name same", "doubled = arr * 2")
    [a] = [o.data[RECORD_MIME] for o in hooked.outputs if RECORD_MIME in o.data]
    [b] = [o.data[RECORD_MIME] for o in direct.outputs if RECORD_MIME in o.data]
    for card in (a, b):
        for key in ("id", "started", "duration_s", "environment"):
            card.pop(key)
    assert a == b
    assert [r.status for r in store().runs()] == ["ok", "ok"]


def test_api_error_outside_a_run_shows_the_users_line_only(ip):
    ip.run_cell("import mlwork_jupyter as mlwork")
    with capture_output() as cap:
        res = ip.run_cell("mlwork.log_metric('x', 1)", store_history=True)
    assert res.error_in_exec is not None
    text = cap.stdout
    assert "mlwork.log_metric('x', 1)" in text
    assert "needs a run" in text
    assert "api.py" not in text
    assert "run.py" not in text
    assert "mlwork_jupyter/" not in text


def test_api_error_raised_in_a_users_function_keeps_their_frames(ip):
    ip.run_cell("import mlwork_jupyter as mlwork\ndef report():\n    mlwork.log_param('p', 1)")
    with capture_output() as cap:
        ip.run_cell("report()", store_history=True)
    assert "report()" in cap.stdout
    assert "mlwork.log_param('p', 1)" in cap.stdout
    assert "api.py" not in cap.stdout


def test_a_silent_execution_is_recorded_too(ip, store):
    res = ip.run_cell(
        "%%mlwork data --name quiet\nimport mlwork_jupyter as mlwork\nmlwork.log_metric('m', 1)",
        silent=True,
    )
    assert res.success, res.error_in_exec
    [run] = store().runs()
    assert (run.name, run.status, run.metrics) == ("quiet", "ok", {"m": 1.0})


def test_a_cell_run_from_a_cell_and_under_time_is_recorded(ip, store):
    ip.run_cell(
        "r = get_ipython().run_cell('%%mlwork data --name inner\\nimport mlwork_jupyter as mlwork"
        '\\nmlwork.log_metric("m", 2)\')\nassert r.success, r.error_in_exec'
    )
    with capture_output():
        res = ip.run_cell(
            "%%time\n%%mlwork data --name timed\nimport mlwork_jupyter as mlwork\n"
            "mlwork.log_metric('m', 3)"
        )
    assert res.success, res.error_in_exec
    assert sorted((r.name, r.metrics["m"]) for r in store().runs()) == [
        ("inner", 2.0),
        ("timed", 3.0),
    ]
    ip.run_cell("%%mlwork data --name after\nz = 1")
    assert max(store().runs(), key=lambda r: r.started).name == "after"
