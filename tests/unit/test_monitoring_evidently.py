"""Drift decisions and figures against Evidently's ``DataDriftPreset`` on the same frames.

Evidently 0.7.23 imports only with pandas < 3 (it imports a helper pandas 3 removed), so this
module skips where it cannot be imported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlwork_jupyter.ml.monitoring import compute_drift

evidently = pytest.importorskip("evidently", exc_type=ImportError)
presets = pytest.importorskip("evidently.presets", exc_type=ImportError)

# Evidently's display names of its drift methods, and how each decides
METHODS = {
    "K-S p_value": "ks",
    "chi-square p_value": "chisquare",
    "Z-test p_value": "z",
    "Wasserstein distance (normed)": "wasserstein",
    "Jensen-Shannon distance": "jensenshannon",
    "PSI": "psi",
    "psi": "psi",  # a method chosen by name is reported by name
}
P_VALUES = {"ks", "chisquare", "z"}
NUMERICAL = ["num", "skew", "few", "wide"]
CATEGORICAL = ["city", "flag", "letter"]


def frames(n_ref: int, n_cur: int, shift: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def frame(n: int, s: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "num": rng.normal(s, 1.0, n),
                "skew": rng.exponential(1.0 + s, n),
                "few": rng.integers(0, 4, n).astype(float),
                "wide": rng.integers(0, 100, n).astype(float),
                "city": rng.choice(["oslo", "rome", "lima"], n, p=[0.5 - s, 0.3, 0.2 + s]),
                "flag": rng.choice(["yes", "no"], n, p=[0.5 + s / 2, 0.5 - s / 2]),
                "letter": rng.choice(list("abcdefghij"), n),
            }
        )

    current = frame(n_cur, shift)
    current.loc[: n_cur // 20, "num"] = np.nan  # missing values are left out on both sides
    return frame(n_ref, 0.0), current


def evidently_drift(
    current: pd.DataFrame, reference: pd.DataFrame, method: str | None = None
) -> tuple[dict[str, tuple[str, float, bool]], float]:
    definition = evidently.DataDefinition(
        numerical_columns=NUMERICAL, categorical_columns=CATEGORICAL
    )
    report = evidently.Report([presets.DataDriftPreset(method=method)])
    snapshot = report.run(
        evidently.Dataset.from_pandas(current, data_definition=definition),
        evidently.Dataset.from_pandas(reference, data_definition=definition),
    )
    columns: dict[str, tuple[str, float, bool]] = {}
    share = np.nan
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("ValueDrift"):
            name = METHODS[config["method"]]
            score, threshold = metric["value"], config["threshold"]
            if name == "ks":
                drifted = score <= threshold
            elif name in P_VALUES:
                drifted = score < threshold
            else:
                drifted = score >= threshold
            columns[config["column"]] = (name, score, drifted)
        else:
            share = metric["value"]["share"]
    return columns, share


@pytest.mark.parametrize(
    ("n_ref", "n_cur", "shift", "seed"),
    [
        (500, 400, 0.0, 0),
        (600, 900, 0.08, 1),
        (1000, 300, 0.15, 2),  # the largest reference that still gets the tests
        (1001, 700, 0.04, 3),  # the smallest that gets the distances
        (4000, 2500, 0.06, 4),
        (3000, 12000, 0.02, 5),
    ],
)
def test_default_methods_figures_and_decisions_match_evidently(n_ref, n_cur, shift, seed):
    reference, current = frames(n_ref, n_cur, shift, seed)
    expected, share = evidently_drift(current, reference)
    report = compute_drift(current, reference)
    for row in report.features.itertuples():
        method, score, drifted = expected[row.feature]
        ours = row.p_value if row.method in P_VALUES else row.statistic
        assert (row.feature, row.method) == (row.feature, method)
        assert ours == pytest.approx(score, rel=1e-9, abs=1e-12), row.feature
        assert (row.feature, row.drifted) == (row.feature, drifted)
    assert report.drift_share == pytest.approx(share)
    assert report.dataset_drift == (share >= 0.5)


@pytest.mark.parametrize(("n_ref", "seed"), [(700, 6), (5000, 7)])
def test_psi_matches_evidentlys_psi_method(n_ref, seed):
    reference, current = frames(n_ref, 1500, 0.1, seed)
    expected, _ = evidently_drift(current, reference, method="psi")
    report = compute_drift(current, reference, thresholds={"method": "psi"})
    for row in report.features.itertuples():
        method, score, drifted = expected[row.feature]
        assert method == "psi"
        assert row.statistic == pytest.approx(score, rel=1e-9), row.feature
        assert row.psi == pytest.approx(score, rel=1e-9), row.feature
        assert row.drifted == drifted
