"""The evaluation core against scikit-learn, its input errors, row hashes and the panel."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlwork_jupyter.display.evaluation_panel import (
    PANEL_MIME,
    evaluation_bundle,
    evaluation_html,
    evaluation_payload,
)
from mlwork_jupyter.ml.evaluation import (
    EvaluationInputError,
    Leakage,
    compute,
    higher_is_better,
    overlap,
    row_hashes,
)
from mlwork_jupyter.ml.evaluation._clustering import silhouette_rows

skm = pytest.importorskip("sklearn.metrics")

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LABEL_KEYS = (
    "accuracy",
    "balanced_accuracy",
    "precision_weighted",
    "recall_weighted",
    "f1_weighted",
    "f1_macro",
)


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def sk_label_metrics(y, pred, w=None, labels=None) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw = {"sample_weight": w, "labels": labels, "zero_division": 0}
        return {
            "accuracy": skm.accuracy_score(y, pred, sample_weight=w),
            "balanced_accuracy": skm.balanced_accuracy_score(y, pred, sample_weight=w),
            "precision_weighted": skm.precision_score(y, pred, average="weighted", **kw),
            "recall_weighted": skm.recall_score(y, pred, average="weighted", **kw),
            "f1_weighted": skm.f1_score(y, pred, average="weighted", **kw),
            "f1_macro": skm.f1_score(y, pred, average="macro", **kw),
        }


def assert_metrics(ours: dict[str, float], expected: dict[str, float], rel=1e-9) -> None:
    for key, value in expected.items():
        assert ours[key] == pytest.approx(value, rel=rel, abs=1e-12), key


def multiclass_case(n=300, k=4, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.2
    return y, softmax(logits), rng.random(n) + 0.1


# --- classification against scikit-learn ----------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
def test_multiclass_with_proba_matches_sklearn(weighted):
    y, proba, w = multiclass_case()
    w = w if weighted else None
    ev = compute(y, proba=proba, sample_weight=w)
    pred = proba.argmax(axis=1)
    assert ev.task == "classification"
    assert ev.task_reason == "auto: proba given"
    assert_metrics(ev.metrics, sk_label_metrics(y, pred, w))
    assert ev.metrics["log_loss"] == pytest.approx(skm.log_loss(y, proba, sample_weight=w))
    assert ev.metrics["roc_auc"] == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="weighted", sample_weight=w)
    )
    assert ev.metrics["average_precision"] == pytest.approx(
        skm.average_precision_score(y, proba, average="weighted", sample_weight=w)
    )
    assert "brier" not in ev.metrics
    per_class_ap = skm.average_precision_score(y, proba, average=None, sample_weight=w)
    np.testing.assert_allclose(ev.per_class["average_precision"], per_class_ap)


@pytest.mark.parametrize("weighted", [False, True])
def test_binary_string_labels_match_sklearn(weighted):
    rng = np.random.default_rng(1)
    n = 400
    y = np.where(rng.random(n) < 0.4, "spam", "ham")
    p_spam = np.clip((y == "spam") * 0.3 + rng.random(n) * 0.7, 0, 1).round(2)  # with ties
    w = rng.random(n) + 0.1 if weighted else None
    ev = compute(y, proba=p_spam, sample_weight=w)
    assert ev.classes == ("ham", "spam")  # sorted; the positive class is the second
    pred = np.where(p_spam > 0.5, "spam", "ham")
    assert_metrics(ev.metrics, sk_label_metrics(y, pred, w))
    positive = y == "spam"
    assert ev.metrics["roc_auc"] == pytest.approx(
        skm.roc_auc_score(positive, p_spam, sample_weight=w)
    )
    assert ev.metrics["average_precision"] == pytest.approx(
        skm.average_precision_score(y, p_spam, pos_label="spam", sample_weight=w)
    )
    assert ev.metrics["brier"] == pytest.approx(
        skm.brier_score_loss(y, p_spam, pos_label="spam", sample_weight=w)
    )
    assert ev.metrics["log_loss"] == pytest.approx(skm.log_loss(y, p_spam, sample_weight=w))
    assert any("'spam'" in note for note in ev.notes)


def test_binary_two_column_proba_and_y_pred_given():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 200)
    p1 = rng.random(200)
    y_pred = (rng.random(200) < 0.5).astype(int)  # not the argmax: y_pred wins for labels
    ev = compute(y, y_pred, proba=np.column_stack([1 - p1, p1]))
    assert_metrics(ev.metrics, sk_label_metrics(y, y_pred))
    assert ev.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p1))
    assert ev.metrics["brier"] == pytest.approx(skm.brier_score_loss(y, p1))


def test_labels_order_is_the_class_order():
    y, proba, w = multiclass_case(k=3, seed=3)
    names = np.array(["a", "b", "c"])
    order = ["c", "a", "b"]  # proba columns in this order
    permuted = proba[:, [2, 0, 1]]
    ev = compute(names[y], proba=permuted, labels=order, sample_weight=w)
    assert ev.classes == ("c", "a", "b")
    assert list(ev.confusion.index) == order
    assert list(ev.confusion.columns) == order
    assert list(ev.per_class.index) == order
    pred = names[proba.argmax(axis=1)]
    assert_metrics(ev.metrics, sk_label_metrics(names[y], pred, w, labels=order))
    # scikit-learn wants sorted labels for probabilities: the original column order.
    assert ev.metrics["log_loss"] == pytest.approx(skm.log_loss(names[y], proba, sample_weight=w))
    assert ev.metrics["roc_auc"] == pytest.approx(
        skm.roc_auc_score(names[y], proba, multi_class="ovr", average="weighted", sample_weight=w)
    )
    cm = skm.confusion_matrix(names[y], pred, labels=order, sample_weight=w)
    np.testing.assert_allclose(ev.confusion.to_numpy(), cm)


def test_explicit_labels_cover_absent_classes_in_macro_average():
    y = ["a", "b", "a", "b"]
    pred = ["a", "b", "b", "b"]
    ev = compute(y, pred, labels=["a", "b", "z"])
    assert ev.metrics["f1_macro"] == pytest.approx(
        skm.f1_score(y, pred, labels=["a", "b", "z"], average="macro", zero_division=0)
    )
    assert ev.per_class.loc["z", "support"] == 0


def test_confusion_tables():
    y = ["cat", "dog", "dog", "dog", "bird"]
    pred = ["cat", "dog", "cat", "dog", "dog"]
    ev = compute(y, pred)
    assert ev.confusion.index.name == "true"
    assert ev.confusion.columns.name == "pred"
    assert ev.confusion.loc["dog", "cat"] == 1
    assert ev.confusion.loc["dog", "dog"] == 2
    np.testing.assert_allclose(
        ev.confusion_normalized.to_numpy(),
        skm.confusion_matrix(y, pred, normalize="true"),
    )
    report = skm.precision_recall_fscore_support(y, pred, zero_division=0)
    np.testing.assert_allclose(ev.per_class[["precision", "recall", "f1"]].T, report[:3])
    np.testing.assert_array_equal(ev.per_class["support"], report[3])


@st.composite
def class_cases(draw):
    k = draw(st.integers(2, 5))
    n = draw(st.integers(k + 1, 40))
    y = draw(arrays(np.int64, n, elements=st.integers(0, k - 1)))
    y[:k] = np.arange(k)  # every class occurs, so scikit-learn scores probabilities
    logits = draw(arrays(np.float64, (n, k), elements=st.sampled_from([-2.0, 0.0, 0.5, 1.0, 3.0])))
    pred = draw(st.none() | arrays(np.int64, n, elements=st.integers(0, k - 1)))
    w = draw(st.none() | arrays(np.float64, n, elements=st.floats(0.05, 5.0)))
    return y, softmax(logits), pred, w


@SETTINGS
@given(class_cases())
def test_classification_metrics_match_sklearn_on_generated_inputs(case):
    y, proba, pred, w = case
    ev = compute(y, pred, proba=proba, sample_weight=w)
    used = proba.argmax(axis=1) if pred is None else pred
    assert_metrics(ev.metrics, sk_label_metrics(y, used, w))
    assert ev.metrics["log_loss"] == pytest.approx(skm.log_loss(y, proba, sample_weight=w))
    if proba.shape[1] == 2:
        expected_auc = skm.roc_auc_score(y, proba[:, 1], sample_weight=w)
        expected_ap = skm.average_precision_score(y, proba[:, 1], sample_weight=w)
        assert ev.metrics["brier"] == pytest.approx(
            skm.brier_score_loss(y, proba[:, 1], sample_weight=w), abs=1e-12
        )
    else:
        expected_auc = skm.roc_auc_score(
            y, proba, multi_class="ovr", average="weighted", sample_weight=w
        )
        expected_ap = skm.average_precision_score(y, proba, average="weighted", sample_weight=w)
    assert ev.metrics["roc_auc"] == pytest.approx(expected_auc, abs=1e-12)
    assert ev.metrics["average_precision"] == pytest.approx(expected_ap, abs=1e-12)


@SETTINGS
@given(class_cases())
def test_curves_match_sklearn_on_generated_inputs(case):
    y, proba, _, w = case
    ev = compute(y, proba=proba, sample_weight=w)
    positive = 1 if proba.shape[1] == 2 else 0
    roc, pr = ev.curves.roc[0], ev.curves.pr[0]
    assert roc.label == positive
    fpr, tpr, thresholds = skm.roc_curve(y == positive, proba[:, positive], sample_weight=w)
    np.testing.assert_allclose(roc.x, fpr, atol=1e-12)
    np.testing.assert_allclose(roc.y, tpr, atol=1e-12)
    np.testing.assert_allclose(roc.thresholds, thresholds)
    precision, recall, _ = skm.precision_recall_curve(
        y == positive, proba[:, positive], sample_weight=w, drop_intermediate=True
    )
    np.testing.assert_allclose(pr.x, recall[::-1], atol=1e-12)
    np.testing.assert_allclose(pr.y, precision[::-1], atol=1e-12)


def test_calibration_curve_matches_sklearn():
    from sklearn.calibration import calibration_curve

    rng = np.random.default_rng(4)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(int)
    ev = compute(y, proba=p)
    cal = ev.curves.calibration
    assert len(cal.count) == 10
    assert cal.count.sum() == 1000
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10)
    filled = cal.count > 0
    np.testing.assert_allclose(cal.fraction_positive[filled], prob_true)
    np.testing.assert_allclose(cal.mean_predicted[filled], prob_pred)


def test_more_than_ten_classes_keep_curves_of_the_ten_largest():
    rng = np.random.default_rng(5)
    k = 14
    y = rng.choice(k, 3000, p=np.arange(1, k + 1) / np.arange(1, k + 1).sum())
    proba = softmax(rng.normal(size=(3000, k)))
    ev = compute(y, proba=proba)
    assert len(ev.curves.roc) == len(ev.curves.pr) == 10
    assert {c.label for c in ev.curves.roc} == set(range(4, 14))
    assert any("10 classes with the most support" in note for note in ev.notes)
    assert ev.metrics["roc_auc"] == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="weighted")
    )


# --- regression ---------------------------------------------------------------------------


def sk_regression(y, p, w=None) -> dict[str, float]:
    out = {
        "mae": skm.mean_absolute_error(y, p, sample_weight=w),
        "mse": skm.mean_squared_error(y, p, sample_weight=w),
        "rmse": skm.root_mean_squared_error(y, p, sample_weight=w),
        "r2": skm.r2_score(y, p, sample_weight=w),
        "max_error": skm.max_error(y, p),
        "median_ae": skm.median_absolute_error(y, p, sample_weight=w),
    }
    if not np.any(np.asarray(y) == 0):
        out["mape"] = skm.mean_absolute_percentage_error(y, p, sample_weight=w)
    return out


@pytest.mark.parametrize("weighted", [False, True])
def test_regression_matches_sklearn(weighted):
    rng = np.random.default_rng(6)
    y = rng.normal(10, 3, 500)
    p = y + rng.normal(0, 1, 500)
    w = rng.random(500) if weighted else None
    ev = compute(y, p, sample_weight=w)
    assert ev.task == "regression"
    assert set(ev.metrics) == {"mae", "mse", "rmse", "r2", "max_error", "median_ae", "mape"}
    assert_metrics(ev.metrics, sk_regression(y, p, w))
    residuals = ev.curves.residuals
    np.testing.assert_allclose(residuals, y - p)
    assert ev.curves.residual_hist.counts.sum() == 500


def test_regression_leaves_out_mape_when_a_true_value_is_zero():
    ev = compute([0.0, 1.5, 2.5], [0.5, 1.0, 3.0])
    assert "mape" not in ev.metrics
    assert_metrics(ev.metrics, sk_regression([0.0, 1.5, 2.5], [0.5, 1.0, 3.0]))


@SETTINGS
@given(
    st.integers(2, 40).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, n, elements=st.floats(-100, 100).map(lambda v: round(v, 1))),
            arrays(np.float64, n, elements=st.floats(-100, 100)),
            st.none() | arrays(np.float64, n, elements=st.sampled_from([0.0, 0.5, 1.0, 3.0])),
        )
    )
)
def test_regression_matches_sklearn_on_generated_inputs(case):
    y, p, w = case
    if w is not None and w.sum() == 0:
        w[0] = 1.0
    ev = compute(y, p, task="regression", sample_weight=w)
    assert_metrics(ev.metrics, sk_regression(y, p, w))


# --- clustering ---------------------------------------------------------------------------


def blobs(n=600, seed=7):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    centres = np.array([[0, 0, 0], [4, 4, 0], [0, 5, 5]], dtype=float)
    x = centres[truth] + rng.normal(size=(n, 3))
    assigned = np.where(rng.random(n) < 0.9, truth, rng.integers(0, 3, n))
    return x, truth, assigned


def test_clustering_scores_match_sklearn():
    x, truth, assigned = blobs()
    ev = compute(truth, assigned, X=x, task="clustering")
    assert ev.task == "clustering"
    expected = {
        "silhouette": skm.silhouette_score(x, assigned),
        "davies_bouldin": skm.davies_bouldin_score(x, assigned),
        "calinski_harabasz": skm.calinski_harabasz_score(x, assigned),
        "adjusted_rand": skm.adjusted_rand_score(truth, assigned),
        "normalized_mutual_info": skm.normalized_mutual_info_score(truth, assigned),
    }
    assert_metrics(ev.metrics, expected, rel=1e-7)
    assert ev.curves.cluster_sizes.tolist() == np.bincount(assigned).tolist()
    per_cluster = pd.Series(skm.silhouette_samples(x, assigned)).groupby(assigned).mean()
    np.testing.assert_allclose(ev.curves.silhouette_per_cluster, per_cluster, rtol=1e-7)


def test_clustering_without_reference_labels_is_auto():
    x, _, assigned = blobs(seed=8)
    ev = compute(None, assigned, X=pd.DataFrame(x, columns=["a", "b", "c"]))
    assert ev.task == "clustering"
    assert set(ev.metrics) == {"silhouette", "davies_bouldin", "calinski_harabasz"}


def test_silhouette_is_sampled_above_ten_thousand_rows():
    rng = np.random.default_rng(9)
    n = 10_500
    x = rng.normal(size=(n, 2))
    assigned = (x[:, 0] > 0).astype(int) + 2 * (x[:, 1] > 0.5)
    ev = compute(None, assigned, X=x)
    rows = silhouette_rows(n)
    assert len(rows) == 10_000
    assert ev.metrics["silhouette"] == pytest.approx(
        skm.silhouette_score(x[rows], assigned[rows]), rel=1e-7
    )
    assert any("10,000 of 10,500 rows" in note for note in ev.notes)
    assert ev.metrics["calinski_harabasz"] == pytest.approx(
        skm.calinski_harabasz_score(x, assigned)
    )


@SETTINGS
@given(
    st.integers(2, 60).flatmap(
        lambda n: st.tuples(
            arrays(np.int64, n, elements=st.integers(0, 4)),
            arrays(np.int64, n, elements=st.integers(0, 6)),
        )
    )
)
def test_reference_scores_match_sklearn_on_generated_inputs(case):
    truth, assigned = case
    ev = compute(truth, assigned, task="clustering")
    assert ev.metrics["adjusted_rand"] == pytest.approx(
        skm.adjusted_rand_score(truth, assigned), abs=1e-12
    )
    assert ev.metrics["normalized_mutual_info"] == pytest.approx(
        skm.normalized_mutual_info_score(truth, assigned), abs=1e-12
    )


# --- task inference -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y_true", "y_pred", "task"),
    [
        (["a", "b", "a"], ["a", "a", "b"], "classification"),
        ([True, False, True], [True, True, False], "classification"),
        ([0, 1, 2, 1], [0, 2, 2, 1], "classification"),
        ([0.0, 1.0, 1.0], [1.0, 1.0, 0.0], "classification"),
        ([0.5, 1.25, 2.0], [0.4, 1.0, 2.5], "regression"),
        ([1, 2, 3], [1.1, 2.2, 2.9], "regression"),
        (list(range(60)), list(range(1, 61)), "regression"),
    ],
)
def test_auto_task(y_true, y_pred, task):
    ev = compute(y_true, y_pred)
    assert ev.task == task
    assert ev.task_reason.startswith("auto: ")


def test_given_task_is_recorded():
    ev = compute([1, 2, 3], [1, 2, 2], task="regression")
    assert (ev.task, ev.task_reason) == ("regression", "given")


# --- slices -------------------------------------------------------------------------------


def test_slices_by_column_of_x_match_scores_of_each_subset():
    y, proba, _ = multiclass_case(n=600, k=3, seed=10)
    frame = pd.DataFrame({"region": np.array(["north", "south", "east"])[np.arange(600) % 3]})
    ev = compute(y, proba=proba, X=frame, slices="region")
    assert list(ev.slices.index) == ["east", "north", "south"]
    assert ev.slices.index.name == "region"
    for region, row in ev.slices.iterrows():
        mask = (frame["region"] == region).to_numpy()
        alone = compute(y[mask], proba=proba[mask], labels=[0, 1, 2])
        assert row["n"] == mask.sum()
        for key, value in alone.metrics.items():
            assert row[key] == pytest.approx(value), key


def test_slices_by_array_of_keys_and_worst_slice_in_payload():
    y = np.array([0, 1] * 50)
    pred = y.copy()
    keys = np.array(["good"] * 60 + ["bad"] * 40)
    pred[60:70] = 1 - pred[60:70]
    ev = compute(y, pred, slices=keys)
    assert ev.slices.loc["good", "accuracy"] == 1.0
    assert ev.slices.loc["bad", "accuracy"] == pytest.approx(0.75)
    section = evaluation_payload(ev)["evaluate"]["slices"]
    assert section["metric"] == "accuracy"
    assert section["rows"][section["worst"]][0] == "bad"
    assert "worst accuracy" in evaluation_html(ev)


# --- row hashes and overlap -----------------------------------------------------------------


def test_row_hashes_find_a_planted_overlap():
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=1000),
            "n": rng.integers(0, 5, 1000),
            "city": rng.choice(["Oslo", "Lima", None], 1000),
        }
    )
    train = frame.iloc[:800]
    test = pd.concat([frame.iloc[800:], frame.iloc[[5, 17, 42]]], ignore_index=True)
    rows, examples = overlap(row_hashes(test), row_hashes(train))
    assert rows == 3
    assert examples == [200, 201, 202]
    hashes = row_hashes(frame)
    assert hashes.dtype == np.uint64
    assert len(np.unique(hashes)) == 1000


def test_row_hashes_of_arrays_and_canonical_floats():
    a = np.array([[1.0, np.nan], [0.0, 2.0], [1.0, np.nan]])
    b = np.array([[-0.0, 2.0]])
    ha, hb = row_hashes(a), row_hashes(b)
    assert ha[0] == ha[2]
    assert hb[0] == ha[1]
    images = np.arange(4 * 2 * 2, dtype=np.uint8).reshape(4, 2, 2)
    assert len(set(row_hashes(images).tolist())) == 4
    assert overlap(row_hashes(images[:2]), row_hashes(images)) == (2, [0, 1])


# --- bad input ----------------------------------------------------------------------------


def bad(match: str, *args, **kwargs) -> str:
    with pytest.raises(EvaluationInputError, match=match) as info:
        compute(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert isinstance(info.value, ValueError)
    return message


def test_length_mismatch_names_both_lengths():
    message = bad("y_pred has 2 rows but y_true has 3", [0, 1, 1], [0, 1])
    assert "same" in message or "one entry per row" in message
    bad("sample_weight has 2 rows but y_true has 3", [0, 1, 1], [0, 1, 0], sample_weight=[1, 2])
    bad("proba has 4 rows but y_true has 3", [0, 1, 1], proba=np.full((4, 2), 0.5))
    bad("X has 2 rows but y_true has 3", [0, 1, 1], [0, 1, 1], X=np.zeros((2, 2)))


def test_proba_rows_must_sum_to_one():
    proba = np.array([[0.5, 0.5], [0.7, 0.5], [0.2, 0.8]])
    bad(r"proba rows must sum to 1 .*row 1 sums to 1\.2", [0, 1, 1], proba=proba)
    ok = proba.copy()
    ok[1] = [0.5004, 0.5]  # within 1e-3
    compute([0, 1, 1], proba=ok)


def test_proba_values_must_be_probabilities():
    bad(r"proba has values outside \[0, 1\].*softmax", [0, 1], proba=[-1.0, 2.0])
    bad("proba has NaN", [0, 1], proba=[0.2, np.nan])


def test_labels_missing_values_are_named():
    bad("y_true has values not in labels: 'dog'", ["cat", "dog"], ["cat", "cat"], labels=["cat"])
    bad(
        "y_pred has values not in labels: 'cow'",
        ["cat", "dog"],
        ["cat", "cow"],
        labels=["cat", "dog"],
    )


def test_nan_in_y_true():
    bad("y_true has 1 missing values", [0.0, np.nan, 1.0], [0.0, 1.0, 1.0])
    bad("y_true has 1 missing values", ["a", None], ["a", "b"])


def test_regression_given_strings():
    bad(
        "task='regression' needs numbers, but y_true holds",
        ["a", "b"],
        [1.0, 2.0],
        task="regression",
    )


def test_proba_shape_must_match_labels():
    bad(
        "proba has 3 columns but labels has 2 classes",
        [0, 1],
        proba=np.full((2, 3), 1 / 3),
        labels=[0, 1],
    )
    bad(
        "proba has 2 columns but y_true/y_pred hold 3 classes",
        ["a", "b", "c"],
        proba=np.full((3, 2), 0.5),
    )


def test_clustering_without_x_and_y_true():
    bad("clustering needs X .* or y_true", None, [0, 1, 1], task="clustering")


def test_unknown_task_lists_the_valid_ones():
    message = bad("unknown task 'clasification'", [0, 1], [0, 1], task="clasification")
    assert "did you mean 'classification'?" in message
    assert "auto, classification, regression, clustering" in message


def test_slices_errors():
    frame = pd.DataFrame({"a": [1, 2, 3]})
    bad(
        "slices='region' is not a column of X; columns: 'a'",
        [0, 1, 1],
        [0, 1, 0],
        X=frame,
        slices="region",
    )
    bad("slices has 2 values but y_true has 3", [0, 1, 1], [0, 1, 0], slices=["x", "y"])
    bad("slices='a' names a column, so X must be a DataFrame", [0, 1, 1], [0, 1, 0], slices="a")


def test_other_bad_input():
    bad(
        "y_pred holds numbers with fractional parts",
        [0, 1, 1],
        [0.2, 0.9, 0.7],
        task="classification",
    )
    bad("labels has duplicates: 'a'", ["a", "b"], ["a", "b"], labels=["a", "a", "b"])
    bad("sample_weight has negative values", [0, 1], [0, 1], sample_weight=[1.0, -1.0])
    bad("pass y_true and y_pred", None)
    bad("classification needs y_pred .* or proba", [0, 1])
    bad(
        "proba is for classification, but task is .regression.",
        [0.5, 1.5],
        [0.5, 1.0],
        proba=[0.2, 0.3],
        task="regression",
    )


def test_nothing_is_computed_before_input_is_checked(monkeypatch):
    import mlwork_jupyter.ml.evaluation._assemble as assemble_module

    called = []
    monkeypatch.setattr(assemble_module, "count", lambda *a: called.append(a))
    with pytest.raises(EvaluationInputError):
        compute([0, 1], [0, 1], slices=["only one"])
    assert called == []


# --- result defaults, metric direction ------------------------------------------------------


def test_stage_fields_have_defaults():
    ev = compute([0, 1], [0, 1])
    assert ev.delta is None
    assert ev.best == {}
    assert ev.leakage == Leakage()
    assert ev.leakage.status == "not checked"
    assert (ev.leakage.rows, ev.leakage.examples) == (0, ())


@pytest.mark.parametrize(
    ("metric", "higher"),
    [
        ("accuracy", True),
        ("roc_auc", True),
        ("silhouette", True),
        ("r2", True),
        ("log_loss", False),
        ("brier", False),
        ("rmse", False),
        ("davies_bouldin", False),
        ("val_loss", False),
        ("mean_squared_error", False),
        ("sparse_categorical_crossentropy", False),
        ("val_accuracy", True),
    ],
)
def test_higher_is_better(metric, higher):
    assert higher_is_better(metric) is higher


# --- panel payload and static HTML ------------------------------------------------------------


def test_payload_of_a_large_multiclass_evaluation_stays_small():
    y, proba, _ = multiclass_case(n=200_000, k=10, seed=12)
    ev = compute(y, proba=proba)
    ev.delta = {"accuracy": 0.01}
    ev.best = {"accuracy": 0.9}
    bundle = evaluation_bundle(ev, "digits")
    text = json.dumps(bundle[PANEL_MIME], allow_nan=False)
    assert len(text.encode()) <= 200_000
    payload = bundle[PANEL_MIME]
    assert payload["kind"] == "evaluate"
    assert payload["version"] == 1
    section = payload["evaluate"]
    assert len(section["curves"]["roc"]) == 10
    assert all(len(line["x"]) <= 2000 for line in section["curves"]["roc"])
    assert section["confusion"]["labels"] == [str(i) for i in range(10)]
    accuracy = next(m for m in section["metrics"] if m["name"] == "accuracy")
    assert accuracy["delta"] == 0.01
    assert accuracy["best"] == 0.9
    assert accuracy["higher_is_better"] is True
    assert bundle["text/plain"].startswith("mlwork evaluate 'digits': classification")


def test_regression_payload_uses_a_density_grid_for_many_points():
    rng = np.random.default_rng(13)
    y = rng.normal(size=5000)
    ev = compute(y, y + rng.normal(size=5000) * 0.1)
    section = evaluation_payload(ev)["evaluate"]["regression"]
    assert section["scatter"]["kind"] == "density"
    assert np.sum(section["scatter"]["counts"]) == 5000
    assert sum(section["residual_hist"]["counts"]) == 5000
    small = compute(y[:100], y[:100] * 1.1)
    assert evaluation_payload(small)["evaluate"]["regression"]["scatter"]["kind"] == "points"


def test_html_escapes_labels_and_shows_leakage():
    evil = "<script>alert(1)</script>"
    rng = np.random.default_rng(14)
    y = rng.choice([evil, "ok"], 300)
    ev = compute(y, proba=rng.random(300), labels=["ok", evil])
    ev.leakage = Leakage("checked", rows=3, examples=(1, 5, 9))
    html = evaluation_html(ev, "<b>title</b>")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<b>title</b>" not in html
    assert "3 of 300 evaluated rows also occur in the training data" in html
    payload = evaluation_payload(ev)
    assert payload["evaluate"]["leakage"]["warning"].startswith("3 of 300")
    assert evil in payload["evaluate"]["confusion"]["labels"]  # the renderer writes text


def test_clustering_payload():
    x, truth, assigned = blobs(seed=15)
    ev = compute(truth, assigned, X=x, task="clustering")
    section = evaluation_payload(ev)["evaluate"]["clustering"]
    assert section["sizes"] == np.bincount(assigned).tolist()
    assert len(section["silhouette"]) == 3
    assert "silhouette" in evaluation_html(ev)


# --- layering -----------------------------------------------------------------------------


def test_core_imports_no_display_ipython_tensorflow_or_sklearn():
    code = (
        "import sys, mlwork_jupyter.ml.evaluation as e\n"
        "e.compute([0, 1, 1], [0, 1, 0])\n"
        "bad = [m for m in ('IPython', 'tensorflow', 'sklearn', 'mlwork_jupyter.display')"
        " if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
