"""Test-wide settings: Keras and Jupyter write to temporary folders, never to $HOME."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_HOME = tempfile.mkdtemp(prefix="mlwork-test-home-")
os.environ.setdefault("KERAS_HOME", str(Path(_HOME) / "keras"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
