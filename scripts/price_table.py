"""The price table as Python test doubles and tools create it, and a reader of its stream.

The keys, stream view and TTL attribute are read from ``modules/pipeline/price_table.json``,
the file the pipeline module passes to ``modules/dynamodb-stream``: one definition for
Terraform, the handler tests, the poller tests and the benchmark (docs/design.md is the
contract it encodes).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DEFINITION = Path(__file__).resolve().parents[1] / "modules" / "pipeline" / "price_table.json"


@cache
def price_table() -> dict[str, Any]:
    """The parsed price_table.json: hash_key, range_key, stream_view_type, ttl_attribute."""
    return json.loads(DEFINITION.read_text())


def table_definition(name: str) -> dict[str, Any]:
    """CreateTable arguments of the price table (keys and stream view from price_table.json, no index)."""
    spec = price_table()
    keys = (("HASH", spec["hash_key"]), ("RANGE", spec["range_key"]))
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": k["name"], "AttributeType": k["type"]} for _, k in keys],
        "KeySchema": [{"AttributeName": k["name"], "KeyType": kind} for kind, k in keys],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": spec["stream_view_type"]},
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
