"""Sustained load and concurrent redelivery on the local webhook (HTTP on 127.0.0.1, moto server).

Bounded: a fixed number of requests, a timeout on each, threads and processes joined with a
deadline.
No timing is asserted: only statuses and what the table holds.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.load.support import deliver_rounds, run_in_processes
from tests.support.account import Stack
from tests.support.ticks import Tick, interleaved, signed_headers

pytestmark = pytest.mark.load

TICKS = 300
THREADS = 6
PROCESSES = 6
ROUNDS = 5


class Sender:
    """One keep-alive connection per thread to the local Function URL."""

    def __init__(self, url: str) -> None:
        parsed = urllib.parse.urlsplit(url)
        assert parsed.hostname == "127.0.0.1"
        self.host, self.port = parsed.hostname, parsed.port
        self.local = threading.local()

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        connection.request("POST", "/", body=body, headers=headers)
        reply = connection.getresponse()
        return reply.status, json.loads(reply.read() or b"{}")


def send_tick(sender: Sender, secret: str, tick: Tick) -> tuple[Tick, int, dict[str, Any]]:
    body = tick.body()
    status, answer = sender.post(body, signed_headers(secret, body))
    return tick, status, answer


def test_sustained_load_no_5xx_and_no_lost_tick(stack: Stack, webhook_url: str) -> None:
    ticks = list(interleaved(5, TICKS, "sustained"))
    work = ticks + ticks[::10]  # every 10th tick is redelivered (the sender retried)
    sender = Sender(webhook_url)
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda t: send_tick(sender, stack.secret, t), work, timeout=120))

    statuses = Counter(status for _, status, _ in results)
    assert statuses == {200: len(work)}, statuses
    outcomes = Counter(answer["status"] for _, _, answer in results)
    assert outcomes == {"stored": TICKS, "duplicate": len(ticks[::10])}
    for tick, _, answer in results:
        assert answer["tick_id"] == tick.tick_id

    rows = stack.rows()
    keys = [(row["pk"], row["sk"]) for row in rows]
    assert len(keys) == len(set(keys)) == TICKS  # each accepted tick exactly once, nothing else
    assert set(keys) == {tick.key for tick in ticks}
    by_key = {(row["pk"], row["sk"]): row for row in rows}
    for tick in ticks:
        assert by_key[tick.key]["price"] == tick.price
        assert set(by_key[tick.key]) <= {"pk", "sk", "price", "volume", "received_at", "expires_at"}


def test_concurrent_redelivery_in_separate_processes_stores_it_once(stack: Stack, moto_endpoint: str) -> None:
    """PROCESSES handler instances, each in its own process (its own container), receive the
    same signed request at the same moment, ROUNDS times; the table, on one moto server, is
    all they share, so only the webhook's conditional write can make exactly one "stored"."""
    rounds = []
    for tick in interleaved(1, ROUNDS, "same"):
        body = tick.body()
        rounds.append((body, signed_headers(stack.secret, body)))  # one request, delivered many times
    answers = run_in_processes(
        deliver_rounds, [(stack.function_env(), moto_endpoint, rounds)] * PROCESSES, PROCESSES * ROUNDS
    )
    for index in range(ROUNDS):
        outcomes = Counter((status, outcome) for i, status, outcome in answers if i == index)
        assert outcomes == {(200, "stored"): 1, (200, "duplicate"): PROCESSES - 1}, (index, outcomes)
    assert len(stack.rows()) == ROUNDS
