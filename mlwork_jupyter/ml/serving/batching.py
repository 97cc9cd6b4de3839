"""Dynamic batching: concurrent requests merged into one model call, off the IO loop.

Requests wait in a queue; one worker takes the oldest and every compatible request behind
it (same signature, inputs, dtypes and row shapes) up to `max_batch` rows and runs the model
on a single executor thread. Requests that arrive while the model runs queue up for the next
call; once requests are queueing, the worker also waits up to `max_wait_ms` after the oldest
arrived for more to join it. A lone request on an idle server runs at once: batching costs
nothing when there is nothing to batch. A merged call that fails is retried request by
request, so one bad request never fails the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

__all__ = ["BatchResult", "Batcher"]

Arrays = dict[str, "NDArray[Any]"]


@dataclass(frozen=True, slots=True)
class BatchResult:
    """One request's outputs, and the model call that produced them."""

    outputs: Arrays
    batch: int
    batch_rows: int
    batch_requests: int


@dataclass(slots=True)
class _Item:
    signature: str
    arrays: Arrays
    rows: int
    future: asyncio.Future[BatchResult]
    arrived: float = field(default_factory=time.monotonic)

    def key(self) -> tuple[Any, ...]:
        return (
            self.signature,
            tuple((k, v.dtype.str, v.shape[1:]) for k, v in sorted(self.arrays.items())),
        )


def _split(outputs: Arrays, sizes: list[int]) -> list[Arrays]:
    total = sum(sizes)
    for name, value in outputs.items():
        if np.ndim(value) == 0 or len(value) != total:
            raise ValueError(f"the model returned {np.shape(value)} for {name!r}, not {total} rows")
    bounds = list(itertools.accumulate(sizes, initial=0))
    return [{k: v[a:b] for k, v in outputs.items()} for a, b in itertools.pairwise(bounds)]


class Batcher:
    """Merge concurrent `submit` calls into model calls of up to `max_batch` rows.

    Parameters
    ----------
    call
        ``call(signature, arrays)`` -> outputs; runs on the batcher's one executor thread.
    max_batch
        Most rows merged into one call (a larger request runs alone).
    max_wait_ms
        Longest the oldest waiting request is held for others to join it.
    """

    def __init__(
        self, call: Callable[[str, Arrays], Arrays], max_batch: int = 64, max_wait_ms: float = 2.0
    ) -> None:
        self._call = call
        self.max_batch = max(1, max_batch)
        self.max_wait = max(0.0, max_wait_ms) / 1000
        self._queue: list[_Item] = []
        self._wake = asyncio.Event()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="mlwork-model")
        self._task: asyncio.Task[None] | None = None
        self._backlog = False  # requests were waiting when the last call ended
        self.calls = 0
        self.requests = 0
        self.rows = 0

    def start(self) -> None:
        """Start the worker on the running loop (again after `close`)."""
        self._wake = asyncio.Event()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="mlwork-model")
        self._task = asyncio.get_running_loop().create_task(self._work())

    async def close(self) -> None:
        """Stop the worker; requests still queued are answered with an error."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for item in self._queue:
            if not item.future.done():
                item.future.set_exception(RuntimeError("the server is stopping"))
        self._queue.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def submit(self, signature: str, arrays: Arrays, rows: int) -> BatchResult:
        """Queue one checked request; return its outputs once its batch has run."""
        future: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
        self._queue.append(_Item(signature, arrays, rows, future))
        self._wake.set()
        return await future

    def _take(self) -> list[_Item]:
        first = self._queue[0]
        key, rows = first.key(), 0
        group: list[_Item] = []
        for item in self._queue:
            if item.key() == key and (not group or rows + item.rows <= self.max_batch):
                group.append(item)
                rows += item.rows
        for item in group:
            self._queue.remove(item)
        return group

    def _ready_rows(self) -> int:
        key = self._queue[0].key()
        return sum(i.rows for i in self._queue if i.key() == key)

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            waited = time.monotonic() - self._queue[0].arrived
            lone = len(self._queue) == 1 and not self._backlog  # an idle server: run at once
            if not lone and self._ready_rows() < self.max_batch and waited < self.max_wait:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.max_wait - waited)
                continue
            group = [i for i in self._take() if not i.future.cancelled()]
            if group:
                await self._run(loop, group)
            self._backlog = bool(self._queue)

    async def _run(self, loop: asyncio.AbstractEventLoop, group: list[_Item]) -> None:
        self.calls += 1
        number = self.calls
        self.requests += len(group)
        sizes = [i.rows for i in group]
        self.rows += sum(sizes)
        merged = {
            k: np.concatenate([i.arrays[k] for i in group]) if len(group) > 1 else v
            for k, v in group[0].arrays.items()
        }
        try:
            outputs = await loop.run_in_executor(
                self._executor, self._call, group[0].signature, merged
            )
            parts = _split(outputs, sizes)
        except Exception as exc:
            if len(group) == 1:
                if not group[0].future.done():
                    group[0].future.set_exception(exc)
                return
            for item in group:  # one bad request must not fail the others: run each alone
                await self._run(loop, [item])
            return
        for item, part in zip(group, parts, strict=True):
            if not item.future.done():
                item.future.set_result(BatchResult(part, number, sum(sizes), len(group)))
