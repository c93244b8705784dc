"""Sustained load and concurrent redelivery on the local webhook (HTTP on 127.0.0.1, moto server).

Bounded: a fixed number of requests, a timeout on each, threads joined with a deadline.
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

from scripts.bench.account import Stack
from scripts.bench.ticks import Tick, interleaved, signed_headers

pytestmark = pytest.mark.load

TICKS = 300
THREADS = 6
SAME_TICK_SENDERS = 16
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
        assert by_key[tick.key]["ts"] == tick.ts


def test_concurrent_redelivery_of_one_tick_stores_it_once(stack: Stack, webhook_url: str) -> None:
    parsed = urllib.parse.urlsplit(webhook_url)
    for tick in interleaved(1, ROUNDS, "same"):
        body = tick.body()
        headers = signed_headers(stack.secret, body)  # one signed request, delivered many times
        barrier = threading.Barrier(SAME_TICK_SENDERS, timeout=30)
        # Connected one by one first: the local server's listen backlog is Python's default
        # of 5, and this test is about concurrent requests, not a connection storm.
        connections = []
        for _ in range(SAME_TICK_SENDERS):
            connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
            connection.connect()
            connections.append(connection)

        def deliver(
            connection: http.client.HTTPConnection,
            body: bytes = body,
            headers: dict[str, str] = headers,
            barrier: threading.Barrier = barrier,
        ) -> tuple[int, str]:
            barrier.wait()
            connection.request("POST", "/", body=body, headers=headers)
            reply = connection.getresponse()
            return reply.status, json.loads(reply.read()).get("status", "")

        with ThreadPoolExecutor(SAME_TICK_SENDERS) as pool:
            answers = Counter(pool.map(deliver, connections, timeout=60))
        for connection in connections:
            connection.close()
        assert answers == {(200, "stored"): 1, (200, "duplicate"): SAME_TICK_SENDERS - 1}, answers
    rows = stack.rows()
    assert len(rows) == ROUNDS
    assert len({(row["pk"], row["sk"]) for row in rows}) == ROUNDS
