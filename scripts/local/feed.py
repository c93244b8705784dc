"""The demo feed: a seeded random walk of ticks, signed and POSTed over HTTP to the webhook.

Most ticks are signed with ``X-Signature``; every ``standard_every``-th one with the
Standard Webhooks headers instead, its ``event_id`` sent as ``webhook-id`` and left out of
the body (the webhook takes it from there), so both schemes and the id's path are exercised.
Some ticks go in batches (a signed JSON array, ``batch_size`` ticks a request, one run in
``batch_every``), and the first batch is resent as it was: its elements answer ``duplicate``
and count as redeliveries.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pricing.signature import SIGNATURE_HEADER, WEBHOOK_ID, signature_header, standard_headers
from scripts.http_post import Response, post

SYMBOLS: dict[str, tuple[Decimal, Decimal]] = {
    # symbol: (start price, price step)
    "BTC-USD": (Decimal("65000"), Decimal("0.01")),
    "ETH-USD": (Decimal("3400"), Decimal("0.01")),
    "SOL-USD": (Decimal("150"), Decimal("0.001")),
}
EXCHANGES: tuple[str, ...] = ("binance", "coinbase", "kraken")
MAIN_SERIES = ("BTC-USD", "binance")


@dataclass(frozen=True)
class Tick:
    symbol: str
    exchange: str
    price: Decimal
    volume: Decimal
    timestamp_ms: int
    event_id: str

    @property
    def series(self) -> str:
        return f"{self.symbol}#{self.exchange}"

    @property
    def key(self) -> tuple[str, str]:
        """The table key docs/design.md gives this tick (pk, sk), written out to check the webhook's."""
        return self.series, f"t#{self.timestamp_ms * 1000:016d}#e#{self.event_id}"

    def body(self, with_event_id: bool = True) -> bytes:
        """The JSON body; without ``event_id`` when a Standard Webhooks ``webhook-id`` carries it."""
        return json.dumps(self.payload(with_event_id), separators=(",", ":")).encode("utf-8")

    def payload(self, with_event_id: bool = True) -> dict[str, Any]:
        """The tick as a JSON object (a body, or an element of a batch)."""
        payload: dict[str, Any] = {
            "symbol": self.symbol,
            "exchange": self.exchange,
            "price": str(self.price),
            "volume": str(self.volume),
            "timestamp": self.timestamp_ms,
        }
        if with_event_id:
            payload["event_id"] = self.event_id
        return payload

    def standard_request(self, secret: str) -> tuple[bytes, dict[str, str]]:
        """Body and Standard Webhooks headers: the event_id travels as ``webhook-id``."""
        body = self.body(with_event_id=False)
        return body, {"Content-Type": "application/json", **standard_headers(secret, body, self.event_id)}


class RandomWalk:
    """Ticks over SYMBOLS x EXCHANGES; ``main_share`` of them on ``MAIN_SERIES`` so it builds history."""

    def __init__(self, seed: int = 7, main_share: float = 0.5, sigma: float = 0.002) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible demo, not crypto
        self.seed = seed
        self.main_share = main_share
        self.sigma = sigma
        self.prices: dict[tuple[str, str], Decimal] = {}
        for symbol, (start, step) in SYMBOLS.items():
            for exchange in EXCHANGES:
                spread = Decimal(str(1 + self.rng.uniform(-0.001, 0.001)))
                self.prices[(symbol, exchange)] = (start * spread).quantize(step)
        self.last_ts: dict[tuple[str, str], int] = {}
        self.count = 0

    def next_tick(self, now_ms: int | None = None) -> Tick:
        if self.rng.random() < self.main_share:
            series = MAIN_SERIES
        else:
            series = (self.rng.choice(list(SYMBOLS)), self.rng.choice(EXCHANGES))
        symbol, exchange = series
        step = SYMBOLS[symbol][1]
        factor = Decimal(str(math.exp(self.rng.gauss(0.0, self.sigma))))
        price = max(step, (self.prices[series] * factor).quantize(step))
        self.prices[series] = price
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        ts = max(now_ms, self.last_ts.get(series, 0) + 1)
        self.last_ts[series] = ts
        self.count += 1
        volume = Decimal(str(round(self.rng.uniform(0.001, 5.0), 4)))
        return Tick(symbol, exchange, price, volume, ts, f"demo-{self.seed}-{self.count:06d}")

    def ticks(self, n: int) -> Iterator[Tick]:
        for _ in range(n):
            yield self.next_tick()


@dataclass
class BadTick:
    """A deliberately wrong request and the status the webhook must answer."""

    name: str
    expected: int
    body: bytes
    headers: dict[str, str]
    method: str = "POST"


def bad_ticks(secret: str, sample: Tick) -> list[BadTick]:
    good = sample.body()
    now = int(time.time())
    json_type = {"Content-Type": "application/json"}

    def signed(body: bytes, t: int | None = None, key: str = secret) -> dict[str, str]:
        return {**json_type, SIGNATURE_HEADER: signature_header(key, body, t)}

    base = {"symbol": "BTC-USD", "exchange": "binance"}
    negative = json.dumps({**base, "price": "-1", "event_id": "x"}).encode()
    missing = json.dumps({**base, "event_id": "x"}).encode()
    reused = json.loads(good)
    reused["price"] = str(sample.price + 1)  # the sample's event_id, another price
    conflict = json.dumps(reused, separators=(",", ":")).encode()
    not_json = b"symbol=BTC-USD&price=1"
    huge = json.dumps({"symbol": "BTC-USD", "exchange": "binance", "price": "1", "pad": "x" * 20000}).encode()

    def standard(body: bytes, msg_id: str, key: str = secret) -> dict[str, str]:
        return {**json_type, **standard_headers(key, body, msg_id)}

    plain = sample.body(with_event_id=False)
    without_id = {k: v for k, v in standard(plain, sample.event_id).items() if k != WEBHOOK_ID}
    return [
        BadTick("wrong secret", 401, good, signed(good, key=secret + "-wrong")),
        BadTick("Standard Webhooks, wrong secret", 401, plain, standard(plain, "sw-1", secret + "-wrong")),
        BadTick("Standard Webhooks without webhook-id", 401, plain, without_id),
        BadTick("webhook-id unusable as event_id", 400, plain, standard(plain, "has#hash")),
        BadTick("stale signature", 401, good, signed(good, t=now - 3600)),
        BadTick("no signature", 401, good, dict(json_type)),
        BadTick("negative price", 400, negative, signed(negative)),
        BadTick("missing price", 400, missing, signed(missing)),
        BadTick("not JSON", 400, not_json, signed(not_json)),
        BadTick("empty batch", 400, b"[]", signed(b"[]")),
        BadTick("event_id reused for another price", 409, conflict, signed(conflict)),
        BadTick("oversized body", 413, huge, signed(huge)),
        BadTick("GET instead of POST", 405, b"", {}, method="GET"),
    ]


@dataclass
class FeedResult:
    sent: int = 0
    stored: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    server_errors: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    receipts: list[tuple[Tick, dict[str, Any]]] = field(default_factory=list)  # stored ticks
    redeliveries: int = 0
    standard_webhooks: int = 0  # good ticks sent with Standard Webhooks headers (redeliveries included)
    batches: int = 0  # batch requests (the resent one included)
    batched: int = 0  # ticks sent inside batches
    late: int = 0  # ticks held back and sent after their successors were enriched
    bad: list[tuple[BadTick, int]] = field(default_factory=list)  # (bad tick, status got)
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.stored + self.duplicate

    @property
    def bad_as_expected(self) -> bool:
        return all(status == bad.expected for bad, status in self.bad)


class FeedSender:
    """Signs and sends ticks to a webhook URL, counting what comes back."""

    def __init__(
        self,
        url: str,
        secret: str,
        progress: Callable[[FeedResult], None] | None = None,
        standard_every: int = 3,
    ) -> None:
        self.url = url
        self.secret = secret
        self.progress = progress
        #: Every n-th new tick is sent with Standard Webhooks headers (0: none); a redelivery
        #: uses the scheme of the tick's first delivery.
        self.standard_every = standard_every
        self._standard: dict[str, bool] = {}
        self.result = FeedResult()

    def _uses_standard(self, tick: Tick) -> bool:
        if tick.event_id not in self._standard:
            n = len(self._standard) + 1
            self._standard[tick.event_id] = bool(self.standard_every) and n % self.standard_every == 0
        return self._standard[tick.event_id]

    def _record(self, response: Response, elapsed_ms: float, ticks: int = 1) -> None:
        result = self.result
        result.sent += ticks
        result.statuses[response.status] += 1
        result.latencies_ms.append(elapsed_ms)
        if response.status >= 500:
            result.server_errors += 1
        elif response.status == 409:
            result.conflict += 1
        elif response.status >= 300:
            result.rejected += 1
        elif isinstance(response.body.get("results"), list):
            outcomes = Counter(str(r.get("status")) for r in response.body["results"])
            result.stored += outcomes["stored"]
            result.duplicate += outcomes["duplicate"]
            result.conflict += outcomes["conflict"]
            result.rejected += outcomes["invalid"]
        elif response.body.get("status") == "duplicate":
            result.duplicate += 1
        else:
            result.stored += 1

    def send_tick(self, tick: Tick) -> Response:
        if self._uses_standard(tick):
            body, headers = tick.standard_request(self.secret)
            self.result.standard_webhooks += 1
        else:
            body = tick.body()
            headers = {"Content-Type": "application/json"}
            headers[SIGNATURE_HEADER] = signature_header(self.secret, body)
        started = time.perf_counter()
        response = post(self.url, body, headers)
        self._record(response, (time.perf_counter() - started) * 1000)
        if 200 <= response.status < 300 and response.body.get("status") != "duplicate":
            self.result.receipts.append((tick, response.body))
        if self.progress is not None:
            self.progress(self.result)
        return response

    def send_batch(self, ticks: list[Tick], signed: tuple[bytes, str] | None = None) -> tuple[bytes, str]:
        """POST ``ticks`` as one X-Signature-signed array; ``signed`` resends an earlier request as it was.

        Returns the body and signature sent, for a resend.
        """
        body, header = signed or self._signed([tick.payload() for tick in ticks])
        started = time.perf_counter()
        response = post(self.url, body, {"Content-Type": "application/json", SIGNATURE_HEADER: header})
        self._record(response, (time.perf_counter() - started) * 1000, ticks=len(ticks))
        self.result.batches += 1
        self.result.batched += len(ticks)
        results = response.body.get("results") if 200 <= response.status < 300 else None
        for tick, receipt in zip(ticks, results or [], strict=False):
            if isinstance(receipt, dict) and receipt.get("status") == "stored":
                self.result.receipts.append((tick, receipt))
        if self.progress is not None:
            self.progress(self.result)
        return body, header

    def _signed(self, payload: Any) -> tuple[bytes, str]:
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return body, signature_header(self.secret, body)

    def send_bad(self, bad: BadTick) -> Response:
        started = time.perf_counter()
        response = post(self.url, bad.body, bad.headers, method=bad.method)
        self._record(response, (time.perf_counter() - started) * 1000)
        self.result.bad.append((bad, response.status))
        return response

    def run(
        self,
        walk: RandomWalk,
        n: int,
        redeliver_every: int = 10,
        rate: float = 0.0,
        late_every: int = 20,
        late_pause_s: float = 2.0,
        batch_size: int = 5,
        batch_every: int = 4,
    ) -> FeedResult:
        """Send ``n`` ticks, then the late ones, then the bad ones.

        Every ``redeliver_every``-th tick is sent twice (a duplicate). Every ``late_every``-th
        tick is held back and sent after the others and a pause longer than the stream
        mapping's batching window, so it lands behind successors already enriched: the
        enricher revises them. Of every ``batch_every`` runs of ``batch_size`` ticks, the
        last goes as one batch request (0: no batches); the first batch is resent as it was.
        """
        interval = 1.0 / rate if rate > 0 else 0.0
        first: Tick | None = None
        held: list[Tick] = []
        batch: list[Tick] = []
        resend: tuple[list[Tick], tuple[bytes, str]] | None = None
        for i, tick in enumerate(walk.ticks(n), start=1):
            started = time.monotonic()
            if late_every and i % late_every == late_every // 2:
                held.append(tick)
                continue
            first = first or tick
            if batch_size and batch_every and (i - 1) // batch_size % batch_every == batch_every - 1:
                batch.append(tick)
                if len(batch) == batch_size:
                    signed = self.send_batch(batch)
                    resend = resend or (batch, signed)
                    batch = []
                continue
            self.send_tick(tick)
            if redeliver_every and i % redeliver_every == 0:
                self.result.redeliveries += 1
                self.send_tick(tick)  # the sender retried: same tick, fresh signature
            if interval:
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
        if batch:
            self.send_batch(batch)
        if resend is not None:
            self.result.redeliveries += len(resend[0])
            self.send_batch(*resend)  # the sender resent a request whose answer it lost
        if held:
            time.sleep(late_pause_s)
            for tick in held:
                self.result.late += 1
                self.send_tick(tick)
        if first is not None:
            for bad in bad_ticks(self.secret, first):
                self.send_bad(bad)
        return self.result
