"""The ``thresholds=`` configuration: which method each feature gets and when it counts as drifted.

Keys (all optional)::

    {
      "method": "psi",          # for every feature whose kind allows it (else its default)
      "threshold": 0.2,         # for the features using the global method (or all, without one)
      "drift_share": 0.5,       # dataset drift when drifted / features >= this
      "age": {"method": "ks", "threshold": 0.01},   # one feature (a dict value)
      "prediction": {"method": "psi"},              # the prediction column
      "latency_p95_ms": 250, "error_rate": 0.02,    # serving limits, for `DriftReport.set_serving`
    }

A feature's threshold is its own ``threshold``, else the global ``threshold`` when the feature
uses the global method (or there is no global method and the feature names none), else the
method's default (`DEFAULT_THRESHOLDS`). p-value methods (``ks``, ``chisquare``, ``z``) take
thresholds in (0, 1); drift when ``p <= threshold`` for ``ks`` and ``p < threshold`` for the
others (as Evidently); distance methods drift at ``statistic >= threshold``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from mlwork_jupyter.ml.monitoring._errors import MonitorInputError, choices_text, listing

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "DEFAULT_THRESHOLDS",
    "METHODS",
    "NUMERICAL_METHODS",
    "PREDICTION",
    "P_VALUE_METHODS",
    "SERVING_KEYS",
    "Rule",
    "Thresholds",
    "parse_thresholds",
]

METHODS: Final = ("ks", "wasserstein", "chisquare", "z", "jensenshannon", "psi")
P_VALUE_METHODS: Final = frozenset({"ks", "chisquare", "z"})
NUMERICAL_METHODS: Final = frozenset({"ks", "wasserstein"})
DEFAULT_THRESHOLDS: Final = {
    "ks": 0.05,
    "chisquare": 0.05,
    "z": 0.05,
    "wasserstein": 0.1,
    "jensenshannon": 0.1,
    "psi": 0.1,
}
SERVING_KEYS: Final = ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "error_rate")
PREDICTION: Final = "prediction"
_GLOBAL_KEYS: Final = ("method", "threshold", "drift_share", *SERVING_KEYS)
_RULE_KEYS: Final = ("method", "threshold")


@dataclass(frozen=True, slots=True)
class Rule:
    """One feature's settings: a method and a threshold, each None to take the default."""

    method: str | None = None
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The parsed ``thresholds=`` (see the module docstring)."""

    method: str | None = None
    threshold: float | None = None
    drift_share: float = 0.5
    features: Mapping[str, Rule] = field(default_factory=dict)
    serving: Mapping[str, float] = field(default_factory=dict)

    def resolve(self, name: str, kind: str, default: str) -> tuple[str, float, str | None]:
        """Return the method and threshold of feature `name`, and a note when one was adjusted.

        Raises
        ------
        MonitorInputError
            When the feature's own method does not fit its kind.
        """
        rule = self.features.get(name, Rule())
        note = None
        if rule.method is not None:
            if rule.method in NUMERICAL_METHODS and kind != "numerical":
                raise MonitorInputError(
                    f"thresholds[{name!r}]['method']={rule.method!r} needs a numerical feature "
                    f"and {name!r} is {kind}; use chisquare, z, jensenshannon or psi"
                )
            method = rule.method
            from_global = False
        elif self.method is not None and not (
            self.method in NUMERICAL_METHODS and kind != "numerical"
        ):
            method, from_global = self.method, True
        else:
            if self.method is not None:
                note = f"{name!r} is {kind}: {self.method} does not apply, {default} used"
            method, from_global = default, self.method is None
        threshold = rule.threshold
        if threshold is None and from_global:
            threshold = self.threshold
        if threshold is None:
            return method, DEFAULT_THRESHOLDS[method], note
        if method in P_VALUE_METHODS and threshold >= 1:
            where = f"thresholds[{name!r}]" if rule.threshold is not None else "thresholds"
            raise MonitorInputError(
                f"{where}['threshold']={threshold!r}: {name!r} uses {method}, which compares a "
                "p-value; give a threshold below 1 (default 0.05) or name a distance method"
            )
        return method, threshold, note


def _number(value: Any, where: str, *, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MonitorInputError(f"{where}={value!r}: expected a number")
    number = float(value)
    top = math.inf if upper is None else upper
    if not (math.isfinite(number) and 0 < number <= top):
        bound = "a finite number > 0" if upper is None else f"a number in (0, {upper:g}]"
        raise MonitorInputError(f"{where}={value!r}: expected {bound}")
    return number


def _method(value: Any, where: str) -> str:
    if value not in METHODS:
        raise MonitorInputError(
            f"{where}={value!r}: unknown method; {choices_text(value, METHODS, 'methods')}"
        )
    return str(value)


def _threshold(value: Any, method: str | None, where: str) -> float:
    number = _number(value, where)
    if method in P_VALUE_METHODS and number >= 1:
        raise MonitorInputError(
            f"{where}={value!r}: {method} compares a p-value, so give a threshold below 1 "
            "(default 0.05)"
        )
    return number


def _rule(name: str, value: Any, global_method: str | None) -> Rule:
    where = f"thresholds[{name!r}]"
    if not isinstance(value, dict):
        raise MonitorInputError(
            f"{where}={value!r}: expected a dict such as {{'method': 'psi', 'threshold': 0.2}}"
        )
    for key in value:
        if key not in _RULE_KEYS:
            raise MonitorInputError(
                f"{where}[{key!r}]: unknown key; {choices_text(key, _RULE_KEYS, 'keys')}"
            )
    method = None if value.get("method") is None else _method(value["method"], f"{where}['method']")
    threshold = None
    if value.get("threshold") is not None:
        threshold = _threshold(value["threshold"], method or global_method, f"{where}['threshold']")
    return Rule(method, threshold)


def parse_thresholds(
    config: Any, features: Sequence[str], *, known: Iterable[str] = ()
) -> Thresholds:
    """Return `config` parsed and checked against the compared `features`.

    A per-feature entry may also name a column in `known` (one of the reference's that the
    current data lacks today): it then applies to nothing, rather than failing the check.

    Raises
    ------
    MonitorInputError
        One line naming the key at fault and the valid choices.

    Examples
    --------
    >>> parse_thresholds({"method": "psi", "age": {"threshold": 0.2}}, ["age"]).features["age"]
    Rule(method=None, threshold=0.2)
    """
    if config is None:
        return Thresholds()
    if not isinstance(config, dict):
        raise MonitorInputError(
            f"thresholds={config!r}: expected a dict such as {{'method': 'psi', 'threshold': 0.2}}"
        )
    method = (
        None if config.get("method") is None else _method(config["method"], "thresholds['method']")
    )
    threshold = None
    if config.get("threshold") is not None:
        threshold = _threshold(config["threshold"], method, "thresholds['threshold']")
    drift_share = 0.5
    if config.get("drift_share") is not None:
        drift_share = _number(config["drift_share"], "thresholds['drift_share']", upper=1.0)
    serving: dict[str, float] = {}
    rules: dict[str, Rule] = {}
    names = {*features, *known}
    for key, value in config.items():
        if isinstance(value, dict):
            if key not in names and key != PREDICTION:
                hint = choices_text(key, [*features, PREDICTION], "features")
                raise MonitorInputError(f"thresholds[{key!r}]: no such feature; {hint}")
            rules[str(key)] = _rule(str(key), value, method)
        elif key in SERVING_KEYS:
            upper = 1.0 if key == "error_rate" else None
            serving[key] = _number(value, f"thresholds[{key!r}]", upper=upper)
        elif key not in _GLOBAL_KEYS:
            shown = listing(features, 3)
            raise MonitorInputError(
                f"thresholds[{key!r}]: unknown key; {choices_text(key, _GLOBAL_KEYS, 'keys')} "
                f"(or a feature name with a dict, e.g. {shown})"
            )
    return Thresholds(method, threshold, drift_share, rules, serving)
