"""Write units and Lambda invocations per tick, for every way a sender can send ticks.

The webhook runs in-process on moto (scripts/bench/inprocess.py), signed requests of each
kind: one tick a request (with a ``timestamp`` only, with an ``event_id``, or in the
original format with neither) and batches of :data:`BATCH` ticks of each kind; then every
request is sent again as it was (a redelivery). Write units are metered from the
parameters of each DynamoDB write, with DynamoDB's rules: one unit per started KB of the
item, a failed conditional write the same, and twice that for every item of a
TransactWriteItems (a ConditionCheck counted as one KB).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3

from scripts.bench.inprocess import mocked
from scripts.bench.writeunits import WriteUnits
from tests.support import handlers
from tests.support.ticks import signed_event

BATCH = 100
#: moto copies the whole table for each TransactWriteItems (its rollback), so a batch of
#: event_id ticks takes seconds here that DynamoDB serves in milliseconds: the measured
#: invocations get a timeout long enough never to stop a batch early (batch.py).
CONTEXT_TIMEOUT_S = 900.0


_CONTEXT = dataclasses.replace(handlers.WEBHOOK, timeout_seconds=CONTEXT_TIMEOUT_S)


def _tick(i: int, kind: str, run: str) -> dict[str, Any]:
    tick: dict[str, Any] = {"symbol": "BTC-USD", "exchange": "binance", "price": f"{65000 + i}.5"}
    if kind in ("content", "event_id"):
        tick["timestamp"] = int(time.time() * 1000) - 100_000 + i
    if kind == "event_id":
        tick["event_id"] = f"{run}-{i}"
    return tick


def ingest_figures(ticks: int = BATCH) -> dict[str, Any]:
    """Per request kind: invocations and write units per tick, new and redelivered."""
    out: dict[str, Any] = {"mode": "in-process (moto mock_aws in this process)", "batch_size": BATCH}
    with mocked() as (account, loaded):
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        meter = WriteUnits()
        # The session's hooks reach the clients created after; the cached ones are hooked too.
        meter.attach(boto3.DEFAULT_SESSION, *handlers.cached_clients())
        for kind in ("content", "event_id", "request"):
            for shape in ("single", "batch"):
                bodies = _bodies(kind, shape, ticks)
                out[f"{shape} {kind}"] = _measure(bodies, ticks, meter, account.secret, loaded.webhook)
        out["rows"] = len(account.rows())
    return out


def _bodies(kind: str, shape: str, ticks: int) -> list[bytes]:
    elements = [_tick(i, kind, f"{shape}-{kind}") for i in range(ticks)]
    if shape == "single":
        return [json.dumps(element).encode() for element in elements]
    return [json.dumps(elements[i : i + BATCH]).encode() for i in range(0, ticks, BATCH)]


def _measure(
    bodies: list[bytes], ticks: int, meter: WriteUnits, secret: str, webhook: Callable[..., Any]
) -> dict[str, Any]:
    events = [signed_event(secret, body) for body in bodies]
    figures: dict[str, Any] = {}
    for phase in ("new", "redelivered"):
        outcomes: Counter[str] = Counter()
        before = meter.units
        for event in events:  # a redelivery is the same signed request again
            answer = json.loads(webhook(event, _CONTEXT.new_context())["body"])
            for result in answer.get("results", [answer]):
                outcomes[str(result.get("status", "error"))] += 1
        figures[phase] = {
            "invocations_per_tick": round(len(events) / ticks, 4),
            "write_units_per_tick": round((meter.units - before) / ticks, 3),
            "outcomes": dict(outcomes),
        }
    return figures


def ingest_lines(figures: dict[str, Any]) -> list[str]:
    """The report's table: one row per request kind."""
    header = f"{'request kind':<22} {'invocations/tick':>16} {'WRU/tick new':>13} {'WRU/tick resent':>16}"
    rows = [header + "  outcomes"]
    for name, case in figures.items():
        if not isinstance(case, dict) or "new" not in case:
            continue
        new, again = case["new"], case["redelivered"]
        rows.append(
            f"{name:<22} {new['invocations_per_tick']:>16g} {new['write_units_per_tick']:>13g}"
            f" {again['write_units_per_tick']:>16g}  {new['outcomes']} then {again['outcomes']}"
        )
    return rows
