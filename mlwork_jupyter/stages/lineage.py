"""Which run wrote each namespace value, to warn when a cell reads stale data."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Lineage", "Producer"]


@dataclass(slots=True)
class Producer:
    """The latest run that wrote a name: what it wrote and what it had read."""

    run_id: str
    run_name: str
    stage: str
    fingerprint: str
    inputs: dict[str, str] = field(default_factory=dict)


class Lineage:
    """An in-kernel index from namespace names to the runs that produced their values.

    Values live only as long as the kernel, so the index does too; the store keeps the
    graph for the command line.
    """

    def __init__(self) -> None:
        self._producers: dict[str, Producer] = {}

    def record(
        self,
        run_id: str,
        run_name: str,
        stage: str,
        inputs: dict[str, str],
        outputs: dict[str, str],
    ) -> None:
        """Note that a run read `inputs` and wrote `outputs` (name -> fingerprint)."""
        for name, digest in outputs.items():
            self._producers[name] = Producer(run_id, run_name, stage, digest, dict(inputs))

    def forget(self, name: str) -> None:
        """Drop a name, e.g. once a plain cell rebinds it and it no longer has a producer."""
        self._producers.pop(name, None)

    def stale(self, reads: dict[str, str]) -> list[str]:
        """Return one line per read value that is out of date, or none.

        A value is stale when it differs from what its producing run wrote (changed outside a
        recorded cell), or when its producer read an input that a later run has rewritten
        (an upstream cell re-ran after it).
        """
        lines: list[str] = []
        for name, digest in sorted(reads.items()):
            producer = self._producers.get(name)
            if producer is None:
                continue
            label = f"{producer.stage} run {producer.run_name!r} ({producer.run_id[-8:]})"
            if producer.fingerprint != digest:
                lines.append(
                    f"`{name}` is not what {label} wrote: it changed outside a recorded cell; "
                    "re-run that cell to record it"
                )
                continue
            for upstream, seen in sorted(producer.inputs.items()):
                newer = self._producers.get(upstream)
                if newer is not None and newer.fingerprint != seen:
                    lines.append(
                        f"`{name}` was made by {label} from an older `{upstream}`; "
                        f"{newer.stage} run {newer.run_name!r} has rewritten `{upstream}` since: "
                        "re-run that cell first"
                    )
                    break
        return lines
