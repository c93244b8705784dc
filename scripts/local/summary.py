"""The end-of-run figures: what was sent, stored, enriched, notified and discarded."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from scripts.local.aws import Clients
from scripts.local.feed import FeedResult
from scripts.local.poller import PollerStats

INDICATORS = ("sma_5", "sma_20", "volatility_10")
_deserializer = TypeDeserializer()


def scan_table(clients: Clients, table_name: str) -> list[dict[str, Any]]:
    """Every row of the table as plain Python values (Decimals for numbers)."""
    dynamodb = clients("dynamodb")
    rows: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table_name, ConsistentRead=True):
        rows.extend(
            {k: _deserializer.deserialize(v) for k, v in item.items()} for item in page.get("Items", [])
        )
    return rows


def series_rows(rows: list[dict[str, Any]], series: str) -> list[dict[str, Any]]:
    return sorted((row for row in rows if row.get("pk") == series), key=lambda row: (row["ts"], row["sk"]))


@dataclass
class Summary:
    feed: FeedResult
    rows: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    poller: PollerStats
    wall_s: dict[str, float] = field(default_factory=dict)
    chart_path: str | None = None

    @property
    def indicator_counts(self) -> dict[str, int]:
        return {name: sum(1 for row in self.rows if name in row) for name in INDICATORS}

    @property
    def enriched(self) -> int:
        return sum(1 for row in self.rows if "enriched_at" in row)

    @property
    def notification_ids(self) -> Counter[str]:
        return Counter(str(body.get("notification_id")) for body in self.notifications)

    def lines(self) -> list[str]:
        feed, stats = self.feed, self.poller
        bad_ok = sum(1 for bad, status in feed.bad if status == bad.expected)
        series = Counter(row.get("pk") for row in self.rows)
        ids = self.notification_ids
        latency = (
            f"p50 {statistics.median(feed.latencies_ms):.1f} ms, max {max(feed.latencies_ms):.1f} ms"
            if feed.latencies_ms
            else "n/a"
        )
        out = [
            "",
            "== summary ==",
            f"ticks sent          {feed.sent - len(feed.bad)} good ({feed.redeliveries} of them redeliveries)"
            f" + {len(feed.bad)} bad",
            f"accepted            {feed.accepted} ({feed.stored} stored, {feed.duplicate} duplicate)",
            f"rejected            {feed.rejected} "
            f"({bad_ok}/{len(feed.bad)} bad requests got the expected status)",
            f"server errors       {feed.server_errors}",
            f"webhook latency     {latency}",
            f"rows stored         {len(self.rows)} in {len(series)} series",
            f"rows enriched       {self.enriched}",
            "indicators          "
            + ", ".join(f"{name} on {count} rows" for name, count in self.indicator_counts.items()),
            f"stream poller       {stats.invocations} invocations, {stats.records_succeeded} records ok, "
            f"{stats.records_filtered_out} filtered out (MODIFY), {stats.function_errors} function errors",
            f"notifications       {len(self.notifications)} on the harness queue "
            f"({len(ids)} distinct notification ids)",
            f"on-failure queue    {len(self.failures)} message(s)"
            + ("" if self.failures else " (expected 0)"),
        ]
        for bad, status in feed.bad:
            if status != bad.expected:
                out.append(f"  ! {bad.name}: got {status}, expected {bad.expected}")
        if self.wall_s:
            out.append("wall time           " + ", ".join(f"{k} {v:.1f} s" for k, v in self.wall_s.items()))
        if self.chart_path:
            out.append(f"chart               {self.chart_path}")
        return out

    def problems(self) -> list[str]:
        """What went wrong, if anything (empty for a healthy run)."""
        found = []
        if self.feed.server_errors:
            found.append(f"{self.feed.server_errors} server errors")
        if not self.feed.bad_as_expected:
            found.append("a bad request got an unexpected status")
        if len(self.rows) != self.feed.stored:
            found.append(f"{len(self.rows)} rows for {self.feed.stored} stored ticks")
        if self.enriched != len(self.rows):
            found.append(f"{len(self.rows) - self.enriched} rows not enriched")
        if len(self.notification_ids) != self.enriched:
            found.append(
                f"{len(self.notification_ids)} distinct notifications for {self.enriched} enriched rows"
            )
        if self.failures:
            found.append(f"{len(self.failures)} message(s) in the on-failure queue")
        return found
