"""Strict reading of a DynamoDB stream record's NewImage into a :class:`StreamTick`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pricing.keys import is_tick_key, is_tombstone, notification_id, series_key, series_of, time_ms_of
from pricing.numbers import storable


class PoisonRecord(ValueError):
    """The record can never be enriched (malformed image); it fails alone."""


@dataclass(frozen=True, slots=True)
class StreamTick:
    """The fields of an inserted tick the enricher needs."""

    sequence_number: str
    pk: str
    sk: str
    ts: int
    price: Decimal
    symbol: str
    exchange: str

    @property
    def notification_id(self) -> str:
        """Stable id carried by every message about this tick."""
        return notification_id(self.pk, self.sk)


def is_insert(record: Any) -> bool:
    """True for an INSERT record."""
    return isinstance(record, dict) and record.get("eventName") == "INSERT"


def is_tick_insert(record: Any) -> bool:
    """True for the INSERT of a tick (not of an event-id claim or a tombstone: nothing to enrich)."""
    if not is_insert(record):
        return False
    stream = record.get("dynamodb")
    if isinstance(stream, dict) and is_tombstone(stream.get("NewImage")):
        return False
    keys = stream.get("Keys") if isinstance(stream, dict) else None
    sk = keys.get("sk") if isinstance(keys, dict) else None
    # A record without Keys is judged by its image: parse_record() fails it if it is no tick.
    return sk is None or (isinstance(sk, dict) and is_tick_key(sk.get("S")))


def parse_record(record: dict[str, Any]) -> StreamTick:
    """Read an INSERT record; raise :class:`PoisonRecord` when its image is not a tick."""
    stream = record.get("dynamodb")
    if not isinstance(stream, dict):
        raise PoisonRecord("record has no dynamodb section")
    image = stream.get("NewImage")
    if not isinstance(image, dict):
        raise PoisonRecord("record has no NewImage")
    pk, sk = _string(image, "pk"), _string(image, "sk")
    if not is_tick_key(sk):
        raise PoisonRecord("NewImage.sk is not a tick key")
    try:
        symbol, exchange = series_of(pk)
        ts = time_ms_of(sk)
    except ValueError:
        raise PoisonRecord("NewImage keys are not a series key and a tick key") from None
    keys = stream.get("Keys")
    if isinstance(keys, dict) and keys and keys != {"pk": image.get("pk"), "sk": image.get("sk")}:
        raise PoisonRecord("NewImage keys do not match the record's Keys")
    # Rows written before the lean item format repeat symbol, exchange and ts: they must agree.
    if "ts" in image and _integer(image, "ts") != ts:
        raise PoisonRecord("NewImage.ts does not match sk")
    if ("symbol" in image or "exchange" in image) and pk != series_key(
        _string(image, "symbol"), _string(image, "exchange")
    ):
        raise PoisonRecord("pk does not match symbol and exchange")
    tick = StreamTick(
        sequence_number=str(stream.get("SequenceNumber", "")),
        pk=pk,
        sk=sk,
        ts=ts,
        price=_price(image),
        symbol=symbol,
        exchange=exchange,
    )
    return tick


def number(attribute: Any) -> Decimal | None:
    """The Decimal of a low-level ``{"N": "..."}`` value, or None if it is not one."""
    text = attribute.get("N") if isinstance(attribute, dict) else None
    if not isinstance(text, str):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _string(image: dict[str, Any], name: str) -> str:
    attribute = image.get(name)
    value = attribute.get("S") if isinstance(attribute, dict) else None
    if not isinstance(value, str) or not value:
        raise PoisonRecord(f"NewImage.{name} is not a non-empty string")
    return value


def _integer(image: dict[str, Any], name: str) -> int:
    value = number(image.get(name))
    if value is None or value < 0 or value.adjusted() > 15 or value != value.to_integral_value():
        raise PoisonRecord(f"NewImage.{name} is not an epoch-ms integer")
    return int(value)


def _price(image: dict[str, Any]) -> Decimal:
    value = number(image.get("price"))
    if value is None or value <= 0 or storable(value) is None:
        raise PoisonRecord("NewImage.price is not a positive number")
    return value
