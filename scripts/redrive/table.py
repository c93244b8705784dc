"""Pending ticks found in the table itself, for messages whose stream records are gone.

DynamoDB Streams trims a record after 24 hours; the on-failure queue keeps its message
up to 14 days, and the message holds no item keys, only its batch's arrival window
(:mod:`scripts.redrive.window`). Such a message's ticks are found by what a failed tick
looks like in the table (docs/design.md), a tick row (``sk`` starting ``t#``) that is either

- **never enriched**: no ``enriched_at``, and its ``received_at`` lies in the window;
- **enriched in the window, notification unknown**: ``enriched_at`` set, received in the
  window, and its stored revision written by its own record (no ``revised_by``) or by a late
  tick received in the same window. The enricher sets no mark when it writes (docs/design.md):
  a batch that crashed between its writes and its publish left no trace of what went out, so
  these are sent again (subscribers drop repeats of ``(notification_id, revision)``). A
  replayed late tick re-sends the followers it revised, wherever they were received; or
- **not notified**: it carries ``unsent`` (:data:`pricing.keys.UNSENT`), the stored
  revision whose message SNS did not accept (the enricher writes the mark when a publish
  fails and removes it once the revision went out). Such a tick is pending wherever it was
  received: a late tick's record revises followers received long before it. One outside
  every window goes with the run's first message, so the message whose batch failed to
  send it is deleted only once it went out.

**Cost.** One paginated Scan per run, whatever the number of such messages: its
FilterExpression spans every window (their hull), and the ticks found are assigned to
the messages client-side. A Scan reads every item of the table, and DynamoDB charges
for the items read before the filter, so the run costs about table size / 4 KB / 2 read
units (eventually consistent): a 10 GB table, about 1.3 million. A narrower filter would
cost the same. The Scan returns keys and ``received_at`` only.

**What is replayed.** Every pending tick, not only the failed batch's: one found in the
slack, or one whose own message is elsewhere in the queue, is pending work too. The Scan
is eventually consistent, so each found tick is read again with a consistent GetItem just
before its replay; one enriched and notified meanwhile (an earlier replay of the run may
have handled it as a follower) or gone (TTL, deleted) is left alone. Replaying is safe:
the enricher writes only changed values, each write conditional on the revision it read;
a replay of a stored revision writes nothing and sends it again (the replayed record wrote
it, or it is marked), and a message is deleted once its replay succeeded, so a second run
sends nothing.

The replayed records are INSERT-like Lambda records (:func:`scripts.lambda_events.lambda_record`)
with the item as it is now, ``eventSourceARN`` the message's stream, and sequence
numbers counted from the message's ``startSequenceNumber`` (unique within the event; the
original ones are not known).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pricing.keys import ENRICHED_AT, REVISED_BY, TICK_PREFIX, UNSENT
from scripts.lambda_events import lambda_record
from scripts.redrive.window import Window

#: Records per invocation of a table replay: the mapping's default batch size, which
#: the enricher's timeout is sized for.
EVENT_RECORDS = 100

_FILTER = "begins_with(#sk, :tick) AND (attribute_exists(#unsent) OR #received BETWEEN :from AND :to)"
_NAMES = {
    "#pk": "pk",
    "#sk": "sk",
    "#received": "received_at",
    "#enriched": ENRICHED_AT,
    "#unsent": UNSENT,
    "#revised_by": REVISED_BY,
}


@dataclass(frozen=True, order=True)
class TickKey:
    """A tick the Scan found: received in the hull of the windows, or its stored revision ``unsent``."""

    received_ms: int
    pk: str
    sk: str
    unsent: bool = False
    enriched: bool = False
    revised_by: str | None = None  # sk of the late tick whose record wrote the stored revision

    @property
    def key(self) -> dict[str, dict[str, str]]:
        return {"pk": {"S": self.pk}, "sk": {"S": self.sk}}

    @property
    def tick_id(self) -> str:
        """The tick's ``notification_id`` (docs/design.md)."""
        return f"{self.pk}|{self.sk}"


@dataclass
class ScanResult:
    """What one Scan found and what it cost."""

    ticks: list[TickKey] = field(default_factory=list)
    scanned: int = 0  # items read (ScannedCount), before the filter
    read_units: float = 0.0  # as the Scan reported them (ConsumedCapacity)
    pages: int = 0


def scan_pending(
    ddb: Any,
    table: str,
    window: Window,
    *,
    page_limit: int | None = None,
    on_page: Callable[[], None] | None = None,
) -> ScanResult:
    """Ticks of ``table`` received in ``window``, or unsent: one Scan, every page.

    ``on_page`` runs after each page (to keep the messages' visibility while a large
    table is read); ``page_limit`` caps the items read per page (tests).
    """
    request: dict[str, Any] = {
        "TableName": table,
        "ProjectionExpression": "#pk, #sk, #received, #enriched, #unsent, #revised_by",
        "FilterExpression": _FILTER,
        "ExpressionAttributeNames": _NAMES,
        "ExpressionAttributeValues": {
            ":tick": {"S": TICK_PREFIX},
            ":from": {"N": str(window.start_ms)},
            ":to": {"N": str(window.end_ms)},
        },
        "ReturnConsumedCapacity": "TOTAL",
    }
    if page_limit is not None:
        request["Limit"] = page_limit
    result = ScanResult()
    while True:
        page = ddb.scan(**request)
        result.pages += 1
        result.scanned += int(page.get("ScannedCount", 0))
        result.read_units += float((page.get("ConsumedCapacity") or {}).get("CapacityUnits", 0.0))
        result.ticks.extend(_tick_key(item) for item in page.get("Items", []))
        if on_page is not None:
            on_page()
        if "LastEvaluatedKey" not in page:
            return result
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _tick_key(item: dict[str, Any]) -> TickKey:
    revised_by = item.get(REVISED_BY, {}).get("S")
    return TickKey(
        int(Decimal(item["received_at"]["N"])),
        item["pk"]["S"],
        item["sk"]["S"],
        unsent=UNSENT in item,
        enriched=ENRICHED_AT in item,
        revised_by=revised_by if isinstance(revised_by, str) else None,
    )


def assign(
    ticks: Sequence[TickKey], windows: Sequence[Window | None], crashed: Sequence[bool] | None = None
) -> list[list[TickKey]]:
    """Each pending tick to the first of ``windows`` holding it (None: a message without one).

    Pending: never enriched; or unsent; or, in the window of a message whose batch ended in a
    function error (``crashed``, default all: the handler may have died between its write and
    its publish), enriched by its own record or by a late tick of the same window (whether the
    message went out is unknown). A batch that ended without one marked whatever SNS refused,
    so its enriched, unmarked ticks were notified and are not sent again. A tick in no window (the hull spans
    the gaps between windows) is left out unless it is unsent: that one goes to the first
    message with a window (it is pending wherever it was received). A tick in two
    overlapping windows is replayed once.
    """
    shares: list[list[TickKey]] = [[] for _ in windows]
    first = next((index for index, window in enumerate(windows) if window is not None), None)
    received = {(tick.pk, tick.sk): tick.received_ms for tick in ticks}
    for tick in sorted(ticks):
        holder = next(
            (
                i
                for i, window in enumerate(windows)
                if window is not None and window.contains(tick.received_ms)
            ),
            first if tick.unsent else None,
        )
        if holder is None:
            continue
        window = windows[holder]
        writer = received.get((tick.pk, tick.revised_by)) if tick.revised_by else tick.received_ms
        unknown = crashed is None or crashed[holder]
        written_here = unknown and writer is not None and window is not None and window.contains(writer)
        if tick.unsent or not tick.enriched or written_here:
            shares[holder].append(tick)
    return shares


@dataclass
class Replay:
    """The records to replay for one message, and the ticks left alone."""

    records: list[dict[str, Any]] = field(default_factory=list)
    ticks: dict[str, TickKey] = field(default_factory=dict)  # by the record's sequence number
    gone: int = 0  # deleted or expired since the Scan
    enriched: int = 0  # enriched since the Scan (by an earlier replay of the run, which sent it)
    unsent: int = 0  # of the records, ticks whose stored revision is marked unsent
    unknown: int = 0  # of the records, ticks enriched in the window: their revision is sent again


def replay_records(
    ddb: Any, table: str, ticks: Sequence[TickKey], stream_arn: str, region: str, first_sequence: int
) -> Replay:
    """INSERT-like records of the pending ``ticks`` (consistent GetItem each).

    The enricher, given a tick's record, writes it when it was never enriched, and sends
    its stored revision again when it is marked unsent or was written by the record (or
    by another replayed record of the event).
    """
    replay = Replay()
    for tick in sorted(ticks, key=lambda t: (t.pk, t.sk)):
        item = ddb.get_item(TableName=table, Key=tick.key, ConsistentRead=True).get("Item")
        if item is None:
            replay.gone += 1
            continue
        if UNSENT in item:
            replay.unsent += 1
        elif tick.enriched:
            replay.unknown += 1
        elif ENRICHED_AT in item:
            replay.enriched += 1
            continue
        sequence = str(first_sequence + len(replay.records))
        replay.records.append(insert_record(item, tick, sequence, stream_arn, region))
        replay.ticks[sequence] = tick
    return replay


def insert_record(
    item: dict[str, Any], tick: TickKey, sequence: str, stream_arn: str, region: str
) -> dict[str, Any]:
    """The Lambda record of ``item``'s INSERT, as the mapping would have delivered it."""
    stream_record = {
        "eventID": uuid.uuid4().hex,
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": {
            "ApproximateCreationDateTime": tick.received_ms // 1000,
            "Keys": tick.key,
            "NewImage": item,
            "SequenceNumber": sequence,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
    return json.loads(json.dumps(lambda_record(stream_record, stream_arn, region), default=str))
