"""TensorFlow's start-up lines, kept out of the user's cell when our code imports it first.

The full `tensorflow` wheel writes absl, oneDNN and CUDA (`cuInit ... (303)`) lines straight to
file descriptor 2 from C++ as it loads and first looks at devices: `TF_CPP_MIN_LOG_LEVEL` does
not silence the earliest, and in a kernel they land as a red stderr block. When our code is what
triggers that import, the lines are captured at the descriptor level for that import only and
kept in the record instead. A user's own `import tensorflow` is theirs: it is never wrapped.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["StartupMessages", "tensorflow_startup"]

_LIMIT = 20_000  # characters kept: the start-up block, not a flood


@dataclass(slots=True)
class StartupMessages:
    """What TensorFlow wrote while our code first imported it (filled when the block ends)."""

    text: str = ""


def _flush_c_stdio() -> None:
    """Flush C's stdio buffers, so lines written before the swap go where they belong."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def tensorflow_startup() -> Iterator[StartupMessages]:
    """Capture descriptors 1 and 2 (and Python's streams) while TensorFlow first loads.

    Does nothing when TensorFlow is already imported: then nothing of ours starts it.

    Yields
    ------
    StartupMessages
        Its `text` holds the captured lines once the block has ended.
    """
    messages = StartupMessages()
    if "tensorflow" in sys.modules:
        yield messages
        return
    with tempfile.TemporaryFile() as sink:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        _flush_c_stdio()
        saved = [os.dup(1), os.dup(2)]
        python_side = io.StringIO()
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            with contextlib.redirect_stdout(python_side), contextlib.redirect_stderr(python_side):
                yield messages
        finally:
            _flush_c_stdio()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            sink.seek(0)
            text = sink.read().decode("utf-8", "replace") + python_side.getvalue()
            messages.text = text.strip()[:_LIMIT]
