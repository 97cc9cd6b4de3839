"""Keras' automatic names (``dense_3``, ``sequential_1``) renumbered, so that two runs compare."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["auto_name_bases", "without_auto_numbers"]

_CLASS_NAME: Final = re.compile(r"\b[A-Z][A-Za-z0-9]*\b")
# tf.keras (Keras 2) names a functional model "model", Keras 3 "functional".
_ALSO: Final = {"functional": ("model",)}


def _snake(name: str) -> str:
    """Return a class name as Keras makes a default name of it (`keras.src.utils.naming`)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def auto_name_bases(texts: Iterable[str]) -> frozenset[str]:
    """Return the default names Keras gives instances of the classes that `texts` mention.

    Examples
    --------
    >>> sorted(auto_name_bases(["Sequential 'sequential_1'", "Conv2D BatchNormalization"]))
    ['batch_normalization', 'conv2d', 'sequential']
    """
    bases: set[str] = set()
    for text in texts:
        for class_name in _CLASS_NAME.findall(text):
            base = _snake(class_name)
            bases.add(base)
            bases.update(_ALSO.get(base, ()))
    return frozenset(bases)


def without_auto_numbers(text: str, bases: frozenset[str]) -> str:
    """Return `text` with Keras' automatic names renumbered from zero in order of appearance.

    Keras numbers a default name by how many objects of its class the session made before
    (``dense``, ``dense_1``, ...), so rebuilding a model in a notebook renames its layers.
    Renumbered, two runs of the same model read alike; distinct layers stay distinct.

    Parameters
    ----------
    text
        A param value: a model's description or summary, an optimizer's name.
    bases
        The default names to renumber (`auto_name_bases`); other words are kept.

    Examples
    --------
    >>> bases = frozenset({"dense", "sequential"})
    >>> without_auto_numbers("sequential_4: dense_2, dense_3, dense_layer", bases)
    'sequential: dense, dense_1, dense_layer'
    >>> without_auto_numbers("dense_2  Dense", bases)  # a table's column stays aligned
    'dense    Dense'
    """
    if not bases:
        return text
    names = "|".join(re.escape(b) for b in sorted(bases, key=len, reverse=True))
    pattern = re.compile(rf"\b({names})(?:_\d+)?\b")
    seen: dict[str, dict[str, int]] = {}

    def renumber(match: re.Match[str]) -> str:
        base, name = match.group(1), match.group(0)
        numbers = seen.setdefault(base, {})
        n = numbers.setdefault(name, len(numbers))
        new = base if n == 0 else f"{base}_{n}"
        if match.string.startswith("  ", match.end()):  # a column of a table: keep it aligned
            new = new.ljust(len(name))
        return new

    return pattern.sub(renumber, text)
