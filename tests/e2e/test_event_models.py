"""The emulator's events validated against Powertools' own models of AWS's event shapes
(``LambdaFunctionUrlModel``, ``DynamoDBStreamModel``), so the local Function URL and stream
poller cannot drift from what Lambda delivers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel, LambdaFunctionUrlModel
from moto import mock_aws

from scripts.lambda_events import lambda_event, lambda_record
from scripts.local.function_url import build_event

pytestmark = pytest.mark.emulator

REGION = "us-east-1"


@pytest.mark.parametrize(
    ("method", "query", "headers", "body"),
    [
        ("POST", "", [("Content-Type", "application/json"), ("X-Signature", "t=1,v1=ab")], b'{"a":"1"}'),
        ("POST", "a=1&a=2&b=", [("Content-Type", "application/octet-stream")], b"\x00\xff binary"),
        ("GET", "x=y", [("Cookie", "s=1; t=2"), ("Accept", "*/*"), ("accept", "text/plain")], b""),
        ("PUT", "", [], b"plain text, no content type"),
    ],
    ids=["json-post", "binary-body", "get-with-cookies", "no-content-type"],
)
def test_function_url_events_fit_the_powertools_model(
    method: str, query: str, headers: list[tuple[str, str]], body: bytes
) -> None:
    event = build_event(method, "/", query, headers, body, now_ms=1_700_000_000_123, request_id="req-1")
    parsed = LambdaFunctionUrlModel.model_validate(json.loads(json.dumps(event)))
    assert parsed.requestContext.http.method == method
    assert parsed.rawQueryString == query
    assert parsed.requestContext.requestId == "req-1"
    assert parsed.requestContext.timeEpoch.timestamp() == pytest.approx(1_700_000_000.123)


@pytest.fixture
def stream_records(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[dict]]]:
    """INSERT, MODIFY and REMOVE records read from a real (moto) DynamoDB stream."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        table = ddb.create_table(
            TableName="models",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        arn = table["TableDescription"]["LatestStreamArn"]
        key = {"pk": {"S": "BTC-USD#binance"}, "sk": {"S": "id#1"}}
        item = {**key, "price": {"N": "65000.5"}, "raw": {"B": b"\x00\x01"}, "tags": {"SS": ["a", "b"]}}
        ddb.put_item(TableName="models", Item=item)
        ddb.update_item(
            TableName="models",
            Key=key,
            UpdateExpression="SET sma_5 = :v",
            ExpressionAttributeValues={":v": {"N": "65000.1"}},
        )
        ddb.delete_item(TableName="models", Key=key)
        streams = boto3.client("dynamodbstreams", region_name=REGION)
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        raw = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        yield arn, [lambda_record(record, arn, REGION) for record in raw]


def test_stream_events_fit_the_powertools_model(stream_records: tuple[str, list[dict]]) -> None:
    arn, records = stream_records
    event = json.loads(json.dumps(lambda_event(records)))  # what the poller hands the handler
    parsed = DynamoDBStreamModel.model_validate(event)
    assert [str(r.eventName) for r in parsed.Records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = parsed.Records
    assert all(r.eventSourceARN == arn and r.eventSource == "aws:dynamodb" for r in parsed.Records)
    assert insert.dynamodb.Keys == {"pk": "BTC-USD#binance", "sk": "id#1"}
    assert insert.dynamodb.NewImage["price"] == Decimal("65000.5")
    assert insert.dynamodb.NewImage["raw"] == "AAE="  # binaries arrive base64-encoded, as from Lambda
    assert insert.dynamodb.OldImage in (None, {})
    assert modify.dynamodb.NewImage["sma_5"] == Decimal("65000.1")
    assert "sma_5" not in modify.dynamodb.OldImage
    assert remove.dynamodb.NewImage in (None, {})
    assert remove.dynamodb.OldImage["pk"] == "BTC-USD#binance"
    numbers = [int(r.dynamodb.SequenceNumber) for r in parsed.Records]
    assert numbers == sorted(numbers)
