"""Redrive: on-failure message -> the failed ticks -> enricher -> delete on success.

Each message is replayed by one of two paths, and its outcome says which:

- **stream** (:mod:`scripts.redrive.stream`): while DynamoDB Streams still holds the
  message's records (24 hours), they are read back by their shard and sequence range:
  the exact ticks of the failed batch.
- **table** (:mod:`scripts.redrive.table`): once the records are trimmed, the stream or
  shard is gone, or the range reads back empty, the ticks are found in the table by
  their receive time (the message's arrival window, :mod:`scripts.redrive.window`):
  every un-enriched tick received in the window is replayed, every tick enriched in the
  window by its own record or a late tick of the window is sent again (whether its message
  went out is unknown: the enricher marks only what SNS refused), and every tick whose
  stored revision SNS did not accept (marked ``unsent``) is sent again. The messages of a run that
  need this share **one Scan of the whole table** (about table size / 4 KB / 2 read
  units); :class:`RunStats` reports what it read. A message whose arrival times are
  malformed is ``invalid`` and stays in the queue.

A stream that fails otherwise (an internal error) leaves its message in the queue
(``error``): the next run tries the stream again.

Either way the enricher is invoked exactly as the mapping would, through an
:class:`Invoker`: the deployed function (:class:`LambdaInvoker`), or the local runtime's
handler in its own process (``scripts.local.redrive``). The message is deleted only when
every replayed record succeeded; otherwise it is made visible again. The enricher is idempotent (same values,
writes conditional on the revision read, same ``notification_id``), so a redrive that
repeats work, or replays a tick that was pending for another reason, is harmless.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import ClientError

from scripts.redrive.lease import Lease
from scripts.redrive.message import BatchInfo, RedriveError
from scripts.redrive.stream import StreamGone, fetch_records, rebuild_event
from scripts.redrive.table import EVENT_RECORDS, TickKey, assign, replay_records, scan_pending
from scripts.redrive.window import DEFAULT_SLACK_S, InvalidWindow, Window, hull

__all__ = [
    "BatchInfo",
    "Invoker",
    "LambdaInvoker",
    "Outcome",
    "RedriveError",
    "Redriver",
    "RunStats",
]

#: Seconds a received message stays invisible while this run works on it.
VISIBILITY_S = 120
#: The status of a message until the run's table Scan has served it (never returned).
WAITING = "waiting for the table scan"


class Invoker(Protocol):
    def __call__(self, event: dict[str, Any]) -> list[str]:
        """Invoke the enricher; the failed sequence numbers. Raises on a function error."""
        ...


@dataclass
class LambdaInvoker:
    """The deployed function, invoked synchronously with the rebuilt event (``lambda:InvokeFunction``)."""

    client: Any
    function: str

    def __call__(self, event: dict[str, Any]) -> list[str]:
        reply = self.client.invoke(
            FunctionName=self.function, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
        )
        payload = reply["Payload"].read()
        if reply.get("FunctionError"):
            raise RedriveError(f"{self.function} failed: {payload[:500]!r}")
        answer = json.loads(payload) if payload else {}
        return [item["itemIdentifier"] for item in (answer or {}).get("batchItemFailures", [])]


@dataclass
class Outcome:
    message_id: str
    status: str  # redriven | still failing | invalid | error | skipped | dry run
    path: str = ""  # stream | table: where the ticks were found
    reason: str = ""  # table path: why the stream could not serve the message
    records: int = 0  # records replayed (dry run: that would be)
    gone: int = 0  # items deleted or expired: nothing to enrich
    found: int = 0  # table path: pending ticks (received in the window, or unsent) the Scan found
    enriched: int = 0  # table path: of those, enriched and notified by the time they were read again
    unsent: int = 0  # table path: of the records, ticks whose stored revision is marked unsent
    unknown: int = 0  # table path: of the records, ticks enriched in the window: sent again
    failed: list[str] = field(default_factory=list)  # sequence numbers (stream) or tick ids (table)
    detail: str = ""
    receipt_handle: str = field(default="", repr=False)
    info: BatchInfo | None = field(default=None, repr=False)
    window: Window | None = field(default=None, repr=False)


@dataclass
class RunStats:
    """What a run did and read; ``items_scanned`` is the fallback's cost driver."""

    via_stream: int = 0  # messages whose records the stream still held
    via_table: int = 0  # messages replayed from a table Scan
    scans: int = 0
    items_scanned: int = 0
    read_units: float = 0.0  # consumed by the Scans, as DynamoDB reported them
    ticks_found: int = 0  # pending ticks the Scans assigned to messages


@dataclass
class Redriver:
    sqs: Any
    streams: Any
    ddb: Any
    queue_url: str
    invoker_for: Callable[[BatchInfo], Invoker]
    image: str = "current"
    dry_run: bool = False
    slack_s: int = DEFAULT_SLACK_S
    scan_page_limit: int | None = None  # items per Scan page (None: DynamoDB's 1 MB pages)
    stats: RunStats = field(default_factory=RunStats)

    def run(self, max_messages: int = 100) -> list[Outcome]:
        self.stats = RunStats()
        lease = Lease(self.sqs, self.queue_url)
        outcomes: list[Outcome] = []
        seen: set[str] = set()
        while len(outcomes) < max_messages:
            batch = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=VISIBILITY_S,
                WaitTimeSeconds=0,
            ).get("Messages", [])
            batch = [m for m in batch if m["MessageId"] not in seen]
            if not batch:
                break
            for message in batch[: max_messages - len(outcomes)]:
                seen.add(message["MessageId"])
                outcome = self.one(message)
                outcomes.append(outcome)
                if outcome.status == "redriven":
                    self._delete(outcome)
                elif outcome.status == WAITING and not lease.hold(outcome.message_id, outcome.receipt_handle):
                    # it waits for the run's single Scan, and could not be kept from reappearing
                    self._skip(outcome, lease)
        waiting = [o for o in outcomes if o.status == WAITING]
        if waiting:
            self._from_table(waiting, lease)
        self._release(outcomes)  # what was not deleted becomes visible again at once
        return outcomes

    def one(self, message: dict[str, Any]) -> Outcome:
        """The stream path for one message; a message for the table path comes back ``WAITING``."""
        outcome = Outcome(
            message_id=message["MessageId"], status="invalid", receipt_handle=message["ReceiptHandle"]
        )
        try:
            info = BatchInfo.from_body(message["Body"])
        except RedriveError as exc:
            outcome.detail = str(exc)
            return outcome
        outcome.info = info
        try:
            raw = fetch_records(self.streams, info)
        except StreamGone as gone:
            return self._for_table(outcome, info, gone.reason)
        except ClientError as error:  # the stream failed otherwise: try again later
            outcome.status, outcome.detail = "error", f"stream read failed: {error}"[:300]
            return outcome
        self.stats.via_stream += 1
        outcome.path = "stream"
        event, gone_items = rebuild_event(raw, info, self.ddb, self.image)
        outcome.records, outcome.gone = len(event["Records"]), gone_items
        if self.dry_run:
            outcome.status = "dry run"
            return outcome
        if event["Records"]:
            try:
                outcome.failed = self.invoker_for(info)(event)
            except Exception as exc:  # a function error: the message stays for a later redrive
                outcome.status, outcome.detail = "still failing", repr(exc)[:300]
                return outcome
        outcome.status = "still failing" if outcome.failed else "redriven"
        return outcome

    def _for_table(self, outcome: Outcome, info: BatchInfo, reason: str) -> Outcome:
        outcome.reason = reason
        try:
            outcome.window = info.window(self.slack_s)
        except InvalidWindow as exc:
            outcome.detail = f"{reason}, and the arrival window is invalid: {exc}"
            return outcome  # invalid: kept in the queue
        outcome.path, outcome.status = "table", WAITING
        return outcome

    def _from_table(self, waiting: list[Outcome], lease: Lease) -> None:
        """One Scan per table for every waiting message, then each message's replay."""
        by_table: dict[str, list[tuple[Outcome, Window]]] = {}
        for outcome in waiting:
            assert outcome.info is not None
            assert outcome.window is not None
            by_table.setdefault(outcome.info.table, []).append((outcome, outcome.window))
        for table, held in by_table.items():
            outcomes, windows = [o for o, _ in held], [w for _, w in held]
            scan = scan_pending(
                self.ddb, table, hull(windows), page_limit=self.scan_page_limit, on_page=lease.renew
            )
            self.stats.scans += 1
            self.stats.items_scanned += scan.scanned
            self.stats.read_units += scan.read_units
            crashed = [o.info is not None and o.info.function_error is not None for o in outcomes]
            for outcome, ticks in zip(outcomes, assign(scan.ticks, windows, crashed), strict=True):
                self.stats.ticks_found += len(ticks)
                outcome.found = len(ticks)
                lease.renew()
                if lease.lost(outcome.message_id):
                    self._skip(outcome, lease)
                    continue
                self.stats.via_table += 1
                self._replay(outcome, ticks)
                lease.release(outcome.receipt_handle)
                if outcome.status == "redriven":
                    self._delete(outcome)

    def _replay(self, outcome: Outcome, ticks: Sequence[TickKey]) -> None:
        info = outcome.info
        assert info is not None
        replay = replay_records(self.ddb, info.table, ticks, info.stream_arn, info.region, int(info.start))
        outcome.records, outcome.gone, outcome.enriched = len(replay.records), replay.gone, replay.enriched
        outcome.unsent, outcome.unknown = replay.unsent, replay.unknown
        if self.dry_run:
            outcome.status = "dry run"
            return
        if not replay.records:  # every tick of the window is enriched or gone: nothing left to do
            outcome.status = "redriven"
            return
        invoker = self.invoker_for(info)
        for chunk in _chunks(replay.records, EVENT_RECORDS):
            try:
                failed = invoker({"Records": chunk})
            except Exception as exc:  # a function error: the message stays for a later redrive
                outcome.status, outcome.detail = "still failing", repr(exc)[:300]
                return
            outcome.failed += [replay.ticks[s].tick_id if s in replay.ticks else s for s in failed]
        outcome.status = "still failing" if outcome.failed else "redriven"

    def _skip(self, outcome: Outcome, lease: Lease) -> None:
        outcome.status = "skipped"
        outcome.detail = f"its visibility could not be kept ({lease.lost(outcome.message_id)}): run again"
        outcome.receipt_handle = ""  # lapsed: nothing to release

    def _delete(self, outcome: Outcome) -> None:
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=outcome.receipt_handle)
        outcome.receipt_handle = ""

    def _release(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            if outcome.receipt_handle:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=outcome.receipt_handle, VisibilityTimeout=0
                )


def _chunks(records: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]
