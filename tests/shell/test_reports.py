"""`%mlwork runs|show|diff|help`, `%load_ext` and the card's packages, in a real shell."""

import re
import sys

import pytest
from IPython.utils.capture import capture_output

from mlwork_jupyter.provenance.record import RECORD_MIME

TRAIN = (
    "%%mlwork train --name fit\n"
    "import mlwork_jupyter as mlwork\n"
    "epochs = {epochs}\n"
    "mlwork.log_params(epochs=epochs, optimizer='adam', notes='x' * 40)\n"
    "mlwork.log_metrics(accuracy=epochs / 200, loss=1 - epochs / 200, fit_seconds=0.5)\n"
)


def _shown(ip, line):
    with capture_output() as cap:
        ip.run_line_magic("mlwork", line)
    [out] = cap.outputs
    return out.data["text/html"], out.data["text/plain"]


def _cells(html, row):
    """The text of each cell of one body row of the first table in `html`."""
    body = html.split("<tbody>", 1)[1]
    tr = body.split("</tr>")[row]
    return re.findall(r"<td[^>]*>(.*?)</td>", tr)


def test_runs_short_ids_param_and_metric_columns_coloured_status(ip, store):
    for epochs in (40, 100):
        assert ip.run_cell(TRAIN.format(epochs=epochs)).success
    ip.run_cell("%%mlwork data --name broken\nvalue = 1 / 0")
    html, text = _shown(ip, "runs")
    runs = store().runs()
    assert all(r.id[-8:] in text and r.id not in text for r in runs)
    header = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", html)
    assert header[:6] == ["run", "started", "stage", "name", "status", "duration"]
    # The param that differs gets a column; constant and long ones do not; metrics do.
    assert "epochs" in header
    assert "optimizer" not in header
    assert "notes" not in header
    assert {"accuracy", "loss"} <= set(header)
    assert "fit_seconds" not in header  # a timing, not a key metric
    first = _cells(html, 0)
    assert first[0] == runs[0].id[-8:]
    assert re.fullmatch(r"\d\d-\d\d \d\d:\d\d", first[1])
    assert first[header.index("epochs")] == "40"
    assert first[header.index("accuracy")] == "0.2"
    assert _cells(html, 1)[header.index("epochs")] == "100"
    # Dates, ids and names never wrap; the error row says what failed, on a red tint.
    assert 'white-space:nowrap">started</th>' in html
    error = re.search(r'<td style="([^"]*)">(error: [^<]*)</td>', html)
    assert error is not None
    assert "ZeroDivisionError: division by zero" in error.group(2)
    assert "rgba(248,81,73" in error.group(1)
    assert "error: ZeroDivisionError: division by zero" in text


def test_show_puts_code_and_texts_in_pre_with_their_line_breaks(ip):
    code = "%%mlwork data --name two\nfirst = 1  # <b>not bold</b>\nsecond = 2"
    assert ip.run_cell(code).success
    html, text = _shown(ip, "show last")
    pre = re.search(r"<pre class='mlwork-code'[^>]*>(.*?)</pre>", html, re.DOTALL)
    assert pre is not None
    assert pre.group(1) == "first = 1  # &lt;b&gt;not bold&lt;/b&gt;\nsecond = 2"
    assert "<b>not bold</b>" not in html
    assert "<p>code:" not in html
    assert "code\nfirst = 1  # <b>not bold</b>\nsecond = 2" in text


def test_diff_code_is_a_coloured_diff_with_line_breaks(ip, store):
    ip.run_cell("%%mlwork data --name a\nimport numpy as np\nv = np.arange(3)\nw = 1")
    ip.run_cell("%%mlwork data --name a\nimport numpy as np\nv = np.arange(4)\nw = 1")
    a, b = (r.id for r in store().runs())
    html, text = _shown(ip, f"diff {a[-8:]} {b[-8:]}")
    pre = re.search(r"<pre class='mlwork-diff'[^>]*>(.*?)</pre>", html, re.DOTALL)
    assert pre is not None
    lines = re.findall(r"<span class='([^']*)'[^>]*>(.*?)\n</span>", pre.group(1))
    assert ("mlwork-diff-del", "-v = np.arange(3)") in lines
    assert ("mlwork-diff-add", "+v = np.arange(4)") in lines
    assert ("mlwork-diff-file", f"--- {a[-8:]}") in lines
    assert "rgba(46,160,67" in pre.group(0)
    assert f"--- {a[-8:]}\n+++ {b[-8:]}\n@@ " in text
    # Params, data and code come before the environment.
    titles = re.findall(r"<b>(.*?)</b>", html)
    assert titles.index("data") < titles.index("code")


def test_no_runs_note_has_code_not_backticks(ip):
    html, text = _shown(ip, "runs")
    assert "<code>%%mlwork STAGE</code>" in html
    assert "`" not in html
    assert text == "no runs recorded yet: run a %%mlwork STAGE cell"


def test_help_is_plain_text_and_says_prefix_or_suffix(ip, capsys):
    ip.run_line_magic("mlwork", "help")
    out = capsys.readouterr().out
    assert "::" not in out
    assert "--------" not in out
    assert "`" not in out
    assert "Cell magic:\n" in out
    assert "prefix or suffix" in out
    assert "%%mlwork train [--strategy S]" in out


def test_load_ext_says_where_runs_are_recorded(ip, capsys, tmp_path):
    ip.run_line_magic("unload_ext", "mlwork_jupyter")
    capsys.readouterr()
    ip.run_line_magic("load_ext", "mlwork_jupyter")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert str(tmp_path / ".mlwork") in out
    assert "%mlwork help" in out


def test_card_packages_are_those_the_cell_uses(ip):
    # What a kernel has imported for itself: never the packages that matter to a cell.
    for kernel_module in ("tornado", "zmq", "debugpy"):
        pytest.importorskip(kernel_module)
    assert ip.run_cell("import numpy as np\nfeatures = np.ones((4, 2))").success
    with capture_output() as cap:
        res = ip.run_cell(
            "%%mlwork train --name fit\n"
            "import pandas as pd\n"
            "from sklearn.linear_model import LogisticRegression\n"
            "frame = pd.DataFrame(features, columns=['a', 'b'])\n"
            "clf = LogisticRegression().fit(frame, [0, 1, 0, 1])"
        )
    assert res.success, res.error_in_exec
    [card] = [o.data[RECORD_MIME] for o in cap.outputs if RECORD_MIME in o.data]
    packages = card["environment"]["packages"]
    assert {"pandas", "scikit-learn", "numpy"} <= packages.keys(), packages
    assert not {"debugpy", "tornado", "pyzmq", "ipython", "pytest"} & packages.keys(), packages
    assert packages["pandas"] == sys.modules["pandas"].__version__


def test_card_packages_include_those_of_values_from_earlier_cells(ip):
    assert ip.run_cell("import numpy as np\nimport pandas as pd\narr = np.arange(3)").success
    with capture_output() as cap:
        assert ip.run_cell("%%mlwork data --name frame\ndf = pd.DataFrame({'a': arr})").success
    [card] = [o.data[RECORD_MIME] for o in cap.outputs if RECORD_MIME in o.data]
    assert set(card["environment"]["packages"]) == {"numpy", "pandas"}


KERAS_FIT = (
    "%%mlwork train --name mlp\n"
    "import numpy as np\n"
    "import keras\n"
    "X = np.random.default_rng(0).random((32, 4)).astype('float32')\n"
    "y = (X[:, 0] > 0.5).astype('int32')\n"
    "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])\n"
    "model.compile('adam', 'sparse_categorical_crossentropy')\n"
    "model.fit(X, y, epochs={epochs}, verbose=0)"
)


@pytest.mark.tensorflow
def test_diff_of_a_rebuilt_keras_model_shows_the_real_change_only(ip, store):
    pytest.importorskip("keras")
    for epochs in (1, 2):
        res = ip.run_cell(KERAS_FIT.format(epochs=epochs))
        assert res.success, res.error_in_exec
    a, b = store().runs()
    assert a.params["model"] != b.params["model"]  # Keras named the second `sequential_1`
    html, text = _shown(ip, f"diff {a.id[-8:]} {b.id[-8:]}")
    params = text.split("\n\n")[0].splitlines()
    assert params[0] == "params"
    assert [row.split()[0] for row in params[3:]] == ["epochs"]
    assert "sequential_1" not in html
    assert "dense_2" not in html
    assert "model_summary" in text  # named in the note on what was left out
    html, text = _shown(ip, f"show {b.id[-8:]}")
    summary = re.search(r"<b>model_summary</b><pre[^>]*>(.*?)</pre>", html, re.DOTALL)
    assert summary is not None
    assert summary.group(1).count("\n") >= 3  # a line per layer
