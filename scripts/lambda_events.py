"""DynamoDB stream records (as the Streams API returns them) -> Lambda DynamoDB event records.

The shape Lambda's event source mapping delivers to the enricher: the local stream poller
builds its batches with it, and ``pipeline-redrive`` rebuilds a failed batch with it.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any


def _json_attribute(value: Any) -> Any:
    """An AttributeValue in its wire (JSON) form: binaries base64, sets as lists."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {key: _json_attribute(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_attribute(inner) for inner in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def _epoch_seconds(value: Any) -> float | int:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        seconds = value.timestamp()
    else:
        seconds = float(value)
    return int(seconds) if float(seconds).is_integer() else seconds


def lambda_record(stream_record: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """The record as Lambda delivers it in ``event["Records"]`` for a DynamoDB stream."""
    source = stream_record.get("dynamodb") or {}
    dynamodb: dict[str, Any] = {}
    if "ApproximateCreationDateTime" in source:
        dynamodb["ApproximateCreationDateTime"] = _epoch_seconds(source["ApproximateCreationDateTime"])
    for key in ("Keys", "NewImage", "OldImage"):
        if key in source:
            dynamodb[key] = _json_attribute(source[key])
    dynamodb["SequenceNumber"] = str(source["SequenceNumber"])
    dynamodb["SizeBytes"] = int(source.get("SizeBytes") or 0)
    dynamodb["StreamViewType"] = source.get("StreamViewType", "NEW_AND_OLD_IMAGES")
    record: dict[str, Any] = {
        "eventID": stream_record.get("eventID", ""),
        "eventName": stream_record.get("eventName", ""),
        "eventVersion": stream_record.get("eventVersion", "1.1"),
        "eventSource": stream_record.get("eventSource", "aws:dynamodb"),
        "awsRegion": stream_record.get("awsRegion") or region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in stream_record:
        record["userIdentity"] = dict(stream_record["userIdentity"])
    return record


def lambda_event(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The event for one batch of (already converted) records."""
    return {"Records": [dict(record) for record in records]}


def sequence_number(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def approximate_arrival(record: Mapping[str, Any]) -> dt.datetime:
    seconds = record["dynamodb"].get("ApproximateCreationDateTime")
    if seconds is None:
        return dt.datetime.now(dt.UTC)
    return dt.datetime.fromtimestamp(float(seconds), dt.UTC)
