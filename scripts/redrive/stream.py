"""The stream path: the message's records read back from DynamoDB Streams, by their exact keys.

The message names a sequence range of one shard; the records are read from
``startSequenceNumber`` (AT_SEQUENCE_NUMBER) on to ``endSequenceNumber``, INSERTs only
(the mapping's filter). A stream record is immutable, and an operator repairs a poison
tick by fixing the *item* (which emits a MODIFY the mapping filters out), so by default
(``image="current"``) each record's NewImage is replaced by the item as it is now
(consistent GetItem by the record's keys): an INSERT-like record with the original
sequence number. An item that no longer exists (deleted, expired) has nothing to enrich
and counts as done. ``image="stream"`` replays the records exactly as streamed.

When the records cannot be read any more, :class:`StreamGone` says why, and the caller
falls back to the table (:mod:`scripts.redrive.table`).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from scripts.local.stream_event import lambda_record
from scripts.redrive.message import BatchInfo, RedriveError

#: The errors with which DynamoDB Streams says a range cannot be read any more, and why.
GONE = {
    # GetShardIterator / GetRecords past the trim point: the records are over 24 hours old.
    "TrimmedDataAccessException": "stream records expired",
    # The stream (disabled or replaced over 24 hours ago, or its table deleted) or the shard is gone.
    "ResourceNotFoundException": "stream or shard gone",
}
EMPTY = "no stream record in the message's range"


class StreamGone(RedriveError):
    """The message's stream records cannot be read; ``reason`` is shown to the operator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fetch_records(streams: Any, info: BatchInfo, page: int = 100) -> list[dict[str, Any]]:
    """Stream records from ``info.start`` to ``info.end`` (inclusive) of the shard.

    Raises :class:`StreamGone` when the range is trimmed, the stream or shard is gone, or
    nothing comes back; any other AWS error propagates.
    """
    try:
        found = _read(streams, info, page)
    except ClientError as error:
        reason = GONE.get(error.response.get("Error", {}).get("Code", ""))
        if reason is None:
            raise
        raise StreamGone(reason) from error
    if not found:
        raise StreamGone(EMPTY)
    return found


def _read(streams: Any, info: BatchInfo, page: int) -> list[dict[str, Any]]:
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
