"""The run record: what one `%%mlwork` cell did, and its compact form for the cell output."""

from __future__ import annotations

import hashlib
import math
import os
import secrets as _random
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import xxhash

from mlwork_jupyter.errors import RunNotFoundError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "RECORD_MIME",
    "RECORD_VERSION",
    "REPR_LIMIT",
    "STATUSES",
    "Artifact",
    "DataRef",
    "RunRecord",
    "code_hash",
    "code_sha256",
    "json_safe",
    "new_run_id",
    "resolve_run_id",
]

RECORD_MIME = "application/vnd.mlwork.record.v1+json"
RECORD_VERSION = 1
STATUSES = ("running", "ok", "error", "interrupted", "killed")
REPR_LIMIT = 500
"""Most characters of the ``repr`` a record keeps for a value that is not plain JSON."""

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_run_id(now: float | None = None) -> str:
    """Return a 26-character ULID: 48 bits of milliseconds, then 80 random bits.

    Ids sort by creation time as plain strings, so the store and `%mlwork runs` need no
    extra ordering column, and any unique prefix names a run.
    """
    millis = int((time.time() if now is None else now) * 1000)
    number = (millis << 80) | int.from_bytes(_random.token_bytes(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[number & 31])
        number >>= 5
    return "".join(reversed(chars))


def resolve_run_id(ref: str, ids: Sequence[str]) -> str:
    """Return the one id of `ids` that `ref` names: itself, a unique prefix or suffix, or `last`.

    `ids` are in the order runs are listed (``last`` is the final one). A card shows the last
    eight characters of an id, which are random; the first ten encode the time and are alike
    for runs made together, so both ends name a run. A leading ``…`` is ignored.

    Raises
    ------
    mlwork_jupyter.errors.RunNotFoundError
        No id, or several, match.

    Examples
    --------
    >>> ids = ["01JDQ3Z8AAAAAAAAAAAAAAAAAA", "01JDQ3Z8BBBBBBBBBBBBBBBBBB"]
    >>> resolve_run_id("last", ids) == ids[1], resolve_run_id("…aaaaaaaa", ids) == ids[0]
    (True, True)
    >>> resolve_run_id("01JDQ3Z8", ids)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mlwork_jupyter.errors.RunNotFoundError: '01JDQ3Z8' matches several runs; ...
    """
    if ref == "last":
        hits = list(ids[-1:])
    else:
        key = ref.strip().lstrip(".…").upper()
        matches = (i for i in ids if key and (i.startswith(key) or i.endswith(key)))
        hits = list(dict.fromkeys(matches))
    if not hits:
        raise RunNotFoundError(
            f"no run matches {ref!r}; `mlwork runs` or `%mlwork runs` lists them"
        )
    if len(hits) > 1:
        raise RunNotFoundError(f"{ref!r} matches several runs; give more characters of the id")
    return hits[0]


def code_hash(code: str) -> str:
    """Return the xxh3-128 hex digest of a cell body, as records carry it.

    Examples
    --------
    >>> code_hash("x = 1") == code_hash("x = 1") != code_hash("x = 2")
    True
    >>> len(code_hash(""))
    32
    """
    return xxhash.xxh3_128_hexdigest(code.encode("utf-8", "surrogatepass"))


def code_sha256(source: str) -> str:
    """Return the SHA-256 hex digest of a whole cell source, first line included.

    The bytes are the source's UTF-8 encoding, with no newline normalisation: the same text
    JupyterLab holds in the cell model, so the labextension (``codehash.ts``) can tell that a
    cell changed since it ran.

    Examples
    --------
    >>> code_sha256("abc")
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    """
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def json_safe(value: Any, limit: int = REPR_LIMIT) -> Any:
    """Return `value` as plain JSON types, as records keep params.

    NumPy scalars are unwrapped, containers mapped (keys as strings), non-finite floats and
    anything else kept as their ``repr``, cut to `limit` characters.

    Examples
    --------
    >>> json_safe({"lr": 0.1, "layers": (64, 32), 1: float("nan")})
    {'lr': 0.1, 'layers': [64, 32], '1': 'nan'}
    >>> json_safe(object(), limit=10)
    '<object...'
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v, limit) for v in value]
    item = getattr(value, "item", None)  # NumPy scalars
    if callable(item) and getattr(value, "ndim", None) == 0:
        return json_safe(item(), limit)
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(slots=True)
class DataRef:
    """One value or file a run read or wrote, with the fingerprint taken of it."""

    kind: str
    name: str
    fingerprint: str
    method: str = "full"
    shape: list[int] | None = None
    schema: dict[str, str] | None = None
    size: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form used in the store and in the cell output."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataRef:
        """Build a reference from its JSON form, ignoring keys this version does not know."""
        return cls(
            kind=str(data["kind"]),
            name=str(data["name"]),
            fingerprint=str(data["fingerprint"]),
            method=str(data.get("method", "full")),
            shape=data.get("shape"),
            schema=data.get("schema"),
            size=data.get("size"),
        )


@dataclass(slots=True)
class Artifact:
    """A file the run produced, stored content-addressed under the store's artifact folder."""

    name: str
    digest: str
    size: int
    path: str

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form used in the store and in the cell output."""
        return asdict(self)


@dataclass(slots=True)
class RunRecord:
    """Everything recorded about one run of a `%%mlwork` cell (or one trial of a tune run)."""

    id: str
    stage: str
    name: str
    code: str
    code_hash: str
    notebook: str
    cell_id: str | None = None
    parent: str | None = None
    status: str = "running"
    started: float = field(default_factory=time.time)
    ended: float | None = None
    error: str | None = None
    env_hash: str | None = None
    inputs: list[DataRef] = field(default_factory=list)
    outputs: list[DataRef] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    artifacts: list[Artifact] = field(default_factory=list)
    device: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    pid: int = field(default_factory=os.getpid)
    # SHA-256 of the whole cell source as the front end held it (`code_sha256`); None where
    # no cell wraps the run (the stand-alone Keras callback, tune trials).
    code_sha256: str | None = None
    # A tune trial's own facts (id, number, status, score, objective, best_step, message);
    # None for every run that is not a trial.
    trial: dict[str, Any] | None = None

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, or None while the run is going."""
        return None if self.ended is None else self.ended - self.started

    def compact(self, environment: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the small JSON copy that goes into the cell output (see docs/records.md)."""
        duration = self.duration
        return {
            "version": RECORD_VERSION,
            "id": self.id,
            "parent": self.parent,
            "stage": self.stage,
            "name": self.name,
            "status": self.status,
            "started": datetime.fromtimestamp(self.started, UTC).isoformat(),
            "duration_s": None if duration is None else round(duration, 6),
            "notebook": self.notebook,
            "cell_id": self.cell_id,
            "code_hash": self.code_hash,
            "code_sha256": self.code_sha256,
            "error": self.error,
            "environment": environment or {"hash": self.env_hash},
            "inputs": [ref.as_dict() for ref in self.inputs],
            "outputs": [ref.as_dict() for ref in self.outputs],
            "params": dict(self.params),
            "metrics": dict(self.metrics),
            "artifacts": [art.as_dict() for art in self.artifacts],
            "device": self.device,
            "warnings": list(self.warnings),
            **({} if self.trial is None else {"trial": dict(self.trial)}),
        }

    @classmethod
    def from_compact(cls, data: dict[str, Any], code: str = "") -> RunRecord:
        """Rebuild a record from the compact copy a notebook carries."""
        started = datetime.fromisoformat(str(data["started"])).timestamp()
        duration = data.get("duration_s")
        env = data.get("environment") or {}
        return cls(
            id=str(data["id"]),
            stage=str(data["stage"]),
            name=str(data["name"]),
            code=code,
            code_hash=str(data.get("code_hash", "")),
            code_sha256=data.get("code_sha256"),
            notebook=str(data.get("notebook", "")),
            cell_id=data.get("cell_id"),
            parent=data.get("parent"),
            status=str(data.get("status", "running")),
            started=started,
            ended=None if duration is None else started + float(duration),
            error=data.get("error"),
            env_hash=env.get("hash"),
            inputs=[DataRef.from_dict(d) for d in data.get("inputs", [])],
            outputs=[DataRef.from_dict(d) for d in data.get("outputs", [])],
            params=dict(data.get("params", {})),
            metrics={str(k): float(v) for k, v in data.get("metrics", {}).items()},
            artifacts=[Artifact(**a) for a in data.get("artifacts", [])],
            device=data.get("device"),
            warnings=list(data.get("warnings", [])),
            trial=data.get("trial"),
        )
