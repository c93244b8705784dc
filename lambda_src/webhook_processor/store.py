"""The conditional writes of an accepted tick, per docs/design.md.

A tick without ``event_id`` costs one PutItem: its sort key carries its event time and a
digest of its content, so a redelivery hits the same key and the condition
``attribute_not_exists`` makes it a no-op. A tick with ``event_id`` first claims the id
inside its series (one small item holding the digest and the tick's key), then writes the
tick the same way: a reuse of the id with other content is a :class:`Conflict`, whatever
the time it carries. Nothing is ever overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from pricing.keys import (
    TTL_ATTRIBUTE,
    claim_sort_key,
    notification_id,
    series_key,
    tick_sort_key,
    time_ms_of,
)
from pricing.ticks import Tick

DAY_S = 86_400
Item = dict[str, dict[str, str]]


class Conflict(Exception):
    """The tick's ``event_id`` already names a tick with other content; the first one stays."""


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


def build_item(tick: Tick, *, received_us: int, ttl_days: int, sk: str | None = None) -> Item:
    """The tick's row (low-level attribute values); ``sk`` overrides the derived sort key.

    Nothing the keys hold is repeated (pricing/keys.py): symbol and exchange are in ``pk``,
    the event time and ``event_id`` in ``sk``.
    """
    if sk is None:
        sk = tick_key(tick, received_us, tick.digest())
    item = {
        "pk": {"S": series_key(tick.symbol, tick.exchange)},
        "sk": {"S": sk},
        "price": {"N": str(tick.price)},
        "volume": {"N": str(tick.volume)},
        "received_at": {"N": str(received_us // 1000)},
    }
    _expire(item, received_us, ttl_days)
    return item


def tick_key(tick: Tick, received_us: int, digest: str) -> str:
    """The sort key docs/design.md gives ``tick`` (``digest`` is ``tick.digest()``)."""
    return tick_sort_key(tick.event_time_us(received_us), event_id=tick.event_id, digest=digest)


def build_claim(tick: Tick, *, tick_sk: str, digest: str, received_us: int, ttl_days: int) -> Item:
    """The item that reserves ``tick.event_id`` in its series for the tick at ``tick_sk``.

    ``ttl_days`` is the claim's own horizon (:func:`claim_days`), not the tick's.
    """
    assert tick.event_id is not None
    item = {
        "pk": {"S": series_key(tick.symbol, tick.exchange)},
        "sk": {"S": claim_sort_key(tick.event_id)},
        "tick_sk": {"S": tick_sk},
        "digest": {"S": digest},
    }
    _expire(item, received_us, ttl_days)
    return item


def claim_days(claim_ttl_days: int, ttl_days: int) -> int:
    """Days a claim is kept: its own horizon, never longer than the tick it points to."""
    return min(claim_ttl_days, ttl_days) if ttl_days > 0 else claim_ttl_days


def store_tick(
    client: Any, table: str, tick: Tick, *, received_us: int, ttl_days: int, claim_ttl_days: int = 0
) -> Receipt:
    """Store ``tick`` once; a redelivery is ``duplicate``; raise :class:`Conflict` on a reused id.

    The claim of an ``event_id`` expires after ``claim_ttl_days`` (0: with the tick): a
    redelivery within it is recognised whatever time it carries; after it, a tick whose
    key holds the sender's timestamp still is (same key), one stamped on receipt is not.

    Any other AWS error propagates (the handler answers 503 so the sender retries; a retry
    after a claim without its tick finds the claim and writes the tick).
    """
    digest = tick.digest()
    sk = tick_key(tick, received_us, digest)
    if tick.event_id is not None:
        days = claim_days(claim_ttl_days, ttl_days) if claim_ttl_days else ttl_days
        claim = build_claim(tick, tick_sk=sk, digest=digest, received_us=received_us, ttl_days=days)
        held = _put_new(client, table, claim)
        if held is not None:
            if held.get("digest", {}).get("S") != digest:
                raise Conflict(f"event_id {tick.event_id!r} was already used for a different tick")
            # The id's first delivery fixed the tick's key (its receive time when it had no timestamp).
            sk = held["tick_sk"]["S"]
    item = build_item(tick, received_us=received_us, ttl_days=ttl_days, sk=sk)
    old = _put_new(client, table, item)
    if old is not None and not _same_tick(old, item):
        raise Conflict("a different tick is stored under this tick's key")
    return Receipt(
        status="stored" if old is None else "duplicate",
        tick_id=notification_id(item["pk"]["S"], item["sk"]["S"]),
        symbol=tick.symbol,
        exchange=tick.exchange,
        timestamp=time_ms_of(sk),
    )


def _expire(item: Item, received_us: int, ttl_days: int) -> None:
    if ttl_days > 0:
        item[TTL_ATTRIBUTE] = {"N": str(received_us // 1_000_000 + ttl_days * DAY_S)}


def _put_new(client: Any, table: str, item: Item) -> dict[str, Any] | None:
    """PutItem unless the key exists; None when written, else the item already there.

    The failed condition returns the stored item itself (``ALL_OLD``): no read, and no
    ``dynamodb:GetItem`` grant, is needed to compare it.
    """
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
        old = error.response.get("Item")
        if not isinstance(old, dict) or not old:
            raise  # cannot tell a redelivery from a conflict: 503, the sender retries
        return old
    return None


def _same_tick(old: dict[str, Any], new: Item) -> bool:
    """Same price and volume by value (the key already fixes series, time and identity)."""
    return all(_number(old.get(name)) == Decimal(new[name]["N"]) for name in ("price", "volume"))


def _number(attribute: Any) -> Decimal | None:
    text = attribute.get("N") if isinstance(attribute, dict) else None
    return Decimal(text) if isinstance(text, str) else None
