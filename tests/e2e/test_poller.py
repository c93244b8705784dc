"""The stream poller against a moto server: a table per docs/design.md made with boto3, a
mapping made with boto3 (what Terraform would create), and stand-in handlers."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from scripts.local.aws import Clients
from scripts.local.context import FunctionInfo
from scripts.local.poller import MappingConfig, StreamPoller
from scripts.local.runtime import queue_messages
from scripts.price_table import table_definition

pytestmark = pytest.mark.emulator


@dataclass
class Stream:
    clients: Clients
    table: str
    stream_arn: str
    function: FunctionInfo
    queue_arn: str
    mapping: dict[str, Any]

    def put(self, n: int, poison: set[int] = frozenset(), start: int = 1) -> list[str]:
        keys = []
        for i in range(start, start + n):
            price = "not-a-price" if i in poison else str(100 + i)
            item = {
                "pk": {"S": "BTC-USD#binance"},
                "sk": {"S": f"id#{i:04d}"},
                "ts": {"N": str(1_700_000_000_000 + i)},
                "price": {"S": price} if i in poison else {"N": price},
            }
            self.clients("dynamodb").put_item(TableName=self.table, Item=item)
            keys.append(item["sk"]["S"])
        return keys


def make_stream(clients: Clients, **mapping_settings: Any) -> Stream:
    suffix = uuid.uuid4().hex[:8]
    ddb, lam, sqs, iam = clients("dynamodb"), clients("lambda"), clients("sqs"), clients("iam")
    table = ddb.create_table(**table_definition(f"prices-{suffix}"))["TableDescription"]
    queue_url = sqs.create_queue(QueueName=f"enricher-failures-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    role = iam.create_role(RoleName=f"enricher-{suffix}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("stand_in.py", "def handler(event, context):\n    return None\n")
    config = lam.create_function(
        FunctionName=f"enricher-{suffix}",
        Runtime="python3.13",
        Role=role,
        Handler="stand_in.handler",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": {"TABLE_NAME": table["TableName"]}},
    )
    settings: dict[str, Any] = {
        "BatchSize": 10,
        "StartingPosition": "TRIM_HORIZON",
        "FilterCriteria": {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]},
        "MaximumRetryAttempts": 2,
        "BisectBatchOnFunctionError": True,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "DestinationConfig": {"OnFailure": {"Destination": queue_arn}},
    }
    settings.update(mapping_settings)
    created = lam.create_event_source_mapping(
        EventSourceArn=table["LatestStreamArn"], FunctionName=config["FunctionName"], **settings
    )
    mapping = lam.get_event_source_mapping(UUID=created["UUID"])
    return Stream(
        clients,
        table["TableName"],
        table["LatestStreamArn"],
        FunctionInfo.from_configuration(config),
        queue_arn,
        mapping,
    )


@dataclass
class StandIn:
    """A stand-in enricher: marks each INSERT enriched (emitting MODIFY records), fails poison."""

    stream: Stream
    raise_always: bool = False
    batches: list[list[str]] = field(default_factory=list)
    processed: list[str] = field(default_factory=list)

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        assert context.function_name == self.stream.function.name
        records = event["Records"]
        self.batches.append([r["dynamodb"]["Keys"]["sk"]["S"] for r in records])
        if self.raise_always:
            raise RuntimeError("function down")
        failures = []
        for record in records:
            assert record["eventName"] == "INSERT"
            assert record["eventSourceARN"] == self.stream.stream_arn
            image = record["dynamodb"]["NewImage"]
            if "N" not in image["price"]:
                failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
                continue
            self.stream.clients("dynamodb").update_item(
                TableName=self.stream.table,
                Key=record["dynamodb"]["Keys"],
                UpdateExpression="SET enriched_at = :now",
                ExpressionAttributeValues={":now": {"N": str(int(time.time() * 1000))}},
            )
            self.processed.append(record["dynamodb"]["Keys"]["sk"]["S"])
        return {"batchItemFailures": failures}


def poller_for(stream: Stream, handler: Callable[..., Any]) -> StreamPoller:
    config = MappingConfig.from_api(stream.mapping)
    return StreamPoller(config, handler, stream.function, stream.clients, poll_interval_s=0.05)


def test_mapping_settings_are_read_from_the_api(clients: Clients) -> None:
    stream = make_stream(clients, MaximumBatchingWindowInSeconds=2, MaximumRecordAgeInSeconds=600)
    config = MappingConfig.from_api(stream.mapping)
    assert config.batch_size == 10
    assert config.batching_window_s == 2
    assert config.filters == ({"eventName": ["INSERT"]},)
    assert config.max_retry_attempts == 2
    assert config.bisect_on_error is True
    assert config.max_record_age_s == 600
    assert config.report_batch_item_failures is True
    assert config.on_failure_destination == stream.queue_arn
    assert config.event_source_arn == stream.stream_arn
    assert config.function_arn == stream.function.arn


def test_batches_in_order_and_modify_records_filtered(clients: Clients) -> None:
    stream = make_stream(clients)
    keys = stream.put(25)
    handler = StandIn(stream)
    poller = poller_for(stream, handler)
    assert poller.run_until_idle(timeout_s=30)
    assert [len(batch) for batch in handler.batches] == [10, 10, 5]
    assert handler.processed == keys  # each once, in stream order
    # the stand-in's own UpdateItems produced MODIFY records; the filter dropped them
    assert poller.stats.records_filtered_out == 25
    assert poller.stats.records_read == 50
    assert queue_messages(clients, stream.queue_arn) == []


def test_poison_record_goes_to_the_destination_alone(clients: Clients) -> None:
    stream = make_stream(clients)
    keys = stream.put(14, poison={5})
    handler = StandIn(stream)
    poller = poller_for(stream, handler)
    assert poller.run_until_idle(timeout_s=30)
    good = [key for key in keys if key != "id#0005"]
    assert set(handler.processed) == set(good)  # the rest of the batch (and after) succeeded
    messages = queue_messages(clients, stream.queue_arn, delete=True)
    assert len(messages) == 1
    info = json.loads(messages[0]["Body"])
    batch = info["DDBStreamBatchInfo"]
    assert batch["batchSize"] == 1
    assert batch["startSequenceNumber"] == batch["endSequenceNumber"]
    assert batch["streamArn"] == stream.stream_arn
    assert info["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["requestContext"]["functionArn"] == stream.function.arn
    # the discarded sequence number is the poison record's INSERT
    records = clients("dynamodbstreams").get_records(
        ShardIterator=clients("dynamodbstreams").get_shard_iterator(
            StreamArn=stream.stream_arn,
            ShardId=batch["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=batch["startSequenceNumber"],
        )["ShardIterator"],
        Limit=1,
    )["Records"]
    assert records[0]["dynamodb"]["Keys"]["sk"]["S"] == "id#0005"
    assert poller.stats.records_to_destination == 1


def test_function_errors_retry_then_discard_the_batch(clients: Clients) -> None:
    stream = make_stream(
        clients,
        MaximumRetryAttempts=1,
        BisectBatchOnFunctionError=False,
        FunctionResponseTypes=[],
        BatchSize=5,
    )
    stream.put(7)
    handler = StandIn(stream, raise_always=True)
    poller = poller_for(stream, handler)
    assert poller.run_until_idle(timeout_s=30)
    assert [len(batch) for batch in handler.batches] == [5, 5, 2, 2]  # each batch: 1 try + 1 retry
    bodies = [json.loads(m["Body"]) for m in queue_messages(clients, stream.queue_arn, delete=True)]
    assert sorted(b["DDBStreamBatchInfo"]["batchSize"] for b in bodies) == [2, 5]
    assert {b["responseContext"].get("functionError") for b in bodies} == {"Unhandled"}
    assert {b["requestContext"]["approximateInvokeCount"] for b in bodies} == {2}


def test_batching_window_holds_a_partial_batch(clients: Clients) -> None:
    stream = make_stream(clients, MaximumBatchingWindowInSeconds=1, BatchSize=100)
    stream.put(3)
    handler = StandIn(stream)
    poller = poller_for(stream, handler)
    poller.poll_once()
    assert handler.batches == []  # window open, batch not full
    time.sleep(1.1)
    poller.poll_once()
    assert [len(batch) for batch in handler.batches] == [3]


def test_background_thread_delivers_new_records(clients: Clients) -> None:
    stream = make_stream(clients, StartingPosition="LATEST")
    stream.put(2)  # before the poller starts: LATEST skips them
    handler = StandIn(stream)
    poller = poller_for(stream, handler).start()
    try:
        keys = stream.put(3, start=100)
        deadline = time.monotonic() + 10
        while len(handler.processed) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        poller.stop()
    assert handler.processed == keys
