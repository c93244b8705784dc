"""A bounded load generator: signed ticks POSTed to a webhook URL on 127.0.0.1, from its own process.

    BENCH_WEBHOOK_SECRET=... python -m scripts.bench.loadgen --url http://127.0.0.1:PORT/ \
        --count 500 --rate 50 --concurrency 4

Sends ``--count`` ticks (stops early after ``--max-seconds``) from ``--concurrency`` threads
with keep-alive connections.

Open loop: with ``--rate`` R > 0, tick i is scheduled at ``start + i / R`` whatever the server
does, and its latency is measured from that scheduled time, not from when a thread got round
to sending it. A server that falls behind therefore shows its queueing delay in the latency
instead of slowing the senders down and hiding it (coordinated omission). ``--rate 0`` is a
closed loop (each thread sends when its previous answer came): latency is then from the send.

Every tick carries ``timestamp`` = its scheduled time (epoch ms) and a unique ``event_id``, so
a notification's ``ts`` tells when its tick was due. Prints one JSON object: statuses, latency
percentiles, how far sends lagged their schedule, achieved rate, and this process's CPU time
and peak RSS (``resource.getrusage``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import sys
import threading
import time
import urllib.parse
from collections import Counter
from typing import Any

from pricing.signature import SIGNATURE_HEADER, signature_header
from scripts.bench.stats import summary
from scripts.errors import one_line

SECRET_ENV = "BENCH_WEBHOOK_SECRET"  # noqa: S105 - the name of a variable, not a secret


class LoadGenerator:
    def __init__(
        self,
        url: str,
        secret: str,
        count: int,
        rate: float,
        concurrency: int,
        tag: str,
        series: int,
        max_seconds: float,
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"loopback only: {url}")
        self.host, self.port, self.path = parsed.hostname, parsed.port or 80, parsed.path or "/"
        self.secret = secret
        self.count = count
        self.rate = rate
        self.concurrency = concurrency
        self.tag = tag
        self.series = series
        self.max_seconds = max_seconds
        self._next = 0
        self._lock = threading.Lock()
        self.statuses: Counter[str] = Counter()
        self.latencies_ms: list[float] = []
        self.send_lag_ms: list[float] = []
        self.first_send = 0.0
        self.last_answer = 0.0
        self.stopped_early = False

    def _take(self) -> int | None:
        with self._lock:
            if self._next >= self.count:
                return None
            index = self._next
            self._next += 1
            return index

    def scheduled_offset(self, index: int) -> float | None:
        """Seconds after the start at which tick ``index`` is due; None in a closed loop."""
        return index / self.rate if self.rate > 0 else None

    def _body(self, index: int, due_epoch: float) -> bytes:
        payload = {
            "symbol": "BTC-USD",
            "exchange": f"{self.tag}-{index % self.series}",
            "price": f"{65000 + (index * 37) % 1000 / 10:.1f}",
            "timestamp": int(due_epoch * 1000),
            "event_id": f"{self.tag}-{index:07d}",
        }
        return json.dumps(payload, separators=(",", ":")).encode()

    def _worker(self, start: float) -> None:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            while True:
                index = self._take()
                if index is None:
                    return
                offset = self.scheduled_offset(index)
                if offset is not None:
                    delay = start + offset - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                sent = time.monotonic()
                if sent - start > self.max_seconds:
                    self.stopped_early = True
                    return
                # the clock latency is measured from: the schedule (open loop) or the send
                due = start + offset if offset is not None else sent
                body = self._body(index, self.first_send + (due - start))
                headers = {
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: signature_header(self.secret, body),
                }
                try:
                    connection.request("POST", self.path, body=body, headers=headers)
                    reply = connection.getresponse()
                    answer = reply.read()
                    status = str(reply.status)
                    if reply.status == 200:
                        status = json.loads(answer).get("status", "200")
                except (OSError, http.client.HTTPException) as exc:
                    status = f"error:{type(exc).__name__}"
                    connection.close()
                    connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                elapsed = (time.monotonic() - due) * 1000
                with self._lock:
                    self.statuses[status] += 1
                    self.latencies_ms.append(elapsed)
                    self.send_lag_ms.append((sent - due) * 1000)
                    self.last_answer = time.time()
        finally:
            connection.close()

    def run(self) -> dict[str, Any]:
        start = time.monotonic()
        self.first_send = time.time()
        threads = [
            threading.Thread(target=self._worker, args=(start,), daemon=True) for _ in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(self.max_seconds + 60)
        elapsed = max(1e-9, self.last_answer - self.first_send)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        accepted = self.statuses["stored"] + self.statuses["duplicate"]
        return {
            "requested": self.count,
            "rate_limit": self.rate,
            "concurrency": self.concurrency,
            "sent": sum(self.statuses.values()),
            "statuses": dict(self.statuses),
            "accepted": accepted,
            "server_errors": sum(n for s, n in self.statuses.items() if s.startswith("5")),
            "stopped_early": self.stopped_early,
            "first_send_epoch": self.first_send,
            "last_answer_epoch": self.last_answer,
            "seconds": round(elapsed, 3),
            "accepted_per_s": round(accepted / elapsed, 1),
            "latency_from": "schedule" if self.rate > 0 else "send",
            "client_latency_ms": summary(self.latencies_ms),
            "send_lag_ms": summary(self.send_lag_ms),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        }


@one_line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pipeline-loadgen",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--url", required=True, help="the webhook URL on 127.0.0.1 (loopback only)")
    parser.add_argument("--count", type=int, default=500, help="ticks to send (default 500)")
    parser.add_argument(
        "--rate",
        type=float,
        default=50.0,
        help="scheduled ticks/s, latency measured from the schedule (default 50; 0: closed loop)",
    )
    parser.add_argument("--concurrency", type=int, default=4, help="sender threads (default 4)")
    parser.add_argument("--series", type=int, default=5, help="exchanges the ticks rotate over (default 5)")
    parser.add_argument("--tag", default="load", help="prefix of exchanges and event ids (default load)")
    parser.add_argument(
        "--max-seconds", type=float, default=60.0, help="stop sending after this long (default 60)"
    )
    args = parser.parse_args(argv)
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        raise SystemExit(f"{SECRET_ENV} is not set")
    generator = LoadGenerator(
        args.url, secret, args.count, args.rate, args.concurrency, args.tag, args.series, args.max_seconds
    )
    print(json.dumps(generator.run()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
