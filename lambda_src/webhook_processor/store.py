"""The single conditional write of an accepted tick."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from pricing.keys import notification_id, series_key, tick_sort_key
from pricing.ticks import Tick

DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the sender gets back: ``status`` is ``stored`` or ``duplicate``."""

    status: str
    tick_id: str
    symbol: str
    exchange: str
    timestamp: int

    def as_dict(self) -> dict[str, Any]:
        """The JSON body of the 200 answer."""
        return {
            "status": self.status,
            "tick_id": self.tick_id,
            "symbol": self.symbol,
            "exchange": self.exchange,
            "timestamp": self.timestamp,
        }


def build_item(tick: Tick, *, received_ms: int, ttl_days: int, nonce: str) -> dict[str, dict[str, str]]:
    """The DynamoDB item (low-level attribute values) of a tick, keyed per docs/design.md."""
    pk = series_key(tick.symbol, tick.exchange)
    sk = tick_sort_key(
        event_id=tick.event_id, timestamp_ms=tick.timestamp_ms, received_ms=received_ms, nonce=nonce
    )
    item = {
        "pk": {"S": pk},
        "sk": {"S": sk},
        "ts": {"N": str(tick.event_time(received_ms))},
        "symbol": {"S": tick.symbol},
        "exchange": {"S": tick.exchange},
        "price": {"N": str(tick.price)},
        "volume": {"N": str(tick.volume)},
        "received_at": {"N": str(received_ms)},
    }
    if tick.event_id is not None:
        item["event_id"] = {"S": tick.event_id}
    if ttl_days > 0:
        item["expires_at"] = {"N": str(received_ms // 1000 + ttl_days * DAY_S)}
    return item


def put_tick(client: Any, table: str, item: dict[str, dict[str, str]]) -> Receipt:
    """One PutItem with ``attribute_not_exists(pk)``: a redelivered tick is a no-op.

    On a duplicate the receipt carries the stored tick's time, returned by the failed
    condition itself (``ReturnValuesOnConditionCheckFailure``), so it costs no extra read.
    Any other AWS error propagates (the handler answers 5xx so the sender retries).
    """
    status = "stored"
    stored = item
    try:
        client.put_item(
            TableName=table,
            Item=item,
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": "pk"},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        status = "duplicate"
        old = error.response.get("Item")
        if isinstance(old, dict) and str(old.get("ts", {}).get("N", "")).isdigit():
            stored = old
    return Receipt(
        status=status,
        tick_id=notification_id(item["pk"]["S"], item["sk"]["S"]),
        symbol=item["symbol"]["S"],
        exchange=item["exchange"]["S"],
        timestamp=int(stored["ts"]["N"]),
    )
