import ast

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlwork_jupyter.errors import MlworkError
from mlwork_jupyter.provenance.source import (
    UnknownParameterError,
    apply_overrides,
    find_assignments,
    parse_value,
)

CELL = (
    "%%mlwork train --name forest\n"
    "%matplotlib inline\n"
    "note = 'a = 1  # @param'  # not a param: the comment is inside the string\n"
    'label = "é#=x"  # @param ["é#=x", "b"]\n'
    "sizes = [\n    1,\n    2,\n]  # @param\n"
    "rate: float = 1e-3  # @param {type:'slider'}\n"
    "    \n"
    "!echo done\n"
    "model = train(rate)\n"
)


def _nb(*sources, tags=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    for index, cell_tags in (tags or {}).items():
        nb.cells[index].metadata["tags"] = cell_tags
    return nb


def test_assignments_are_found_by_tokenize_and_ast_spans():
    found = find_assignments(CELL)
    assert found["label"].text == '"é#=x"'
    assert found["sizes"].text == "[\n    1,\n    2,\n]"
    assert found["rate"].text == "1e-3"
    assert (found["label"].is_param, found["sizes"].is_param, found["rate"].is_param) == (
        True,
        True,
        True,
    )
    assert found["note"].is_param is False
    assert found["model"].is_param is False
    for item in found.values():
        assert CELL[item.start : item.end] == item.text


def test_only_the_value_span_changes():
    nb = _nb("x = 1", CELL)
    applied, inserted = apply_overrides(nb, [("rate", "0.5"), ("sizes", "[3]"), ("label", "b")])
    assert inserted is None
    new = nb.cells[1].source
    expected = (
        CELL.replace("1e-3", "0.5")
        .replace("[\n    1,\n    2,\n]", "[3]")
        .replace('"é#=x"  # @param', "'b'  # @param")
    )
    assert new == expected
    assert [(o.name, o.value, o.how, o.cell_index, o.was) for o in applied] == [
        ("rate", 0.5, "rewritten", 1, "1e-3"),
        ("sizes", [3], "rewritten", 1, "[\n    1,\n    2,\n]"),
        ("label", "b", "rewritten", 1, '"é#=x"'),
    ]
    assert nb.cells[0].source == "x = 1"


def test_a_string_parameter_stays_a_string():
    nb = _nb('name = "abc"  # @param {type:"string"}')
    [override] = apply_overrides(nb, [("name", "123")])[0]
    assert override.value == "123"
    assert nb.cells[0].source == "name = '123'  # @param {type:\"string\"}"


def test_a_parameters_cell_gets_an_injected_cell_after_it_as_papermill_does():
    nb = _nb("import x", "alpha = 0.1\nname = 'a'", "use(alpha)", tags={1: ["parameters"]})
    applied, inserted = apply_overrides(nb, [("alpha", "0.5"), ("name", "7"), ("extra", "x")])
    assert inserted == 2
    injected = nb.cells[2]
    assert injected.metadata["tags"] == ["injected-parameters"]
    assert ast.literal_eval(injected.source.splitlines()[1].split(" = ")[1]) == 0.5
    assert "name = '7'" in injected.source
    assert "extra = 'x'" in injected.source
    assert [o.how for o in applied] == ["injected"] * 3
    assert nb.cells[3].source == "use(alpha)"
    # A rerun of a rerun replaces the injected cell instead of stacking another one.
    applied, inserted = apply_overrides(nb, [("alpha", "0.9")])
    assert inserted is None
    assert len(nb.cells) == 4
    assert "alpha = 0.9" in nb.cells[2].source


def test_an_unknown_parameter_is_a_one_line_error():
    nb = _nb("x = 1  # plain", "y = 2")
    with pytest.raises(UnknownParameterError) as info:
        apply_overrides(nb, [("x", "3")])
    assert isinstance(info.value, MlworkError)
    assert isinstance(info.value, KeyError)
    assert str(info.value).startswith("parameter 'x' not found")


def test_cells_that_are_not_python_are_left_alone():
    assert find_assignments("%%bash\nx = 1  # @param\n") == {}
    assert find_assignments("%%time\nx = 1  # @param\n")["x"].text == "1"
    assert find_assignments("def f(:\n") == {}
    assert find_assignments("x = !ls\n") == {}


def test_values_parse_as_papermill_does():
    assert parse_value("3") == 3
    assert parse_value("True") is True
    assert parse_value("None") is None
    assert parse_value("adam") == "adam"
    assert parse_value("{'a': 1}") == {"a": 1}


_LITERALS = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@given(old=_LITERALS, new=_LITERALS, before=st.sampled_from(["", "import os\n", "%time x\n"]))
def test_rewriting_any_literal_round_trips(old, new, before):
    source = f"{before}value = {old!r}  # @param\nafter = value\n"
    nb = _nb(source)
    apply_overrides(nb, [("value", repr(new))])
    rewritten = nb.cells[0].source
    found = find_assignments(rewritten)["value"]
    expected = new
    if isinstance(old, str) and not isinstance(new, str):
        expected = repr(new)
    assert ast.literal_eval(found.text) == expected
    assert rewritten[: found.start] == source[: find_assignments(source)["value"].start]
    assert rewritten.endswith("  # @param\nafter = value\n")
