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

__all__ = ["StartupMessages", "descriptor_output", "tensorflow_startup"]

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
def descriptor_output(fds: tuple[int, ...] = (1, 2)) -> Iterator[StartupMessages]:
    """Capture what native code writes to file descriptors `fds` while the block runs.

    Yields
    ------
    StartupMessages
        Its `text` holds what was written once the block has ended.
    """
    messages = StartupMessages()
    with tempfile.TemporaryFile() as sink:
        _flush_c_stdio()
        saved = [os.dup(fd) for fd in fds]
        try:
            for fd in fds:
                os.dup2(sink.fileno(), fd)
            yield messages
        finally:
            _flush_c_stdio()
            for fd, copy in zip(fds, saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)
            sink.seek(0)
            messages.text = sink.read().decode("utf-8", "replace").strip()[:_LIMIT]


@contextlib.contextmanager
def tensorflow_startup() -> Iterator[StartupMessages]:
    """Capture descriptors 1 and 2 (and Python's streams) while TensorFlow first loads.

    Does nothing when TensorFlow is already imported: then nothing of ours starts it.

    Yields
    ------
    StartupMessages
        Its `text` holds the captured lines once the block has ended.
    """
    if "tensorflow" in sys.modules:
        yield StartupMessages()
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    python_side = io.StringIO()
    with (
        descriptor_output() as messages,
        contextlib.redirect_stdout(python_side),
        contextlib.redirect_stderr(python_side),
    ):
        yield messages
    text = f"{messages.text}\n{python_side.getvalue()}".strip()
    messages.text = text[:_LIMIT]
