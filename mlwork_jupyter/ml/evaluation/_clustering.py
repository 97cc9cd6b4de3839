"""Clustering scores in NumPy, each as scikit-learn defines it (Euclidean distances).

Silhouette (sampled above 10,000 rows), Davies-Bouldin and Calinski-Harabasz from the
features; adjusted Rand and normalised mutual information against reference labels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mlwork_jupyter.ml.evaluation._result import Curves

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from mlwork_jupyter.ml.evaluation._inputs import ClusterData

__all__ = [
    "MAX_DB_CLUSTERS",
    "SILHOUETTE_SAMPLE",
    "SILHOUETTE_SEED",
    "clustering_scores",
    "silhouette_rows",
]

SILHOUETTE_SAMPLE = 10_000
"""Silhouette is O(n²): above this many rows it is computed on this many, chosen by
``numpy.random.default_rng(SILHOUETTE_SEED).choice(n, SILHOUETTE_SAMPLE, replace=False)``."""
SILHOUETTE_SEED = 0
MAX_DB_CLUSTERS = 5000
"""Davies-Bouldin compares every pair of centroids; above this many clusters it is skipped."""
_CHUNK_CELLS = 1 << 23  # distances held at once by silhouette (64 MiB of float64)
_DENSE_CONTINGENCY = 1 << 22


def silhouette_rows(n: int) -> NDArray[np.intp] | None:
    """Return the sorted rows the silhouette uses, or None when it uses all `n`."""
    if n <= SILHOUETTE_SAMPLE:
        return None
    rng = np.random.default_rng(SILHOUETTE_SEED)
    return np.sort(rng.choice(n, SILHOUETTE_SAMPLE, replace=False)).astype(np.intp)


def clustering_scores(
    data: ClusterData, *, curves: bool
) -> tuple[dict[str, float], Curves, list[str]]:
    """Return the clustering metrics, plot data (when `curves`) and notes."""
    metrics: dict[str, float] = {}
    notes: list[str] = []
    k = int(np.unique(data.assigned).size)
    n = len(data.assigned)
    per_cluster: pd.Series | None = None
    if data.features is not None:
        if not 1 < k < n:
            notes.append(
                f"silhouette, davies_bouldin and calinski_harabasz need 2 to n-1 clusters, "
                f"got {k} for {n} rows"
            )
            metrics.update(silhouette=np.nan, davies_bouldin=np.nan, calinski_harabasz=np.nan)
        else:
            metrics["silhouette"], per_cluster = _sampled_silhouette(data.features, data, notes)
            metrics["davies_bouldin"] = _davies_bouldin(data.features, data.assigned, notes)
            metrics["calinski_harabasz"] = _calinski_harabasz(data.features, data.assigned)
    if data.truth is not None:
        cells = _Contingency(data.truth, data.assigned)
        metrics["adjusted_rand"] = cells.adjusted_rand()
        metrics["normalized_mutual_info"] = cells.normalized_mutual_info()
    plots = Curves()
    if curves:
        index = pd.Index(list(data.clusters), name="cluster", tupleize_cols=False)
        sizes = np.bincount(data.assigned, minlength=len(data.clusters))
        plots = Curves(
            cluster_sizes=pd.Series(sizes, index=index, name="rows"),
            silhouette_per_cluster=per_cluster,
        )
    return metrics, plots, notes


def _sorted_by_cluster(
    x: NDArray[np.float64], codes: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.intp], NDArray[np.intp]]:
    """Return the order, X and dense codes sorted by cluster, and each cluster's size."""
    _, dense = np.unique(codes, return_inverse=True)
    order = np.argsort(dense, kind="stable")
    return order, x[order], dense[order].astype(np.intp), np.bincount(dense).astype(np.intp)


def _sampled_silhouette(
    x: NDArray[np.float64], data: ClusterData, notes: list[str]
) -> tuple[float, pd.Series]:
    rows = silhouette_rows(len(data.assigned))
    codes = data.assigned
    if rows is not None:
        x, codes = x[rows], codes[rows]
        notes.append(
            f"silhouette computed on {SILHOUETTE_SAMPLE:,} of {len(data.assigned):,} rows "
            f"(deterministic sample, seed {SILHOUETTE_SEED})"
        )
    if not 1 < np.unique(codes).size < len(codes):
        notes.append("silhouette needs 2 to n-1 clusters in its sample")
        return float("nan"), pd.Series(dtype=np.float64)
    values = silhouette_samples(x, codes)
    by_cluster = pd.Series(values).groupby(codes).mean()
    index = pd.Index(list(data.clusters), name="cluster", tupleize_cols=False)
    per_cluster = pd.Series(
        by_cluster.reindex(range(len(data.clusters))).to_numpy(), index=index, name="silhouette"
    )
    return float(values.mean()), per_cluster


def silhouette_samples(x: NDArray[np.float64], codes: NDArray[np.intp]) -> NDArray[np.float64]:
    """Return each row's silhouette, ``(b - a) / max(a, b)``, 0 for one-row clusters.

    Distances are computed a chunk of rows at a time, with the same expansion as
    scikit-learn's ``euclidean_distances``; the per-cluster sums come from one
    `np.add.reduceat` over the columns, which are ordered by cluster.
    """
    order, xs, cs, sizes = _sorted_by_cluster(x, codes)
    n = len(xs)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    squares = np.einsum("ij,ij->i", xs, xs)
    out = np.empty(n)
    step = max(1, _CHUNK_CELLS // n)
    for start in range(0, n, step):
        stop = min(n, start + step)
        inner = np.arange(stop - start)
        dist = -2.0 * (xs[start:stop] @ xs.T)
        dist += squares[start:stop, None]
        dist += squares[None, :]
        np.maximum(dist, 0.0, out=dist)
        dist[inner, start + inner] = 0.0
        np.sqrt(dist, out=dist)
        sums = np.add.reduceat(dist, starts, axis=1)
        own = cs[start:stop]
        intra = sums[inner, own]
        sums[inner, own] = np.inf
        inter = (sums / sizes).min(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            intra /= sizes[own] - 1
            out[start:stop] = (inter - intra) / np.maximum(intra, inter)
    result = np.empty(n)
    result[order] = np.nan_to_num(out)
    return result


def _centroids(
    x: NDArray[np.float64], codes: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp], NDArray[np.intp]]:
    _, xs, cs, sizes = _sorted_by_cluster(x, codes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    return np.add.reduceat(xs, starts, axis=0) / sizes[:, None], xs, cs, sizes


def _davies_bouldin(x: NDArray[np.float64], codes: NDArray[np.intp], notes: list[str]) -> float:
    centroids, xs, cs, sizes = _centroids(x, codes)
    k = len(sizes)
    if k > MAX_DB_CLUSTERS:
        notes.append(f"davies_bouldin skipped: {k} clusters (more than {MAX_DB_CLUSTERS})")
        return float("nan")
    spread = np.sqrt(((xs - centroids[cs]) ** 2).sum(axis=1))
    intra = np.bincount(cs, spread, minlength=k) / sizes
    squares = np.einsum("ij,ij->i", centroids, centroids)
    gaps = -2.0 * (centroids @ centroids.T) + squares[:, None] + squares[None, :]
    np.maximum(gaps, 0.0, out=gaps)
    np.fill_diagonal(gaps, 0.0)
    gaps = np.sqrt(gaps)
    if np.allclose(intra, 0.0) or np.allclose(gaps, 0.0):
        return 0.0
    gaps[gaps == 0] = np.inf
    return float(((intra[:, None] + intra[None, :]) / gaps).max(axis=1).mean())


def _calinski_harabasz(x: NDArray[np.float64], codes: NDArray[np.intp]) -> float:
    centroids, xs, cs, sizes = _centroids(x, codes)
    n, k = len(xs), len(sizes)
    extra = float((sizes * ((centroids - xs.mean(axis=0)) ** 2).sum(axis=1)).sum())
    intra = float(((xs - centroids[cs]) ** 2).sum())
    return 1.0 if intra == 0.0 else extra * (n - k) / (intra * (k - 1.0))


class _Contingency:
    """The non-zero cells of the reference-by-assignment contingency table."""

    def __init__(self, truth: NDArray[np.intp], assigned: NDArray[np.intp]) -> None:
        kt, kp = int(truth.max()) + 1, int(assigned.max()) + 1
        keys = truth.astype(np.int64) * kp + assigned
        if kt * kp <= _DENSE_CONTINGENCY:
            table = np.bincount(keys, minlength=kt * kp)
            where = np.flatnonzero(table)
            self.cells = table[where].astype(np.int64)
        else:
            where, cells = np.unique(keys, return_counts=True)
            self.cells = cells.astype(np.int64)
        self.row, self.col = where // kp, where % kp
        self.row_sums = np.bincount(truth, minlength=kt).astype(np.int64)
        self.col_sums = np.bincount(assigned, minlength=kp).astype(np.int64)
        self.n = len(truth)

    def adjusted_rand(self) -> float:
        """scikit-learn's ``adjusted_rand_score``, from the pair confusion matrix."""
        n = self.n
        squares = int((self.cells * self.cells).sum())
        tp = squares - n
        fp = int((self.col_sums * self.col_sums).sum()) - squares
        fn = int((self.row_sums * self.row_sums).sum()) - squares
        tn = n * n - fp - fn - squares
        if fn == 0 and fp == 0:
            return 1.0
        return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))

    def normalized_mutual_info(self) -> float:
        """scikit-learn's ``normalized_mutual_info_score`` (arithmetic mean of entropies)."""
        rows = self.row_sums[self.row_sums > 0]
        cols = self.col_sums[self.col_sums > 0]
        if rows.size == cols.size == 1:
            return 1.0
        if rows.size == 1 or cols.size == 1:
            return 0.0
        total = float(self.n)
        share = self.cells / total
        outer = self.row_sums[self.row] * self.col_sums[self.col]
        log_outer = -np.log(outer.astype(np.float64)) + 2 * np.log(total)
        mi = share * (np.log(self.cells.astype(np.float64)) - np.log(total)) + share * log_outer
        mi = np.where(np.abs(mi) < np.finfo(np.float64).eps, 0.0, mi)
        information = max(float(mi.sum()), 0.0)
        if information == 0:
            return 0.0
        return information / float(np.mean([_entropy(rows), _entropy(cols)]))


def _entropy(counts: NDArray[np.int64]) -> float:
    if counts.size == 1:
        return 0.0
    total = float(counts.sum())
    share = counts / total
    return float(-(share * (np.log(counts.astype(np.float64)) - np.log(total))).sum())
