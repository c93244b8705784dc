"""A reader of a table's DynamoDB stream, for tests and the benchmark to see what a write streamed."""

from __future__ import annotations

from typing import Any


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
