"""Redrive: on-failure message -> stream records -> rebuilt event -> enricher -> delete on success.

Semantics (see docs in ``__main__``): the message names a sequence range of one shard
(``DDBStreamBatchInfo``); the records are fetched from the stream (AT_SEQUENCE_NUMBER,
then on to ``endSequenceNumber``), INSERTs only (the mapping's filter). A stream record is
immutable, and an operator repairs a poison tick by fixing the *item* (which emits a
MODIFY the mapping filters out), so by default (``image="current"``) each record's
NewImage is replaced by the item as it is now (consistent GetItem by the record's keys):
an INSERT-like record with the original sequence number. An item that no longer exists
(deleted, expired) has nothing to enrich and counts as done. ``image="stream"`` replays
the records exactly as streamed (for failures that were not about the data, e.g. an
outage that outlasted the retries). The enricher is idempotent (same values, same
``notification_id``), so a redrive that repeats work is harmless. The message is deleted
only when every record succeeded; otherwise it is made visible again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from scripts.local.context import INVOCATION_LOCK, FunctionInfo
from scripts.local.stream_event import lambda_record

Handler = Callable[[dict[str, Any], Any], Any]


class RedriveError(RuntimeError):
    pass


@dataclass(frozen=True)
class BatchInfo:
    """What an on-failure record says about the discarded batch."""

    shard_id: str
    start: str
    end: str
    stream_arn: str
    function_arn: str
    batch_size: int

    @classmethod
    def from_body(cls, body: str) -> BatchInfo:
        try:
            message = json.loads(body)
            info = message["DDBStreamBatchInfo"]
            return cls(
                shard_id=info["shardId"],
                start=str(info["startSequenceNumber"]),
                end=str(info["endSequenceNumber"]),
                stream_arn=info["streamArn"],
                function_arn=message.get("requestContext", {}).get("functionArn", ""),
                batch_size=int(info.get("batchSize", 0)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise RedriveError(f"not a DynamoDB stream on-failure record: {exc!r}") from None

    @property
    def table(self) -> str:
        """Table name from ``arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>``."""
        return self.stream_arn.split(":", 5)[5].split("/")[1]

    @property
    def region(self) -> str:
        return self.stream_arn.split(":")[3]


def fetch_records(streams: Any, info: BatchInfo, page: int = 100) -> list[dict[str, Any]]:
    """Stream records from ``info.start`` to ``info.end`` (inclusive) of the shard."""
    iterator = streams.get_shard_iterator(
        StreamArn=info.stream_arn,
        ShardId=info.shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info.start,
    )["ShardIterator"]
    end = int(info.end)
    found: list[dict[str, Any]] = []
    while iterator:
        reply = streams.get_records(ShardIterator=iterator, Limit=page)
        for record in reply.get("Records", []):
            if int(record["dynamodb"]["SequenceNumber"]) > end:
                return found
            found.append(record)
        if not reply.get("Records"):
            return found
        iterator = reply.get("NextShardIterator")
    return found


def rebuild_event(
    raw_records: list[dict[str, Any]], info: BatchInfo, ddb: Any, image: str = "current"
) -> tuple[dict[str, Any], int]:
    """The Lambda event to replay and the number of records whose item is gone."""
    records, gone = [], 0
    for raw in raw_records:
        if raw.get("eventName") != "INSERT":
            continue
        record = json.loads(json.dumps(lambda_record(raw, info.stream_arn, info.region), default=str))
        if image == "current":
            keys = raw["dynamodb"]["Keys"]
            item = ddb.get_item(TableName=info.table, Key=keys, ConsistentRead=True).get("Item")
            if item is None:
                gone += 1
                continue
            record["dynamodb"]["NewImage"] = json.loads(json.dumps(item, default=str))
        records.append(record)
    return {"Records": records}, gone


class Invoker(Protocol):
    def __call__(self, event: dict[str, Any]) -> list[str]:
        """Invoke the enricher; the failed sequence numbers. Raises on a function error."""
        ...


@dataclass
class InProcessInvoker:
    """The enricher handler called in this process (local runtime, tests)."""

    handler: Handler
    function: FunctionInfo

    def __call__(self, event: dict[str, Any]) -> list[str]:
        with INVOCATION_LOCK:
            answer = self.handler(event, self.function.new_context())
        return [item["itemIdentifier"] for item in (answer or {}).get("batchItemFailures", [])]


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
    status: str  # redriven | still failing | records not found | invalid | dry run
    records: int = 0
    gone: int = 0
    failed: list[str] = field(default_factory=list)
    detail: str = ""
    receipt_handle: str = field(default="", repr=False)


@dataclass
class Redriver:
    sqs: Any
    streams: Any
    ddb: Any
    queue_url: str
    invoker_for: Callable[[BatchInfo], Invoker]
    image: str = "current"
    dry_run: bool = False

    def run(self, max_messages: int = 100) -> list[Outcome]:
        outcomes: list[Outcome] = []
        seen: set[str] = set()
        while len(outcomes) < max_messages:
            batch = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=120, WaitTimeSeconds=0
            ).get("Messages", [])
            batch = [m for m in batch if m["MessageId"] not in seen]
            if not batch:
                break
            for message in batch[: max_messages - len(outcomes)]:
                seen.add(message["MessageId"])
                outcome = self.one(message)
                outcomes.append(outcome)
                if outcome.status == "redriven":
                    self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        self._release(outcomes)  # what was not deleted becomes visible again at once
        return outcomes

    def _release(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            handle = outcome.receipt_handle
            if outcome.status != "redriven" and handle:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=handle, VisibilityTimeout=0
                )

    def one(self, message: dict[str, Any]) -> Outcome:
        outcome = Outcome(
            message_id=message["MessageId"], status="invalid", receipt_handle=message["ReceiptHandle"]
        )
        try:
            info = BatchInfo.from_body(message["Body"])
        except RedriveError as exc:
            outcome.detail = str(exc)
            return outcome
        raw = fetch_records(self.streams, info)
        if not raw:
            outcome.status = "records not found"
            outcome.detail = "past the stream's 24 h retention, or a wrong range"
            return outcome
        event, gone = rebuild_event(raw, info, self.ddb, self.image)
        outcome.records, outcome.gone = len(event["Records"]), gone
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
