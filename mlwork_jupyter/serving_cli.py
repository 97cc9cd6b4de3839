"""The `mlwork serve` and `mlwork deploy-manifests` commands, over a store's exported models."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

__all__ = ["COMMANDS", "add_parsers", "run"]

COMMANDS = frozenset({"serve", "deploy-manifests"})
_DEFAULT_PORT = 8501  # TensorFlow Serving's REST port


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `serve` and `deploy-manifests` to the `mlwork` command's subcommands."""
    store_help = "the store folder (default: .mlwork here)"
    serve = sub.add_parser(
        "serve",
        help="serve an exported model (TF Serving REST and MLflow scoring protocols)",
        description="Serve an exported model in the foreground until Ctrl-C.",
        epilog="example: mlwork serve digits --version 2 --port 8501",
    )
    serve.add_argument("name", help="the deployment's name")
    serve.add_argument("--version", type=int, help="default: the latest")
    serve.add_argument("--port", type=int, default=_DEFAULT_PORT, help="default: 8501")
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1 (this machine)")
    serve.add_argument("--store", metavar="DIR", help=store_help)
    manifests = sub.add_parser(
        "deploy-manifests",
        help="Kubernetes manifests for an exported model",
        description="Write a Kubernetes Deployment and Service for an exported model.",
        epilog="example: mlwork deploy-manifests digits -o k8s/",
    )
    manifests.add_argument("name", help="the deployment's name")
    manifests.add_argument("--version", type=int, help="default: the latest")
    manifests.add_argument("-o", "--output", metavar="DIR", help="default: the version's folder")
    manifests.add_argument("--claim", default="mlwork-models", help="PersistentVolumeClaim")
    manifests.add_argument("--namespace", help="Kubernetes namespace")
    manifests.add_argument("--image", help="container image (default: chosen per model kind)")
    manifests.add_argument("--replicas", type=int, default=1)
    manifests.add_argument("--store", metavar="DIR", help=store_help)


def run(args: argparse.Namespace) -> int:
    """Carry out `serve` or `deploy-manifests`; return the exit status."""
    from mlwork_jupyter.provenance.store import default_store_dir

    models = Path(args.store or default_store_dir(Path())) / "models"
    if args.command == "serve":
        from mlwork_jupyter.ml.serving.server_main import main

        argv = ["--models-dir", str(models), "--name", args.name]
        argv += ["--host", args.host, "--port", str(args.port)]
        if args.version is not None:
            argv += ["--version", str(args.version)]
        return main(argv)
    from mlwork_jupyter.ml.serving.manifests import write_manifests

    paths = write_manifests(
        models,
        args.name,
        args.version,
        args.output,
        claim=args.claim,
        namespace=args.namespace,
        image=args.image,
        replicas=args.replicas,
    )
    for path in paths:
        print(path)  # noqa: T201 - the command's output
    return 0
