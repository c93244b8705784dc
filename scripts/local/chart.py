"""A PNG of one series: price with SMA-5 and SMA-20 (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt


def plot_series(rows: list[dict[str, Any]], title: str, path: Path) -> Path:
    """Draw ``rows`` (one series, sorted by ``ts``) to ``path``; indicators where present."""
    path.parent.mkdir(parents=True, exist_ok=True)
    times = list(range(1, len(rows) + 1))  # tick number: a demo feed spans seconds, not hours
    figure, axes = plt.subplots(figsize=(10, 5), dpi=100)
    try:
        axes.plot(times, [float(row["price"]) for row in rows], label="price", color="#444444", linewidth=1.2)
        for name, color in (("sma_5", "#1f77b4"), ("sma_20", "#d62728")):
            points = [(t, float(row[name])) for t, row in zip(times, rows, strict=True) if name in row]
            if points:
                xs, ys = zip(*points, strict=True)
                axes.plot(xs, ys, label=name.upper().replace("_", "-"), color=color, linewidth=1.5)
        axes.set_title(title)
        axes.set_ylabel("price")
        axes.set_xlabel("tick in series (by event time)")
        axes.grid(True, alpha=0.3)
        axes.legend(loc="best")
        figure.tight_layout()
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)
    return path
