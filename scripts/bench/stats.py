"""Percentiles and summaries of latency samples (nearest-rank, no interpolation).

A percentile is reported only when there are enough samples for it to differ from the
maximum: the q-th percentile needs at least ``100 / (100 - q)`` samples (p50: 2, p90: 10,
p99: 100). With fewer, a summary gives the count and the maximum, and None for the
percentile, so no report can show a p99 of 10 samples, which is their maximum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

QUANTILES = (50, 90, 99)


def min_samples(q: float) -> int:
    """Fewest samples for which the nearest-rank ``q``-th percentile is not the maximum."""
    return math.ceil(100 / (100 - q) - 1e-9)


def percentile(samples: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q``-th percentile (0 < q <= 100); None without samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(samples: Sequence[float], digits: int = 2) -> dict[str, Any]:
    """Count, p50, p90, p99 and max of ``samples`` (rounded); a percentile is None when
    there are fewer than :func:`min_samples` samples for it."""

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, digits)

    out: dict[str, Any] = {"n": len(samples)}
    for q in QUANTILES:
        enough = len(samples) >= min_samples(q)
        out[f"p{q}"] = rounded(percentile(samples, q)) if enough else None
    out["max"] = rounded(max(samples) if samples else None)
    return out


def describe(s: dict[str, Any] | None, unit: str = "ms", quantiles: Sequence[int] = (50, 99)) -> str:
    """``p50 1.2 ms, p99 3.4 ms (max 5.6, n=1000)``; percentiles without enough samples are
    left out and named: ``n=10, max 5.6 ms (too few for p99)``."""
    if not s or not s.get("n"):
        return "n/a"
    present = [q for q in quantiles if s.get(f"p{q}") is not None and s["n"] >= min_samples(q)]
    shown = [f"p{q} {s[f'p{q}']:g} {unit}" for q in present]
    missing = [f"p{q}" for q in quantiles if q not in present]
    if shown:
        text = ", ".join(shown) + f" (max {s['max']:g}, n={s['n']})"
    else:
        text = f"n={s['n']}, max {s['max']:g} {unit}"
    if missing:
        text += f" (too few for {'/'.join(missing)})"
    return text
