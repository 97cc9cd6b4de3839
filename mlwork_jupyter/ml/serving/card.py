"""Model cards: what a version is, what it was trained and evaluated on, and how it scored.

`model_card` gathers the export's own facts (class, parameters, size, inputs, outputs), the
training and evaluation runs the deploy stage passes (record dicts: params, metrics and data
fingerprints), the environment and the TFLite variants, and writes ``card.json`` and ``card.md``
into the version folder. "Intended use" and "limitations" are the model owner's to write: the
card says so and leaves them empty unless given. A card can be written again (it describes
the export and is not part of it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.ml.serving.card_text import card_markdown
from mlwork_jupyter.ml.serving.quantize import VARIANTS_FILE, Variant

if TYPE_CHECKING:
    from mlwork_jupyter.ml.serving.layout import Export

__all__ = ["CARD_FORMAT", "card_markdown", "model_card"]

CARD_FORMAT = "mlwork-model-card/1"
_PACKAGES = ("tensorflow", "keras", "scikit-learn", "skops", "numpy", "pandas", "mlwork-jupyter")


def _run(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """Summarise a run record (its compact dict) for the card."""
    if record is None:
        return None
    data = [
        {k: ref.get(k) for k in ("name", "kind", "shape", "fingerprint", "method")}
        for ref in record.get("inputs", []) or []
    ]
    return {
        "run": record.get("id"),
        "name": record.get("name"),
        "stage": record.get("stage"),
        "status": record.get("status"),
        "started": record.get("started"),
        "duration_s": record.get("duration_s"),
        "notebook": record.get("notebook"),
        "code_hash": record.get("code_hash"),
        "data": data,
        "params": dict(record.get("params", {}) or {}),
        "metrics": dict(record.get("metrics", {}) or {}),
    }


def _environment(environment: Any) -> dict[str, Any] | None:
    """Summarise an environment snapshot (its data dict, or a `Snapshot`)."""
    if environment is None:
        return None
    data = getattr(environment, "data", environment)
    python = data.get("python") or {}
    system = data.get("platform") or {}
    packages = data.get("packages") or {}
    return {
        "hash": getattr(environment, "hash", None) or data.get("hash"),
        "python": python.get("version") if isinstance(python, dict) else python,
        "platform": " ".join(str(system.get(k, "")) for k in ("os", "release", "machine")).strip()
        if isinstance(system, dict)
        else system,
        "accelerators": [
            a.get("name", str(a)) if isinstance(a, dict) else str(a)
            for a in data.get("accelerators") or []
        ],
        "packages": {k: packages[k] for k in _PACKAGES if k in packages},
        "git": (data.get("git") or {}).get("commit") if isinstance(data.get("git"), dict) else None,
    }


def _variants(export: Export, variants: Any) -> list[dict[str, Any]]:
    if variants is None:
        index = export.path / VARIANTS_FILE
        return (
            list(json.loads(index.read_text(encoding="utf-8")).values()) if index.exists() else []
        )
    items = variants.values() if isinstance(variants, dict) else variants
    return [v.as_dict() if isinstance(v, Variant) else dict(v) for v in items]


def model_card(
    export: Export,
    *,
    training: dict[str, Any] | None = None,
    evaluation: dict[str, Any] | None = None,
    environment: Any = None,
    variants: Any = None,
    intended_use: str | None = None,
    limitations: str | None = None,
) -> dict[str, Any]:
    """Build the model card of `export`, write ``card.json`` and ``card.md``, and return it.

    Parameters
    ----------
    training, evaluation
        The runs' record dicts (``RunRecord.compact()``): id, name, params, metrics, inputs.
    environment
        The training environment's snapshot (``Snapshot`` or its ``data`` dict).
    variants
        `quantize`'s result; default: what ``variants.json`` holds.
    intended_use, limitations
        The owner's words; None leaves the field for them to fill.
    """
    info = export.info
    main = "model.keras" if export.kind == "keras" else "model.skops"
    serving = info.get("signatures", {}).get("serving_default", {})
    card = {
        "format": CARD_FORMAT,
        "model": {
            "name": export.name,
            "version": export.version,
            "kind": export.kind,
            "class": info.get("model_class"),
            "parameters": info.get("parameters"),
            "hyperparameters": info.get("hyperparameters"),
            "size_bytes": info.get("size_bytes"),
            "file": main,
            "file_xxh3": info.get("files", {}).get(main, {}).get("xxh3"),
            "created": info.get("created"),
            "frameworks": info.get("frameworks", {}),
        },
        "inputs": export.schema,
        "outputs": serving.get("outputs", {}),
        "training": _run(training),
        "evaluation": _run(evaluation),
        "environment": _environment(environment),
        "intended_use": intended_use,
        "limitations": limitations,
        "to_fill": [
            k
            for k, v in (("intended_use", intended_use), ("limitations", limitations))
            if v is None
        ],
        "variants": _variants(export, variants),
    }
    (export.path / "card.json").write_text(
        json.dumps(card, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    (export.path / "card.md").write_text(card_markdown(card), encoding="utf-8")
    return card
