"""Compare two environment snapshots' data, one entry per changed leaf."""

from __future__ import annotations

from typing import Any


def _walk(prefix: str, a: object, b: object, out: list[tuple[str, object, object]]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys(), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            _walk(path, a.get(key), b.get(key), out)
    elif a != b:
        out.append((prefix, a, b))


def diff(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, object, object]]:
    """List what changed between two snapshots' data, one entry per changed leaf.

    Nested dicts are walked into; any other value (lists included) is a leaf. A key present on
    one side only, or whose value stops being a dict, is reported once with its whole value and
    None on the missing side.

    Parameters
    ----------
    a, b : dict[str, Any]
        Old and new ``Snapshot.data``.

    Returns
    -------
    list[tuple[str, object, object]]
        ``(dotted key, old, new)``, sorted by key.

    Examples
    --------
    >>> diff({"packages": {"numpy": "2.3.0"}}, {"packages": {"numpy": "2.4.6", "keras": "3.12"}})
    [('packages.keras', None, '3.12'), ('packages.numpy', '2.3.0', '2.4.6')]

    """
    out: list[tuple[str, object, object]] = []
    _walk("", a, b, out)
    return out
