"""Percentiles and summaries of latency samples (nearest-rank, no interpolation)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def percentile(samples: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q``-th percentile (0 < q <= 100); None without samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(samples: Sequence[float], digits: int = 2) -> dict[str, Any]:
    """Count, p50, p90, p99 and max of ``samples`` (milliseconds, rounded)."""

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, digits)

    return {
        "n": len(samples),
        "p50": rounded(percentile(samples, 50)),
        "p90": rounded(percentile(samples, 90)),
        "p99": rounded(percentile(samples, 99)),
        "max": rounded(max(samples) if samples else None),
    }
