"""`python -m mlwork_jupyter`: the `mlwork` command."""

from __future__ import annotations

import sys

from mlwork_jupyter.cli import main

if __name__ == "__main__":
    sys.exit(main())
