"""DynamoDB stream handler: indicators for every inserted tick, revisions for late ones, SNS.

Per batch: one consistent Query per series (see :mod:`price_enricher.history`), one
conditional UpdateItem per tick whose indicators change, one PublishBatch per 10
notifications. A tick that lands behind ticks already enriched also revises the followers
whose window holds it (at most ``MAX_WINDOW - 1``, read by the same Query): each changed
follower gets one UpdateItem that raises its ``revision``, and one notification. Whatever
the arrival order, once every tick is processed each stored indicator equals a
recomputation over the table.

Failures are reported per record (``batchItemFailures``) through Powertools'
BatchProcessor: a poison record fails alone, and a record whose write or notification did
not go through fails too, so it is replayed. A replay writes nothing that is already
stored and sends the same ``(notification_id, revision)`` again, so nothing is lost.

A stored revision is sent again (at least once: subscribers drop repeats of
``(notification_id, revision)``) when it is marked ``UNSENT`` (:mod:`pricing.keys`) or when
the record being processed, or another record of its batch, wrote it (the tick's own
record when ``revised_by`` is absent, else the late tick ``revised_by`` names). The
enrichment write sets no mark: only a notification SNS did not accept gets one
(:func:`price_enricher.sent.mark_unsent`), and a marked revision's mark is removed once it
went out. A crash between the write and the publish leaves no mark, but the mapping retries
the writer's record, and once its retries are exhausted the redrive replays it
(docs/redrive.md): the same record re-sends what it wrote. The price of no write on the
common path is a rare repeated message after a retry.

A ``RevisionConflict`` (another invocation wrote the tick between this one's Query and its
conditional write: two batches of one shard at parallelization factor 2) is retried inside
the invocation, up to :data:`CONFLICT_ATTEMPTS` times, each from a fresh Query. Conflicts are
counted in ``RevisionConflicts``, and a record that still conflicts after the last attempt
fails in ``ConflictsExhausted``, not in ``RecordsFailed``: the mapping retries it.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from botocore.exceptions import ClientError

from price_enricher import clients
from price_enricher.history import Point, SeriesHistory
from price_enricher.notify import Notification, publish
from price_enricher.records import PoisonRecord, StreamTick, is_tick_insert, parse_record
from price_enricher.sent import mark_sent, mark_unsent
from pricing.indicators import INDICATOR_NAMES, indicators
from pricing.keys import ENRICHED_AT, REVISED_BY, REVISION, UNSENT, notification_id

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "price-enricher"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "CryptoPricePipeline"))


class ConfigError(RuntimeError):
    """TABLE_NAME or TOPIC_ARN is missing: nothing can be processed, the batch is retried."""


#: Attempts at a record whose conditional write lost a race (each re-reads the series): two
#: invocations of one shard race at parallelization factor 2, and a third writer is rare.
CONFLICT_ATTEMPTS = 3


class RevisionConflict(RuntimeError):
    """A tick changed between the Query and its update; the record is retried and reads again."""


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Stream entry point; returns ``{"batchItemFailures": [{"itemIdentifier": seq}, ...]}``."""
    table, topic = os.environ.get("TABLE_NAME", ""), os.environ.get("TOPIC_ARN", "")
    if not table or not topic:
        raise ConfigError("TABLE_NAME and TOPIC_ARN must be set")
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        logger.error("Event has no Records list")
        return {"batchItemFailures": []}

    batch = Batch(table, records)
    # BatchProcessor rather than process_partial_response: the notifications are published
    # after every record is settled (one PublishBatch per 10), and a record whose message
    # could not be sent joins the failures, so the response is built here.
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    with processor(records=records, handler=batch.enrich):
        processor.process()
    failures = list(processor.response()["batchItemFailures"])

    unsent = publish(clients.sns(), topic, batch.notifications)
    failed = {item["itemIdentifier"] for item in failures}
    for note in unsent:
        if note.owner not in failed:
            failed.add(note.owner)
            failures.append({"itemIdentifier": note.owner})
    # Writes only on failure: a mark per notification SNS did not accept, and the removal of
    # the mark of a marked revision that went out now.
    marks_missing = mark_unsent(clients.dynamodb(), table, unsent)
    sent = [note for note in batch.notifications if note not in unsent]
    marks_left = mark_sent(clients.dynamodb(), table, [note for note in sent if note.marked])

    # A record that only lost revision races is retried by the mapping like any failure, but
    # it is not trouble: it pages nobody (RecordsFailed), it shows in ConflictsExhausted.
    exhausted = len(failed & batch.conflicted)
    metrics.add_metric(name="TicksEnriched", unit=MetricUnit.Count, value=batch.enriched)
    metrics.add_metric(name="TicksRevised", unit=MetricUnit.Count, value=batch.revised)
    metrics.add_metric(name="NotificationsPublished", unit=MetricUnit.Count, value=len(sent))
    metrics.add_metric(name="RevisionConflicts", unit=MetricUnit.Count, value=batch.conflicts)
    metrics.add_metric(name="ConflictsExhausted", unit=MetricUnit.Count, value=exhausted)
    metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=len(failures) - exhausted)
    logger.info(
        "Batch done",
        extra={
            "records": len(records),
            "enriched": batch.enriched,
            "revised": batch.revised,
            "failed": len(failures),
            "unsent": len(unsent),
            "conflicts": batch.conflicts,
            "conflicts_exhausted": exhausted,
            "unsent_marks_missing": marks_missing,
            "unsent_marks_left": marks_left,
        },
    )
    return {"batchItemFailures": failures}


class Batch:
    """State of one invocation: the batch's ticks by series, histories, notifications."""

    def __init__(self, table: str, records: list[Any]):
        self.table = table
        self.notifications: list[Notification] = []
        self.enriched = 0  # ticks of the batch whose indicators are stored
        self.revised = 0  # followers whose indicators a late tick changed
        self.conflicts = 0  # RevisionConflicts met, each retried or, after the last attempt, failed
        self.conflicted: set[str] = set()  # sequence numbers of records failed by their last conflict
        self._series: dict[str, set[str]] = defaultdict(set)  # sort keys of the batch's ticks, by series
        self._by_series: dict[str, list[StreamTick]] = defaultdict(list)
        self._history: dict[str, SeriesHistory] = {}
        self._ticks: dict[str, StreamTick] = {}  # by sequence number: each record is parsed once
        self._now_ms = time.time_ns() // 1_000_000
        for record in records:
            if is_tick_insert(record):
                try:
                    tick = parse_record(record)
                except PoisonRecord:
                    continue  # fails in enrich(), on its own
                self._series[tick.pk].add(tick.sk)
                self._by_series[tick.pk].append(tick)
                if tick.sequence_number:  # a record without one is simply parsed again
                    self._ticks[tick.sequence_number] = tick

    def enrich(self, record: DynamoDBRecord) -> str:
        """Record handler: enrich one tick and revise its followers; raising fails this record only."""
        raw = record.raw_event
        # Tick INSERTs only. The enricher's own UpdateItem emits a MODIFY record for the same
        # table stream: processing MODIFY would re-trigger the function on its own writes
        # forever. Event-id claims carry nothing to enrich, and REMOVE (TTL) needs nothing.
        # The event source mapping filters the same way; this is the second line.
        if not is_tick_insert(raw):
            return "ignored"
        stream = raw.get("dynamodb")
        sequence = stream.get("SequenceNumber") if isinstance(stream, dict) else None
        try:
            tick = (self._ticks.get(sequence) if sequence else None) or parse_record(raw)
            attempt = 1
            while True:
                # What a losing attempt added is taken back: the next one reads the series again
                # and sends what is stored and this record (or its batch) wrote, or marked.
                notes, enriched, revised = len(self.notifications), self.enriched, self.revised
                try:
                    return self._enrich(tick)
                except RevisionConflict:
                    self.conflicts += 1
                    del self.notifications[notes:]
                    self.enriched, self.revised = enriched, revised
                    self._history.pop(tick.pk, None)
                    if attempt == CONFLICT_ATTEMPTS:
                        if sequence:
                            self.conflicted.add(sequence)
                        raise
                    logger.info("Revision conflict; reading the series again", extra={"attempt": attempt})
                    attempt += 1
        except Exception as error:
            logger.warning(
                "Record failed",
                extra={
                    "sequence_number": sequence,
                    "error": type(error).__name__,
                    "detail": str(error)[:300],
                },
            )
            raise

    def _enrich(self, tick: StreamTick) -> str:
        """One attempt at a record: its tick, then its followers, from one read of the series."""
        history = self._history_of(tick)
        batch = self._series[tick.pk]
        batch.add(tick.sk)  # also a record parsed only now: it is the writer of what it writes
        if not self._settle(tick, history.point(tick.sk), history):
            return "gone"
        self.enriched += 1
        for follower in history.followers(tick.sk, batch):
            # Enriched or not: a follower's own record may have read the series before this
            # tick was written (two batches of one shard run at once with a parallelization
            # factor above 1, and a series can span split shards). The revision condition
            # turns the losing write of such a race into a conflict, retried from a new read.
            self._settle(tick, follower, history)
        return "enriched"

    def _history_of(self, tick: StreamTick) -> SeriesHistory:
        history = self._history.get(tick.pk)
        if history is None:
            # A failed Query is not cached: each record of the series fails with its own error.
            history = SeriesHistory.load(clients.dynamodb(), self.table, self._by_series[tick.pk] or [tick])
            self._history[tick.pk] = history
        return history

    def _settle(self, owner: StreamTick, point: Point, history: SeriesHistory) -> bool:
        """Make ``point``'s stored indicators equal its window, and notify; False when it is gone.

        ``point`` is the owner record's own tick, or one of its followers.
        """
        own = point.sk == owner.sk
        writer = None if own else owner.sk
        values = indicators(history.window(point.sk))
        if point.revision is not None and point.values == values:
            # Stored already. Sent again while marked unsent (SNS did not accept it), or when
            # this batch holds the record that wrote it: that record is being retried, and
            # whether its message went out before the failure is not known.
            if point.pending or self._wrote(owner.pk, point):
                self._notify(owner, point, values, point.revision, marked=point.pending)
            return True
        if not self._write(owner.pk, point, values, writer):
            return False
        if not own and point.revision is not None:
            self.revised += 1
        self._notify(owner, point, values, 1 if point.revision is None else point.revision + 1)
        return True

    def _wrote(self, pk: str, point: Point) -> bool:
        """True when a tick of this batch wrote ``point``'s stored revision (keys.REVISED_BY)."""
        return (point.revised_by or point.sk) in self._series[pk]

    def _notify(
        self, owner: StreamTick, point: Point, values: dict[str, Any], revision: int, *, marked: bool = False
    ) -> None:
        self.notifications.append(
            Notification(
                notification_id=notification_id(owner.pk, point.sk),
                pk=owner.pk,
                sk=point.sk,
                symbol=owner.symbol,
                exchange=owner.exchange,
                ts=point.ts,
                price=point.price,
                indicators=values,
                revision=revision,
                owner=owner.sequence_number,
                marked=marked,
            )
        )

    def _write(self, pk: str, point: Point, values: dict[str, Any], revised_by: str | None) -> bool:
        """One UpdateItem to the next revision, on condition that the stored one is still ``point``'s.

        False when the tick is gone (TTL): it is never recreated.
        """
        revision = 1 if point.revision is None else point.revision + 1
        names = {
            "#revision": REVISION,
            "#enriched_at": ENRICHED_AT,
            "#revised_by": REVISED_BY,
            "#unsent": UNSENT,
        }
        attribute_values = {":revision": {"N": str(revision)}, ":enriched_at": {"N": str(self._now_ms)}}
        sets = []
        # Every attribute name goes through ExpressionAttributeNames: no reserved-word surprises.
        for name, value in values.items():
            names[f"#{name}"] = name
            attribute_values[f":{name}"] = {"N": str(value)}
            sets.append(f"#{name} = :{name}")
        removes = []
        for name in INDICATOR_NAMES:
            if name not in values:  # stored equals the recomputation, also when history shrank
                names[f"#{name}"] = name
                removes.append(f"#{name}")
        if revised_by is None:
            removes.append("#revised_by")
        else:
            attribute_values[":revised_by"] = {"S": revised_by}
            sets.append("#revised_by = :revised_by")
        # A new revision supersedes the mark of an older one (its message is this one's).
        removes.append("#unsent")
        sets += ["#revision = :revision", "#enriched_at = if_not_exists(#enriched_at, :enriched_at)"]
        if point.revision is None:
            names["#pk"] = "pk"
            condition = "attribute_exists(#pk) AND attribute_not_exists(#revision)"
        else:
            attribute_values[":expected"] = {"N": str(point.revision)}
            condition = "#revision = :expected"
        expression = f"SET {', '.join(sets)}" + (f" REMOVE {', '.join(removes)}" if removes else "")
        try:
            clients.dynamodb().update_item(
                TableName=self.table,
                Key={"pk": {"S": pk}, "sk": {"S": point.sk}},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attribute_values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            if error.response.get("Item"):
                raise RevisionConflict(f"{point.sk} was enriched by another invocation meanwhile") from None
            logger.info("Tick no longer in the table; skipped", extra={"pk": pk, "sk": point.sk})
            return False
        return True
