"""What an on-failure record of the enricher's DynamoDB stream mapping says about its batch."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from scripts.redrive.window import DEFAULT_SLACK_S, Window, arrival_window

#: ``arn:<partition>:dynamodb:<region>:<account>:table/<name>/stream/<label>``
_STREAM_ARN = re.compile(r"arn:aws[a-z-]*:dynamodb:([a-z0-9-]+):\d{12}:table/([A-Za-z0-9_.-]+)/stream/\S+")


class RedriveError(RuntimeError):
    pass


@dataclass(frozen=True)
class BatchInfo:
    """The discarded batch: one shard's sequence range, its arrival times, stream and function."""

    shard_id: str
    start: str
    end: str
    stream_arn: str
    function_arn: str
    batch_size: int
    first_arrival: Any = None  # approximateArrivalOfFirstRecord as sent, read only by window()
    last_arrival: Any = None
    #: ``responseContext.functionError`` ("Unhandled": an exception or a timeout): the handler
    #: may have stored a revision and died before publishing it. Without it the handler ended
    #: and reported its failed records, having marked every notification SNS refused.
    function_error: str | None = None

    @classmethod
    def from_body(cls, body: str) -> BatchInfo:
        try:
            message = json.loads(body)
            info = message["DDBStreamBatchInfo"]
            batch = cls(
                shard_id=info["shardId"],
                start=str(info["startSequenceNumber"]),
                end=str(info["endSequenceNumber"]),
                stream_arn=info["streamArn"],
                function_arn=message.get("requestContext", {}).get("functionArn", ""),
                batch_size=int(info.get("batchSize", 0)),
                first_arrival=info.get("approximateArrivalOfFirstRecord"),
                last_arrival=info.get("approximateArrivalOfLastRecord"),
                function_error=(message.get("responseContext") or {}).get("functionError") or None,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RedriveError(f"not a DynamoDB stream on-failure record: {exc!r}") from None
        if not (batch.start.isdigit() and batch.end.isdigit()):
            raise RedriveError(f"sequence numbers are not decimal: {batch.start!r}..{batch.end!r}")
        if not isinstance(batch.stream_arn, str) or not _STREAM_ARN.fullmatch(batch.stream_arn):
            raise RedriveError(f"streamArn is not a DynamoDB stream ARN: {batch.stream_arn!r}")
        return batch

    @property
    def table(self) -> str:
        """Table name from ``arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>``."""
        return self._arn_part(2)

    @property
    def region(self) -> str:
        return self._arn_part(1)

    def window(self, slack_s: int = DEFAULT_SLACK_S) -> Window:
        """The receive-time window of the batch's ticks; raises ``InvalidWindow`` when malformed."""
        return arrival_window(self.first_arrival, self.last_arrival, slack_s)

    def _arn_part(self, group: int) -> str:
        match = _STREAM_ARN.fullmatch(self.stream_arn)
        if match is None:
            raise RedriveError(f"streamArn is not a DynamoDB stream ARN: {self.stream_arn!r}")
        return match.group(group)
