"""`deploy`: export, quantize, write the card and serve, in one call the deploy stage makes.

The stage brings what only it knows (the store's folder, the training and evaluation records,
the environment snapshot, the schema from lineage) and gets back a `Deployment`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.ml.serving.card import model_card
from mlwork_jupyter.ml.serving.export import export_model, model_kind
from mlwork_jupyter.ml.serving.layout import DeployError
from mlwork_jupyter.ml.serving.quantize import KINDS, check_kinds
from mlwork_jupyter.ml.serving.quantize import quantize as make_variants
from mlwork_jupyter.ml.serving.server import Server, start_server

if TYPE_CHECKING:
    import os
    from pathlib import Path

    from mlwork_jupyter.ml.serving.layout import Export
    from mlwork_jupyter.ml.serving.quantize import Variant

__all__ = ["Deployment", "deploy", "serve"]


@dataclass(eq=False)
class Deployment:
    """An exported version, its card and variants, and its server when one was started."""

    export: Export
    card: dict[str, Any]
    variants: dict[str, Variant] = field(default_factory=dict)
    server: Server | None = None

    @property
    def name(self) -> str:
        """The model's name."""
        return self.export.name

    @property
    def version(self) -> int:
        """The exported version."""
        return self.export.version

    @property
    def path(self) -> Path:
        """The version's folder."""
        return self.export.path

    @property
    def schema(self) -> dict[str, Any]:
        """The input schema (`schema.json`)."""
        return self.export.schema

    @property
    def url(self) -> str | None:
        """The server's base URL, or None when not served."""
        return None if self.server is None else self.server.url

    def stop(self) -> None:
        """Stop the server, if one runs."""
        if self.server is not None:
            self.server.stop()

    def __repr__(self) -> str:
        """Return e.g. ``<Deployment iris version 2 at http://127.0.0.1:8501>``."""
        where = f" at {self.url}" if self.url else f" in {self.path}"
        return f"<Deployment {self.name} version {self.version}{where}>"


def _kinds(wanted: Any, rows: bool) -> list[str]:  # noqa: FBT001
    if wanted is True:
        return list(KINDS) if rows else [k for k in KINDS if k != "int8"]
    return [wanted] if isinstance(wanted, str) else list(wanted)


def deploy(
    model: Any,
    models_dir: str | os.PathLike[str],
    name: str,
    *,
    version: int | None = None,
    example: Any = None,
    schema: Any = None,
    quantize: Any = None,
    eval_data: Any = None,
    serve: bool = False,
    port: int = 0,
    host: str = "127.0.0.1",
    log_dir: str | os.PathLike[str] | None = None,
    training: dict[str, Any] | None = None,
    evaluation: dict[str, Any] | None = None,
    environment: Any = None,
    trust: tuple[str, ...] | list[str] = (),
) -> Deployment:
    """Export `model`, make the TFLite variants asked for, write its card, maybe serve it.

    Parameters
    ----------
    quantize
        None, a kind, a list of kinds (``dynamic``, ``float16``, ``int8``), or True for all
        (int8 only with rows to calibrate on: `example` or `eval_data`).
    eval_data
        ``x`` or ``(x, y)`` for the variants' comparison with the float model.
    training, evaluation, environment
        From the records, for the model card (see `model_card`).

    Other parameters are `export_model`'s and `start_server`'s.
    """
    kinds: list[str] = []
    if quantize:  # checked before anything is written
        kinds = check_kinds(_kinds(quantize, example is not None or eval_data is not None))
        if model_kind(model) != "keras":
            raise DeployError("quantize= makes TFLite variants of Keras models only")
    export = export_model(model, models_dir, name, version, example, schema=schema, trust=trust)
    variants: dict[str, Variant] = {}
    if kinds:
        variants = make_variants(export, kinds, example=example, eval_data=eval_data)
    card = model_card(
        export, training=training, evaluation=evaluation, environment=environment, variants=variants
    )
    server = None
    if serve:
        server = start_server(
            models_dir, name, export.version, port=port, host=host, log_dir=log_dir
        )
    return Deployment(export, card, variants, server)


def serve(
    models_dir: str | os.PathLike[str],
    name: str,
    *,
    version: int | None = None,
    port: int = 0,
    host: str = "127.0.0.1",
    log_dir: str | os.PathLike[str] | None = None,
) -> Server:
    """Serve an exported version (default: the latest) of `name`; see `start_server`."""
    return start_server(models_dir, name, version, port=port, host=host, log_dir=log_dir)
