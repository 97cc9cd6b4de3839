"""Execute every notebook in example_notebooks/ end to end, each in a fresh kernel.

The executed copies (and the `.mlwork/` store and data files they write) go to --output.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """Execute the examples; return 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", default="build/executed", help="folder for executed copies")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()
    out = Path(args.output).resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    env = {**os.environ, "KERAS_HOME": str(out / ".keras")}
    failed = 0
    for source in sorted((ROOT / "example_notebooks").glob("*.ipynb")):
        target = out / source.name
        nb = nbformat.read(source, as_version=4)
        start = time.perf_counter()
        client = NotebookClient(
            nb,
            timeout=args.timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(out)}},
        )
        try:
            client.execute(env={**env, "JPY_SESSION_NAME": str(target)})
        except Exception as exc:
            failed += 1
            print(f"FAILED  {source.name}: {str(exc).strip().splitlines()[-1]}", file=sys.stderr)
        else:
            print(f"ok      {source.name} ({time.perf_counter() - start:.1f} s)")
        nbformat.write(nb, target)
    print(f"\nExecuted copies, with their .mlwork/ store: {out}")
    print(f"Open them in JupyterLab: {ROOT / '.venv/bin/jupyter'} lab {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
