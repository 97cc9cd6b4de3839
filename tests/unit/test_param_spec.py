"""`# @param` form specs: parsing, validation, and value rewrites that touch only the value."""

from __future__ import annotations

import ast
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlwork_jupyter.display.param_spec import (
    ParamSpec,
    apply_edit,
    parse_form,
    render_value,
)


def _one(source: str) -> ParamSpec:
    (spec,) = parse_form(source).params
    return spec


# ---- parsing ---------------------------------------------------------------------------------


def test_design_example_cell():
    cell = (
        "%%mlwork train --form\n"
        '# @title Training { display-mode: "form" }\n'
        "# @markdown Pick the **optimiser**.\n"
        'learning_rate = 1e-3   # @param {type:"slider", min:1e-5, max:1e-1, log:true}\n'
        'optimizer = "adam"     # @param ["adam", "sgd", "rmsprop"]\n'
        'epochs = 20            # @param {type:"integer"}\n'
        "model.fit(epochs=epochs)\n"
    )
    form = parse_form(cell)
    assert form.title == "Training"
    assert form.markdown == ("Pick the **optimiser**.",)
    assert [p.name for p in form.params] == ["learning_rate", "optimizer", "epochs"]
    lr, opt, epochs = form.params
    assert (lr.kind, lr.value, lr.min, lr.max, lr.log, lr.error) == (
        "slider",
        1e-3,
        1e-5,
        1e-1,
        True,
        None,
    )
    assert (opt.kind, opt.options, opt.quote, opt.allow_input) == (
        "dropdown",
        ("adam", "sgd", "rmsprop"),
        '"',
        False,
    )
    assert (epochs.kind, epochs.value, epochs.text) == ("integer", 20, "20")
    assert cell[slice(*epochs.span)] == "20"


@pytest.mark.parametrize(
    ("line", "kind", "value"),
    [
        ("x = 'a'  # @param", "string", "a"),
        ("x = 3  # @param", "integer", 3),
        ("x = 3.5  # @param", "number", 3.5),
        ("x = True  # @param", "boolean", True),
        ("x = None  # @param", "raw", "None"),
        ("x = np.arange(3)  # @param {type:'raw'}", "raw", "np.arange(3)"),
        ("x = [1, 2]  # @param {type:'raw'}", "raw", "[1, 2]"),
        ("x = '2024-02-29'  # @param {type:'date'}", "date", "2024-02-29"),
        ("x = 'b'  # @param ['a', 'b']", "dropdown", "b"),
        ("x = 2  # @param [1, 2, 3]", "dropdown", 2),
        ("x = -4  # @param {type:'number'}", "number", -4),
    ],
)
def test_kinds_declared_and_inferred(line, kind, value):
    spec = _one(line + "\n")
    assert (spec.kind, spec.value, spec.error, spec.warnings) == (kind, value, None, ())


@pytest.mark.parametrize(
    "line",
    [
        'x = "a#b"  # @param {type:"string"}',
        'x = "a#b"  #@param {type:"string"}',
        "x\t=\t'a#b'\t# @param {'type': 'string'}",
        'x = "a#b"  # @param {"type" : "string" ,}',
    ],
)
def test_comment_forms(line):
    spec = _one(line + "\n")
    assert (spec.name, spec.kind, spec.value) == ("x", "string", "a#b")


def test_unicode_before_value_and_crlf():
    cell = "# é ☃ 𝄞\r\ngröße = 'ü☃'  # @param {type:\"string\"}\r\nz = 1  # @param\r\n"
    first, second = parse_form(cell).params
    assert cell[slice(*first.span)] == "'ü☃'"
    assert cell[slice(*second.span)] == "1"
    edited = apply_edit(cell, second, 7)
    assert edited == cell.replace("z = 1", "z = 7")
    assert parse_form(edited).param("größe").value == "ü☃"


def test_not_a_param():
    cell = (
        "a = 1  # @parameter\n"
        "b = 2  # params\n"
        "s = '# @param'\n"
        "if True:\n    c = 3  # @param\n"
        "d = 4  # @param\n"
    )
    assert [p.name for p in parse_form(cell).params] == ["d"]


def test_quote_styles():
    assert _one("x = r'a\\b'  # @param\n").quote == "r'"
    assert _one('x = """a"""  # @param\n').quote == '"""'
    assert _one("x = 1  # @param\n").quote is None


def test_allow_input_dropdown_and_raw_dropdown():
    spec = _one('x = "other"  # @param ["a", "b"] {allow-input: true}\n')
    assert (spec.kind, spec.allow_input, spec.error) == ("dropdown", True, None)
    raw = _one('x = np.inf  # @param ["np.inf", "1"] {type:"raw"}\n')
    assert (raw.kind, raw.raw, raw.value, raw.options, raw.error) == (
        "dropdown",
        True,
        "np.inf",
        ("np.inf", "1"),
        None,
    )


def test_placeholder_and_log_and_step():
    spec = _one("x = ''  # @param {type:'string', placeholder:'your name'}\n")
    assert spec.placeholder == "your name"
    spec = _one("x = 0.5  # @param {type:'slider', min:0, max:1, step:0.1}\n")
    assert (spec.min, spec.max, spec.step, spec.log) == (0, 1, 0.1, False)


def test_title_and_markdown_only_from_own_lines():
    form = parse_form(
        "#@title   Plain title\nx = 1  # @markdown no\n# @markdown a\n# @markdown b\n"
    )
    assert form.title == "Plain title"
    assert form.markdown == ("a", "b")
    assert form.params == ()


def test_non_python_cell_has_no_params():
    assert parse_form("%%bash\nx = 1  # @param\n").params == ()


# ---- errors and warnings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("x = 'c'  # @param ['a', 'b']", "not one of the options"),
        ("x = 5  # @param {type:'slider', min:0, max:1}", "outside [0, 1]"),
        ("x = 5  # @param {type:'integer', min:6}", "outside [6, None]"),
        ("x = 1  # @param {type:'slider', min:2, max:0}", "min 2 is greater than max 0"),
        ("x = 1  # @param {type:'slider', min:'a', max:2}", "min must be a number"),
        ("x = 1  # @param {type:'slider', max:2}", "needs min and max"),
        ("x = 1  # @param {type:'slider', min:0, max:2, step:0}", "step must be greater"),
        ("x = 1  # @param {type:'slider', min:0, max:2, step:-1}", "step must be greater"),
        ("x = 1  # @param {type:'slider', min:0, max:2, log:true}", "log slider needs min > 0"),
        ("x = 1  # @param {type:'slider', min:1, max:2, log:'yes'}", "log must be true or false"),
        ("x = 1  # @param {type:'wat'}", "unknown type 'wat'"),
        ("x = 1  # @param {type:'string'}", "not a valid string"),
        ("x = 'a'  # @param {type:'integer'}", "not a valid integer"),
        ("x = 1.5  # @param {type:'integer'}", "not a valid integer"),
        ("x = True  # @param {type:'number'}", "not a valid number"),
        ("x = 1  # @param {type:'boolean'}", "not a valid boolean"),
        ("x = '2024-13-01'  # @param {type:'date'}", "not a valid date"),
        ("x = 'soon'  # @param {type:'slider', min:0, max:1}", "not a valid slider"),
        ("x = f(1)  # @param", "not a literal"),
        ("x = f'{y}'  # @param {type:'string'}", "not a literal"),
        ("x = 1  # @param {type:'number'", "cannot read the @param options"),
        ("x = 1  # @param {type:'number'} extra", "unexpected 'extra'"),
        ("x = 1  # @param {type:'num", "unterminated string"),
        ("x = 1  # @param [1, 2] {type:'slider'}", "cannot have a list of options"),
        ("x = 1  # @param []", "the list of options is empty"),
        ("x = 1  # @param [[1], 1]", "options must be strings or numbers"),
        ("x = 1  # @param [1] {allow-input: 'yes'}", "allow-input must be true or false"),
        ("x = ''  # @param {placeholder: 3}", "placeholder must be a string"),
        ("x = 1  # @param {min: 1-2}", "is not a number"),
        ("x = 1  # @param {min: 1e999}", "not a finite number"),
        ("x = 1  # @param {: 1}", "expected a key"),
    ],
)
def test_invalid_declarations_show_one_line_error(line, fragment):
    spec = _one(line + "\n")
    assert spec.error is not None
    assert fragment in spec.error
    assert "\n" not in spec.error


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("x = 1  # @param {type:'integer', colour:'red'}", "unknown key 'colour'"),
        ("x = 1  # @param {'type':'integer', 'type':'number'}", "duplicate key 'type'"),
        ("x = 'a'  # @param {type:'string', min:1}", "min ignored for a string"),
        ("x = 1  # @param {allow-input: true}", "allow-input ignored"),
    ],
)
def test_warnings(line, fragment):
    spec = _one(line + "\n")
    assert spec.error is None
    assert any(fragment in w for w in spec.warnings)


# ---- rendering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "new", "text"),
    [
        ("x = 'a'  # @param", "b", "'b'"),
        ('x = "a"  # @param', "it's", '"it\'s"'),
        ("x = 'a'  # @param", "it's", "'it\\'s'"),
        ('x = "a"  # @param', "both ' and \"", '"both \' and \\""'),
        ("x = 'a'  # @param", "back\\slash", "'back\\\\slash'"),
        ("x = 'a'  # @param", "two\nlines\r\t", "'two\\nlines\\r\\t'"),
        ("x = 'a'  # @param", "nul\x00", "'nul\\x00'"),
        ("x = 'a'  # @param", "ünï☃", "'ünï☃'"),
        ("x = r'a'  # @param", "c:\\dir", "'c:\\\\dir'"),
        ("x = r'a'  # @param", "plain", "r'plain'"),
        ('x = """a"""  # @param', 'ends"', '"""ends\\""""'),
        ("x = 3  # @param", 4, "4"),
        ("x = 3  # @param {type:'number'}", 4.0, "4"),
        ("x = 3.0  # @param", 4.0, "4.0"),
        ("x = 3.0  # @param", 0.001, "0.001"),
        ("x = 3.0  # @param", 1e-05, "1e-5"),
        ("x = 3.0  # @param", 2.5e16, "2.5e16"),
        ("x = 3.0  # @param", -0.1, "-0.1"),
        ("x = 3  # @param {type:'integer'}", 7.0, "7"),
        ("x = 0.5  # @param {type:'slider', min:0, max:1, step:0.1}", 0.30000000000000004, "0.3"),
        ("x = 0.5  # @param {type:'slider', min:0, max:1, step:0.1}", 0.77, "0.8"),
        ("x = 0.5  # @param {type:'slider', min:0, max:1, step:0.1}", 5, "1"),
        ("x = 5  # @param {type:'slider', min:1, max:9, step:2}", 6, "7"),
        ("x = 1e-3  # @param {type:'slider', min:1e-4, max:1e-1, log:true}", 0.01, "0.01"),
        ("x = True  # @param", False, "False"),
        ("x = '2024-01-01'  # @param {type:'date'}", dt.date(2025, 3, 4), "'2025-03-04'"),
        ("x = '2024-01-01'  # @param {type:'date'}", "2025-03-04", "'2025-03-04'"),
        ("x = f(1)  # @param {type:'raw'}", "  g(2) + [3]  ", "g(2) + [3]"),
        ("x = 'a'  # @param ['a', 'b']", "b", "'b'"),
        ("x = 'a'  # @param ['a', 3] {allow-input: true}", 5, "5"),
        ("x = np.inf  # @param ['np.inf', '1'] {type:'raw'}", "1", "1"),
    ],
)
def test_render_value(line, new, text):
    spec = _one(line + "\n")
    rendered = render_value(spec, new)
    assert rendered == text
    if spec.kind != "raw" and not spec.raw:
        ast.literal_eval(rendered)


@pytest.mark.parametrize(
    ("line", "new", "error"),
    [
        ("x = 'a'  # @param", 3, TypeError),
        ("x = 3  # @param", "3", TypeError),
        ("x = 3  # @param", True, TypeError),
        ("x = 3  # @param {type:'integer'}", 3.5, ValueError),
        ("x = 3.0  # @param", float("nan"), ValueError),
        ("x = 3.0  # @param", float("inf"), ValueError),
        ("x = 3  # @param {type:'number', min:0, max:5}", 6, ValueError),
        ("x = True  # @param", 1, TypeError),
        ("x = '2024-01-01'  # @param {type:'date'}", "tomorrow", ValueError),
        ("x = 'a'  # @param ['a', 'b']", "c", ValueError),
        ("x = 'a'  # @param ['a', 'b']", {1, 2}, ValueError),
        ("x = 'a'  # @param ['a'] {allow-input: true}", object(), ValueError),
        ("x = np.inf  # @param ['np.inf', '1'] {type:'raw'}", "2", ValueError),
        ("x = f(1)  # @param {type:'raw'}", 3, TypeError),
        ("x = f(1)  # @param {type:'raw'}", "", ValueError),
        ("x = f(1)  # @param {type:'raw'}", "1 +", ValueError),
        ("x = f(1)  # @param {type:'raw'}", "(1,\n2)", ValueError),
        ("x = f(1)  # @param {type:'raw'}", "1  # comment", ValueError),
        ("x = f(1)  # @param {type:'raw'}", "1; import os", ValueError),
        ("x = f(1)  # @param {type:'raw'}", "1 = y", ValueError),
        ("x = f(1)  # @param {type:'raw'}", "y = 1", ValueError),
        ("x = f(1)  # @param {type:'raw'}", "1 \\", ValueError),
        ("x = f(1)  # @param {type:'raw'}", "a\x00", ValueError),
    ],
)
def test_render_value_refuses(line, new, error):
    with pytest.raises(error):
        render_value(_one(line + "\n"), new)


def test_apply_edit_refuses_a_changed_cell():
    cell = "x = 1  # @param\n"
    spec = _one(cell)
    with pytest.raises(ValueError, match="the cell changed"):
        apply_edit("y = 22  # @param\n", spec, 3)


def test_apply_edit_in_parentheses_and_annotated():
    cell = "x: float = (1.5)  # @param {type:'number'}\n"
    edited = apply_edit(cell, _one(cell), 2.25)
    assert edited == "x: float = (2.25)  # @param {type:'number'}\n"


# ---- properties ------------------------------------------------------------------------------

_OTHER = [
    "",
    "import math",
    "s = '# @param x'",
    't = "x = 1  # @param"',
    "# just a comment with é and ☃",
    "def f(a):\n    b = 2  # @param\n    return a + b",
    "print('😀', {'k': [1, 2]})",
    "%matplotlib inline",
    "!echo hi",
    "y = (1,\n     2)",
    "z\t=\t3",
]

_VALUES = {
    "string": st.text(max_size=12),
    "integer": st.integers(min_value=-(10**20), max_value=10**20),
    "number": st.floats(allow_nan=False, allow_infinity=False),
    "boolean": st.booleans(),
}
_QUOTES = ["'", '"', "'''", '"""', "r'", 'u"']


@st.composite
def _cells(draw):
    kinds = draw(st.lists(st.sampled_from(sorted(_VALUES)), min_size=1, max_size=4))
    params = []
    for index, kind in enumerate(kinds):
        value = draw(_VALUES[kind])
        if kind == "string":
            text = render_value(
                ParamSpec("p", "string", "", "''", (0, 0), quote=draw(st.sampled_from(_QUOTES))),
                value,
            )
        else:
            text = repr(value)
        marker = draw(st.sampled_from(["# @param", "#@param", f"# @param {{type:'{kind}'}}"]))
        space = draw(st.sampled_from([" ", "  ", "\t"]))
        params.append(f"p{index} ={space}{text}{space}{marker}")
    lines = [*params]
    for _ in range(draw(st.integers(0, 4))):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(_OTHER)))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    cell = ending.join(line.replace("\n", ending) for line in lines) + draw(
        st.sampled_from(["", ending])
    )
    return cell, kinds


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_apply_edit_changes_only_the_value_span(data):
    cell, kinds = data.draw(_cells())
    form = parse_form(cell)
    assert len(form.params) == len(kinds)
    index = data.draw(st.integers(0, len(kinds) - 1))
    spec = form.params[index]
    assert spec.error is None
    new = data.draw(_VALUES[kinds[index]])
    edited = apply_edit(cell, spec, new)
    start, end = spec.span
    rendered = render_value(spec, new)
    assert edited[:start] == cell[:start]
    assert edited[start + len(rendered) :] == cell[end:]
    ast.parse(edited.replace("%matplotlib inline", "pass").replace("!echo hi", "pass"))
    again = parse_form(edited).params[index]
    assert again.value == new
    assert type(again.value) is type(new) or kinds[index] == "number"
    assert again.span == (start, start + len(rendered))


@settings(max_examples=100, deadline=None)
@given(value=st.text())
def test_any_string_round_trips_in_every_quote_style(value):
    for quote in _QUOTES:
        spec = _one(f"x = {quote}a{quote.lstrip('ru')}  # @param\n")
        rendered = render_value(spec, value)
        assert ast.literal_eval(rendered) == value
        assert _one(f"x = {rendered}  # @param\n").value == value
