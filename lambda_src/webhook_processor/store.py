"""The conditional writes of an accepted tick, per docs/design.md.

Nothing is ever overwritten, and one identity never names two stored ticks. By the
identity the sender gives (webhook_processor/identity.py):

- ``content`` (a ``timestamp``, no id): one PutItem. The sort key carries the event time and
  a digest of the content, so a redelivery hits the same key and ``attribute_not_exists``
  makes it a no-op.
- ``request`` (neither): a claim of the signed request, then the tick, two PutItems. The
  claim holds the tick's key (its receive time), so a replay finds it and rewrites nothing;
  it carries its own short TTL (the signature's window), and its condition counts a claim
  whose TTL has passed as absent, since DynamoDB deletes expired items lazily, up to days
  later. A replay is the same signed body, so it can never carry other content: a claim
  left without its tick (tick PutItem failed) is completed by the replay, or expires.
- ``event_id``: a claim, then the tick, two PutItems (``attribute_not_exists``), as for a
  request: 2 write units. A redelivery finds the claim (ALL_OLD) with its digest and writes
  the tick at the key it names: ``duplicate`` when it is there, ``stored`` when it was
  missing (an orphan claim completed). Other content under the id is a :class:`Conflict`
  when the claimed tick exists, whatever the time it carries; when it does not (nothing
  was stored), one TransactWriteItems takes the id over: a **tombstone** at the claimed
  tick's key (:data:`pricing.keys.TOMBSTONE`, a day's TTL; fails when that tick exists),
  the claim replaced only as it was read, and the new tick. The tombstone closes the
  window in which the first request's tick write is still in flight: that write now fails
  on its own condition, finds the tombstone and answers 409 (nothing of it was stored).
  Every tick write under an id is therefore exclusive with the takeover on one key: two
  different ticks can never both be stored under one id. Readers of ticks skip tombstones
  (pricing.keys.is_stored_tick; the event source mapping filters them out by their lack
  of a price).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from pricing.keys import (
    TOMBSTONE,
    TTL_ATTRIBUTE,
    is_tombstone,
    notification_id,
    series_key,
    tick_sort_key,
    time_ms_of,
)
from pricing.ticks import Tick
from webhook_processor.identity import EVENT_ID, REQUEST, Identity

DAY_S = 86_400
#: A tombstone outlives any request still in flight when it is written (TTL deletion is lazy,
#: which only keeps it longer).
TOMBSTONE_TTL_S = DAY_S
STORED = "stored"
DUPLICATE = "duplicate"
#: Rounds (claim read, then tick or takeover) tried for one event_id before the request is
#: answered 503 (each retry follows a concurrent change of the claim: contention, not progress).
MAX_ATTEMPTS = 3
Item = dict[str, dict[str, str]]
_NEW = "attribute_not_exists(#pk)"


class Conflict(Exception):
    """The tick's ``event_id`` already names a tick with other content; the first one stays."""


class Contention(Exception):
    """The id's claim kept changing under concurrent requests: the sender should retry (503)."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the sender gets back: ``status`` is ``stored`` or ``duplicate``, ``dedup`` the
    identity the tick was recognised by (``event_id``, ``content`` or ``request``)."""

    status: str
    tick_id: str
    symbol: str
    exchange: str
    timestamp: int
    dedup: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON body of the 200 answer (an element of a batch's results)."""
        return {
            "status": self.status,
            "tick_id": self.tick_id,
            "symbol": self.symbol,
            "exchange": self.exchange,
            "timestamp": self.timestamp,
            "dedup": self.dedup,
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


def build_claim(
    tick: Tick,
    *,
    claim_sk: str,
    tick_sk: str,
    digest: str,
    received_us: int,
    ttl_days: int,
    expires_s: int | None = None,
) -> Item:
    """The item that reserves an identity (``claim_sk``) in the tick's series for the tick at
    ``tick_sk``; ``ttl_days`` is the claim's own horizon (:func:`claim_days`), ``expires_s``
    an exact expiry instead (a request claim's short one)."""
    item = {
        "pk": {"S": series_key(tick.symbol, tick.exchange)},
        "sk": {"S": claim_sk},
        "tick_sk": {"S": tick_sk},
        "digest": {"S": digest},
    }
    if expires_s is not None:
        item[TTL_ATTRIBUTE] = {"N": str(expires_s)}
    else:
        _expire(item, received_us, ttl_days)
    return item


def claim_days(claim_ttl_days: int, ttl_days: int) -> int:
    """Days an event-id claim is kept: its own horizon (0: as long as the tick), never longer
    than the tick it points to."""
    if claim_ttl_days <= 0:
        return ttl_days
    return min(claim_ttl_days, ttl_days) if ttl_days > 0 else claim_ttl_days


def store_tick(
    client: Any,
    table: str,
    tick: Tick,
    *,
    identity: Identity,
    received_us: int,
    ttl_days: int,
    claim_ttl_days: int = 0,
) -> Receipt:
    """Store ``tick`` once; a redelivery is ``duplicate``; raise :class:`Conflict` on a reused id.

    The claim of an ``event_id`` expires after ``claim_ttl_days`` (0: with the tick): a
    redelivery within it is recognised whatever time it carries; after it, a tick whose
    key holds the sender's timestamp still is (same key), one stamped on receipt is not.

    Any other AWS error propagates (the handler answers 503 so the sender retries, and the
    retry completes what this call left half done).
    """
    digest = tick.digest()
    item = build_item(tick, received_us=received_us, ttl_days=ttl_days)
    if identity.claim_sk is None:
        status = _put_tick(client, table, item)
    else:
        claim = build_claim(
            tick,
            claim_sk=identity.claim_sk,
            tick_sk=item["sk"]["S"],
            digest=digest,
            received_us=received_us,
            ttl_days=claim_days(claim_ttl_days, ttl_days),
            expires_s=identity.expires_s,
        )
        if identity.kind == REQUEST:
            item, status = _store_after_request_claim(client, table, tick, claim, item, received_us, ttl_days)
        else:
            assert identity.kind == EVENT_ID
            item, status = _store_with_event_claim(client, table, tick, claim, item, received_us, ttl_days)
    return Receipt(
        status=status,
        tick_id=notification_id(item["pk"]["S"], item["sk"]["S"]),
        symbol=tick.symbol,
        exchange=tick.exchange,
        timestamp=time_ms_of(item["sk"]["S"]),
        dedup=identity.kind,
    )


# --- request identity: claim, then tick -----------------------------------------------------


def _store_after_request_claim(
    client: Any, table: str, tick: Tick, claim: Item, item: Item, received_us: int, ttl_days: int
) -> tuple[Item, str]:
    held = _put_new(client, table, claim, now_s=received_us // 1_000_000)
    if held is not None:
        if _text(held, "digest") != claim["digest"]["S"]:
            raise Conflict("this request's claim names a different tick")  # a digest collision
        # The request's first delivery fixed the tick's key (its receive time).
        item = build_item(tick, received_us=received_us, ttl_days=ttl_days, sk=_text(held, "tick_sk"))
    return item, _put_tick(client, table, item)


# --- event_id identity: claim, then tick; a takeover leaves a tombstone ---------------------


def _store_with_event_claim(
    client: Any, table: str, tick: Tick, claim: Item, item: Item, received_us: int, ttl_days: int
) -> tuple[Item, str]:
    for _ in range(MAX_ATTEMPTS):
        held_claim = _put_new(client, table, claim)
        if held_claim is None:
            return item, _put_claimed_tick(client, table, item, tick.event_id)
        held_sk = _text(held_claim, "tick_sk")
        if _text(held_claim, "digest") == claim["digest"]["S"] and held_sk is not None:
            # The id's first delivery fixed the tick's key (its receive time when it had no timestamp).
            repaired = build_item(tick, received_us=received_us, ttl_days=ttl_days, sk=held_sk)
            return repaired, _put_claimed_tick(client, table, repaired, tick.event_id)
        status = _take_over(
            client, table, held_claim, claim, item, received_us=received_us, event_id=tick.event_id
        )
        if status is not None:
            return item, status
    raise Contention(f"event_id {tick.event_id!r} is being written concurrently")


def _put_claimed_tick(client: Any, table: str, item: Item, event_id: str | None) -> str:
    """Write the tick a claim names: ``stored`` (an orphan claim completed, too) or ``duplicate``.

    A tombstone at its key means another tick took the id over while this one was in flight
    (nothing of this one is stored): :class:`Conflict`.
    """
    old = _put_new(client, table, item)
    if is_tombstone(old):
        raise Conflict(f"event_id {event_id!r} was taken over by a different tick")
    return _duplicate_or_conflict(old, item)


def _take_over(
    client: Any,
    table: str,
    held_claim: dict[str, Any],
    claim: Item,
    item: Item,
    *,
    received_us: int,
    event_id: str | None,
) -> str | None:
    """Give the id to this tick when the claimed tick was never stored, in one transaction.

    The claim is replaced only as it was read, the new tick must be new, and a tombstone at
    the claimed tick's key (free, or already a tombstone) keeps that tick from ever being
    written after this. ``stored``; ``duplicate`` when this very tick is already stored
    (a row older than its claim); :class:`Conflict` when the claimed tick exists; None when
    the claim changed meanwhile (the caller starts again).
    """
    replace = {
        "TableName": table,
        "Item": claim,
        "ConditionExpression": "#digest = :digest AND #tick_sk = :tick_sk",
        "ExpressionAttributeNames": {"#digest": "digest", "#tick_sk": "tick_sk"},
        "ExpressionAttributeValues": {":digest": held_claim["digest"], ":tick_sk": held_claim["tick_sk"]},
    }
    new_tick = {
        "TableName": table,
        "Item": item,
        "ConditionExpression": _NEW,
        "ExpressionAttributeNames": {"#pk": "pk"},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    operations: list[dict[str, Any]] = [{"Put": replace}, {"Put": new_tick}]
    held_sk = _text(held_claim, "tick_sk")
    if held_sk != item["sk"]["S"]:
        # When the claimed tick has this tick's key, the new tick's own condition excludes it.
        operations.append({"Put": _tombstone(table, claim["pk"], str(held_sk), item, received_us)})
    reasons = _transact(client, operations)
    if reasons is None:
        return STORED
    if reasons[0].get("Code") == "ConditionalCheckFailed":
        return None
    old = reasons[1].get("Item")
    if old and not is_tombstone(old) and _same_tick(old, item):
        return DUPLICATE
    raise Conflict(f"event_id {event_id!r} was already used for a different tick")


def build_tombstone(pk: str, sk: str, *, successor_sk: str, received_us: int) -> Item:
    """The item left at a claimed tick's key ``sk`` when the id goes to the tick at ``successor_sk``."""
    return {
        "pk": {"S": pk},
        "sk": {"S": sk},
        TOMBSTONE: {"S": successor_sk},
        TTL_ATTRIBUTE: {"N": str(received_us // 1_000_000 + TOMBSTONE_TTL_S)},
    }


def _tombstone(table: str, pk: dict[str, str], sk: str, successor: Item, received_us: int) -> dict[str, Any]:
    """The Put of a tombstone at ``sk`` (the claimed tick's key), unless a tick is stored there."""
    return {
        "TableName": table,
        "Item": build_tombstone(pk["S"], sk, successor_sk=successor["sk"]["S"], received_us=received_us),
        "ConditionExpression": f"{_NEW} OR attribute_exists(#tombstone)",
        "ExpressionAttributeNames": {"#pk": "pk", "#tombstone": TOMBSTONE},
    }


def _transact(client: Any, operations: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Run a TransactWriteItems; None when it committed, else one cancellation reason per operation.

    Any cancellation other than failed conditions (a conflicting transaction, throttling)
    propagates as the ClientError: the handler answers 503 and the sender retries.
    """
    try:
        client.transact_write_items(TransactItems=operations)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        reasons = error.response.get("CancellationReasons")
        if not isinstance(reasons, list) or len(reasons) != len(operations):
            raise
        if any(r.get("Code") not in ("None", "ConditionalCheckFailed", None) for r in reasons):
            raise
        for operation, reason in zip(operations, reasons, strict=True):
            asked = "ReturnValuesOnConditionCheckFailure" in next(iter(operation.values()))
            if asked and reason.get("Code") == "ConditionalCheckFailed" and not reason.get("Item"):
                raise  # cannot tell a redelivery from a conflict: 503, the sender retries
        return reasons
    return None


# --- single writes ----------------------------------------------------------------------------


def _put_tick(client: Any, table: str, item: Item) -> str:
    return _duplicate_or_conflict(_put_new(client, table, item), item)


def _duplicate_or_conflict(old: dict[str, Any] | None, item: Item) -> str:
    if old is None:
        return STORED
    if not _same_tick(old, item):
        raise Conflict("a different tick is stored under this tick's key")
    return DUPLICATE


def _expire(item: Item, received_us: int, ttl_days: int) -> None:
    if ttl_days > 0:
        item[TTL_ATTRIBUTE] = {"N": str(received_us // 1_000_000 + ttl_days * DAY_S)}


def _put_new(client: Any, table: str, item: Item, now_s: int | None = None) -> dict[str, Any] | None:
    """PutItem unless the key exists; None when written, else the item already there.

    With ``now_s``, an item whose TTL is before ``now_s`` counts as absent (expired, not yet
    deleted). The failed condition returns the stored item itself (``ALL_OLD``): no read,
    and no ``dynamodb:GetItem`` grant, is needed to compare it.
    """
    condition: dict[str, Any] = {"ConditionExpression": _NEW, "ExpressionAttributeNames": {"#pk": "pk"}}
    if now_s is not None:
        condition = {
            "ConditionExpression": f"{_NEW} OR #ttl < :now",
            "ExpressionAttributeNames": {"#pk": "pk", "#ttl": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": {":now": {"N": str(now_s)}},
        }
    try:
        client.put_item(
            TableName=table, Item=item, ReturnValuesOnConditionCheckFailure="ALL_OLD", **condition
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


def _text(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    text = value.get("S") if isinstance(value, dict) else None
    return text if isinstance(text, str) else None


def _number(attribute: Any) -> Decimal | None:
    text = attribute.get("N") if isinstance(attribute, dict) else None
    return Decimal(text) if isinstance(text, str) else None
