"""Signed tick requests and stream batches for the benchmarks and load tests."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pricing.signature import SIGNATURE_HEADER, signature_header
from scripts.lambda_events import lambda_record
from scripts.local.function_url import build_event

REGION = "us-east-1"


@dataclass(frozen=True)
class Tick:
    symbol: str
    exchange: str
    price: Decimal
    ts: int
    event_id: str

    @property
    def key(self) -> tuple[str, str]:
        """(pk, sk) per docs/design.md, written out so that tests check the webhook's keys against it."""
        return f"{self.symbol}#{self.exchange}", f"t#{self.ts * 1000:016d}#e#{self.event_id}"

    @property
    def tick_id(self) -> str:
        return "|".join(self.key)

    def body(self) -> bytes:
        payload = {
            "symbol": self.symbol,
            "exchange": self.exchange,
            "price": str(self.price),
            "timestamp": self.ts,
            "event_id": self.event_id,
        }
        return json.dumps(payload, separators=(",", ":")).encode()

    def item(self, received_ms: int | None = None, legacy: bool = False) -> dict[str, dict[str, str]]:
        """The row the webhook would store (low-level attribute values); ``legacy``: as rows
        written before the lean format, which also repeated what the keys hold."""
        pk, sk = self.key
        item = {
            "pk": {"S": pk},
            "sk": {"S": sk},
            "price": {"N": str(self.price)},
            "volume": {"N": "1"},
            "received_at": {"N": str(received_ms or self.ts)},
        }
        if legacy:
            item |= {
                "ts": {"N": str(self.ts)},
                "symbol": {"S": self.symbol},
                "exchange": {"S": self.exchange},
                "event_id": {"S": self.event_id},
            }
        return item


def interleaved(
    n_series: int,
    count: int,
    tag: str,
    start_ts: int | None = None,
    symbol: str = "BTC-USD",
    id_prefix: str | None = None,
) -> Iterator[Tick]:
    """``count`` ticks round-robin over ``n_series`` series (exchanges ``<tag>-<i>``), 1 ms apart.

    Any 10 consecutive ticks with ``n_series`` dividing 10 hold exactly ``n_series`` series.
    """
    start = start_ts if start_ts is not None else int(time.time() * 1000) - 60_000
    for i in range(count):
        series = i % n_series
        price = Decimal(65000) + Decimal((i * 37) % 101) / 10 + series
        yield Tick(symbol, f"{tag}-{series}", price, start + i, f"{id_prefix or tag}-{i:07d}")


def signed_headers(secret: str, body: bytes, t: int | None = None) -> dict[str, str]:
    return {"Content-Type": "application/json", SIGNATURE_HEADER: signature_header(secret, body, t)}


def url_event(body: bytes, headers: dict[str, str], method: str = "POST") -> dict[str, Any]:
    """The Function URL event the local HTTP server would build for this request."""
    return build_event(method, "/", "", list(headers.items()), body)


def signed_event(secret: str, body: bytes) -> dict[str, Any]:
    return url_event(body, signed_headers(secret, body))


def insert_records(raw_records: Sequence[dict[str, Any]], stream_arn: str) -> list[dict[str, Any]]:
    """Streams API records -> Lambda event records, INSERTs only (the mapping's filter)."""
    out = []
    for raw in raw_records:
        if raw.get("eventName") != "INSERT":
            continue
        out.append(json.loads(json.dumps(lambda_record(raw, stream_arn, REGION))))
    return out


def chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
