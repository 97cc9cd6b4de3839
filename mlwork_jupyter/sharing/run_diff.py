"""The report of `diff`: params, data, code, metrics, then environment, noise left out."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.display.report import Code, Report, Table
from mlwork_jupyter.provenance import environment
from mlwork_jupyter.sharing.keras_names import auto_name_bases, without_auto_numbers
from mlwork_jupyter.sharing.report_cells import is_multiline, metric_text, value_text

if TYPE_CHECKING:
    from mlwork_jupyter.provenance.record import RunRecord

__all__ = ["diff_report"]


def _pairs(a: dict[str, Any], b: dict[str, Any]) -> list[list[str]]:
    rows = []
    for key in sorted(a.keys() | b.keys()):
        va, vb = a.get(key), b.get(key)
        if va != vb:
            rows.append([key, "" if va is None else str(va), "" if vb is None else str(vb)])
    return rows


def _leaves(params: dict[str, Any]) -> dict[str, Any]:
    """Return params with dict values spread out: ``optimizer_config.learning_rate``."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, dict) and value:
            out.update({f"{key}.{k}": v for k, v in _leaves(value).items()})
        else:
            out[key] = value
    return out


def _unified(a: str, b: str, names: tuple[str, str]) -> str:
    lines = difflib.unified_diff(a.splitlines(), b.splitlines(), *names, lineterm="")
    return "\n".join(lines)


def _squeezed(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


def _span(start: int, stop: int) -> str:
    """Return a hunk's line range as unified diffs write it (difflib's rule)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if length == 0 else start + 1},{length}"


def _unified_columns(a: str, b: str, names: tuple[str, str]) -> str:
    """Return a unified diff of two texts laid out in columns, blind to how wide they are.

    A model summary pads its columns to its longest name: renumbered names leave them one
    width in one run and another in the other, which is not a change. Context is `b`'s.
    """
    lines_a, lines_b = a.splitlines(), b.splitlines()
    matcher = difflib.SequenceMatcher(None, _squeezed(a), _squeezed(b), autojunk=False)
    out = []
    for group in matcher.get_grouped_opcodes(3):
        first, last = group[0], group[-1]
        out.append(f"@@ -{_span(first[1], last[2])} +{_span(first[3], last[4])} @@")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out += [" " + line for line in lines_b[b1:b2]]
                continue
            out += ["-" + line for line in lines_a[a1:a2]]
            out += ["+" + line for line in lines_b[b1:b2]]
    return "\n".join([f"--- {names[0]}", f"+++ {names[1]}", *out]) if out else ""


def _param_changes(
    a: dict[str, Any], b: dict[str, Any], names: tuple[str, str]
) -> tuple[list[list[str]], list[Code], list[str]]:
    """Return the params that differ: short ones as rows, texts as diffs; and those renamed only.

    Keras' automatic names are renumbered in both runs before they are compared
    (`keras_names`): a rebuilt model's ``dense_3`` is the earlier run's ``dense``.
    """
    leaves_a, leaves_b = _leaves(a), _leaves(b)
    bases = auto_name_bases(
        v for v in [*leaves_a.values(), *leaves_b.values()] if isinstance(v, str)
    )
    rows: list[list[str]] = []
    texts: list[Code] = []
    renamed: list[str] = []
    for key in sorted(leaves_a.keys() | leaves_b.keys()):
        va, vb = leaves_a.get(key), leaves_b.get(key)
        if va == vb:
            continue
        na = without_auto_numbers(va, bases) if isinstance(va, str) else va
        nb = without_auto_numbers(vb, bases) if isinstance(vb, str) else vb
        if is_multiline(va) or is_multiline(vb):
            diff = _unified_columns(value_text(na), value_text(nb), names)
            if diff:
                texts.append(Code(key, diff, diff=True))
            else:
                renamed.append(key)
        elif na == nb:
            renamed.append(key)
        else:
            rows.append([key, value_text(va), value_text(vb)])
    return rows, texts, renamed


def _data(record: RunRecord) -> dict[str, str]:
    return {
        f"{'read' if r in record.inputs else 'wrote'} {r.name}": (
            f"run {r.fingerprint[-8:]}"
            if r.kind == "model" and r.fingerprint
            else r.fingerprint[:12]
        )
        for r in record.inputs + record.outputs
    }


def diff_report(
    a: RunRecord, b: RunRecord, env_a: dict[str, Any] | None, env_b: dict[str, Any] | None
) -> Report:
    """Return what differs between two runs: params, data, code, metrics, then environment.

    Texts (the code, a model summary) are unified diffs; Keras' automatic layer and model
    names count as equal when only their numbers differ (``sequential_1``, ``dense_3``).
    """
    names = (a.id[-8:], b.id[-8:])
    cols = ["name", *names]
    rows, texts, renamed = _param_changes(a.params, b.params, names)
    params = Table("params", cols, rows)
    data = Table("data", cols, _pairs(_data(a), _data(b)))
    code = Code("code", _unified(a.code, b.code, names) if a.code != b.code else "", diff=True)
    metrics = Table(
        "metrics",
        cols,
        _pairs(
            {k: metric_text(v) for k, v in a.metrics.items()},
            {k: metric_text(v) for k, v in b.metrics.items()},
        ),
    )
    env = Table("environment", cols)
    if env_a is not None and env_b is not None:
        env.rows = [[k, str(old), str(new)] for k, old, new in environment.diff(env_a, env_b)]
    notes = []
    if renamed:
        notes.append(
            f"not shown: {', '.join(renamed)}, which differ only in Keras' automatic names "
            "(`dense_3` for `dense`)"
        )
    if not (params.rows or texts or data.rows or code.body or metrics.rows or env.rows):
        notes.append("the two runs recorded the same code, params, metrics, data and environment")
    return Report([params, *texts, data, code, metrics, env], notes)
