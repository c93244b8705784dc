"""The price table as Python test doubles and tools create it, and a reader of its stream.

One definition for the handler tests, the poller tests and the benchmark; the
Terraform module ``modules/dynamodb-stream`` creates the same keys and stream
(docs/design.md is the contract for both).
"""

from __future__ import annotations

from typing import Any


def table_definition(name: str) -> dict[str, Any]:
    """CreateTable arguments of the price table (keys ``pk``/``sk``, no index, NEW_AND_OLD_IMAGES stream)."""
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }


class StreamReader:
    """Reads a table's stream from where the last call stopped (Streams API record shape)."""

    def __init__(self, streams_client: Any, stream_arn: str) -> None:
        self._streams = streams_client
        self._arn = stream_arn
        self._iterators: dict[str, str] = {}

    def new_records(self) -> list[dict[str, Any]]:
        """Records added since the last call, oldest first within each shard."""
        shards = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]
        records: list[dict[str, Any]] = []
        for shard in shards:
            shard_id = shard["ShardId"]
            iterator = (
                self._iterators.get(shard_id)
                or self._streams.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )
            while True:
                page = self._streams.get_records(ShardIterator=iterator, Limit=1000)
                records.extend(page["Records"])
                iterator = page["NextShardIterator"]
                if not page["Records"]:
                    break
            self._iterators[shard_id] = iterator
        return records
