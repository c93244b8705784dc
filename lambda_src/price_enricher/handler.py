"""DynamoDB stream handler: indicators for every inserted tick, then SNS notifications.

Per batch: one consistent Query per series (see :mod:`price_enricher.history`), one
conditional UpdateItem per tick, one PublishBatch per 10 notifications. Failures are
reported per record (``batchItemFailures``, the sequence number) through Powertools'
BatchProcessor: a poison record fails alone, and a record whose notification SNS did not
accept fails too, so it is replayed. Replays rewrite the same values (``enriched_at``
only if absent) and republish with the same ``notification_id``.
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
from price_enricher.history import SeriesHistory
from price_enricher.notify import Notification, publish
from price_enricher.records import PoisonRecord, StreamTick, is_insert, parse_record
from pricing.indicators import indicators

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "price-enricher"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "CryptoPricePipeline"))


class ConfigError(RuntimeError):
    """TABLE_NAME or TOPIC_ARN is missing: nothing can be processed, the batch is retried."""


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Stream entry point; returns ``{"batchItemFailures": [{"itemIdentifier": seq}, ...]}``."""
    logger.append_keys(request_id=getattr(context, "aws_request_id", None))
    table, topic = os.environ.get("TABLE_NAME", ""), os.environ.get("TOPIC_ARN", "")
    if not table or not topic:
        raise ConfigError("TABLE_NAME and TOPIC_ARN must be set")
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        logger.error("Event has no Records list")
        return {"batchItemFailures": []}

    batch = Batch(table, records)
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    with processor(records=records, handler=batch.enrich):
        processor.process()
    failures = list(processor.response()["batchItemFailures"])

    unsent = publish(clients.sns(), topic, batch.notifications)
    failed = {item["itemIdentifier"] for item in failures}
    for note in unsent:
        if note.tick.sequence_number not in failed:
            failed.add(note.tick.sequence_number)
            failures.append({"itemIdentifier": note.tick.sequence_number})

    metrics.add_metric(name="TicksEnriched", unit=MetricUnit.Count, value=batch.enriched)
    metrics.add_metric(
        name="NotificationsPublished", unit=MetricUnit.Count, value=len(batch.notifications) - len(unsent)
    )
    metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=len(failures))
    logger.info(
        "Batch done",
        extra={
            "records": len(records),
            "enriched": batch.enriched,
            "failed": len(failures),
            "unsent": len(unsent),
        },
    )
    return {"batchItemFailures": failures}


class Batch:
    """State of one invocation: the batch's ticks by series, histories, notifications."""

    def __init__(self, table: str, records: list[Any]):
        self.table = table
        self.notifications: list[Notification] = []
        self.enriched = 0
        self._series: dict[str, list[StreamTick]] = defaultdict(list)
        self._history: dict[str, SeriesHistory] = {}
        self._ticks: dict[str, StreamTick] = {}  # by sequence number: each record is parsed once
        self._now_ms = time.time_ns() // 1_000_000
        for record in records:
            if is_insert(record):
                try:
                    tick = parse_record(record)
                except PoisonRecord:
                    continue  # fails in enrich(), on its own
                self._series[tick.pk].append(tick)
                if tick.sequence_number:  # a record without one is simply parsed again
                    self._ticks[tick.sequence_number] = tick

    def enrich(self, record: DynamoDBRecord) -> str:
        """Record handler: enrich one INSERT; raising marks this record (only) as failed."""
        raw = record.raw_event
        # INSERT only. The enricher's own UpdateItem emits a MODIFY record for the same
        # table stream: processing MODIFY would re-trigger the function on its own writes
        # forever (the reference design does exactly that). The event source mapping also
        # filters on INSERT; this is the second line. REMOVE (TTL) needs nothing either.
        if not is_insert(raw):
            return "ignored"
        stream = raw.get("dynamodb")
        sequence = stream.get("SequenceNumber") if isinstance(stream, dict) else None
        try:
            tick = (self._ticks.get(sequence) if sequence else None) or parse_record(raw)
            values = indicators(self._history_of(tick).window(tick))
            if not self._update(tick, values):
                return "gone"
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
        self.enriched += 1
        self.notifications.append(Notification(tick, values))
        return "enriched"

    def _history_of(self, tick: StreamTick) -> SeriesHistory:
        history = self._history.get(tick.pk)
        if history is None:
            # A failed Query is not cached: each record of the series fails with its own error.
            history = SeriesHistory.load(clients.dynamodb(), self.table, self._series[tick.pk] or [tick])
            self._history[tick.pk] = history
        return history

    def _update(self, tick: StreamTick, values: dict[str, Any]) -> bool:
        """One UpdateItem; False when the tick is gone (TTL): it must not be recreated."""
        names = {"#pk": "pk", "#enriched_at": "enriched_at"}
        attribute_values = {":enriched_at": {"N": str(self._now_ms)}}
        sets = []
        # Every attribute name goes through ExpressionAttributeNames: no reserved-word
        # surprises (the reference wrote `processed` unescaped and failed on every record).
        for name, value in values.items():
            names[f"#{name}"] = name
            attribute_values[f":{name}"] = {"N": str(value)}
            sets.append(f"#{name} = :{name}")
        sets.append("#enriched_at = if_not_exists(#enriched_at, :enriched_at)")
        try:
            clients.dynamodb().update_item(
                TableName=self.table,
                Key={"pk": {"S": tick.pk}, "sk": {"S": tick.sk}},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attribute_values,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                logger.info("Tick no longer in the table; skipped", extra={"pk": tick.pk, "sk": tick.sk})
                return False
            raise
        return True
