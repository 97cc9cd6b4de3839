"""Which way each metric improves, and which metric ranks slices (kept below display and ml)."""

from __future__ import annotations

from mlwork_jupyter.provenance.metric_direction import (
    LOWER_IS_BETTER,
    higher_is_better,
    is_bounded,
    primary_metric,
)

__all__ = ["LOWER_IS_BETTER", "higher_is_better", "is_bounded", "primary_metric"]
