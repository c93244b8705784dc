"""Late ticks: followers are revised, and every stored indicator converges whatever the order.

Expected indicators come from the float re-statement in ``test_enricher.expected`` (the
``statistics`` module), never from the code under test.
"""

from __future__ import annotations

import itertools
import json
import random
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from price_enricher import clients
from price_enricher.history import SeriesHistory
from scripts.price_table import table_definition
from tests.handlers.conftest import Aws, enrich, post, tick_body
from tests.handlers.test_enricher import (
    PRICES,
    T0,
    expected,
    run_in_batches,
    send,
    series_rows,
    ticks_only,
)
from tests.support.callcount import count_calls
from tests.support.stream_reader import StreamReader

PK = "BTC-USD#binance"
_TABLES = itertools.count()


def new_ticks(aws: Aws) -> list[dict[str, Any]]:
    """Tick INSERTs added to the stream since the last look (the enricher's MODIFYs skipped)."""
    return [r for r in ticks_only(aws.stream_records()) if r["eventName"] == "INSERT"]


def assert_converged(aws: Aws, pk: str, prices: list[str]) -> None:
    """Every stored indicator equals a recomputation over the final series."""
    rows = series_rows(aws, pk)
    assert [str(row["price"]) for row in rows] == [str(Decimal(p)) for p in prices]
    for i, row in enumerate(rows):
        want = expected(prices, i)
        got = {name: row[name] for name in ("sma_5", "sma_20", "volatility_10") if name in row}
        assert set(got) == set(want), (i, got)
        for name, value in want.items():
            assert float(got[name]) == pytest.approx(value, rel=1e-12, abs=1e-15), (i, name)


def changed_by(prices: list[str], late: int) -> list[int]:
    """Positions after ``late`` whose indicators differ with and without tick ``late``."""
    without = prices[:late] + prices[late + 1 :]
    return [i for i in range(late + 1, len(prices)) if expected(prices, i) != expected(without, i - 1)]


def latest_messages(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per notification_id, the message with the highest revision (what a subscriber keeps)."""
    best: dict[str, dict[str, Any]] = {}
    for message in messages:
        body = message["body"]
        kept = best.get(body["notification_id"])
        if kept is None or body["revision"] > kept["revision"]:
            best[body["notification_id"]] = body
    return best


def assert_subscriber_agrees(aws: Aws, messages: list[dict[str, Any]]) -> None:
    """A subscriber that keeps the highest revision per id holds exactly what the table holds."""
    latest = latest_messages(messages)
    rows = {f"{row['pk']}|{row['sk']}": row for row in aws.items()}
    assert set(latest) == set(rows)
    for nid, body in latest.items():
        assert body["revision"] == rows[nid]["revision"]
        for name in ("sma_5", "sma_20", "volatility_10"):
            assert (name in body) == (name in rows[nid]), (nid, name)
            if name in body:
                assert Decimal(body[name]) == rows[nid][name]


def test_late_tick_revises_the_followers_in_its_window(aws: Aws) -> None:
    late = 10
    send("BTC-USD", "binance", PRICES, order=[i for i in range(len(PRICES)) if i != late])
    assert run_in_batches(new_ticks(aws)) == []
    aws.stream_records()  # the enricher's MODIFY records
    first = aws.deliveries()
    assert len(first) == len(PRICES) - 1

    send("BTC-USD", "binance", PRICES, order=[late])
    with count_calls(clients.dynamodb(), clients.sns()) as calls:
        assert enrich(new_ticks(aws)) == []
    assert_converged(aws, PK, PRICES)
    # Ticks 11..24 hold tick 10 in their windows (at most 19 followers); each one changed.
    revised = series_rows(aws, PK)[late + 1 :]
    assert changed_by(PRICES, late) == list(range(late + 1, len(PRICES)))
    assert {row["revision"] for row in revised} == {2}
    assert {row["revised_by"] for row in revised} == {series_rows(aws, PK)[late]["sk"]}
    assert dict(calls) == {
        "dynamodb:Query": 1,
        "dynamodb:UpdateItem": 1 + len(revised),  # each revision; no mark: SNS accepted every message
        "sns:PublishBatch": 2,
    }
    second = aws.deliveries()
    assert sorted(m["body"]["revision"] for m in second) == [1] + [2] * len(revised)
    assert_subscriber_agrees(aws, first + second)


def test_follower_outside_the_window_is_left_alone(aws: Aws) -> None:
    prices = [str(100 + (i * 37) % 23) for i in range(30)]
    send("BTC-USD", "binance", prices, order=list(range(1, 30)))
    assert run_in_batches(new_ticks(aws)) == []
    send("BTC-USD", "binance", prices, order=[0])
    assert enrich(new_ticks(aws)) == []
    assert_converged(aws, PK, prices)
    revisions = [row["revision"] for row in series_rows(aws, PK)]
    changed = changed_by(prices, 0)
    assert changed == [4, 10, 19]  # sma_5, volatility_10, sma_20 appear; the rest is the same
    assert [i for i, revision in enumerate(revisions) if revision == 2] == changed
    assert set(revisions[20:]) == {1}  # their windows never held tick 0


def test_very_late_tick_reads_around_itself_not_the_whole_series(aws: Aws) -> None:
    prices = [str(100 + (i * 37) % 23) for i in range(90)]
    send("BTC-USD", "binance", prices, order=[i for i in range(90) if i != 5])
    assert run_in_batches(new_ticks(aws), size=100) == []
    send("BTC-USD", "binance", prices, order=[5])
    with count_calls(clients.dynamodb()) as calls:
        assert enrich(new_ticks(aws)) == []
    # top page (misses the batch), followers after it, the batch and its predecessors
    assert calls["dynamodb:Query"] == 3
    assert_converged(aws, PK, prices)


def test_replayed_late_tick_sends_its_revisions_again(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    send("BTC-USD", "binance", PRICES, order=list(range(1, 12)))
    assert run_in_batches(new_ticks(aws)) == []
    earlier = aws.deliveries()
    send("BTC-USD", "binance", PRICES, order=[0])
    records = new_ticks(aws)
    client = clients.sns()
    real_publish = client.publish_batch

    def down(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalError"}}, "PublishBatch")

    monkeypatch.setattr(client, "publish_batch", down)
    assert enrich(records) == [records[0]["dynamodb"]["SequenceNumber"]]
    stored = aws.items()
    monkeypatch.setattr(client, "publish_batch", real_publish)
    # the late tick and its changed followers: each revision SNS refused is marked unsent, durably
    rows = series_rows(aws, PK)
    marked = [i for i, row in enumerate(rows) if row.get("unsent") == row["revision"]]
    assert marked == [0, *changed_by(PRICES[:12], 0)]
    assert enrich(records) == []  # the replay: nothing left to write, every message sent
    assert aws.items() == [{k: v for k, v in row.items() if k != "unsent"} for row in stored]
    messages = aws.deliveries()
    assert len(messages) == 1 + len(changed_by(PRICES[:12], 0))  # the late tick and its changed followers
    assert_subscriber_agrees(aws, earlier + messages)


def test_enriched_follower_that_already_saw_the_late_tick_is_not_renotified(aws: Aws) -> None:
    send("BTC-USD", "binance", PRICES, order=[1, 2, 3, 4, 5, 0])  # 0 is in the table before 1..5 enrich
    records = new_ticks(aws)
    assert enrich(records[:5]) == []  # 1..5, windows already hold 0
    aws.deliveries()
    with count_calls(clients.dynamodb()) as calls:
        assert enrich(records[5:]) == []
    assert calls["dynamodb:UpdateItem"] == 1  # tick 0 itself; no mark written or removed
    assert [m["body"]["revision"] for m in aws.deliveries()] == [1]
    assert_converged(aws, PK, PRICES[:6])


# --- property: any arrival order, with redeliveries, converges ----------------------------------


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[str], list[int], list[int]]:
    """Prices, an arrival order with redeliveries, and how many deliveries land between enrichments."""
    n = draw(st.integers(min_value=2, max_value=28))
    prices = [str(Decimal(draw(st.integers(min_value=1, max_value=500))) / 4) for _ in range(n)]
    order = list(draw(st.permutations(range(n))))
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        order.insert(draw(st.integers(0, len(order))), draw(st.integers(0, n - 1)))
    chunks = draw(st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=len(order)))
    return prices, order, chunks


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=deliveries(), batch=st.integers(min_value=1, max_value=10), with_ids=st.booleans())
def test_any_arrival_order_converges(aws: Aws, case: tuple[list[str], list[int], list[int]], batch: int,
                                     with_ids: bool, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    prices, order, chunks = case
    table = f"prop-{next(_TABLES)}"  # a fresh table per example
    created = aws.client("dynamodb").create_table(**table_definition(table))["TableDescription"]
    monkeypatch.setenv("TABLE_NAME", table)
    stream = StreamReader(aws.client("dynamodbstreams"), created["LatestStreamArn"])
    aws.table = table
    aws.deliveries()
    position = 0
    for size in [*chunks, len(order)]:  # deliver a chunk, then enrich what the stream has
        for i in order[position : position + size]:
            fields = {"event_id": f"n{i}"} if with_ids else {}
            status, answer = post(tick_body(price=prices[i], timestamp=T0 + i * 1000, **fields))
            assert status == 200, answer
        position += size
        records = ticks_only(stream.new_records())
        fresh = [r for r in records if r["eventName"] == "INSERT"]
        assert run_in_batches(fresh, size=batch) == []
    assert_converged(aws, PK, prices)
    assert_subscriber_agrees(aws, aws.deliveries())


def test_shuffled_feed_within_a_few_positions_converges(aws: Aws) -> None:
    prices = [str(100 + (i * 37) % 23 + i / 10) for i in range(60)]
    order = sorted(range(60), key=lambda i: i + random.Random(3).uniform(0, 4))
    for start in range(0, 60, 6):  # the enricher keeps up with the feed, six ticks at a time
        send("BTC-USD", "binance", prices, order=order[start : start + 6])
        assert run_in_batches(new_ticks(aws)) == []
    assert_converged(aws, PK, prices)
    assert_subscriber_agrees(aws, aws.deliveries())


def emitted(capsys: pytest.CaptureFixture[str]) -> dict[str, float]:
    """The metrics of the last invocation, from its EMF line on stdout (what CloudWatch reads)."""
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    last = [line for line in lines if "RecordsFailed" in line][-1]
    return {name: sum(values) for name, values in last.items() if isinstance(values, list)}


def test_race_with_a_follower_read_before_the_late_tick_was_written(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Y's invocation reads the series, then late X is stored and enriched, then Y writes.

    Lambda runs two batches of one series at once at parallelization factor 2 (or when split
    shards allow it); the revision condition refuses Y's stale write, and Y's record reads
    the series again and succeeds in the same invocation: no RecordsFailed, one conflict.
    """
    send("BTC-USD", "binance", PRICES, order=[0, 1, 2, 3, 4, 6, 7, 8])
    assert run_in_batches(new_ticks(aws)) == []
    send("BTC-USD", "binance", PRICES, order=[9])
    [y_record] = new_ticks(aws)
    original = SeriesHistory.__dict__["load"]
    real_load = original.__func__
    raced: list[bool] = []

    def load_then_race(cls: type[SeriesHistory], *args: Any) -> SeriesHistory:
        history = real_load(cls, *args)
        if not raced:  # once: X arrives and is processed between Y's read and Y's write
            raced.append(True)
            send("BTC-USD", "binance", PRICES, order=[5])
            assert enrich(new_ticks(aws)) == []
        return history

    monkeypatch.setattr(SeriesHistory, "load", classmethod(load_then_race))
    capsys.readouterr()
    assert enrich([y_record]) == []  # the stale write refused, then retried from a new read
    metrics = emitted(capsys)
    assert (metrics["RevisionConflicts"], metrics["ConflictsExhausted"], metrics["RecordsFailed"]) == (
        1,
        0,
        0,
    )
    assert_converged(aws, PK, PRICES[:10])
    assert_subscriber_agrees(aws, aws.deliveries())


def test_a_record_that_keeps_losing_races_fails_outside_records_failed(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another writer changes Y between every read and write: the attempts are bounded."""
    send("BTC-USD", "binance", PRICES, order=[0, 1, 2, 3, 4])
    assert run_in_batches(new_ticks(aws)) == []
    aws.deliveries()
    send("BTC-USD", "binance", PRICES, order=[5])
    [y_record] = new_ticks(aws)
    y_key = {name: {"S": y_record["dynamodb"]["Keys"][name]["S"]} for name in ("pk", "sk")}
    original = SeriesHistory.__dict__["load"]
    real_load = original.__func__
    loads: list[int] = []

    def load_then_overwrite(cls: type[SeriesHistory], *args: Any) -> SeriesHistory:
        history = real_load(cls, *args)
        loads.append(1)
        aws.client("dynamodb").update_item(  # another invocation's write, after this read
            TableName=aws.table,
            Key=y_key,
            UpdateExpression="SET #r = if_not_exists(#r, :zero) + :one",
            ExpressionAttributeNames={"#r": "revision"},
            ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}},
        )
        return history

    monkeypatch.setattr(SeriesHistory, "load", classmethod(load_then_overwrite))
    capsys.readouterr()
    assert enrich([y_record]) == [y_record["dynamodb"]["SequenceNumber"]]  # the mapping retries it
    metrics = emitted(capsys)
    assert len(loads) == 3  # CONFLICT_ATTEMPTS reads, each followed by a refused write
    assert (metrics["RevisionConflicts"], metrics["ConflictsExhausted"], metrics["RecordsFailed"]) == (
        3,
        1,
        0,
    )
    assert aws.deliveries() == []  # nothing stored by this record, nothing sent
    monkeypatch.setattr(SeriesHistory, "load", original)
    assert enrich([y_record]) == []  # once the other writer is done
