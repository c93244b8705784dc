"""The event source mapping's part: read a DynamoDB stream and invoke a handler in batches.

``MappingConfig.from_api`` takes the mapping exactly as ``lambda:GetEventSourceMapping``
returns it (the one Terraform created), and ``StreamPoller`` applies it:

* records are read with the DynamoDB Streams API (``describe_stream``,
  ``get_shard_iterator`` at the mapping's ``StartingPosition``, ``get_records``)
  and converted to the Lambda event shape (``stream_event``);
* ``FilterCriteria`` is applied before batching; records that match no pattern are
  dropped for good, as Lambda does (``esm_filter``);
* a batch is up to ``BatchSize`` matching records, sent when full or when
  ``MaximumBatchingWindowInSeconds`` has passed since its first record arrived;
* one batch at a time per shard (``ParallelizationFactor`` 1), in sequence order;
* with ``ReportBatchItemFailures`` the response's ``batchItemFailures`` checkpoint
  the shard just before the lowest failed sequence number and processing resumes
  from there; an invalid response (unknown or empty ``itemIdentifier``) fails the
  whole batch, as documented for Lambda;
* a function error (an exception, or an unserialisable result) fails the batch;
* with ``BisectBatchOnFunctionError`` a failed batch of more than one record is split
  in two and its first half retried; a split does not use up a retry, so a poison
  record is narrowed down to a batch of its own before retries are counted;
* after ``MaximumRetryAttempts`` retries (-1: until the record expires), or for
  records older than ``MaximumRecordAgeInSeconds``, the batch is discarded and a
  record in Lambda's on-failure format (``DDBStreamBatchInfo``) goes to
  ``DestinationConfig.OnFailure.Destination`` (SQS or SNS), then the shard moves on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from scripts.local.aws import Clients
from scripts.local.context import INVOCATION_LOCK, FunctionInfo
from scripts.local.esm_filter import matches_any, parse_filters
from scripts.local.stream_event import approximate_arrival, lambda_event, lambda_record, sequence_number

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class MappingConfig:
    """The settings of a DynamoDB stream event source mapping that matter to delivery."""

    uuid: str
    function_arn: str
    event_source_arn: str
    batch_size: int = 100
    batching_window_s: float = 0.0
    starting_position: str = "TRIM_HORIZON"
    filters: tuple[dict[str, Any], ...] = ()
    max_retry_attempts: int = -1
    bisect_on_error: bool = False
    max_record_age_s: int = -1
    report_batch_item_failures: bool = False
    on_failure_destination: str | None = None
    enabled: bool = True

    @classmethod
    def from_api(cls, mapping: Mapping[str, Any]) -> MappingConfig:
        destination = ((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        retries = mapping.get("MaximumRetryAttempts")
        age = mapping.get("MaximumRecordAgeInSeconds")
        return cls(
            uuid=mapping["UUID"],
            function_arn=mapping["FunctionArn"],
            event_source_arn=mapping["EventSourceArn"],
            batch_size=int(mapping.get("BatchSize") or 100),
            batching_window_s=float(mapping.get("MaximumBatchingWindowInSeconds") or 0),
            starting_position=mapping.get("StartingPosition") or "TRIM_HORIZON",
            filters=tuple(parse_filters(mapping.get("FilterCriteria"))),
            max_retry_attempts=-1 if retries is None else int(retries),
            bisect_on_error=bool(mapping.get("BisectBatchOnFunctionError")),
            max_record_age_s=-1 if age is None else int(age),
            report_batch_item_failures="ReportBatchItemFailures"
            in (mapping.get("FunctionResponseTypes") or []),
            on_failure_destination=destination or None,
            enabled=mapping.get("State", "Enabled") not in ("Disabled", "Disabling"),
        )


@dataclass
class Outcome:
    """The result of one invocation, as the poller reads it."""

    ok: bool
    first_failed: int = 0  # index in the batch of the lowest failed record
    function_error: str | None = None  # "Unhandled" for an exception
    error: str | None = None


@dataclass
class PollerStats:
    records_read: int = 0
    records_filtered_out: int = 0
    invocations: int = 0
    records_succeeded: int = 0
    function_errors: int = 0
    partial_failures: int = 0
    bisects: int = 0
    batches_to_destination: int = 0
    records_to_destination: int = 0
    batch_durations_ms: list[float] = field(default_factory=list)


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None = None
    last_read: str | None = None  # sequence number of the last record fetched
    pending: list[dict[str, Any]] = field(default_factory=list)
    first_pending_at: float | None = None
    limit: int = 0  # current batch size limit (reduced by bisection)
    failures: int = 0  # counted failed invocations of the head record
    invokes: int = 0  # invocations of batches starting at the head record
    finished: bool = False


class StreamPoller:
    """Plays one event source mapping for ``handler`` (invoked in-process)."""

    def __init__(
        self,
        config: MappingConfig,
        handler: Handler,
        function: FunctionInfo,
        clients: Clients,
        poll_interval_s: float = 0.25,
        on_batch: Callable[[list[dict[str, Any]], Outcome], None] | None = None,
        role_clients: Clients | None = None,
    ) -> None:
        """``role_clients`` make the calls AWS makes with the function's role (stream reads, the
        on-failure send); ``clients`` make the emulator's own lookups."""
        self.config = config
        self.handler = handler
        self.function = function
        self.clients = clients
        self.role_clients = role_clients or clients
        self.poll_interval_s = poll_interval_s
        self.on_batch = on_batch
        self.stats = PollerStats()
        self._streams = self.role_clients("dynamodbstreams")
        self._shards: dict[str, _Shard] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one poll at a time (thread or caller)
        self.last_error: str | None = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> StreamPoller:
        self._discover_shards()  # the starting position is taken now (LATEST is "from here")
        self._thread = threading.Thread(target=self._run, name="stream-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the background thread (the poller can still be driven with poll_once/run_until_idle)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self._stop.clear()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                self.last_error = traceback.format_exc()
                log.error("stream poller error:\n%s", self.last_error)
            self._stop.wait(self.poll_interval_s)

    # -- polling -------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return sum(len(shard.pending) for shard in self._shards.values())

    def poll_once(self, flush: bool = False) -> int:
        """Read new records and invoke ready batches; returns the number of records read."""
        if not self.config.enabled:
            return 0
        with self._lock:
            self._discover_shards()
            read = 0
            for shard in list(self._shards.values()):
                if not shard.finished:
                    read += self._fetch(shard)
                self._deliver(shard, flush)
            return read

    def run_until_idle(self, timeout_s: float = 60.0, quiet_polls: int = 2) -> bool:
        """Poll (in the caller's thread) until nothing is pending and no new record arrives.

        Honours the batching window. Returns False on timeout.
        """
        deadline = time.monotonic() + timeout_s
        quiet = 0
        while time.monotonic() < deadline:
            read = self.poll_once()
            quiet = quiet + 1 if read == 0 and self.pending == 0 else 0
            if quiet >= quiet_polls:
                return True
            time.sleep(self.poll_interval_s if read == 0 else 0)
        return False

    def _discover_shards(self) -> None:
        description = self._streams.describe_stream(StreamArn=self.config.event_source_arn)[
            "StreamDescription"
        ]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id in self._shards:
                continue
            state = _Shard(shard_id=shard_id, limit=self.config.batch_size)
            position = self.config.starting_position
            if position not in ("TRIM_HORIZON", "LATEST"):
                position = "TRIM_HORIZON"
            state.iterator = self._streams.get_shard_iterator(
                StreamArn=self.config.event_source_arn, ShardId=shard_id, ShardIteratorType=position
            )["ShardIterator"]
            self._shards[shard_id] = state

    def _fetch(self, shard: _Shard) -> int:
        if shard.iterator is None:
            return 0
        try:
            response = self._streams.get_records(ShardIterator=shard.iterator, Limit=1000)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ExpiredIteratorException" or not shard.last_read:
                raise
            shard.iterator = self._streams.get_shard_iterator(
                StreamArn=self.config.event_source_arn,
                ShardId=shard.shard_id,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                SequenceNumber=shard.last_read,
            )["ShardIterator"]
            return 0
        shard.iterator = response.get("NextShardIterator")
        if shard.iterator is None:
            shard.finished = True  # a closed shard, read to its end
        records = response.get("Records", [])
        for raw in records:
            record = json.loads(
                json.dumps(lambda_record(raw, self.config.event_source_arn, self.clients.region))
            )
            shard.last_read = sequence_number(record)
            self.stats.records_read += 1
            if not matches_any(self.config.filters, record):
                self.stats.records_filtered_out += 1
                continue
            if not shard.pending:
                shard.first_pending_at = time.monotonic()
            shard.pending.append(record)
        return len(records)

    def _deliver(self, shard: _Shard, flush: bool) -> None:
        config = self.config
        while shard.pending and not self._stop.is_set():
            self._expire_old_records(shard)
            if not shard.pending:
                break
            waited = time.monotonic() - (shard.first_pending_at or 0.0)
            if not flush and len(shard.pending) < config.batch_size and waited < config.batching_window_s:
                return  # the batching window is still open
            size = min(shard.limit, config.batch_size, len(shard.pending))
            batch = shard.pending[:size]
            shard.invokes += 1
            outcome = self._invoke(batch)
            if self.on_batch is not None:
                self.on_batch(batch, outcome)
            if outcome.ok:
                self.stats.records_succeeded += len(batch)
                self._advance(shard, size)
                continue
            # checkpoint before the lowest failed record; those before it are done
            if outcome.first_failed > 0:
                self.stats.records_succeeded += outcome.first_failed
                self._advance(shard, outcome.first_failed)
                shard.invokes = 1
            failed = batch[outcome.first_failed :]
            if config.bisect_on_error and len(failed) > 1:
                shard.limit = math.ceil(len(failed) / 2)
                self.stats.bisects += 1
                continue  # a split is not a retry
            shard.limit = len(failed)
            shard.failures += 1
            retries_left = config.max_retry_attempts < 0 or shard.failures <= config.max_retry_attempts
            if retries_left:
                if not flush:
                    return  # retry on the next poll, as Lambda retries after a pause
                continue
            self._discard(shard, failed, "RetryAttemptsExhausted", outcome)

    def _advance(self, shard: _Shard, count: int) -> None:
        del shard.pending[:count]
        shard.limit = self.config.batch_size
        shard.failures = 0
        shard.invokes = 0
        if shard.pending:
            shard.first_pending_at = time.monotonic()

    def _expire_old_records(self, shard: _Shard) -> None:
        max_age = self.config.max_record_age_s
        if max_age < 0 or not shard.pending:
            return
        now = dt.datetime.now(dt.UTC)
        old = 0
        for record in shard.pending:
            if (now - approximate_arrival(record)).total_seconds() <= max_age:
                break
            old += 1
        if old:
            self._discard(shard, shard.pending[:old], "RecordAgeExceeded", None)

    def _discard(
        self, shard: _Shard, batch: list[dict[str, Any]], condition: str, outcome: Outcome | None
    ) -> None:
        self.stats.batches_to_destination += 1
        self.stats.records_to_destination += len(batch)
        log.warning(
            "discarding %d record(s) %s..%s of %s: %s",
            len(batch),
            sequence_number(batch[0]),
            sequence_number(batch[-1]),
            shard.shard_id,
            condition,
        )
        invokes = shard.invokes
        self._advance(shard, len(batch))
        if self.config.on_failure_destination:
            message = failure_record(
                batch,
                shard_id=shard.shard_id,
                stream_arn=self.config.event_source_arn,
                function_arn=self.config.function_arn,
                condition=condition,
                invoke_count=invokes,
                function_error=outcome.function_error if outcome else None,
            )
            self._send_to_destination(self.config.on_failure_destination, message)

    def _send_to_destination(self, arn: str, message: dict[str, Any]) -> None:
        body = json.dumps(message)
        service = arn.split(":")[2]
        if service == "sqs":
            account, name = arn.split(":")[4], arn.split(":")[5]
            # the mapping sends by ARN; the URL lookup is the emulator's, not a call of the role
            url = self.clients("sqs").get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)[
                "QueueUrl"
            ]
            self.role_clients("sqs").send_message(QueueUrl=url, MessageBody=body)
        elif service == "sns":
            self.role_clients("sns").publish(TopicArn=arn, Message=body)
        else:
            log.error("unsupported on-failure destination %s", arn)

    # -- invocation ----------------------------------------------------------------
    def _invoke(self, batch: list[dict[str, Any]]) -> Outcome:
        self.stats.invocations += 1
        event = lambda_event(batch)
        started = time.perf_counter()
        try:
            with INVOCATION_LOCK:
                result = self.handler(event, self.function.new_context())
            result = json.loads(json.dumps(result))  # what the runtime would hand back to Lambda
        except Exception as exc:
            self.stats.function_errors += 1
            self.last_error = traceback.format_exc()
            log.warning("%s failed on a batch of %d: %r", self.function.name, len(batch), exc)
            return Outcome(ok=False, first_failed=0, function_error="Unhandled", error=repr(exc))
        finally:
            self.stats.batch_durations_ms.append((time.perf_counter() - started) * 1000)
        if not self.config.report_batch_item_failures:
            return Outcome(ok=True)
        outcome = parse_batch_response(result, [sequence_number(record) for record in batch])
        if not outcome.ok:
            self.stats.partial_failures += 1
        return outcome


def parse_batch_response(result: Any, sequence_numbers: list[str]) -> Outcome:
    """Read a ``ReportBatchItemFailures`` response for a batch with these sequence numbers.

    Success: ``None``, ``{}``, a response without failures. A failure list checkpoints at
    its lowest sequence number. Anything malformed fails the whole batch.
    """
    if result is None:
        return Outcome(ok=True)
    if not isinstance(result, dict):
        return Outcome(ok=False, error=f"response is not a batch response: {result!r:.80}")
    failures = result.get("batchItemFailures")
    if failures is None or failures == []:
        return Outcome(ok=True)
    if not isinstance(failures, list):
        return Outcome(ok=False, error="batchItemFailures is not a list")
    index = {seq: position for position, seq in enumerate(sequence_numbers)}
    lowest: int | None = None
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in index:
            return Outcome(ok=False, error=f"invalid itemIdentifier {identifier!r}")
        lowest = index[identifier] if lowest is None else min(lowest, index[identifier])
    return Outcome(ok=False, first_failed=lowest or 0, error="batchItemFailures")


def _iso(moment: dt.datetime, millis: bool = False) -> str:
    text = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def failure_record(
    batch: list[dict[str, Any]],
    shard_id: str,
    stream_arn: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    function_error: str | None = None,
) -> dict[str, Any]:
    """The on-failure destination record Lambda sends for a discarded stream batch."""
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error:
        response["functionError"] = function_error
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": _iso(dt.datetime.now(dt.UTC), millis=True),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": sequence_number(batch[0]),
            "endSequenceNumber": sequence_number(batch[-1]),
            "approximateArrivalOfFirstRecord": _iso(approximate_arrival(batch[0])),
            "approximateArrivalOfLastRecord": _iso(approximate_arrival(batch[-1])),
            "batchSize": len(batch),
            "streamArn": stream_arn,
        },
    }
