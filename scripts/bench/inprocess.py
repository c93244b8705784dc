"""(a) AWS calls per tick and (b) handler latency, both handlers in-process on moto's ``mock_aws``.

moto runs in this process too, so a latency here is the handler's own work plus moto's
emulation of each call (no network): compare handlers and settings with it, do not read
it as a Lambda duration. Calls are counted with botocore's ``before-call`` event on the
handlers' session only (the benchmark's own set-up calls use another session).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
from moto import mock_aws

from scripts.bench.stats import summary
from scripts.bench.writeunits import WriteUnits
from scripts.local import moto_transactions
from tests.support import handlers
from tests.support.account import Stack
from tests.support.callcount import CallClock, CallCounter, count_calls
from tests.support.ticks import Tick, chunks, insert_records, interleaved, signed_event

REGION = "us-east-1"
BATCH = 10
SERIES_PER_BATCH = (1, 5, 10)
HISTORY = 25  # prior ticks per series, so every measured batch has full windows


@contextlib.contextmanager
def mocked() -> Iterator[tuple[Stack, handlers.Handlers]]:
    """mock_aws with a fresh stack and both handlers loaded against it (logs discarded)."""
    with contextlib.ExitStack() as stack:
        saved = boto3.DEFAULT_SESSION
        stack.callback(setattr, boto3, "DEFAULT_SESSION", saved)
        stack.enter_context(_quiet_environment())
        moto_transactions.install()  # a cancelled transaction leaves the stream readable
        stack.enter_context(mock_aws())
        session = boto3.session.Session(region_name=REGION)
        cache: dict[str, Any] = {}

        def clients(service: str) -> Any:
            if service not in cache:
                cache[service] = session.client(service, region_name=REGION)
            return cache[service]

        account = Stack.create(clients, prefix="bench")
        loaded = stack.enter_context(handlers.loaded(account.function_env()))
        yield account, loaded


@contextlib.contextmanager
def _quiet_environment() -> Iterator[None]:
    """Fake credentials, no endpoint (mock_aws intercepts); the environment restored after."""
    saved = dict(os.environ)
    os.environ.update(handlers.aws_environment(None))
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def counting(clock: CallClock | None = None) -> Iterator[CallCounter]:
    """Count the handlers' calls (and time them on ``clock``): on boto3's default session and
    the clients the handlers cached.

    A client copies the session's hooks when created, so a client created inside the
    block is detached from at the end as well.
    """
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    targets = [boto3.DEFAULT_SESSION, *handlers.cached_clients()]
    if clock is not None:
        for target in targets:
            clock.attach(target)
    with count_calls(*targets[1:]) as counter:
        try:
            yield counter
        finally:
            for client in handlers.cached_clients():
                counter.attach(client)
                if clock is not None:
                    clock.attach(client)
            if clock is not None:
                clock.detach()


def _per(counter: CallCounter, n: int) -> dict[str, float]:
    return {op: round(count / n, 3) for op, count in sorted(counter.items())}


class LogTap:
    """The handlers' log output (Powertools lines and EMF documents) between two marks.

    The handlers write to the stdout they found at import (``make bench`` points it at
    build/bench/functions.log); a tap reads back what was written there meanwhile. Without
    a readable file behind stdout it measures nothing (``lines`` stays empty).
    """

    def __init__(self) -> None:
        self._start = self._position()

    @staticmethod
    def _position() -> int | None:
        out = sys.stdout
        try:
            out.flush()
            return out.tell()
        except (AttributeError, OSError, ValueError):
            return None

    def lines(self) -> list[str]:
        """The lines written since the tap was made (or since the last call)."""
        end = self._position()
        path = getattr(sys.stdout, "name", None)
        if self._start is None or end is None or not isinstance(path, str) or not os.path.isfile(path):
            return []
        with open(path, "rb") as log:
            log.seek(self._start)
            text = log.read(end - self._start).decode("utf-8", "replace")
        self._start = end
        return text.splitlines()


def log_figures(lines: list[str], per: int) -> dict[str, Any]:
    """Bytes and events of application lines and EMF documents per ``per`` invocations or ticks,
    and the EMF metric names seen (what CloudWatch makes custom metrics of)."""
    emf = [line for line in lines if line.startswith('{"_aws"')]
    app = [line for line in lines if not line.startswith('{"_aws"')]
    metrics: set[str] = set()
    for line in emf:
        doc = json.loads(line)
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            for dims in directive["Dimensions"] or [[]]:
                for metric in directive["Metrics"]:
                    metrics.add(f"{directive['Namespace']}/{metric['Name']}[{','.join(dims)}]")
    n = max(per, 1)
    return {
        "app_bytes": round(sum(len(line.encode()) + 1 for line in app) / n, 1),
        "app_events": round(len(app) / n, 3),
        "emf_bytes": round(sum(len(line.encode()) + 1 for line in emf) / n, 1),
        "emf_events": round(len(emf) / n, 3),
        "metrics": sorted(metrics),
        "measured": bool(lines),
    }


def _context() -> Any:
    return handlers.WEBHOOK.new_context()


def webhook_figures(ticks: int) -> dict[str, Any]:
    """Cold start, then ``ticks`` signed new ticks, then 10 % redeliveries; calls and latency."""
    with mocked() as (account, loaded):
        sample = list(interleaved(3, ticks + 1, "wh"))
        answers: Counter[str] = Counter()
        warm = CallCounter()

        def invoke(tick: Tick) -> float:
            event = signed_event(account.secret, tick.body())
            started = time.perf_counter()
            answer = loaded.webhook(event, _context())
            elapsed = (time.perf_counter() - started) * 1000
            status = answer["statusCode"]
            answers[json.loads(answer["body"]).get("status", str(status))] += 1
            return elapsed

        with counting() as cold:
            cold_ms = invoke(sample[0])
        meter = WriteUnits()  # the warm new ticks' writes only
        meter.attach(boto3.DEFAULT_SESSION, *handlers.cached_clients())
        latencies: list[float] = []
        own: list[float] = []
        tap = LogTap()
        for tick in sample[1:]:
            clock = CallClock()
            with counting(clock) as calls:
                latencies.append(invoke(tick))
            warm.update(calls)
            own.append(latencies[-1] - clock.seconds * 1000)
        meter.detach()
        warm_logs = log_figures(tap.lines(), ticks)
        redelivered = sample[1 : 1 + max(1, ticks // 10)]
        with counting() as dup:
            dup_ms = [invoke(tick) for tick in redelivered]
        rows = len(account.rows())
    return {
        "mode": "in-process (moto mock_aws in this process)",
        "ticks": ticks,
        "answers": dict(answers),
        "rows": rows,
        "cold_start": {"calls": dict(cold), "latency_ms": round(cold_ms, 2)},
        "calls_per_tick": _per(warm, ticks),
        # The bench's ticks carry an event_id: its claim's PutItem, then the tick's (docs/design.md).
        "floor_per_tick": {"dynamodb:PutItem": 2},
        "write_units_per_tick": round(meter.units / ticks, 3),
        "calls_per_duplicate": _per(dup, len(redelivered)),
        "latency_ms": summary(latencies),
        "own_ms": summary(own),
        "duplicate_latency_ms": summary(dup_ms),
        # Per warm new tick: its "Tick accepted" line and its EMF document, as written.
        "logs_per_tick": warm_logs,
    }


def enricher_figures(batches: int) -> dict[str, Any]:
    """Batches of 10 records holding 1, 5 or 10 series each; calls and latency per batch."""
    out: dict[str, Any] = {"mode": "in-process (moto mock_aws in this process)", "batch_size": BATCH}
    with mocked() as (account, loaded):
        ddb = account.clients("dynamodb")
        for n_series in SERIES_PER_BATCH:
            tag = f"s{n_series}"
            start = int(time.time() * 1000) - 3_600_000
            history = interleaved(n_series, HISTORY * n_series, tag, start_ts=start, id_prefix=tag + "h")
            for tick in history:
                ddb.put_item(TableName=account.table, Item=tick.item())
            account.stream_records()  # history is in the table, not in the measured batches
            ticks = list(interleaved(n_series, batches * BATCH, tag, start_ts=start + 600_000))
            for tick in ticks:
                ddb.put_item(TableName=account.table, Item=tick.item())
            records = insert_records(account.stream_records(), account.stream_arn)
            assert len(records) == len(ticks), (len(records), len(ticks))
            batch_ms: list[float] = []
            own_ms: list[float] = []
            failures = 0
            calls = CallCounter()
            tap = LogTap()
            for batch in chunks(records, BATCH):
                clock = CallClock()
                with counting(clock) as counted:
                    started = time.perf_counter()
                    answer = loaded.enricher({"Records": batch}, handlers.ENRICHER.new_context())
                    batch_ms.append((time.perf_counter() - started) * 1000)
                calls.update(counted)
                own_ms.append(batch_ms[-1] - clock.seconds * 1000)
                failures += len(answer["batchItemFailures"])
            notes = account.notifications()
            out[f"{n_series}_series"] = {
                "series_per_batch": n_series,
                "batches": len(batch_ms),
                "records": len(records),
                "failures": failures,
                "notifications": len(notes),
                "distinct_notification_ids": len({n["notification_id"] for n in notes}),
                "calls_per_batch": _per(calls, len(batch_ms)),
                "calls_per_tick": _per(calls, len(records)),
                "floor_per_batch": {
                    "dynamodb:Query": n_series,
                    # per tick: the revision; an unsent mark only for what SNS refused
                    "dynamodb:UpdateItem": BATCH,
                    "sns:PublishBatch": 1,
                },
                "batch_latency_ms": summary(batch_ms),
                "record_latency_ms": summary([ms / BATCH for ms in batch_ms]),
                "own_batch_ms": summary(own_ms),
                # Per batch: its "Batch done" line and its EMF document, as written.
                "logs_per_batch": log_figures(tap.lines(), len(batch_ms)),
            }
        out["late_tick"] = _late_tick(account, loaded)
    return out


def _late_tick(account: Any, loaded: Any, history: int = 40, late: int = 25) -> dict[str, Any]:
    """Calls of one tick that arrives after the ticks behind it were enriched, against the in-order floor.

    The ``history`` ticks of one series are stored and enriched without tick ``late``; then
    it arrives alone. Its record revises the enriched followers whose window holds it.
    """
    ddb = account.clients("dynamodb")
    ticks = list(interleaved(1, history, "late", start_ts=int(time.time() * 1000) - 600_000))
    for tick in ticks[:late] + ticks[late + 1 :]:
        ddb.put_item(TableName=account.table, Item=tick.item())
    for batch in chunks(insert_records(account.stream_records(), account.stream_arn), BATCH):
        loaded.enricher({"Records": batch}, handlers.ENRICHER.new_context())
    account.notifications()
    ddb.put_item(TableName=account.table, Item=ticks[late].item())
    records = [r for r in insert_records(account.stream_records(), account.stream_arn)
               if r["eventName"] == "INSERT"]  # fmt: skip
    with counting() as calls:
        answer = loaded.enricher({"Records": records}, handlers.ENRICHER.new_context())
    floor = {"dynamodb:Query": 1, "dynamodb:UpdateItem": 1, "sns:PublishBatch": 1}  # the tick's revision
    counted = dict(calls)
    revisions = [n for n in account.notifications() if n.get("revision", 1) > 1]
    return {
        "followers_in_window": min(19, history - 1 - late),
        "followers_revised": len(revisions),
        "failures": len(answer["batchItemFailures"]),
        "calls": counted,
        "floor_in_order": floor,
        "extra_calls": {k: counted.get(k, 0) - floor.get(k, 0) for k in sorted(set(counted) | set(floor))},
    }
