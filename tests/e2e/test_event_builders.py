"""Function URL payload 2.0 events/responses and DynamoDB stream event records."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from scripts.lambda_events import lambda_event, lambda_record
from scripts.local.function_url import build_event, to_http_response
from scripts.local.poller import failure_record, parse_batch_response

pytestmark = pytest.mark.emulator

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/prices/stream/2024-01-01T00:00:00.000"


def test_function_url_event_for_a_json_post() -> None:
    body = b'{"symbol":"BTC-USD","price":"1"}'
    event = build_event(
        "post",
        "/",
        "a=1&a=2&b=",
        [
            ("Content-Type", "application/json"),
            ("X-Signature", "t=1,v1=ab"),
            ("X-Multi", "1"),
            ("x-multi", "2"),
        ],
        body,
        source_ip="127.0.0.9",
        now_ms=1_700_000_000_123,
        request_id="req-1",
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/"
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["headers"] == {
        "content-type": "application/json",
        "x-signature": "t=1,v1=ab",
        "x-multi": "1,2",
    }
    assert event["body"] == body.decode()
    assert event["isBase64Encoded"] is False
    http = event["requestContext"]["http"]
    assert http == {
        "method": "POST",
        "path": "/",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.9",
        "userAgent": "",
    }
    assert event["requestContext"]["timeEpoch"] == 1_700_000_000_123
    assert event["requestContext"]["requestId"] == "req-1"
    assert event["requestContext"]["time"] == "14/Nov/2023:22:13:20 +0000"
    json.dumps(event)


def test_function_url_event_binary_body_is_base64_and_cookies_split() -> None:
    body = b"\xff\x00raw"
    event = build_event("PUT", "/x", "", [("Cookie", "a=1; b=2")], body)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body
    assert event["cookies"] == ["a=1", "b=2"]
    assert "queryStringParameters" not in event
    assert "cookie" not in event["headers"]
    invalid_text = build_event("POST", "/", "", [("content-type", "text/plain")], b"\xff")
    assert invalid_text["isBase64Encoded"] is True


def test_function_url_event_without_body() -> None:
    event = build_event("GET", "", "", [], b"")
    assert "body" not in event
    assert event["rawPath"] == "/"
    assert event["isBase64Encoded"] is False


def test_function_url_responses() -> None:
    structured = to_http_response({"statusCode": 401, "headers": {"X-A": "b"}, "body": '{"error":"no"}'})
    assert structured.status == 401
    assert ("X-A", "b") in structured.headers
    assert ("Content-Type", "application/json") in structured.headers
    assert structured.body == b'{"error":"no"}'
    binary = to_http_response(
        {"statusCode": 200, "body": base64.b64encode(b"\x01").decode(), "isBase64Encoded": True}
    )
    assert binary.body == b"\x01"
    plain = to_http_response({"ok": True})
    assert (plain.status, json.loads(plain.body)) == (200, {"ok": True})
    assert to_http_response(None).body == b"null"


def stream_record(seq: int, name: str = "INSERT") -> dict:
    """A record as boto3's dynamodbstreams.get_records returns it."""
    return {
        "eventID": f"ev{seq}",
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": dt.datetime(2024, 1, 1, 0, 0, seq, tzinfo=dt.UTC),
            "Keys": {"pk": {"S": "BTC-USD#binance"}, "sk": {"S": f"id#{seq}"}},
            "NewImage": {"pk": {"S": "BTC-USD#binance"}, "price": {"N": "1.5"}, "blob": {"B": b"\x00\x01"}},
            "SequenceNumber": str(1000 + seq),
            "SizeBytes": 99,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def test_lambda_stream_record_shape() -> None:
    record = lambda_record(stream_record(5), STREAM_ARN, "us-east-1")
    assert set(record) == {
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    }
    assert record["eventSourceARN"] == STREAM_ARN
    assert record["eventSource"] == "aws:dynamodb"
    ddb = record["dynamodb"]
    assert ddb["ApproximateCreationDateTime"] == int(
        dt.datetime(2024, 1, 1, 0, 0, 5, tzinfo=dt.UTC).timestamp()
    )
    assert ddb["SequenceNumber"] == "1005"
    assert ddb["SizeBytes"] == 99
    assert ddb["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert ddb["NewImage"]["blob"] == {"B": "AAE="}  # binaries travel as base64, as in a real event
    assert "OldImage" not in ddb
    assert json.loads(json.dumps(lambda_event([record]))) == {"Records": [record]}


def test_batch_response_rules() -> None:
    seqs = ["10", "11", "12"]
    assert parse_batch_response(None, seqs).ok
    assert parse_batch_response({}, seqs).ok
    assert parse_batch_response({"batchItemFailures": []}, seqs).ok
    partial = parse_batch_response(
        {"batchItemFailures": [{"itemIdentifier": "12"}, {"itemIdentifier": "11"}]}, seqs
    )
    assert (partial.ok, partial.first_failed) == (False, 1)
    for bad in (
        {"batchItemFailures": [{"itemIdentifier": "99"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"id": "10"}]},
        {"batchItemFailures": "10"},
        "ok",
    ):
        outcome = parse_batch_response(bad, seqs)
        assert (outcome.ok, outcome.first_failed) == (False, 0), bad


def test_failure_record_format() -> None:
    batch = [lambda_record(stream_record(i), STREAM_ARN, "us-east-1") for i in (1, 2)]
    message = failure_record(batch, "shard-1", STREAM_ARN, "arn:fn", "RetryAttemptsExhausted", 3, "Unhandled")
    assert message["version"] == "1.0"
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 3
    assert message["requestContext"]["functionArn"] == "arn:fn"
    assert message["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert message["DDBStreamBatchInfo"] == {
        "shardId": "shard-1",
        "startSequenceNumber": "1001",
        "endSequenceNumber": "1002",
        "approximateArrivalOfFirstRecord": "2024-01-01T00:00:01Z",
        "approximateArrivalOfLastRecord": "2024-01-01T00:00:02Z",
        "batchSize": 2,
        "streamArn": STREAM_ARN,
    }
    assert message["timestamp"].endswith("Z")
