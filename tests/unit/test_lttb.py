"""LTTB downsampling: shape kept, ends kept, spikes kept, NaN runs visible, exact algorithm."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlwork_jupyter.display.lttb import lttb, lttb_indices


def _reference(xs: np.ndarray, ys: np.ndarray, threshold: int) -> np.ndarray:
    """Steinarsson's loop, bucket by bucket, for comparison."""
    n = len(xs)
    every = (n - 2) / (threshold - 2)
    kept, a = [0], 0
    for i in range(threshold - 2):
        lo = int(i * every) + 1
        hi = int((i + 1) * every) + 1 if i < threshold - 3 else n - 1
        next_lo, next_hi = (hi, int((i + 2) * every) + 1) if i < threshold - 3 else (n - 1, n)
        cx, cy = xs[next_lo:next_hi].mean(), ys[next_lo:next_hi].mean()
        area = np.abs((xs[a] - cx) * (ys[lo:hi] - ys[a]) - (xs[a] - xs[lo:hi]) * (cy - ys[a]))
        a = lo + int(np.argmax(area))
        kept.append(a)
    kept.append(n - 1)
    return np.array(kept)


def test_short_series_returned_unchanged():
    xs, ys = lttb([1, 2, 3], [3.0, 1.0, 2.0], 10)
    assert xs.tolist() == [1, 2, 3]
    assert ys.tolist() == [3.0, 1.0, 2.0]


def test_100k_points_to_2000_keep_ends_and_spikes():
    rng = np.random.default_rng(7)
    n = 100_000
    ys = np.cumsum(rng.normal(size=n))
    ys[31_337] = ys.max() + 500.0
    ys[77_777] = ys.min() - 500.0
    xs, kept = lttb(np.arange(n), ys, 2000)
    assert len(xs) == len(kept) == 2000
    assert xs[0] == 0
    assert xs[-1] == n - 1
    assert kept.max() == ys.max()
    assert kept.min() == ys.min()
    assert np.all(np.diff(xs) > 0)


@pytest.mark.parametrize(("n", "threshold"), [(100_000, 2000), (1000, 50), (37, 5), (10, 3)])
def test_matches_the_sequential_algorithm(n, threshold):
    rng = np.random.default_rng(n)
    xs = np.arange(n, dtype=float)
    ys = np.cumsum(rng.normal(size=n))
    assert np.array_equal(lttb_indices(xs, ys, threshold), _reference(xs, ys, threshold))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=300),
    st.integers(3, 100),
)
def test_matches_reference_on_arbitrary_series(values, threshold):
    ys = np.array(values)
    xs = np.arange(len(ys), dtype=float)
    expected = np.arange(len(ys)) if len(ys) <= threshold else _reference(xs, ys, threshold)
    assert np.array_equal(lttb_indices(xs, ys, threshold), expected)


def test_nan_runs_stay_visible_and_finite_points_are_preferred():
    n = 10_000
    ys = np.sin(np.arange(n) / 300.0)
    ys[4000:4600] = np.nan
    ys[100] = np.nan  # a lone NaN inside a bucket of finite points
    xs, kept = lttb(np.arange(n), ys, 200)
    assert len(xs) == 200
    gap = np.isnan(kept)
    assert gap.any()
    assert np.all((xs[gap] >= 4000) & (xs[gap] < 4600))
    assert 100 not in xs[gap]


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least 3"):
        lttb([1, 2, 3, 4], [1, 2, 3, 4], 2)
    with pytest.raises(ValueError, match="equal length"):
        lttb([1, 2, 3], [1, 2], 3)
