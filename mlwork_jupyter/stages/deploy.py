"""The `deploy` stage: `mlwork.deploy` exports, cards from lineage, `--serve` servers."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from mlwork_jupyter.stages.base import CellRequest, Stage

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

    from mlwork_jupyter.stages.run import ActiveRun

__all__ = ["DeployStage"]


class DeployStage(Stage):
    """Export and serve models; with ``--serve``, every model the cell deployed is served."""

    name = "deploy"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add ``--serve``, ``--port`` and ``--host``."""
        parser.add_argument(
            "--serve",
            action="store_true",
            help="serve every model the cell deployed (TF Serving and MLflow REST protocols)",
        )
        parser.add_argument("--port", type=int, default=0, help="first port (0: free ports)")
        parser.add_argument(
            "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1 only)"
        )

    @contextlib.contextmanager
    def around(self, run: ActiveRun, request: CellRequest) -> Iterator[None]:
        """After a cell that ran to its end, serve what it deployed when ``--serve`` asks."""
        yield
        options = request.options
        if not getattr(options, "serve", False):
            return
        from mlwork_jupyter.stages.deployment import serve_in_run

        port = int(getattr(options, "port", 0))
        for index, dep in enumerate(run.deployments):
            if dep.server is None:
                dep.server = serve_in_run(
                    run,
                    dep.name,
                    version=dep.version,
                    port=port + index if port else 0,
                    host=str(getattr(options, "host", "127.0.0.1")),
                )
                print(f"mlwork: serving {dep.name} version {dep.version} at {dep.url}")  # noqa: T201
