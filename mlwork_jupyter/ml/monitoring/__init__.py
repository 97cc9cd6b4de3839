"""The computational core of the monitor stage: data and prediction drift, quality, NumPy only.

`compute_drift` compares live data with the training data (or its `reference_profile`)
feature by feature, choosing each feature's method as Evidently's ``DataDriftPreset`` does,
so that its drift decisions and figures match Evidently's (n = reference values, u = distinct
values on both sides, missing and infinite values left out):

============================  =========================  ======================
feature                       n <= 1000                  n > 1000
============================  =========================  ======================
numerical, u > 5              Kolmogorov-Smirnov          normed Wasserstein
                              (drift: p <= 0.05)          (drift: >= 0.1)
categorical, or u <= 5        chi-squared, or Z for       Jensen-Shannon
                              u <= 2 (drift: p < 0.05)    (drift: >= 0.1)
============================  =========================  ======================

The dataset drifts when at least half the features do. Beside every feature stands its PSI
(`psi_band`: below 0.1 stable, below 0.25 moderate, else significant), binned as Evidently
bins it: Sturges bins over both sides for a numerical feature whose reference has more than
20 distinct values, else one bin per value; empty bins are floored (see `_stats`). Every
method and threshold can be set, globally or per feature (see `_thresholds`).

Statistics
----------
All statistics are NumPy code that reproduces scipy's functions (checked against them in the
tests): the KS p-value exact as ``ks_2samp(method="auto")`` computes it (Hodges/Viehmann lattice
paths while both samples have at most 10,000 values, Simard-L'Ecuyer's ``kstwo`` above), the
chi-squared survival function by series and continued fraction. scipy is not imported.

Profiles
--------
`reference_profile` gives a compact JSON summary of the training data to store with a run;
`compute_drift` accepts it as `reference`. Columns of at most 1,000 values, or at most 20
distinct values, are kept exactly (every method exact); larger continuous columns as a
quantile sketch (201 even quantiles and finer steps in the tails), from which KS,
Wasserstein, PSI and Jensen-Shannon are approximated (`_sketch`; the report's notes say so)
and chi-squared/Z refused. Categorical columns keep their 1,000 most frequent categories.
"""

from __future__ import annotations

from mlwork_jupyter.ml.monitoring._alerts import PSI_BANDS, psi_band
from mlwork_jupyter.ml.monitoring._compare import default_method
from mlwork_jupyter.ml.monitoring._drift import compute_drift
from mlwork_jupyter.ml.monitoring._errors import MonitorInputError
from mlwork_jupyter.ml.monitoring._profile import PROFILE_FORMAT, is_profile, reference_profile
from mlwork_jupyter.ml.monitoring._report import FEATURE_COLUMNS, DriftReport
from mlwork_jupyter.ml.monitoring._thresholds import (
    DEFAULT_THRESHOLDS,
    METHODS,
    P_VALUE_METHODS,
    Thresholds,
    parse_thresholds,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "FEATURE_COLUMNS",
    "METHODS",
    "PROFILE_FORMAT",
    "PSI_BANDS",
    "P_VALUE_METHODS",
    "DriftReport",
    "MonitorInputError",
    "Thresholds",
    "compute_drift",
    "default_method",
    "is_profile",
    "parse_thresholds",
    "psi_band",
    "reference_profile",
]
