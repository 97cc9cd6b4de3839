"""A model card as Markdown (``card.md``): tables whose cells cannot break the table.

Cell values have pipes and backslashes escaped, line breaks joined and ``<``/``>`` written as
entities, so a run name or parameter value can neither end a cell nor inject HTML.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["TO_FILL", "card_markdown"]

TO_FILL = "Not written yet: the model's owner fills this in (edit card.json and card.md)."


def _cell(value: Any) -> str:
    """Return `value` as one markdown table cell: pipes escaped, no line breaks, no raw HTML."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.splitlines())


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["(none)", ""]
    lines = ["| " + " | ".join(map(_cell, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(_cell, row)) + " |" for row in rows]
    return [*lines, ""]


def _size(value: Any) -> str:
    if not isinstance(value, int):
        return ""
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} B"


def _run_lines(title: str, run: dict[str, Any] | None) -> list[str]:
    lines = [f"## {title}", ""]
    if run is None:
        return [*lines, "No run recorded.", ""]
    lines += _table(
        ["run", "name", "status", "started", "duration (s)"],
        [[run["run"], run["name"], run["status"], run["started"], run["duration_s"]]],
    )
    lines += [
        "**Data**",
        "",
        *_table(
            ["name", "kind", "shape", "fingerprint"],
            [[d["name"], d["kind"], d["shape"], d["fingerprint"]] for d in run["data"]],
        ),
    ]
    lines += [
        "**Parameters**",
        "",
        *_table(["parameter", "value"], [[k, v] for k, v in run["params"].items()]),
    ]
    return [
        *lines,
        "**Metrics**",
        "",
        *_table(["metric", "value"], [[k, v] for k, v in run["metrics"].items()]),
    ]


def card_markdown(card: dict[str, Any]) -> str:
    """Return the card as Markdown (``card.md``)."""
    model = card["model"]
    title = " ".join(f"{model['name']}, version {model['version']}".splitlines())
    frameworks = ", ".join(f"{k} {v}" for k, v in model.get("frameworks", {}).items())
    lines = [f"# Model card: {title}", "", "## Model details", ""]
    lines += _table(
        ["", ""],
        [
            ["class", model["class"]],
            ["kind", model["kind"]],
            ["parameters", model["parameters"]],
            ["size", _size(model["size_bytes"])],
            ["file", model["file"]],
            ["xxh3", model["file_xxh3"]],
            ["created", model["created"]],
            ["frameworks", frameworks],
        ],
    )
    fields = card["inputs"].get("fields", [])
    lines += [
        "## Inputs",
        "",
        *_table(
            ["name", "dtype", "shape"],
            [[f["name"], f.get("dtype"), f.get("shape")] for f in fields],
        ),
    ]
    lines += [
        "## Outputs",
        "",
        *_table(
            ["name", "dtype", "shape"],
            [[k, v.get("dtype"), v.get("shape")] for k, v in card["outputs"].items()],
        ),
    ]
    lines += _run_lines("Training", card["training"]) + _run_lines("Evaluation", card["evaluation"])
    env = card["environment"]
    lines += ["## Environment", ""]
    lines += (
        ["Not recorded.", ""]
        if env is None
        else _table(
            ["", ""],
            [
                ["python", env["python"]],
                ["platform", env["platform"]],
                ["accelerators", ", ".join(env["accelerators"]) or "none"],
                ["packages", ", ".join(f"{k} {v}" for k, v in env["packages"].items())],
                ["git commit", env["git"]],
                ["environment hash", env["hash"]],
            ],
        )
    )
    for key, heading in (("intended_use", "Intended use"), ("limitations", "Limitations")):
        text = card.get(key)
        lines += [f"## {heading}", "", f"_{TO_FILL}_" if text is None else str(text), ""]
    rows = [
        [
            v["kind"],
            _size(v["size_bytes"]),
            v.get("agreement"),
            v.get("max_abs_diff"),
            v.get("metric"),
            v.get("metric_value"),
            v.get("metric_delta"),
            v.get("latency_ms_per_row"),
            v.get("float_latency_ms_per_row"),
        ]
        for v in card["variants"]
    ]
    lines += [
        "## Quantized variants (TFLite)",
        "",
        *_table(
            [
                "kind",
                "size",
                "argmax agreement",
                "max abs diff",
                "metric",
                "value",
                "change",
                "ms/row",
                "float ms/row",
            ],
            rows,
        ),
    ]
    return "\n".join(lines).rstrip() + "\n"
