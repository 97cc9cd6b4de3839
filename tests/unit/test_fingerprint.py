"""Fingerprints of frames, series, arrays, tensors and files, on real data."""

from __future__ import annotations

import inspect
import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xxhash
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mlwork_jupyter.provenance.fingerprint import (
    Fingerprint,
    data_kind,
    fingerprint_file,
    fingerprint_value,
    row_hashes,
)


def digest(value: object, **kwargs: object) -> str:
    return fingerprint_value(value, **kwargs).digest  # type: ignore[arg-type]


ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, **env: str) -> str:
    """Run code in a fresh interpreter that imports this checkout, and return its stdout."""
    paths = [p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p]
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths), **env},
        cwd=tempfile.gettempdir(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def sample_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "f": [1.5, np.nan, -2.0, 3.25],
            "i": np.array([1, 2, 3, 4], dtype=np.int64),
            "b": [True, False, True, True],
            "s": ["x", None, "nan", ""],
            "o": pd.Series(["a", 1, None, 2.5], dtype=object),
            "c": pd.Categorical(["u", "v", "u", None]),
            "t": pd.to_datetime(["2020-01-01", None, "2021-06-01", "2022-01-01"]),
            "tz": pd.to_datetime(["2020-01-01"] * 4).tz_localize("Europe/Paris"),
            "n": pd.array([1, None, 3, 4], dtype="Int64"),
            "nb": pd.array([True, None, False, True], dtype="boolean"),
        },
        index=pd.Index([10, 20, 30, 40], name="row"),
    )


# -- the record itself -----------------------------------------------------------------------


def test_fields_and_as_dict_are_json_ready() -> None:
    fp = fingerprint_value(sample_frame())
    assert fp.kind == "frame"
    assert fp.method == "full"
    assert fp.shape == (4, 10)
    assert len(fp.digest) == 32
    assert fp.digest == fp.digest.lower()
    int(fp.digest, 16)
    assert fp.schema is not None
    assert fp.schema["s"] == "str"
    assert fp.schema["n"] == "Int64"
    assert fp.size is not None
    assert fp.size > 0
    data = json.loads(json.dumps(fp.as_dict()))
    assert data["shape"] == [4, 10]
    assert data["digest"] == fp.digest
    with pytest.raises(AttributeError):
        fp.digest = "0" * 32  # type: ignore[misc]


def test_data_kind() -> None:
    frame = sample_frame()
    assert data_kind(frame) == "frame"
    assert data_kind(frame["f"]) == "series"
    assert data_kind(np.zeros(3)) == "array"
    assert data_kind(np.ma.masked_array([1, 2])) == "array"
    for value in (1, 2.0, "text", None, [1, 2], {"a": 1}, np.float64(1.0), frame.index, print):
        assert data_kind(value) is None


def test_non_data_raises_one_line_type_error() -> None:
    with pytest.raises(TypeError, match="cannot fingerprint a list") as info:
        fingerprint_value([1, 2, 3])
    assert "\n" not in str(info.value)
    with pytest.raises(TypeError):
        row_hashes({"a": 1})


def test_sample_rows_must_be_positive() -> None:
    with pytest.raises(ValueError, match="sample_rows"):
        fingerprint_value(sample_frame(), sample_rows=0)


# -- frames: what must differ ---------------------------------------------------------------


def test_dtype_order_index_and_labels_all_count() -> None:
    base = pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]})
    variants = [
        base.astype({"a": "float64"}),
        base.astype({"a": "int32"}),
        base[["b", "a"]],
        base.set_axis([1, 2, 3]),
        base.rename_axis("idx"),
        base.rename_axis("cols", axis=1),
        base.rename(columns={"a": "A"}),
        base.iloc[:2],
        base.assign(b=[4, 5, 7]),
    ]
    digests = {digest(base)} | {digest(v) for v in variants}
    assert len(digests) == len(variants) + 1


def test_column_labels_are_length_prefixed() -> None:
    one = pd.DataFrame([[1, 2]], columns=["ab", "c"])
    two = pd.DataFrame([[1, 2]], columns=["a", "bc"])
    assert digest(one) != digest(two)
    assert digest(pd.DataFrame({1: [1]})) != digest(pd.DataFrame({"1": [1]}))


def test_missing_text_differs_from_the_text_nan() -> None:
    def col(values: list[object], dtype: str) -> str:
        return digest(pd.DataFrame({"s": pd.Series(values, dtype=dtype)}))

    for dtype in ("str", "string", "object"):
        assert len({col(["a", None], dtype), col(["a", "nan"], dtype), col(["a", ""], dtype)}) == 3
    assert col(["a", None], "object") != col(["a", float("nan")], "object")


def test_strings_containing_nul_are_unambiguous() -> None:
    one = pd.DataFrame({"s": ["a\x00b", "c"]})
    two = pd.DataFrame({"s": ["a", "b\x00c"]})
    assert digest(one) != digest(two)
    assert digest(one) == digest(pd.DataFrame({"s": ["a\x00b", "c"]}))


def test_object_columns_hash_mixed_values_by_type() -> None:
    def col(*values: object) -> str:
        return digest(pd.DataFrame({"o": pd.Series(list(values), dtype=object)}))

    firsts: list[object] = [1, "1", 1.0, True, b"1"]
    assert len({col(first, "x") for first in firsts}) == len(firsts)
    assert col((1, 2), None) == col((1, 2), None)


# -- frames: what must not differ -----------------------------------------------------------


def test_equal_frames_built_differently_are_equal() -> None:
    values = np.arange(12, dtype=np.float64).reshape(4, 3)
    from_dict = pd.DataFrame({"a": values[:, 0], "b": values[:, 1], "c": values[:, 2]})
    from_2d = pd.DataFrame(values, columns=["a", "b", "c"])  # strided column views
    from_records = pd.DataFrame.from_records(values.tolist(), columns=["a", "b", "c"])
    concatenated = pd.concat([from_dict.iloc[:1], from_dict.iloc[1:]])
    explicit_index = from_dict.set_axis(pd.Index([0, 1, 2, 3], dtype="int64"))
    assert isinstance(from_dict.index, pd.RangeIndex)
    assert not isinstance(explicit_index.index, pd.RangeIndex)
    assert len({digest(f) for f in (from_dict, from_2d, from_records, concatenated)}) == 1
    assert digest(explicit_index) == digest(from_dict)
    assert digest(sample_frame()) == digest(sample_frame().copy(deep=True))


def test_nan_bit_patterns_are_one_nan() -> None:
    quiet = np.array([1.0, np.nan])
    negative = np.array([1.0, 0.0])
    with np.errstate(invalid="ignore"):
        negative[1] = np.float64(0.0) / np.float64(0.0)  # 0xfff8... on x86
    payload = np.array([1, 0x7FF0000000000ABC], dtype=np.uint64).view(np.float64)
    payload[0] = 1.0
    bits = {a.view(np.uint64)[1] for a in (quiet, negative, payload)}
    assert len(bits) == 3
    assert len({digest(pd.DataFrame({"x": a})) for a in (quiet, negative, payload)}) == 1
    assert len({digest(a) for a in (quiet, negative, payload)}) == 1


def test_masked_values_under_the_mask_do_not_count() -> None:
    one = pd.array([1, 2, 3], dtype="Int64")
    two = pd.array([1, 99, 3], dtype="Int64")
    one[1] = pd.NA
    two[1] = pd.NA
    assert digest(pd.Series(one)) == digest(pd.Series(two))
    assert digest(pd.Series(one)) != digest(pd.Series(pd.array([1, 0, 3], dtype="Int64")))


def test_unordered_categories_in_another_order_are_equal() -> None:
    one = pd.Categorical(["a", "b", "a"], categories=["a", "b"])
    two = pd.Categorical(["a", "b", "a"], categories=["b", "a"])
    assert digest(pd.Series(one)) == digest(pd.Series(two))
    ordered_one = pd.Categorical(["a", "b"], categories=["a", "b"], ordered=True)
    ordered_two = pd.Categorical(["a", "b"], categories=["b", "a"], ordered=True)
    assert digest(pd.Series(ordered_one)) != digest(pd.Series(ordered_two))
    assert digest(pd.Series(one)) != digest(pd.Series(["a", "b", "a"]))


def test_multiindex_and_duplicate_columns() -> None:
    index = pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)], names=["k", "n"])
    frame = pd.DataFrame([[1, 2], [3, 4], [5, 6]], index=index, columns=["x", "x"])
    swapped = frame.iloc[:, [1, 0]].set_axis(["x", "x"], axis=1)
    assert digest(frame) == digest(frame.copy())
    assert digest(frame) != digest(swapped)
    assert digest(frame) != digest(frame.reset_index())


def test_digest_is_the_same_in_another_process() -> None:
    code = "\n".join(
        [
            "import numpy as np, pandas as pd",
            "from mlwork_jupyter.provenance.fingerprint import fingerprint_value",
            inspect.getsource(sample_frame),
            "print(fingerprint_value(sample_frame()).digest)",
        ]
    )
    assert run_python(code, PYTHONHASHSEED="12345") == digest(sample_frame())


# -- frames: properties ---------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=True, width=64).filter(
    lambda x: not (x == 0 and math.copysign(1.0, x) < 0)
)
COLUMN_VALUES = {
    "int64": st.integers(-(2**63), 2**63 - 1),
    "float64": st.one_of(finite, st.just(math.nan)),
    "bool": st.booleans(),
    "str": st.one_of(st.none(), st.text(max_size=4)),
    "object": st.one_of(st.none(), st.text(max_size=3), st.integers(-3, 3)),
    "category": st.one_of(st.none(), st.sampled_from(["lo", "mid", "hi"])),
}


@st.composite
def frames(draw: st.DrawFn, min_rows: int = 0) -> pd.DataFrame:
    nrows = draw(st.integers(min_rows, 5))
    kinds = draw(st.lists(st.sampled_from(sorted(COLUMN_VALUES)), min_size=1, max_size=4))
    data = {}
    for position, kind in enumerate(kinds):
        values = draw(st.lists(COLUMN_VALUES[kind], min_size=nrows, max_size=nrows))
        dtype = "category" if kind == "category" else kind
        data[f"c{position}"] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(data)


def equal_frames(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if list(a.columns) != list(b.columns) or list(a.dtypes) != list(b.dtypes):
        return False
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    except AssertionError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(frames(), frames())
def test_equal_frames_iff_equal_digests(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert equal_frames(a, b) == (digest(a) == digest(b))


@settings(max_examples=200, deadline=None)
@given(frames(), st.integers(0, 5))
def test_rebuilt_frames_keep_their_digest(frame: pd.DataFrame, split: int) -> None:
    rebuilt = pd.concat([frame.iloc[:split], frame.iloc[split:]])
    reversed_twice = frame.iloc[::-1].iloc[::-1]
    assert digest(rebuilt) == digest(frame)
    assert digest(reversed_twice) == digest(frame)
    assert digest(frame.copy(deep=True)) == digest(frame)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_single_cell_change_changes_the_digest(data: st.DataObject) -> None:
    frame = data.draw(frames(min_rows=1))
    column = data.draw(st.sampled_from(list(frame.columns)))
    row = data.draw(st.integers(0, len(frame) - 1))
    kind = str(frame[column].dtype)
    new = data.draw(COLUMN_VALUES[kind])
    changed = frame.copy()
    if kind == "category" and new is not None:
        changed[column] = changed[column].cat.set_categories(["lo", "mid", "hi"])
        frame = frame.assign(**{column: changed[column].copy()})
    changed.iloc[row, changed.columns.get_loc(column)] = new
    assume(not equal_frames(frame, changed))
    assert digest(changed) != digest(frame)


# -- sampling -------------------------------------------------------------------------------


def test_sampling_is_opt_in_deterministic_and_said() -> None:
    frame = pd.DataFrame({"a": np.arange(1000), "b": np.arange(1000) * 0.5})
    full = fingerprint_value(frame)
    sampled = fingerprint_value(frame, sample_rows=10)
    assert full.method == "full"
    assert sampled.method == "sampled (10 of 1000 rows)"
    assert sampled.shape == (1000, 2)
    assert sampled.digest != full.digest
    assert sampled == fingerprint_value(frame.copy(), sample_rows=10)
    assert fingerprint_value(frame, sample_rows=1000).method == "full"
    assert fingerprint_value(frame, sample_rows=5000).digest == full.digest
    # Rows 0, 100, ..., 900 are in the sample; row 1 is not.
    assert digest(frame.assign(a=frame["a"].where(frame.index != 1, -1)), sample_rows=10) == (
        sampled.digest
    )
    assert digest(frame.assign(a=frame["a"].where(frame.index != 100, -1)), sample_rows=10) != (
        sampled.digest
    )
    series = fingerprint_value(frame["a"], sample_rows=3)
    assert series.method == "sampled (3 of 1000 rows)"
    array = fingerprint_value(np.arange(50).reshape(25, 2), sample_rows=5)
    assert array.method == "sampled (5 of 25 rows)"
    assert array.shape == (25, 2)


# -- series, arrays, tensors ----------------------------------------------------------------


def test_series() -> None:
    series = pd.Series([1.0, 2.0], name="x")
    fp = fingerprint_value(series)
    assert (fp.kind, fp.shape, fp.schema) == ("series", (2,), {"dtype": "float64"})
    assert fp.digest != digest(series.rename("y"))
    assert fp.digest != digest(series.to_frame())
    assert fp.digest == digest(pd.Series(np.array([1.0, 2.0]), name="x"))


def test_arrays() -> None:
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    fp = fingerprint_value(base)
    assert (fp.kind, fp.shape, fp.schema) == ("array", (4, 6), {"dtype": "float64"})
    assert fp.digest == digest(np.asfortranarray(base))
    assert digest(base[:, ::2]) == digest(base[:, ::2].copy())
    assert digest(base[::-1]) == digest(base[::-1].copy())
    assert fp.digest != digest(base.reshape(6, 4))
    assert fp.digest != digest(base.astype(np.float32))
    assert fp.digest != digest(base.astype(">f8"))
    assert digest(np.array(["a", None, 1], dtype=object)) != digest(np.array(["a", "None", 1]))
    dates = np.array(["2020-01-01", "NaT"], dtype="datetime64[ns]")
    assert digest(dates) == digest(dates.copy())
    assert fingerprint_value(np.array(3.0)).shape == ()
    assert digest(np.array(3.0)) == digest(np.full((), 3.0)) != digest(np.array([3.0]))
    strings = np.array(["a", "bc"], dtype=np.dtypes.StringDType())
    assert digest(strings) == digest(np.array(["a", "bc"], dtype=np.dtypes.StringDType()))
    assert digest(strings) != digest(np.array(["ab", "c"], dtype=np.dtypes.StringDType()))
    assert digest(np.array([1 + 2j, np.nan])) == digest(np.array([1 + 2j, np.nan]))


@pytest.mark.tensorflow
def test_tensors_in_a_process_with_tensorflow() -> None:
    pytest.importorskip("tensorflow")
    code = """
        import numpy as np, tensorflow as tf
        from mlwork_jupyter.provenance.fingerprint import data_kind, fingerprint_value
        x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        v = tf.Variable(x)
        assert data_kind(x) == data_kind(v) == "tensor"
        fx, fv = fingerprint_value(x), fingerprint_value(v)
        assert fx.kind == "tensor" and fx.shape == (2, 2) and fx.schema == {"dtype": "float32"}
        assert fx.digest == fv.digest
        assert fx.digest != fingerprint_value(x + 1).digest
        print("ok")
    """
    assert run_python(code, TF_CPP_MIN_LOG_LEVEL="3") == "ok"


def test_tensor_types_need_their_library_imported() -> None:
    code = """
        import sys
        from mlwork_jupyter.provenance.fingerprint import data_kind
        assert data_kind(object()) is None
        assert not {"tensorflow", "torch", "keras"} & set(sys.modules)
        print("ok")
    """
    assert run_python(code) == "ok"


# -- row hashes -----------------------------------------------------------------------------


def test_row_hashes() -> None:
    frame = pd.DataFrame({"a": [1, 2, 1], "b": ["x", "y", "x"]}, index=[5, 6, 7])
    hashes = row_hashes(frame)
    assert hashes.dtype == np.uint64
    assert hashes.shape == (3,)
    assert hashes[0] == hashes[2] != hashes[1]
    array = np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0]])
    array_hashes = row_hashes(array)
    assert array_hashes.dtype == np.uint64
    assert array_hashes[0] == array_hashes[2] != array_hashes[1]
    assert row_hashes(np.arange(3)).shape == (3,)
    assert row_hashes(np.zeros((4, 2, 2))).shape == (4,)
    with pytest.raises(TypeError):
        row_hashes(np.array(1.0))


# -- files ----------------------------------------------------------------------------------


def test_file_digest_is_the_plain_xxh3_128_of_the_content(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "data.bin"  # type: ignore[operator]
    content = os.urandom(3 * (1 << 20) + 5)  # crosses the 1 MiB chunk boundaries
    path.write_bytes(content)
    fp = fingerprint_file(path)
    assert fp == Fingerprint(
        "file", xxhash.xxh3_128_hexdigest(content), "full", None, None, len(content)
    )
    empty = tmp_path / "empty"  # type: ignore[operator]
    empty.write_bytes(b"")
    assert fingerprint_file(str(empty)).digest == xxhash.xxh3_128_hexdigest(b"")
    with pytest.raises(FileNotFoundError):
        fingerprint_file(tmp_path / "missing")  # type: ignore[operator]


def test_file_cache_hits_and_invalidates(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "data.csv"  # type: ignore[operator]
    path.write_text("a,b\n1,2\n")
    first = fingerprint_file(path)
    assert fingerprint_file(path) is first  # cached: same object, file not read again
    link = tmp_path / "link.csv"  # type: ignore[operator]
    link.symlink_to(path)
    assert fingerprint_file(link) is first  # keyed on the real path
    stat = path.stat()
    path.write_text("a,b\n1,3\n")  # same size, new content
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = fingerprint_file(path)
    assert second.size == first.size
    assert second.digest != first.digest
    assert second.digest == xxhash.xxh3_128_hexdigest(b"a,b\n1,3\n")


def test_import_pulls_in_neither_ipython_nor_tensorflow_nor_pandas() -> None:
    code = """
        import sys
        import mlwork_jupyter.provenance
        before = set(sys.modules)
        import mlwork_jupyter.provenance.fingerprint
        import mlwork_jupyter.provenance.audit
        new = set(sys.modules) - before
        assert not {"IPython", "tensorflow"} & set(sys.modules), sorted(sys.modules)
        assert not {"pandas", "numpy"} & new, sorted(new)
        print("ok")
    """
    assert run_python(code) == "ok"
