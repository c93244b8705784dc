"""The end-of-run figures: what was sent, stored, enriched, notified and discarded."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from pricing.keys import is_stored_tick
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


def tick_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ticks among the table's items (not the claims, ``e#...``, nor tombstones)."""
    return [row for row in rows if is_stored_tick(row)]


def series_rows(rows: list[dict[str, Any]], series: str) -> list[dict[str, Any]]:
    """The ticks of one series in series order (the sort key starts with the event time)."""
    return sorted((row for row in tick_rows(rows) if row.get("pk") == series), key=lambda row: row["sk"])


def latest_notifications(bodies: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per notification_id, the message with the highest revision: what a subscriber keeps."""
    latest: dict[str, dict[str, Any]] = {}
    for body in bodies:
        nid = str(body.get("notification_id"))
        if nid not in latest or int(body.get("revision", 0)) > int(latest[nid].get("revision", 0)):
            latest[nid] = body
    return latest


@dataclass
class Summary:
    feed: FeedResult
    rows: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    poller: PollerStats
    wall_s: dict[str, float] = field(default_factory=dict)
    chart_path: str | None = None

    def __post_init__(self) -> None:
        self.rows = tick_rows(self.rows)

    @property
    def revised_rows(self) -> int:
        return sum(1 for row in self.rows if int(row.get("revision", 0)) > 1)

    @property
    def revision_messages(self) -> int:
        return sum(1 for body in self.notifications if int(body.get("revision", 0)) > 1)

    def disagreements(self) -> int:
        """Rows whose stored revision and indicators differ from the subscriber's latest message."""
        latest = latest_notifications(self.notifications)
        wrong = 0
        for row in self.rows:
            body = latest.get(f"{row['pk']}|{row['sk']}")
            same = body is not None and int(body.get("revision", 0)) == int(row.get("revision", 0))
            same = same and all(
                (name in body) == (name in row) and (name not in row or str(row[name]) == body[name])
                for name in INDICATORS
            )
            wrong += not same
        return wrong

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
            f"ticks sent          {feed.sent - len(feed.bad)} good ({feed.redeliveries} of them redeliveries,"
            f" {feed.standard_webhooks} signed with Standard Webhooks headers) + {len(feed.bad)} bad",
            f"batches             {feed.batches} requests carrying {feed.batched} of those ticks"
            " (the first batch resent as it was)",
            f"accepted            {feed.accepted} ({feed.stored} stored, {feed.duplicate} duplicate,"
            f" {feed.late} sent late)",
            f"conflicts           {feed.conflict} (event_id reused for another tick: 409, first kept)",
            f"rejected            {feed.rejected} "
            f"({bad_ok}/{len(feed.bad)} bad requests got the expected status)",
            f"server errors       {feed.server_errors}",
            f"webhook latency     {latency}",
            f"rows stored         {len(self.rows)} in {len(series)} series",
            f"rows enriched       {self.enriched} ({self.revised_rows} revised after a late tick)",
            "indicators          "
            + ", ".join(f"{name} on {count} rows" for name, count in self.indicator_counts.items()),
            f"stream poller       {stats.invocations} invocations, {stats.records_succeeded} records ok, "
            f"{stats.records_filtered_out} filtered out (MODIFY, claims), "
            f"{stats.function_errors} function errors",
            f"notifications       {len(self.notifications)} on the harness queue "
            f"({len(ids)} distinct notification ids, {self.revision_messages} revisions;"
            f" subscriber view differs from the table on {self.disagreements()} rows)",
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
        if self.disagreements():
            found.append(f"{self.disagreements()} rows differ from the latest notification about them")
        return found
