"""`mlwork.deploy` and `mlwork.serve` inside a run: exports, cards from lineage, servers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlwork_jupyter.errors import MlworkError

if TYPE_CHECKING:
    from pathlib import Path

    from mlwork_jupyter.ml.serving.deployment import Deployment
    from mlwork_jupyter.ml.serving.server import Server
    from mlwork_jupyter.stages.run import ActiveRun

__all__ = ["deploy_in_run", "models_dir", "serve_in_run"]

# Servers this kernel started, held so that a handle the user dropped does not stop its
# server when collected; each stops with the kernel (and watches for the kernel's death).
_SERVERS: list[Server] = []


def models_dir(run: ActiveRun) -> Path:
    """Return ``<store>/models``, where exports live; the store must be open."""
    if run.store is None:
        raise MlworkError(
            "deploy needs the run store (it holds the exports under .mlwork/models); "
            "the store could not be opened, see the card's warning"
        )
    return run.store.root / "models"


def _lineage(run: ActiveRun, model: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Return the compact records of the run that trained `model` and of its latest evaluation."""
    training = None if run.training is None else run.training.for_values([model])
    if training is None or run.store is None:
        return None, None
    found: list[dict[str, Any] | None] = []
    for run_id in (training.run_id, *training.evaluations[-1:]):
        try:
            found.append(run.store.get_run(run_id).compact())
        except Exception:  # a store written by another kernel, or pruned: no lineage for it
            found.append(None)
    return found[0], (found[1] if len(found) > 1 else None)


def deploy_in_run(
    run: ActiveRun,
    model: Any,
    name: str,
    *,
    version: int | None = None,
    example: Any = None,
    quantize: Any = None,
    serve: bool = False,
    port: int = 0,
    host: str = "127.0.0.1",
) -> Deployment:
    """Export `model` as `name`, write its card from lineage, quantize and serve as asked."""
    from mlwork_jupyter.ml.serving.deployment import deploy
    from mlwork_jupyter.provenance import environment

    training, evaluation = _lineage(run, model)
    snapshot = environment.snapshot()
    dep = deploy(
        model,
        models_dir(run),
        name,
        version=version,
        example=example,
        quantize=quantize,
        serve=serve,
        port=port,
        host=host,
        training=training,
        evaluation=evaluation,
        environment={"hash": snapshot.hash, "packages": environment.packages_in_use(snapshot)},
    )
    if dep.server is not None:
        _SERVERS.append(dep.server)
    _store_profile(run, model, dep)
    run.log_params({f"deploy.{dep.name}.version": dep.version})
    for kind, variant in dep.variants.items():
        size = getattr(variant, "size_bytes", None)
        if isinstance(size, int | float):
            run.log_metrics({f"deploy.{dep.name}.{kind}.bytes": float(size)})
    if training is None:
        run.warn(
            f"deploy {dep.name!r}: no train run of this kernel produced this model; "
            "its card has no training data or metrics"
        )
    run.deployments.append(dep)
    return dep


def _store_profile(run: ActiveRun, model: Any, dep: Deployment) -> None:
    """Keep the training data's profile beside the export: the monitor's default reference."""
    from mlwork_jupyter.stages.training_profile import store_training_profile

    rows = None if run.training is None else run.training.for_values([model])
    try:
        table = store_training_profile(rows, dep.path)
    except Exception as exc:  # the export stands; the monitor then needs reference=
        run.warn(f"deploy {dep.name!r}: training profile not stored ({exc})")
        return
    if table is not None:
        run.log_params({f"deploy.{dep.name}.reference": table})


def serve_in_run(
    run: ActiveRun, name: str, *, version: int | None = None, port: int = 0, host: str = "127.0.0.1"
) -> Server:
    """Serve an exported version (default: the latest) of `name` from this run's store."""
    from mlwork_jupyter.ml.serving.deployment import serve

    server = serve(models_dir(run), name, version=version, port=port, host=host)
    _SERVERS.append(server)
    run.log_params({f"serve.{server.name}.url": server.url})
    return server
