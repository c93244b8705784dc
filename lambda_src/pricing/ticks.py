"""Exact parsing and validation of a request body into :class:`Tick` values.

A body is one tick, a UTF-8 JSON object ``{symbol, price, exchange, volume?, timestamp?,
event_id?}``, or a batch, a JSON array of such objects (:func:`load_body`). Numbers are
parsed as :class:`~decimal.Decimal` (never float), ``NaN`` and ``Infinity`` are rejected,
duplicate and unknown keys are rejected, and every price and volume must be storable
exactly in DynamoDB. ``timestamp`` and ``event_id`` are optional: a tick with neither is
the original request format, stamped with its receive time (how a redelivery of each kind
is recognised is the handler's business, see webhook_processor/identity.py). Any invalid
input raises :class:`TickError` with a short reason meant for the sender; nothing else
escapes :func:`load_body`, :func:`parse_tick` or :func:`tick_of`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pricing.numbers import storable

FIELDS = frozenset({"symbol", "price", "exchange", "volume", "timestamp", "event_id"})
REQUIRED = ("symbol", "price", "exchange")

# BTC, BTC-USD, BTC/USD, 1INCH-USDT: ASCII letters and digits, one optional separator.
_SYMBOL = re.compile(r"[A-Za-z0-9]{1,15}(?:[-/][A-Za-z0-9]{1,15})?")
MAX_SYMBOL = 32
# binance, coinbase-pro, okx.us: short, ASCII, no '#' or '|' (they delimit keys and ids).
_EXCHANGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
# Printable ASCII without space, '#' or '|'.
_EVENT_ID = re.compile(r'[!"$-{}~]{1,128}')
# The JSON number grammar, for prices and volumes sent as strings.
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_MAX_NUMBER_TEXT = 512
_MAX_ISO_TEXT = 40
_FRACTION = re.compile(r"[.,]([0-9]+)")

#: Event times before this are absurd for a crypto feed (2009-01-03, Bitcoin's genesis block).
MIN_TIMESTAMP_MS = 1_230_940_800_000
#: Tolerated clock skew of a feed's timestamps into the future, like the signature's.
MAX_FUTURE_MS = 300_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


class TickError(ValueError):
    """The body is not a valid tick; ``str(error)`` is the reason given to the sender."""


@dataclass(frozen=True, slots=True)
class Tick:
    """A validated tick. ``timestamp_us`` (epoch microseconds) is ``None`` when the feed sent none."""

    symbol: str
    exchange: str
    price: Decimal
    volume: Decimal
    timestamp_us: int | None
    event_id: str | None
    #: Digits of an ISO timestamp's fraction past the microsecond (``"789"`` of ``.123456789``):
    #: the sort key keeps microseconds, the identity keeps every digit sent.
    timestamp_sub_us: str = ""

    def event_time_us(self, received_us: int) -> int:
        """Event time in epoch microseconds: the feed's timestamp, else the receive time."""
        return self.timestamp_us if self.timestamp_us is not None else received_us

    def digest(self) -> str:
        """SHA-256 (hex) of the tick's content: two deliveries are the same tick when it is equal.

        Numbers count by value (``1.50`` and ``1.5`` are one price), times to the last digit
        sent (two ISO times that differ in their nanoseconds are two ticks).
        """
        content = [
            self.symbol,
            self.exchange,
            _canonical(self.price),
            _canonical(self.volume),
            self.timestamp_us,
            self.event_id,
        ]
        if self.timestamp_sub_us:
            content.append(self.timestamp_sub_us)
        return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


def parse_tick(raw: bytes, *, now_ms: int, message_id: str | None = None) -> Tick:
    """Parse and validate a raw single-tick body; raise :class:`TickError` when it is not one."""
    obj = load_body(raw)
    if not isinstance(obj, dict):
        raise TickError("body must be a JSON object")
    return tick_of(obj, now_ms=now_ms, message_id=message_id)


def tick_of(obj: Any, *, now_ms: int, message_id: str | None = None) -> Tick:
    """Validate one decoded tick object (a body, or an element of a batch).

    ``message_id`` is the id of the delivery (Standard Webhooks' ``webhook-id``, in a batch
    ``<webhook-id>:<position>``): it is the tick's ``event_id`` when the object has none,
    and must then be a valid ``event_id``.
    """
    if not isinstance(obj, dict):
        raise TickError("a tick must be a JSON object")
    unknown = sorted(k for k in obj if k not in FIELDS)
    if unknown:
        raise TickError(f"unknown field: {unknown[0][:40]!r}")
    for name in REQUIRED:
        if obj.get(name) is None:
            raise TickError(f"missing field: {name}")
    price = _number(obj["price"], "price")
    if price <= 0:
        raise TickError("price must be > 0")
    volume = Decimal(0) if obj.get("volume") is None else _number(obj["volume"], "volume")
    if volume < 0:
        raise TickError("volume must be >= 0")
    timestamp = obj.get("timestamp")
    return Tick(
        symbol=_symbol(obj["symbol"]),
        exchange=_exchange(obj["exchange"]),
        price=price,
        volume=volume,
        timestamp_us=None if timestamp is None else _timestamp(timestamp, now_ms),
        event_id=_event_id(obj["event_id"]) if obj.get("event_id") is not None else _message_id(message_id),
        timestamp_sub_us=_sub_microseconds(timestamp),
    )


def _sub_microseconds(value: Any) -> str:
    """The fraction digits of an ISO time past the sixth (``datetime`` drops them), trailing zeros cut."""
    if not isinstance(value, str):
        return ""
    match = _FRACTION.search(value)
    return match.group(1)[6:].rstrip("0") if match else ""


def _canonical(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _reject_constant(name: str) -> Any:
    raise TickError(f"{name} is not a number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise TickError(f"duplicate field: {key[:40]!r}")
        obj[key] = value
    return obj


def load_body(raw: bytes) -> dict[str, Any] | list[Any]:
    """The decoded JSON body, an object (one tick) or an array (a batch); :class:`TickError` otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TickError("body is not UTF-8") from None
    try:
        obj = json.loads(
            text,
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_keys,
        )
    except TickError:
        raise
    except RecursionError:
        raise TickError("body is nested too deeply") from None
    except (ValueError, ArithmeticError):  # JSONDecodeError, decimal.InvalidOperation
        raise TickError("body is not valid JSON") from None
    if not isinstance(obj, dict | list):
        raise TickError("body must be a JSON object (a tick) or an array (a batch of ticks)")
    return obj


def _number(value: Any, name: str) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and len(value) <= _MAX_NUMBER_TEXT and _NUMBER.fullmatch(value):
        number = Decimal(value)
    else:
        raise TickError(f"{name} must be a number or a numeric string")
    exact = storable(number)
    if exact is None:
        raise TickError(f"{name} cannot be stored exactly (over 38 significant digits or out of range)")
    return exact


def _symbol(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_SYMBOL or not _SYMBOL.fullmatch(value):
        raise TickError("symbol must look like BTC, BTC-USD or BTC/USD")
    return value.upper()


def _exchange(value: Any) -> str:
    if not isinstance(value, str) or not _EXCHANGE.fullmatch(value):
        raise TickError("exchange must be 1-32 characters of letters, digits, '.', '_' or '-'")
    return value.lower()


def _event_id(value: Any) -> str:
    if not isinstance(value, str) or not _EVENT_ID.fullmatch(value):
        raise TickError("event_id must be 1-128 printable ASCII characters without space, '#' or '|'")
    return value


def _message_id(value: str | None) -> str | None:
    if value is not None and not _EVENT_ID.fullmatch(value):
        raise TickError(
            "webhook-id must be 1-128 printable ASCII characters without space, '#' or '|' "
            "when the body has no event_id (it becomes the event_id)"
        )
    return value


def _timestamp(value: Any, now_ms: int) -> int:
    """Epoch microseconds of a JSON number (whole epoch ms) or an ISO-8601 string with a zone."""
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise TickError("timestamp must be whole epoch milliseconds")
        if not MIN_TIMESTAMP_MS <= value <= now_ms + MAX_FUTURE_MS:
            raise TickError("timestamp is out of range (epoch milliseconds, 2009 to now)")
        return int(value) * 1000
    if isinstance(value, str) and value.isascii() and len(value) <= _MAX_ISO_TEXT:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise TickError("timestamp must be epoch milliseconds or ISO-8601") from None
        if moment.tzinfo is None:
            raise TickError("timestamp must carry a time zone (e.g. Z or +00:00)")
        micros = (moment - _EPOCH) // _US
        if not MIN_TIMESTAMP_MS <= micros // 1000 <= now_ms + MAX_FUTURE_MS:
            raise TickError("timestamp is out of range (2009 to now)")
        return micros
    raise TickError("timestamp must be epoch milliseconds or ISO-8601")
