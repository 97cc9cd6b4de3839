"""The monitor core: every statistic against scipy, method choice, PSI, thresholds, quality,
profiles, bad input and the panel's escaping."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mlwork_jupyter.display.monitor_panel import (
    MAX_HISTOGRAMS,
    monitor_bundle,
    monitor_html,
    monitor_payload,
)
from mlwork_jupyter.display.panel import PANEL_MIME
from mlwork_jupyter.ml.monitoring import (
    MonitorInputError,
    compute_drift,
    default_method,
    psi_band,
    reference_profile,
)
from mlwork_jupyter.ml.monitoring._ks import ks_test
from mlwork_jupyter.ml.monitoring._sketch import sketch_of
from mlwork_jupyter.ml.monitoring._special import chi2_sf, kolmogorov_sf, smirnov_sf
from mlwork_jupyter.ml.monitoring._stats import (
    chisquare_test,
    jensen_shannon,
    pooled,
    psi,
    sturges_edges,
    wasserstein,
    z_test,
)

stats = pytest.importorskip("scipy.stats")
special = pytest.importorskip("scipy.special")
distance = pytest.importorskip("scipy.spatial.distance")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def mixed(n_ref: int, n_cur: int, shift: float, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    r = rng(seed)

    def frame(n: int, s: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "num": r.normal(s, 1.0, n),
                "skew": r.exponential(1.0 + s, n),
                "few": r.integers(0, 4, n).astype(float),
                "city": r.choice(["oslo", "rome", "lima"], n, p=[0.5 - s / 2, 0.3, 0.2 + s / 2]),
                "flag": r.choice(["yes", "no"], n, p=[0.5 + s / 3, 0.5 - s / 3]),
            }
        )

    return frame(n_ref, 0.0), frame(n_cur, shift)


# --- statistics against scipy -------------------------------------------------------------


@pytest.mark.parametrize(
    ("n1", "n2", "shift"),
    [
        (5, 5, 0.0),
        (10, 7, 0.5),
        (120, 180, 0.2),
        (1000, 1000, 0.05),
        (999, 1001, 0.1),
        (700, 3000, 0.08),
        (300, 20000, 0.1),  # asymptotic: one sample above 10,000
        (60, 12000, 0.3),
        (200, 40, 1.0),
    ],
)
def test_ks_statistic_and_p_value_match_scipy(n1, n2, shift):
    a = np.sort(rng(n1).normal(size=n1))
    b = np.sort(rng(n2).normal(shift, size=n2))
    d, p = ks_test(a, b)
    expected = stats.ks_2samp(a, b)
    assert d == pytest.approx(expected.statistic, abs=1e-12)
    assert p == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_ks_with_ties_matches_scipy():
    a = np.sort(rng(1).integers(0, 12, 400).astype(float))
    b = np.sort(rng(2).integers(1, 13, 250).astype(float))
    d, p = ks_test(a, b)
    expected = stats.ks_2samp(a, b)
    assert (d, p) == pytest.approx((expected.statistic, expected.pvalue), rel=1e-9)


@pytest.mark.parametrize("n", [10, 60, 140, 141, 500, 5000, 40000])
def test_kolmogorov_distribution_matches_scipy_kstwo(n):
    for x in (0.002, 0.01, 0.03, 0.06, 0.1, 0.2, 0.35, 0.6, 0.95):
        assert kolmogorov_sf(n, x) == pytest.approx(stats.kstwo.sf(x, n), rel=1e-8, abs=1e-14)


def test_smirnov_and_chi2_survival_match_scipy():
    for n in (1, 7, 80, 1500):
        for x in (0.01, 0.2, 0.5, 0.9):
            assert smirnov_sf(n, x) == pytest.approx(special.smirnov(n, x), rel=1e-9)
    for df in (1, 2, 5, 30, 400, 5000):
        for x in (0.01, 0.7, 3.0, 25.0, 390.0, 5200.0):
            assert chi2_sf(x, df) == pytest.approx(stats.chi2.sf(x, df), rel=1e-10, abs=1e-300)


def test_wasserstein_and_jensen_shannon_match_scipy():
    a = np.sort(rng(3).normal(size=3000))
    b = np.sort(rng(4).gamma(2.0, size=2500))
    assert wasserstein(pooled(a, b)) == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-12)
    ties = np.sort(rng(5).integers(0, 9, 700).astype(float))
    expected = stats.wasserstein_distance(ties, b)
    assert wasserstein(pooled(ties, b)) == pytest.approx(expected, rel=1e-12)
    p = np.array([0.5, 0.3, 0.2, 0.0])
    q = np.array([0.1, 0.3, 0.3, 0.3])
    assert jensen_shannon(p, q) == pytest.approx(distance.jensenshannon(p, q), rel=1e-12)
    assert jensen_shannon(p, p) == 0.0


def test_chisquare_and_z_match_scipy():
    ref = np.array([50, 30, 20, 0])
    cur = np.array([40, 35, 20, 5])
    stat, p = chisquare_test(ref[:3], cur[:3])
    expected = stats.chisquare(cur[:3], ref[:3] * cur[:3].sum() / ref[:3].sum())
    assert (stat, p) == pytest.approx((expected.statistic, expected.pvalue), rel=1e-12)
    assert chisquare_test(ref, cur) == (math.inf, 0.0)  # a category the reference never saw
    z, p = z_test(np.array([60, 40]), np.array([45, 55]))
    p1, p2, pooled = 0.4, 0.55, (40 + 55) / 200
    expected_z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    assert z == pytest.approx(expected_z, rel=1e-12)
    assert p == pytest.approx(2 * stats.norm.sf(abs(expected_z)), rel=1e-12)
    assert z_test(np.array([7, 0]), np.array([9, 0])) == (0.0, 1.0)


def test_sturges_edges_equal_numpy():
    values = rng(5).normal(size=1234)
    edges = sturges_edges(values.min(), values.max(), values.size, integer=False)
    np.testing.assert_array_equal(edges, np.histogram_bin_edges(values, bins="sturges"))
    ints = rng(6).integers(0, 30, 2_000_000)
    edges = sturges_edges(0.0, 29.0, ints.size, integer=True)
    np.testing.assert_array_equal(edges, np.histogram_bin_edges(ints, bins="sturges"))


# --- PSI ------------------------------------------------------------------------------------


def test_psi_known_cases_and_bands():
    even = np.array([0.25, 0.25, 0.25, 0.25])
    assert psi(even, even) == 0.0
    shifted = np.array([0.1, 0.2, 0.3, 0.4])
    expected = float(np.sum((even - shifted) * np.log(even / shifted)))
    assert psi(even, shifted) == pytest.approx(expected)
    # an empty bin is floored: to 1e-4 when the smallest share is above 1e-4
    gap = np.array([0.5, 0.5, 0.0])
    floored = np.array([0.5, 0.5, 1e-4])
    full = np.array([0.4, 0.4, 0.2])
    assert psi(gap, full) == pytest.approx(float(np.sum((floored - full) * np.log(floored / full))))
    assert [psi_band(v) for v in (0.0, 0.0999, 0.1, 0.2499, 0.25, math.nan)] == [
        "stable",
        "stable",
        "moderate",
        "moderate",
        "significant",
        None,
    ]


def test_psi_stands_beside_every_feature():
    ref, cur = mixed(400, 300, 0.0)
    rep = compute_drift(cur, ref)
    assert rep.features["psi"].notna().all()
    assert (rep.features["psi"] < 0.1).all()
    assert set(rep.features["psi_band"]) == {"stable"}


# --- method selection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "n", "unique", "method"),
    [
        ("numerical", 1000, 6, "ks"),
        ("numerical", 1001, 6, "wasserstein"),
        ("numerical", 500, 5, "chisquare"),
        ("numerical", 500, 2, "z"),
        ("numerical", 5000, 5, "jensenshannon"),
        ("categorical", 1000, 3, "chisquare"),
        ("categorical", 1000, 2, "z"),
        ("categorical", 1001, 2, "jensenshannon"),
        ("categorical", 1001, 300, "jensenshannon"),
    ],
)
def test_default_method_by_reference_size_and_distinct_values(kind, n, unique, method):
    assert default_method(kind, n, unique) == method


def test_methods_chosen_on_real_frames():
    small = compute_drift(*reversed(mixed(800, 600, 0.0)))
    large = compute_drift(*reversed(mixed(1500, 600, 0.0)))
    methods = dict(zip(small.features["feature"], small.features["method"], strict=True))
    assert methods == {
        "num": "ks",
        "skew": "ks",
        "few": "chisquare",
        "city": "chisquare",
        "flag": "z",
    }
    methods = dict(zip(large.features["feature"], large.features["method"], strict=True))
    assert methods == {
        "num": "wasserstein",
        "skew": "wasserstein",
        "few": "jensenshannon",
        "city": "jensenshannon",
        "flag": "jensenshannon",
    }
    assert small.features["p_value"].notna().all()
    assert large.features["p_value"].isna().all()


def test_drift_detected_and_dataset_drift():
    ref, cur = mixed(800, 600, 0.4, seed=1)
    rep = compute_drift(cur, ref)
    assert rep.features.set_index("feature").loc["num", "drifted"]
    assert rep.drift_share == rep.features["drifted"].mean()
    assert rep.dataset_drift == (rep.drift_share >= 0.5)
    assert any(a.startswith("drift in 'num': ks p = ") for a in rep.alerts)
    assert all("\n" not in a for a in rep.alerts)
    metrics = rep.metrics()
    assert metrics["drifted_features"] == rep.features["drifted"].sum()
    assert metrics["dataset_drift"] in {0.0, 1.0}


# --- thresholds -------------------------------------------------------------------------------


def test_global_and_per_feature_thresholds():
    ref, cur = mixed(800, 600, 0.1, seed=2)
    rep = compute_drift(
        cur,
        ref,
        thresholds={"method": "psi", "threshold": 0.2, "num": {"method": "ks", "threshold": 0.5}},
    )
    rows = rep.features.set_index("feature")
    assert rows.loc["num", "method"] == "ks"
    assert rows.loc["num", "threshold"] == 0.5
    assert (rows.drop(index="num")["method"] == "psi").all()
    assert (rows.drop(index="num")["threshold"] == 0.2).all()
    assert rows.loc["city", "statistic"] == pytest.approx(rows.loc["city", "psi"])
    assert rows.loc["num", "drifted"] == (rows.loc["num", "p_value"] <= 0.5)


def test_ks_and_wasserstein_do_not_apply_to_categorical_features_globally():
    ref, cur = mixed(300, 300, 0.0)
    rep = compute_drift(cur, ref, thresholds={"method": "wasserstein"})
    methods = dict(zip(rep.features["feature"], rep.features["method"], strict=True))
    assert methods["num"] == "wasserstein"
    assert methods["city"] == "chisquare"
    assert any("'city' is categorical: wasserstein does not apply" in n for n in rep.notes)


def test_a_rule_for_a_column_missing_today_is_not_an_error():
    ref, cur = mixed(200, 200, 0.0)
    rep = compute_drift(cur.drop(columns="num"), ref, thresholds={"num": {"method": "psi"}})
    assert "num" not in set(rep.features["feature"])
    assert "schema: column 'num' is missing from the current data" in rep.alerts


def test_drift_share_threshold():
    ref, cur = mixed(800, 600, 0.4, seed=1)
    rep = compute_drift(cur, ref, thresholds={"drift_share": 0.1})
    assert rep.dataset_drift
    assert rep.drift_share_threshold == 0.1


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"metod": "psi"}, "thresholds['metod']: unknown key; did you mean 'method'?"),
        ({"method": "kss"}, "unknown method; did you mean 'ks'? methods: ks, wasserstein,"),
        ({"nmu": {"method": "psi"}}, "thresholds['nmu']: no such feature; did you mean 'num'?"),
        ({"num": {"treshold": 0.1}}, "unknown key; did you mean 'threshold'? keys: method, thr"),
        ({"city": {"method": "ks"}}, "needs a numerical feature and 'city' is categorical"),
        ({"method": "ks", "threshold": 2}, "compares a p-value, so give a threshold below 1"),
        ({"threshold": -1}, "expected a finite number > 0"),
        ({"drift_share": 1.5}, "expected a number in (0, 1]"),
        ({"num": 0.2}, "unknown key"),
        ("psi", "expected a dict such as"),
    ],
)
def test_bad_thresholds_give_one_line_naming_key_and_choices(config, fragment):
    ref, cur = mixed(200, 200, 0.0)
    with pytest.raises(MonitorInputError) as info:
        compute_drift(cur, ref, thresholds=config)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert isinstance(info.value, ValueError)


# --- quality ----------------------------------------------------------------------------------


def test_quality_checks_and_schema_alerts():
    ref = pd.DataFrame(
        {
            "age": [20.0, 30.0, 40.0, 50.0, np.nan] * 20,
            "city": ["oslo", "rome"] * 50,
            "gone": 1.0,
            "when": pd.date_range("2020-01-01", periods=100),
            "code": list(range(100)),
        }
    )
    cur = pd.DataFrame(
        {
            "age": [10.0, 30.0, np.nan, np.nan, 99.0, np.inf] * 10,
            "city": ["oslo", "lima", "pisa", None, "rome", "lima"] * 10,
            "code": [str(i) for i in range(60)],
            "new": 0,
        }
    )
    rep = compute_drift(cur, ref)
    q = rep.quality
    assert q["missing"]["age"] == {"reference": 0.2, "current": pytest.approx(2 / 6)}
    assert q["missing"]["city"]["current"] == pytest.approx(1 / 6)
    assert q["out_of_range"]["age"] == {"count": 30, "share": 0.75, "min": 20.0, "max": 50.0}
    unseen = q["unseen_categories"]["city"]
    assert (unseen["count"], unseen["distinct"], unseen["examples"]) == (30, 2, ["lima", "pisa"])
    assert q["schema"]["missing_columns"] == ["gone", "when"]
    assert q["schema"]["extra_columns"] == ["new"]
    assert q["schema"]["dtype_changes"][0]["column"] == "code"
    assert q["schema"]["dtype_changes"][0]["kind_changed"]
    assert q["skipped"]["when"].startswith("datetime64[")
    assert "schema: column 'gone' is missing from the current data" in rep.alerts
    assert rep.alerts[-1].startswith("schema: column 'code' changed kind (int64 -> ")
    assert "when" not in set(rep.features["feature"])


def test_all_missing_current_column_is_reported_not_compared():
    ref = pd.DataFrame({"x": rng().normal(size=50), "y": rng(1).normal(size=50)})
    cur = pd.DataFrame({"x": [np.nan] * 20, "y": rng(2).normal(size=20)})
    rep = compute_drift(cur, ref)
    row = rep.features.set_index("feature").loc["x"]
    assert not row["drifted"]
    assert math.isnan(row["statistic"])
    assert any("no values in the current data" in n for n in rep.notes)
    json.loads(rep.to_json())


# --- predictions --------------------------------------------------------------------------------


def test_prediction_drift_of_scores_and_classes():
    ref, cur = mixed(600, 500, 0.0)
    rep = compute_drift(
        cur, ref, predictions=rng(1).beta(2, 5, 500), reference_predictions=rng(2).beta(5, 2, 600)
    )
    assert rep.prediction_drift["method"] == "ks"
    assert rep.prediction_drift["drifted"]
    assert rep.metrics()["prediction_psi"] == rep.prediction_drift["psi"]
    assert any(a.startswith("prediction drift: ks p = ") for a in rep.alerts)
    scores = rng(3).dirichlet([1, 1, 1], 500)
    rep = compute_drift(cur, ref, predictions=scores, reference_predictions=scores[:400])
    assert rep.prediction_drift["kind"] == "categorical"
    assert not rep.prediction_drift["drifted"]
    with pytest.raises(MonitorInputError, match="pass reference_predictions="):
        compute_drift(cur, ref, predictions=scores)


# --- profiles -------------------------------------------------------------------------------


def test_profile_round_trip_is_exact_for_small_references():
    ref, cur = mixed(800, 600, 0.2, seed=3)
    preds = rng(4).random(800)
    profile = json.loads(json.dumps(reference_profile(ref, predictions=preds)))
    assert profile["format"] == "mlwork.profile"
    assert profile["columns"]["num"]["n"] == 800
    assert profile["columns"]["city"]["categories"][0] in {"oslo", "rome", "lima"}
    cur_preds = rng(5).random(600)
    raw = compute_drift(cur, ref, predictions=cur_preds, reference_predictions=preds)
    profiled = compute_drift(cur, profile, predictions=cur_preds)
    pd.testing.assert_frame_equal(raw.features, profiled.features)
    assert raw.prediction_drift == profiled.prediction_drift
    assert raw.quality == profiled.quality
    assert profiled.reference_source == "profile"


def test_drift_from_a_sketch_is_close_to_drift_from_the_data():
    ref = pd.DataFrame({"x": rng(6).normal(size=40_000), "k": rng(7).integers(0, 6, 40_000)})
    cur = pd.DataFrame({"x": rng(8).normal(0.12, 1.1, size=5000), "k": rng(9).integers(0, 6, 5000)})
    profile = json.loads(json.dumps(reference_profile(ref)))
    assert 201 < len(profile["columns"]["x"]["sketch"]["x"]) < 240
    assert "value_counts" in profile["columns"]["k"]
    assert len(json.dumps(profile)) < 8000
    for config in (None, {"x": {"method": "ks"}}, {"x": {"method": "psi"}}):
        raw = compute_drift(cur, ref, thresholds=config).features.set_index("feature")
        approx = compute_drift(cur, profile, thresholds=config).features.set_index("feature")
        assert approx.loc["x", "statistic"] == pytest.approx(raw.loc["x", "statistic"], abs=0.005)
        assert approx.loc["x", "psi"] == pytest.approx(raw.loc["x", "psi"], abs=0.005)
        assert approx.loc["x", "drifted"] == raw.loc["x", "drifted"]
        assert approx.loc["k"].equals(raw.loc["k"])
    rep = compute_drift(cur, profile)
    assert any("approximated from the profile's quantile sketch: 'x'" in n for n in rep.notes)
    with pytest.raises(MonitorInputError, match="needs the reference values"):
        compute_drift(cur, profile, thresholds={"x": {"method": "chisquare"}})


def test_sketch_ks_gap_within_knot_spacing():
    values = np.sort(rng(10).lognormal(size=20_000))
    current = np.sort(rng(11).lognormal(0.05, size=3000))
    sketch = sketch_of(values)
    exact, _ = ks_test(values, current)
    assert abs(sketch.ks_gap(current) - exact) <= 0.005


def test_profile_keeps_top_categories_and_pools_the_rest():
    many = pd.DataFrame({"c": [f"v{i % 1500}" for i in range(6000)] + ["v0"] * 3000})
    profile = reference_profile(many)
    entry = profile["columns"]["c"]
    assert len(entry["categories"]) == 1000
    assert entry["categories"][0] == "v0"
    assert entry["other"] == 6000 + 3000 - sum(entry["counts"])
    cur = pd.DataFrame({"c": ["v0", "v1499", "new"] * 100})
    rep = compute_drift(cur, json.loads(json.dumps(profile)))
    assert rep.quality["unseen_categories"]["c"]["approximate"]
    assert any("kept only the most frequent categories of 'c'" in n for n in rep.notes)


def test_bad_profiles():
    ref, cur = mixed(50, 50, 0.0)
    profile = reference_profile(ref)
    with pytest.raises(MonitorInputError, match="this mlwork reads version 1"):
        compute_drift(cur, {**profile, "version": 99})
    with pytest.raises(MonitorInputError, match="malformed"):
        compute_drift(cur, {**profile, "columns": {"num": {"kind": "numerical"}}})
    with pytest.raises(MonitorInputError, match="not a profile"):
        compute_drift(cur, {"num": [1, 2]})


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "reference", "fragment"),
    [
        (pd.DataFrame({"a": []}), pd.DataFrame({"a": [1.0]}), "current is empty (0 rows"),
        (pd.DataFrame({"a": [1.0]}), pd.DataFrame(), "reference is empty"),
        (pd.DataFrame({"a": [1.0]}), pd.DataFrame({"b": [1.0]}), "no common columns to compare"),
        (np.ones((5, 3)), np.ones((5, 4)), "reference has 4 columns and current 3"),
        (None, pd.DataFrame({"a": [1.0]}), "current=None: pass the live inputs"),
        (pd.DataFrame({"a": [1.0]}), None, "reference=None: pass the training inputs"),
        (np.ones((2, 2, 2)), np.ones((5, 4)), "pass a 2-D array (rows, features)"),
    ],
)
def test_bad_input_gives_one_line_naming_the_fix(current, reference, fragment):
    with pytest.raises(MonitorInputError) as info:
        compute_drift(current, reference)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_arrays_and_series():
    ref = rng(1).normal(size=(300, 3))
    cur = rng(2).normal(size=(200, 3))
    rep = compute_drift(cur, ref)
    assert list(rep.features["feature"]) == ["0", "1", "2"]
    rep = compute_drift(pd.Series(cur[:, 0], name="x"), pd.Series(ref[:, 0], name="x"))
    assert list(rep.features["feature"]) == ["x"]


# --- report and panel -------------------------------------------------------------------------


def test_report_json_is_strict_and_serving_alerts():
    ref, cur = mixed(300, 300, 0.3)
    cur.loc[0, "city"] = "new"  # an unseen category: chi-squared statistic is infinite
    rep = compute_drift(cur, ref, thresholds={"latency_p95_ms": 100, "error_rate": 0.05})
    assert (rep.latency, rep.error_rate, rep.requests) == (None, None, None)
    rep.set_serving(latency={"p50": 20.0, "p95": 150.0, "p99": 400.0}, error_rate=0.01, requests=9)
    assert "latency p95 150 ms >= 100 ms" in rep.alerts
    assert not any(a.startswith("error rate") for a in rep.alerts)
    data = json.loads(rep.to_json())
    assert data["metrics"]["latency_p95_ms"] == 150.0
    assert data["requests"] == 9
    assert rep.as_frame() is not rep.features
    assert repr(rep).startswith("<DriftReport ")


def test_panel_payload_and_html_escape_untrusted_names():
    r = rng(12)
    ref = pd.DataFrame({f"f{i}": r.normal(size=300) for i in range(14)})
    ref["<script>"] = r.choice(["<b>x</b>", "y"], 300)
    cur = pd.DataFrame({f"f{i}": r.normal(i / 10, size=200) for i in range(14)})
    cur["<script>"] = r.choice(["<b>x</b>", "y", "<img src=x>"], 200)
    rep = compute_drift(cur, ref)
    bundle = monitor_bundle(rep, "<i>t</i>")
    payload = bundle[PANEL_MIME]
    json.dumps(payload, allow_nan=False)
    assert payload == monitor_payload(rep, "<i>t</i>")
    assert (payload["kind"], payload["version"], payload["status"]) == ("monitor", 1, "ok")
    monitor = payload["monitor"]
    assert len(monitor["histograms"]) == MAX_HISTOGRAMS
    flags = [row[6] for row in monitor["features"]["rows"]]
    assert flags == sorted(flags, reverse=True)
    assert monitor["features"]["rows"][0][0] == "<script>"  # a payload string stays raw
    html = monitor_html(rep, "<i>t</i>")
    assert html == bundle["text/html"]
    for raw in ("<script>", "<b>x</b>", "<img src=x>", "<i>t</i>"):
        assert raw not in html
    assert "&lt;script&gt;" in html
    assert "<svg" in html
    assert bundle["text/plain"].startswith("mlwork monitor '<i>t</i>': ")


def test_monitoring_imports_neither_scipy_nor_ipython():
    code = (
        "import sys, numpy as np, pandas as pd\n"
        "from mlwork_jupyter.ml.monitoring import compute_drift\n"
        "ref = pd.DataFrame({'a': np.arange(50.0), 'b': ['x', 'y'] * 25})\n"
        "compute_drift(ref.iloc[::-1], ref)\n"
        "print(sorted(m for m in ('scipy', 'IPython', 'tensorflow') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
