"""Faults in the enricher's AWS calls, poison records and their redrive, on a moto server.

The stream poller plays the event source mapping (batch 10, bisect, partial failures,
on-failure queue) and invokes the real enricher in-process. Throttling is injected with a
botocore ``before-call`` hook on the enricher's own clients (tests.support.faults).
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from scripts.local.aws import Clients
from scripts.local.redrive import InProcessInvoker
from scripts.redrive.core import BatchInfo, LambdaInvoker, Redriver
from tests.load.support import enrich_in_parallel, make_poller, run_in_processes
from tests.support import handlers
from tests.support.account import Stack
from tests.support.faults import Throttle
from tests.support.ticks import insert_records, interleaved

pytestmark = pytest.mark.load

INDICATORS = ("sma_5", "sma_20", "volatility_10")
TICKS = 60
START_TS = 1_700_000_000_000


def write_ticks(stack: Stack, count: int = TICKS, tag: str = "fault") -> list[Any]:
    """The same ticks (same keys, prices, times) into any stack, as the webhook stores them."""
    ticks = list(interleaved(3, count, tag, start_ts=START_TS))
    ddb = stack.clients("dynamodb")
    for tick in ticks:
        ddb.put_item(TableName=stack.table, Item=tick.item())
    return ticks


def enrichment(stack: Stack) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (row["pk"], row["sk"]): {name: row.get(name) for name in (*INDICATORS, "enriched_at")}
        for row in stack.rows()
    }


def enrich_everything(stack: Stack, moto_endpoint: str, throttle: Throttle | None = None) -> dict[str, Any]:
    """Run the poller on the stack until idle; the outcome (throttle attached to the enricher's clients)."""
    with handlers.loaded(stack.function_env(), moto_endpoint) as loaded:
        _, _, _enricher, enricher_clients = handlers._modules()
        if throttle is not None:
            throttle.attach(enricher_clients.dynamodb()).attach(enricher_clients.sns())
        poller = make_poller(stack, loaded, Clients(moto_endpoint))
        try:
            assert poller.run_until_idle(timeout_s=90, quiet_polls=3)
        finally:
            if throttle is not None:
                throttle.detach()
        return {"poller": poller, "notifications": [json.loads(m["Body"]) for m in stack.drain()]}


@pytest.fixture(scope="module")
def baseline(moto_endpoint: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The no-fault run: what every faulty run must end up with."""
    stack = Stack.create(Clients(moto_endpoint), prefix="baseline")
    write_ticks(stack)
    outcome = enrich_everything(stack, moto_endpoint)
    assert outcome["poller"].stats.records_succeeded == TICKS
    return enrichment(stack)


@pytest.mark.parametrize(
    "plan",
    [
        pytest.param(
            {"dynamodb:UpdateItem": 7, "dynamodb:Query": 3, "sns:PublishBatch": 3}, id="first-calls-throttled"
        ),
        pytest.param({"sns:PublishBatch": None, "dynamodb:UpdateItem": None}, id="outage-for-1.5s"),
    ],
)
def test_throttled_calls_are_retried_and_every_tick_is_enriched_once(
    plan: dict[str, int | None],
    baseline: dict[tuple[str, str], dict[str, Any]],
    stack: Stack,
    moto_endpoint: str,
) -> None:
    ticks = write_ticks(stack)
    throttle = Throttle(plan, outage_s=1.5 if None in plan.values() else None)
    outcome = enrich_everything(stack, moto_endpoint, throttle)
    poller, notes = outcome["poller"], outcome["notifications"]

    assert sum(throttle.injected.values()) > 0, "the fault never fired"
    assert poller.stats.partial_failures + poller.stats.function_errors > 0  # records were retried
    assert poller.stats.records_to_destination == 0  # none skipped
    assert stack.drain(stack.failure_queue_url) == []

    enriched = enrichment(stack)
    assert set(enriched) == {tick.key for tick in ticks}
    for key, values in enriched.items():
        assert values["enriched_at"] is not None, key
        for name in INDICATORS:
            assert values[name] == baseline[key][name], (key, name)  # identical to the no-fault run

    # one notification per tick at least; a replayed record republishes the same message
    by_id: dict[str, set[str]] = {}
    for note in notes:
        by_id.setdefault(note["notification_id"], set()).add(json.dumps(note, sort_keys=True))
    assert set(by_id) == {tick.tick_id for tick in ticks}
    assert all(len(bodies) == 1 for bodies in by_id.values())  # subscribers can dedupe by id


POISON_KEY = ("BTC-USD#fault-0", f"t#{(START_TS + 4) * 1000:016d}#e#poison-1")


def put_poison(stack: Stack, price: dict[str, str]) -> None:
    pk, sk = POISON_KEY
    stack.clients("dynamodb").put_item(
        TableName=stack.table,
        Item={
            "pk": {"S": pk},
            "sk": {"S": sk},
            "ts": {"N": str(START_TS + 4)},
            "symbol": {"S": "BTC-USD"},
            "exchange": {"S": "fault-0"},
            "price": price,
            "volume": {"N": "1"},
            "received_at": {"N": str(START_TS)},
        },
    )


def test_poison_record_lands_in_the_on_failure_queue_and_redrive_replays_it(
    stack: Stack, moto_endpoint: str, clients: Clients
) -> None:
    ddb = stack.clients("dynamodb")
    good = list(interleaved(3, 9, "fault", start_ts=START_TS))
    for tick in good[:4]:
        ddb.put_item(TableName=stack.table, Item=tick.item())
    put_poison(stack, {"S": "not-a-price"})  # an image the enricher can never read
    for tick in good[4:]:
        ddb.put_item(TableName=stack.table, Item=tick.item())

    with handlers.loaded(stack.function_env(), moto_endpoint) as loaded:
        poller = make_poller(stack, loaded, clients, retries=2)
        assert poller.run_until_idle(timeout_s=60, quiet_polls=3)
        assert poller.stats.records_to_destination == 1
        assert poller.stats.records_succeeded == len(good)
        for tick in good:
            assert stack.row(*tick.key)["enriched_at"] is not None  # type: ignore[index]
        assert "enriched_at" not in stack.row(*POISON_KEY)  # type: ignore[operator]

        [message] = _peek(stack)
        record = json.loads(message["Body"])
        info = BatchInfo.from_body(message["Body"])
        assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert info.batch_size == 1
        assert info.start == info.end
        assert info.stream_arn == stack.stream_arn
        assert info.table == stack.table
        assert info.shard_id

        redriver = Redriver(
            sqs=clients("sqs"),
            streams=clients("dynamodbstreams"),
            ddb=ddb,
            queue_url=stack.failure_queue_url,
            invoker_for=lambda _: InProcessInvoker(loaded.enricher, handlers.ENRICHER),
        )
        stack.drain()  # notifications so far
        [outcome] = redriver.run()  # the item is still broken: the message stays
        assert outcome.status == "still failing"
        assert outcome.failed == [info.start]
        assert len(_peek(stack)) == 1

        put_poison(stack, {"N": "65000.5"})  # the operator repairs the item: a MODIFY ...
        assert poller.run_until_idle(timeout_s=30, quiet_polls=2)
        assert poller.stats.records_filtered_out >= 1  # ... which the mapping filters out
        assert "enriched_at" not in stack.row(*POISON_KEY)  # type: ignore[operator]

        [outcome] = redriver.run()
        assert outcome.status == "redriven"
        assert outcome.records == 1
        assert _peek(stack) == []
        assert stack.row(*POISON_KEY)["enriched_at"] is not None  # type: ignore[index]
        [note] = stack.notifications()
        assert note["notification_id"] == "|".join(POISON_KEY)
        assert note["price"] == "65000.5"

        assert redriver.run() == []  # nothing left


def _peek(stack: Stack) -> list[dict[str, Any]]:
    """The queue's messages, left in place (visible again at once)."""
    sqs = stack.clients("sqs")
    got = sqs.receive_message(QueueUrl=stack.failure_queue_url, MaxNumberOfMessages=10).get("Messages", [])
    for message in got:
        sqs.change_message_visibility(
            QueueUrl=stack.failure_queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return got


def test_lambda_invoker_sends_the_event_and_reads_failures(clients: Clients) -> None:
    lam = clients("lambda")
    event = {"Records": [{"eventName": "INSERT", "dynamodb": {"SequenceNumber": "42"}}]}
    answer = json.dumps({"batchItemFailures": [{"itemIdentifier": "42"}]}).encode()
    with Stubber(lam) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(answer), len(answer))},
            {
                "FunctionName": "enricher",
                "InvocationType": "RequestResponse",
                "Payload": json.dumps(event).encode(),
            },
        )
        assert LambdaInvoker(lam, "enricher")(event) == ["42"]


def test_two_containers_racing_on_one_series_page_nobody(stack: Stack, moto_endpoint: str) -> None:
    """Parallelization factor 2: two batches of one shard hold ticks of one series and run at
    once. Both read the series before either writes, so the first batch's last tick and the
    second batch's ticks (its followers) are written by both: one write of each pair loses.
    The loser reads again and succeeds in the same invocation: no record fails, no
    RecordsFailed, the conflicts are counted on their own, and everything converges."""
    ticks = list(interleaved(1, 20, "race", start_ts=START_TS))
    ddb = stack.clients("dynamodb")
    for tick in ticks:
        ddb.put_item(TableName=stack.table, Item=tick.item())
    records = [
        r for r in insert_records(stack.stream_records(), stack.stream_arn) if r["eventName"] == "INSERT"
    ]
    assert len(records) == 20
    batches = [records[:10], records[10:]]

    arguments = [(stack.function_env(), moto_endpoint, batch) for batch in batches]
    outcomes = run_in_processes(enrich_in_parallel, arguments, len(batches))

    assert [failed for failed, _ in outcomes] == [[], []]
    metrics = [m for _, m in outcomes]
    assert sum(m["RecordsFailed"] for m in metrics) == 0
    assert sum(m["ConflictsExhausted"] for m in metrics) == 0
    assert sum(m["RevisionConflicts"] for m in metrics) >= 1, "the race did not happen"

    rows = {(row["pk"], row["sk"]): row for row in stack.rows()}
    assert set(rows) == {tick.key for tick in ticks}
    assert {row["revision"] for row in rows.values()} == {1}  # each written once, by the winner
    assert not [key for key, row in rows.items() if "unsent" in row]  # every message went out
    latest: dict[str, dict[str, Any]] = {}
    for note in stack.notifications():
        kept = latest.get(note["notification_id"])
        if kept is None or note["revision"] > kept["revision"]:
            latest[note["notification_id"]] = note
    assert set(latest) == {tick.tick_id for tick in ticks}
    for tick in ticks:
        row, note = rows[tick.key], latest[tick.tick_id]
        for name in INDICATORS:
            assert (name in note) == (row.get(name) is not None), (tick.key, name)
            if name in note:
                assert Decimal(note[name]) == row[name], (tick.key, name)
