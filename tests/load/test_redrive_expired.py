"""Redrive once the stream no longer holds a message's records: the ticks are found in the table.

The on-failure queue keeps a message 14 days, DynamoDB Streams its records 24 hours.
Past that, GetShardIterator answers TrimmedDataAccessException (or
ResourceNotFoundException once the shard or stream is gone); moto keeps every record, so
the redriver's own Streams client gets those answers on the wire (a ``before-send``
hook returning AWS's JSON error body), and botocore parses them exactly as it parses
AWS's. The enricher's expected values are computed here from the prices, not by
``pricing.indicators``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
import time
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from scripts.local.aws import Clients
from scripts.local.redrive import InProcessInvoker, parse_args
from scripts.redrive.cli import describe, summary
from scripts.redrive.core import Redriver
from scripts.redrive.lease import Lease
from scripts.redrive.message import BatchInfo
from scripts.redrive.table import TickKey, assign
from scripts.redrive.window import InvalidWindow, Window, arrival_window, hull
from tests.load.support import make_poller
from tests.support import handlers
from tests.support.account import Stack
from tests.support.faults import Throttle
from tests.support.ticks import Tick

pytestmark = pytest.mark.load

# 2024-01-01T00:00:00Z
JAN_1_2024_MS = 1_704_067_200_000


# --- the window and its slack -------------------------------------------------------------


def test_window_is_the_arrival_range_widened_by_the_slack_and_the_second_rounding() -> None:
    window = arrival_window("2024-01-01T00:00:01Z", "2024-01-01T00:00:02Z", slack_s=60)
    assert window == Window(JAN_1_2024_MS + 1_000 - 60_000, JAN_1_2024_MS + 2_000 + 1_000 + 60_000)
    assert window.contains(JAN_1_2024_MS - 59_000)  # first edge, included
    assert not window.contains(JAN_1_2024_MS - 59_001)
    assert window.contains(JAN_1_2024_MS + 63_000)  # last edge, included
    assert not window.contains(JAN_1_2024_MS + 63_001)


def test_window_without_slack_keeps_the_second_the_arrival_was_rounded_down_from() -> None:
    window = arrival_window("2024-01-01T00:00:05Z", "2024-01-01T00:00:05Z", slack_s=0)
    assert window == Window(JAN_1_2024_MS + 5_000, JAN_1_2024_MS + 6_000)


def test_window_reads_fractions_and_offsets() -> None:
    window = arrival_window("2024-01-01T02:00:00.250+02:00", "2024-01-01T00:00:00.750Z", slack_s=1)
    assert window == Window(JAN_1_2024_MS + 250 - 1_000, JAN_1_2024_MS + 750 + 1_000 + 1_000)


@pytest.mark.parametrize(
    ("first", "last", "says"),
    [
        (None, "2024-01-01T00:00:02Z", "approximateArrivalOfFirstRecord is missing"),
        ("2024-01-01T00:00:01Z", 1704067202, "approximateArrivalOfLastRecord is missing or not a string"),
        ("yesterday", "2024-01-01T00:00:02Z", "approximateArrivalOfFirstRecord is not an ISO 8601 time"),
        ("2024-01-01T00:00:01", "2024-01-01T00:00:02Z", "approximateArrivalOfFirstRecord has no UTC offset"),
        ("2024-01-01T00:00:03Z", "2024-01-01T00:00:02Z", "is before the first record's"),
    ],
)
def test_malformed_arrival_times_are_refused(first: Any, last: Any, says: str) -> None:
    with pytest.raises(InvalidWindow, match=says):
        arrival_window(first, last, slack_s=60)


def test_negative_slack_is_refused_by_the_window_and_the_command_line() -> None:
    with pytest.raises(ValueError, match="slack"):
        arrival_window("2024-01-01T00:00:01Z", "2024-01-01T00:00:01Z", slack_s=-1)
    with pytest.raises(SystemExit):
        parse_args(["--slack-seconds", "-1"])
    assert parse_args(["--slack-seconds", "900"]).slack_seconds == 900


def test_hull_spans_every_window_and_each_tick_goes_to_the_first_window_holding_it() -> None:
    first, second, third = Window(100, 200), Window(150, 300), Window(1_000, 1_100)
    assert hull([second, third, first]) == Window(100, 1_100)
    ticks = [TickKey(ms, "BTC-USD#x", f"t#{ms}") for ms in (99, 100, 175, 250, 500, 1_100)]
    assert [[t.received_ms for t in share] for share in assign(ticks, [first, second, third])] == [
        [100, 175],  # 175 is in both overlapping windows: replayed once, with the first
        [250],
        [1_100],
    ]  # 99 and 500 lie in no window (500 is only in the hull's gap): not replayed


def test_an_enriched_tick_is_pending_only_when_a_record_of_its_window_wrote_it() -> None:
    """The enricher marks only what SNS refused: a tick enriched by its own record, or by a late
    tick of the same window, may never have been notified; one revised from elsewhere was
    notified by that tick's batch (or is pending in that batch's own message)."""
    window, later = Window(100, 200), Window(1_000, 1_100)
    pk = "BTC-USD#x"
    ticks = [
        TickKey(110, pk, "t#1", enriched=True),  # its own record wrote it
        TickKey(120, pk, "t#2", enriched=True, revised_by="t#0"),  # t#0, a late tick of the window
        TickKey(150, pk, "t#0", enriched=True),
        TickKey(130, pk, "t#3", enriched=True, revised_by="t#9"),  # t#9 arrived in another window
        TickKey(1_050, pk, "t#9", enriched=True),
        TickKey(140, pk, "t#4", enriched=True, revised_by="t#8"),  # t#8 is not in the Scan
        TickKey(160, pk, "t#5"),  # never enriched
        TickKey(10, pk, "t#6", enriched=True, unsent=True),  # marked: wherever it was received
    ]
    shares = assign(ticks, [window, later])
    assert [[t.sk for t in share] for share in shares] == [["t#6", "t#1", "t#2", "t#0", "t#5"], ["t#9"]]
    # The same messages from batches that ended without a function error: the handler marked
    # every notification SNS refused, so only the marked and the never-enriched ticks are pending.
    handled = assign(ticks, [window, later], crashed=[False, False])
    assert [[t.sk for t in share] for share in handled] == [["t#6", "t#5"], []]
    assert [[t.sk for t in share] for share in assign(ticks, [window, later], [True, False])] == [
        ["t#6", "t#1", "t#2", "t#0", "t#5"],
        [],
    ]


def test_the_function_error_of_an_on_failure_record_is_read() -> None:
    body = {
        "requestContext": {"functionArn": "arn:aws:lambda:us-east-1:123456789012:function:f"},
        "DDBStreamBatchInfo": {
            "shardId": "shardId-1",
            "startSequenceNumber": "1",
            "endSequenceNumber": "2",
            "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024-01-01T00:00:00.000",
        },
    }
    assert BatchInfo.from_body(json.dumps(body)).function_error is None
    body["responseContext"] = {"statusCode": 200, "functionError": "Unhandled"}
    assert BatchInfo.from_body(json.dumps(body)).function_error == "Unhandled"


class _Visibility:
    """SQS stand-in that records ChangeMessageVisibility calls and can refuse one handle."""

    def __init__(self, refuse: str = "") -> None:
        self.calls: list[tuple[str, int]] = []
        self.refuse = refuse

    def change_message_visibility(self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int) -> None:
        if ReceiptHandle == self.refuse:
            raise ClientError(
                {"Error": {"Code": "ReceiptHandleIsInvalid", "Message": "x"}}, "ChangeMessageVisibility"
            )
        self.calls.append((ReceiptHandle, VisibilityTimeout))


def test_lease_holds_messages_and_renews_them_only_after_the_renewal_period() -> None:
    now = [0.0]
    sqs = _Visibility(refuse="h2")
    lease = Lease(sqs, "url", hold_s=900, renew_after_s=300, clock=lambda: now[0])
    assert lease.hold("m1", "h1")
    assert not lease.hold("m2", "h2")
    assert lease.lost("m2") == "ReceiptHandleIsInvalid"
    assert lease.lost("m1") is None
    now[0] = 299.0
    lease.renew()
    assert sqs.calls == [("h1", 900)]
    now[0] = 300.0
    lease.renew()
    assert sqs.calls == [("h1", 900), ("h1", 900)]
    lease.release("h1")
    now[0] = 1_000.0
    lease.renew()
    assert sqs.calls == [("h1", 900), ("h1", 900)]


# --- on a moto server ---------------------------------------------------------------------------


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


class StreamAnswers:
    """Answers DynamoDB Streams operations on the wire as AWS would, before the request leaves.

    With ``sequences``, only the requests for those sequence numbers (GetShardIterator)
    are answered; the others reach moto.
    """

    def __init__(
        self, answers: dict[str, tuple[int, dict[str, Any]]], sequences: set[str] | None = None
    ) -> None:
        self.answers = answers
        self.sequences = sequences
        self.calls: list[str] = []

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        operation = (target.decode() if isinstance(target, bytes) else target).rpartition(".")[2]
        if operation not in self.answers or not self._chosen(json.loads(request.body or b"{}")):
            return None
        self.calls.append(operation)
        status, body = self.answers[operation]
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "injected"}
        return AWSResponse(request.url, status, headers, _Body(json.dumps(body).encode()))

    def _chosen(self, params: dict[str, Any]) -> bool:
        return self.sequences is None or params.get("SequenceNumber") in self.sequences


def _error(code: str, message: str) -> tuple[int, dict[str, Any]]:
    return 400, {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}


STREAM_FATES = {
    "stream records expired": {
        "GetShardIterator": _error(
            "TrimmedDataAccessException",
            "The operation attempted to read past the oldest stream record in a shard.",
        )
    },
    "stream or shard gone": {
        "GetShardIterator": _error(
            "ResourceNotFoundException", "Requested resource not found: Shard not found"
        )
    },
    "no stream record in the message's range": {"GetRecords": (200, {"Records": []})},
}


def _streams_answering(
    moto_endpoint: str, fate: str, sequences: set[str] | None = None
) -> tuple[Any, StreamAnswers]:
    """A Streams client of its own (the poller's stays untouched) that sees ``fate``."""
    streams = Clients(moto_endpoint)("dynamodbstreams")
    answers = StreamAnswers(STREAM_FATES[fate], sequences)
    streams.meta.events.register("before-send", answers)
    return streams, answers


def _peek(stack: Stack) -> list[dict[str, Any]]:
    """The on-failure queue's messages, left in place (visible again at once)."""
    sqs = stack.clients("sqs")
    got = sqs.receive_message(QueueUrl=stack.failure_queue_url, MaxNumberOfMessages=10).get("Messages", [])
    for message in got:
        sqs.change_message_visibility(
            QueueUrl=stack.failure_queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return got


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _tick_item(tick: Tick, received_ms: int, price: dict[str, str] | None = None) -> dict[str, Any]:
    """The row as the webhook stores it, received at ``received_ms``."""
    item = tick.item(received_ms=received_ms)
    if price is not None:
        item["price"] = price
    return item


def _expected(prices: list[Decimal]) -> dict[str, Any]:
    """sma_5, sma_20 (exact means) and volatility_10 (sample stdev of 10 log returns, float)."""
    exact = [Fraction(p) for p in prices]
    sma = {n: sum(exact[-n:], Fraction(0)) / n for n in (5, 20)}
    returns = [math.log1p(float((b - a) / a)) for a, b in pairwise(exact[-11:])]
    return {
        "sma_5": Decimal(sma[5].numerator) / Decimal(sma[5].denominator),
        "sma_20": Decimal(sma[20].numerator) / Decimal(sma[20].denominator),
        "volatility_10": statistics.stdev(returns),
    }


def _series(tag: str, count: int, start_ts: int, base: int) -> list[Tick]:
    return [
        Tick("BTC-USD", tag, Decimal(base) + Decimal((i * 37) % 101) / 10, start_ts + i, f"{tag}-{i:03d}")
        for i in range(count)
    ]


@pytest.mark.parametrize("fate", list(STREAM_FATES))
def test_expired_stream_records_are_replayed_from_the_table(
    fate: str, stack: Stack, moto_endpoint: str, clients: Clients
) -> None:
    ddb = stack.clients("dynamodb")
    start_ts = _now_ms() - 600_000
    series_a = _series("redrive-a", 20, start_ts, 65_000)  # the poison tick comes last in it
    series_b = _series("redrive-b", 6, start_ts, 3_000)  # enriched, received in the same window
    poison = Tick("BTC-USD", "redrive-a", Decimal("65010.5"), start_ts + 100, "poison-1")
    received = _now_ms()
    for tick in [*series_a, *series_b]:
        ddb.put_item(TableName=stack.table, Item=_tick_item(tick, received))
    ddb.put_item(TableName=stack.table, Item=_tick_item(poison, received, {"S": "not-a-price"}))

    with handlers.loaded(stack.function_env(), moto_endpoint) as loaded:
        poller = make_poller(stack, loaded, clients, retries=2)
        assert poller.run_until_idle(timeout_s=60, quiet_polls=3)
        assert poller.stats.records_to_destination == 1
        [message] = _peek(stack)
        info = json.loads(message["Body"])["DDBStreamBatchInfo"]
        assert info["batchSize"] == 1
        assert "enriched_at" not in stack.row(*poison.key)  # type: ignore[operator]
        before = {(row["pk"], row["sk"]): row for row in stack.rows() if "enriched_at" in row}
        assert len(before) == len(series_a) + len(series_b)

        # The operator repairs the item (a MODIFY, filtered out by the mapping) ...
        ddb.put_item(TableName=stack.table, Item=_tick_item(poison, received))
        assert poller.run_until_idle(timeout_s=30, quiet_polls=2)
        assert "enriched_at" not in stack.row(*poison.key)  # type: ignore[operator]
        # ... and two ticks nobody enriched (no poller runs any more), one series each:
        # one received in the window's slack (pending work, replayed too), one before it.
        # the batch's first arrival, whole seconds, read here without scripts.redrive.window
        first_ms = int(dt.datetime.fromisoformat(info["approximateArrivalOfFirstRecord"]).timestamp()) * 1000
        in_slack = Tick("BTC-USD", "redrive-c", Decimal("42.5"), start_ts, "slack-1")
        outside = Tick("BTC-USD", "redrive-d", Decimal("7"), start_ts, "outside-1")
        ddb.put_item(TableName=stack.table, Item=_tick_item(in_slack, first_ms - 30_000))
        ddb.put_item(TableName=stack.table, Item=_tick_item(outside, first_ms - 61_000))
        stack.drain()  # the notifications so far

        events: list[dict[str, Any]] = []
        enricher = InProcessInvoker(loaded.enricher, handlers.ENRICHER)

        def invoke(event: dict[str, Any]) -> list[str]:
            events.append(event)
            return enricher(event)

        streams, answers = _streams_answering(moto_endpoint, fate)
        redriver = Redriver(
            sqs=clients("sqs"),
            streams=streams,
            ddb=ddb,
            queue_url=stack.failure_queue_url,
            invoker_for=lambda _: invoke,
            slack_s=60,
            scan_page_limit=7,  # several pages: the Scan follows LastEvaluatedKey
            dry_run=True,
        )
        [preview] = redriver.run()
        # the two un-enriched ticks; the 26 enriched in the window were notified: the batch
        # ended without a function error, so the enricher marked whatever SNS refused
        pending = 2
        assert (preview.status, preview.path, preview.found, preview.records) == (
            "dry run",
            "table",
            pending,
            pending,
        )
        assert events == []
        assert len(_peek(stack)) == 1  # kept, visible again

        redriver.dry_run = False
        [outcome] = redriver.run()

    assert answers.calls, "the stream's answer was never injected"
    assert (outcome.status, outcome.path, outcome.reason) == ("redriven", "table", fate)
    assert describe(outcome).startswith(f"{message['MessageId']}: redriven from the table ({fate})")
    assert (outcome.found, outcome.records, outcome.gone, outcome.enriched, outcome.failed) == (
        pending,
        pending,
        0,
        0,
        [],
    )
    assert (outcome.unsent, outcome.unknown) == (0, 0)
    assert _peek(stack) == []

    [event] = events
    assert [(r["eventName"], r["eventSourceARN"]) for r in event["Records"]] == [
        ("INSERT", stack.stream_arn)
    ] * pending
    replayed = {
        (r["dynamodb"]["Keys"]["pk"]["S"], r["dynamodb"]["Keys"]["sk"]["S"]) for r in event["Records"]
    }
    assert replayed == {poison.key, in_slack.key}

    row = stack.row(*poison.key)
    assert row is not None
    expected = _expected([t.price for t in series_a] + [poison.price])
    assert row["sma_5"] == expected["sma_5"]
    assert row["sma_20"] == expected["sma_20"]
    assert float(row["volatility_10"]) == pytest.approx(expected["volatility_10"], rel=1e-12)
    assert row["revision"] == 1
    assert row["enriched_at"] is not None
    notes = {note["notification_id"]: note for note in stack.notifications()}
    assert set(notes) == {poison.tick_id, in_slack.tick_id}  # the window's others were notified
    assert {note["revision"] for note in notes.values()} == {1}  # no other tick was revised
    assert notes[poison.tick_id]["price"] == "65010.5"

    slack_row = stack.row(*in_slack.key)
    assert slack_row is not None
    assert slack_row["revision"] == 1  # enriched: one price, no indicator yet
    assert not {"sma_5", "sma_20", "volatility_10"} & set(slack_row)
    assert "enriched_at" not in stack.row(*outside.key)  # type: ignore[operator]

    # the ticks enriched before, in the same window, are untouched (no new revision)
    after = {(r["pk"], r["sk"]): r for r in stack.rows() if (r["pk"], r["sk"]) in before}
    assert after == before

    stats = redriver.stats
    assert (stats.via_stream, stats.via_table, stats.scans, stats.ticks_found) == (0, 1, 1, pending)
    assert stats.items_scanned == len(stack.items())  # the whole table, once
    assert summary(stats).startswith("messages via stream: 0, via table scan: 1; 1 table scan(s)")

    assert redriver.run() == []  # nothing left
    assert (redriver.stats.scans, redriver.stats.items_scanned) == (0, 0)


def test_message_with_malformed_arrival_times_is_invalid_and_kept(
    stack: Stack, moto_endpoint: str, clients: Clients
) -> None:
    body = {
        "requestContext": {"functionArn": handlers.ENRICHER.arn, "condition": "RetryAttemptsExhausted"},
        "DDBStreamBatchInfo": {
            "shardId": "shardId-00000001700000000000-00000000",
            "startSequenceNumber": "100000000000000000001",
            "endSequenceNumber": "100000000000000000001",
            "approximateArrivalOfFirstRecord": "2024-13-01T00:00:00Z",
            "approximateArrivalOfLastRecord": "2024-01-01T00:00:00Z",
            "batchSize": 1,
            "streamArn": stack.stream_arn,
        },
    }
    clients("sqs").send_message(QueueUrl=stack.failure_queue_url, MessageBody=json.dumps(body))
    streams, answers = _streams_answering(moto_endpoint, "stream records expired")
    invoked: list[dict[str, Any]] = []
    redriver = Redriver(
        sqs=clients("sqs"),
        streams=streams,
        ddb=stack.clients("dynamodb"),
        queue_url=stack.failure_queue_url,
        invoker_for=lambda _: lambda event: invoked.append(event) or [],
    )
    [outcome] = redriver.run()
    assert answers.calls == ["GetShardIterator"]
    assert outcome.status == "invalid"
    assert "stream records expired, and the arrival window is invalid" in outcome.detail
    assert "approximateArrivalOfFirstRecord is not an ISO 8601 time: '2024-13-01T00:00:00Z'" in outcome.detail
    assert describe(outcome).startswith(f"{outcome.message_id}: invalid: stream records expired")
    assert invoked == []
    assert (redriver.stats.via_table, redriver.stats.scans) == (0, 0)  # no Scan for it
    [kept] = _peek(stack)
    assert kept["MessageId"] == outcome.message_id


def test_one_scan_serves_every_expired_message_of_a_run(
    stack: Stack, moto_endpoint: str, clients: Clients
) -> None:
    """Three poison ticks, three messages: one still in the stream, two expired (one Scan)."""
    ddb = stack.clients("dynamodb")
    start_ts = _now_ms() - 600_000
    poisons = [Tick("BTC-USD", f"redrive-{n}", Decimal(100 + n), start_ts, f"poison-{n}") for n in range(3)]
    received = _now_ms()
    for tick in poisons:
        ddb.put_item(TableName=stack.table, Item=_tick_item(tick, received, {"S": "not-a-price"}))

    with handlers.loaded(stack.function_env(), moto_endpoint) as loaded:
        poller = make_poller(stack, loaded, clients, retries=1)
        assert poller.run_until_idle(timeout_s=60, quiet_polls=3)
        assert poller.stats.records_to_destination == 3
        messages = _peek(stack)
        assert len(messages) == 3
        infos = {m["MessageId"]: json.loads(m["Body"])["DDBStreamBatchInfo"] for m in messages}
        sequence_of = {message_id: info["startSequenceNumber"] for message_id, info in infos.items()}
        for tick in poisons:
            ddb.put_item(TableName=stack.table, Item=_tick_item(tick, received))  # repaired
        assert poller.run_until_idle(timeout_s=30, quiet_polls=2)

        in_stream, *expired = sorted(sequence_of)
        streams, answers = _streams_answering(
            moto_endpoint, "stream records expired", {sequence_of[m] for m in expired}
        )
        redriver = _in_process_redriver(stack, clients, streams, loaded)
        outcomes = {o.message_id: o for o in redriver.run()}

    assert answers.calls == ["GetShardIterator", "GetShardIterator"]
    assert {m: (o.status, o.path) for m, o in outcomes.items()} == {
        in_stream: ("redriven", "stream"),
        **{m: ("redriven", "table") for m in expired},
    }
    assert outcomes[in_stream].records == 1
    # The stream path ran first; the two expired windows overlap (same seconds), so the
    # first holds the two remaining ticks (the one the stream path enriched was notified: its
    # batch ended without a function error), and the second finds nothing left: deleted too.
    assert sorted(outcomes[m].found for m in expired) == [0, 2]
    assert sorted(outcomes[m].unknown for m in expired) == [0, 0]
    stats = redriver.stats
    assert (stats.via_stream, stats.via_table, stats.scans, stats.ticks_found) == (1, 2, 1, 2)
    assert stats.items_scanned == len(stack.items())
    assert _peek(stack) == []
    for tick in poisons:
        row = stack.row(*tick.key)
        assert row is not None
        assert row["revision"] == 1, tick.key


def _in_process_redriver(
    stack: Stack, clients: Clients, streams: Any, loaded: handlers.Handlers, **settings: Any
) -> Redriver:
    """A redriver of the stack's on-failure queue into the enricher loaded in this process."""
    return Redriver(
        sqs=clients("sqs"),
        streams=streams,
        ddb=stack.clients("dynamodb"),
        queue_url=stack.failure_queue_url,
        invoker_for=lambda _: InProcessInvoker(loaded.enricher, handlers.ENRICHER),
        **settings,
    )


def _subscriber_view(notes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per notification_id, the message with the highest revision: what a subscriber keeps."""
    view: dict[str, dict[str, Any]] = {}
    for note in notes:
        kept = view.get(note["notification_id"])
        if kept is None or note["revision"] > kept["revision"]:
            view[note["notification_id"]] = note
    return view


class _Crash:
    """PublishBatch kills the invocation (an exception the enricher does not catch): the
    function dies after its writes, before any message went out, and writes no mark."""

    EVENT = "before-call.sns.PublishBatch"

    def __init__(self) -> None:
        self.injected: dict[str, int] = {"sns:PublishBatch": 0}
        self._events: Any = None

    def attach(self, client: Any) -> _Crash:
        self._events = client.meta.events
        self._events.register(self.EVENT, self._crash, unique_id=f"crash-{id(self)}")
        return self

    def _crash(self, **_: Any) -> None:
        self.injected["sns:PublishBatch"] += 1
        raise RuntimeError("the sandbox died between the writes and the publish")

    def detach(self) -> None:
        self._events.unregister(self.EVENT, unique_id=f"crash-{id(self)}")


@pytest.mark.parametrize("fault", ["sns outage", "crash before publish"])
def test_notifications_lost_to_an_sns_outage_longer_than_the_stream_are_sent_from_the_table(
    stack: Stack, moto_endpoint: str, clients: Clients, fault: str
) -> None:
    """SNS is down (or the function dies before it publishes) while a late tick revises its
    followers and another series is enriched; the mapping gives up, the stream trims the
    records, then the redrive runs: every tick's latest revision reaches the subscriber, the
    subscriber's view equals the table, and a second run sends nothing."""
    ddb = stack.clients("dynamodb")
    start_ts = _now_ms() - 600_000
    series = _series("outage-a", 25, start_ts, 65_000)
    late = series[10]  # arrives during the outage and revises the ticks after it
    other = _series("outage-b", 6, start_ts, 3_000)  # enriched during the outage
    an_hour_ago = _now_ms() - 3_600_000  # the followers were received long before the outage
    for tick in series:
        if tick is not late:
            ddb.put_item(TableName=stack.table, Item=_tick_item(tick, an_hour_ago))

    with handlers.loaded(stack.function_env(), moto_endpoint) as loaded:
        _, _, _, enricher_clients = handlers._modules()
        poller = make_poller(stack, loaded, clients, retries=1)
        assert poller.run_until_idle(timeout_s=60, quiet_polls=3)
        before = stack.notifications()
        assert len(before) == len(series) - 1

        outage: Throttle | _Crash = (
            Throttle({"sns:PublishBatch": None}, outage_s=3_600) if fault == "sns outage" else _Crash()
        )
        outage.attach(enricher_clients.sns())
        received = _now_ms()
        for tick in [late, *other]:
            ddb.put_item(TableName=stack.table, Item=_tick_item(tick, received))
        try:
            assert poller.run_until_idle(timeout_s=90, quiet_polls=3)
        finally:
            outage.detach()
        assert outage.injected["sns:PublishBatch"] > 0
        assert poller.stats.records_to_destination == 1 + len(other)  # the mapping gave up
        assert stack.notifications() == []
        messages = _peek(stack)
        assert messages

        rows = {(row["pk"], row["sk"]): row for row in stack.rows()}
        revised = {key for key, row in rows.items() if row["revision"] == 2}
        assert len(revised) >= 5, "the late tick revised too few followers to test anything"
        assert all(rows[key]["received_at"] == an_hour_ago for key in revised)  # outside every window
        assert all(rows[key]["revised_by"] == late.key[1] for key in revised)
        stored = {late.key, *revised, *(tick.key for tick in other)}  # written, never notified
        marked = {key for key, row in rows.items() if row.get("unsent") == row["revision"]}
        if fault == "sns outage":
            assert marked == stored  # each notification SNS refused got its mark
        else:
            assert marked == set()  # the function died before it could write one

        streams, answers = _streams_answering(moto_endpoint, "stream records expired")
        redriver = _in_process_redriver(stack, clients, streams, loaded, slack_s=60)
        outcomes = redriver.run()
        assert answers.calls
        assert {(o.status, o.path) for o in outcomes} == {("redriven", "table")}
        assert sum(o.unsent for o in outcomes) == len(marked)
        # the ticks received in the windows, enriched by their own records: status unknown
        assert sum(o.unsent + o.unknown for o in outcomes) == len(
            marked | {late.key, *(t.key for t in other)}
        )
        assert _peek(stack) == []

        after = stack.notifications()
        # each latest revision never notified, exactly once, nothing else
        assert sorted((n["notification_id"], n["revision"]) for n in after) == sorted(
            (f"{pk}|{sk}", rows[(pk, sk)]["revision"]) for pk, sk in stored
        )
        table = stack.rows()
        assert not [row for row in table if "unsent" in row]
        view = _subscriber_view(before + after)
        assert set(view) == {f"{row['pk']}|{row['sk']}" for row in table}
        for row in table:
            note = view[f"{row['pk']}|{row['sk']}"]
            assert note["revision"] == row["revision"]
            for name in ("sma_5", "sma_20", "volatility_10"):
                assert (name in note) == (name in row), (row["sk"], name)
                if name in note:
                    assert Decimal(note[name]) == row[name]

        # A second run sends nothing: every message was deleted.
        assert redriver.run() == []
        assert stack.notifications() == []
        # A message delivered again (SQS is at least once) writes nothing; what it sends again
        # are the window's ticks whose status it cannot know: repeats a subscriber drops.
        clients("sqs").send_message(QueueUrl=stack.failure_queue_url, MessageBody=messages[0]["Body"])
        [again] = redriver.run()
        assert (again.status, again.path, again.unsent) == ("redriven", "table", 0)
        repeats = stack.notifications()
        assert {(n["notification_id"], n["revision"]) for n in repeats} <= {
            (n["notification_id"], n["revision"]) for n in after
        }
        assert _subscriber_view(before + after + repeats) == view
        assert stack.rows() == table
