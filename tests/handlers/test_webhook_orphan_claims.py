"""An event_id claim whose tick does not exist never blocks its id (issue 17, item 4).

An orphan claim is what an older webhook left when its claim PutItem succeeded and its tick
PutItem failed and the sender never retried; the tests write one as docs/design.md defines
it. The claim and the tick are two PutItems; other content takes an orphan claim over in
one transaction that leaves a tombstone at the claimed tick's key, so a tick write still in
flight can never land after it: two different ticks never share an id, even when requests
race (deterministic interleavings, and threads against moto), and the tombstone reaches no
reader of ticks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import DynamoDBBackend

from pricing.keys import TOMBSTONE, TTL_ATTRIBUTE, is_tombstone
from scripts.local import summary
from scripts.redrive.table import scan_pending
from scripts.redrive.window import Window
from tests.handlers.conftest import TICK_TS, Aws, enrich, post, tick_body
from tests.load.atomic_moto import serialise_writes
from webhook_processor import clients

SERIES = "BTC-USD#binance"
EVENT_ID = "orphan-1"


def content_digest(price: str, volume: str = "0", event_id: str = EVENT_ID) -> str:
    """SHA-256 of ``[symbol, exchange, price, volume, time us, event_id]`` (docs/design.md), here."""
    content = ["BTC-USD", "binance", price, volume, TICK_TS * 1000, event_id]
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


def tick_sk(event_id: str = EVENT_ID) -> str:
    return f"t#{TICK_TS * 1000:016d}#e#{event_id}"


def write_orphan_claim(aws: Aws, price: str) -> None:
    """The claim an older webhook wrote for a tick at ``price`` whose own PutItem then failed."""
    aws.client("dynamodb").put_item(
        TableName=aws.table,
        Item={
            "pk": {"S": SERIES},
            "sk": {"S": f"e#{EVENT_ID}"},
            "tick_sk": {"S": tick_sk()},
            "digest": {"S": content_digest(price)},
        },
    )


def claim(aws: Aws) -> dict[str, Any] | None:
    return aws.item(SERIES, f"e#{EVENT_ID}")


def test_the_digest_helper_matches_what_the_webhook_stores(aws: Aws) -> None:
    assert post(tick_body(event_id="helper", price="100"))[0] == 200
    stored = aws.item(SERIES, "e#helper")
    assert stored is not None
    assert stored["digest"] == content_digest("100", event_id="helper")


def test_an_orphan_claim_is_completed_by_the_same_content(aws: Aws) -> None:
    write_orphan_claim(aws, "100")
    status, receipt = post(tick_body(event_id=EVENT_ID, price="100"))
    assert (status, receipt["status"], receipt["dedup"]) == (200, "stored", "event_id")
    [row] = aws.items()
    assert (row["sk"], row["price"]) == (tick_sk(), Decimal("100"))
    assert post(tick_body(event_id=EVENT_ID, price="100"))[1]["status"] == "duplicate"
    assert aws.count() == 1


def test_an_orphan_claim_is_taken_over_by_other_content(aws: Aws) -> None:
    write_orphan_claim(aws, "100")
    status, receipt = post(tick_body(event_id=EVENT_ID, price="200"))
    assert (status, receipt["status"]) == (200, "stored")
    [row] = aws.items()
    assert row["price"] == Decimal("200")
    held = claim(aws)
    assert held is not None
    assert (held["digest"], held["tick_sk"]) == (content_digest("200"), tick_sk())
    # Now the id names a stored tick: the first content is the conflict, the second a duplicate.
    assert post(tick_body(event_id=EVENT_ID, price="100"))[0] == 409
    assert post(tick_body(event_id=EVENT_ID, price="200"))[1]["status"] == "duplicate"
    assert aws.count() == 1


def test_an_orphan_claim_of_a_tick_at_another_time_is_taken_over(aws: Aws) -> None:
    """Without a timestamp the claimed tick's key carries its first receive time, not ours."""
    other_sk = f"t#{(TICK_TS - 5000) * 1000:016d}#e#{EVENT_ID}"
    aws.client("dynamodb").put_item(
        TableName=aws.table,
        Item={
            "pk": {"S": SERIES},
            "sk": {"S": f"e#{EVENT_ID}"},
            "tick_sk": {"S": other_sk},
            "digest": {"S": "0" * 64},
        },
    )
    assert post(tick_body(event_id=EVENT_ID, price="300"))[1]["status"] == "stored"
    assert [row["sk"] for row in aws.items()] == [tick_sk()]


def test_a_claim_whose_tick_exists_at_another_time_still_conflicts(aws: Aws) -> None:
    body = tick_body(event_id=EVENT_ID, price="100", timestamp=None)
    assert post(body)[1]["status"] == "stored"
    status, answer = post(tick_body(event_id=EVENT_ID, price="999"))
    assert status == 409
    assert f"event_id {EVENT_ID!r} was already used for a different tick" in answer["error"]
    assert aws.count() == 1


def interleave(
    action: Any, on_write: int, operations: tuple[str, ...] = ("PutItem", "TransactWriteItems")
) -> Any:
    """Run ``action`` just before the ``on_write``-th DynamoDB write (1-based) is sent."""
    seen = Counter[str]()

    def before(model: Any, **_: Any) -> None:
        if model.name not in ("PutItem", "TransactWriteItems"):
            return
        seen["calls"] += 1
        if seen["calls"] == on_write:
            action()

    emitter = clients.dynamodb().meta.events
    emitter.register("before-call", before, unique_id="interleave")
    return lambda: emitter.unregister("before-call", unique_id="interleave")


def throttle() -> None:
    raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutItem")


def test_a_failed_tick_write_leaves_a_claim_its_retry_completes(aws: Aws) -> None:
    stop = interleave(throttle, 2)  # the claim is written, the tick's PutItem fails
    try:
        assert post(tick_body(event_id=EVENT_ID))[0] == 503
    finally:
        stop()
    assert (aws.items(), len(aws.claims())) == ([], 1)  # the orphan claim
    assert post(tick_body(event_id=EVENT_ID))[1]["status"] == "stored"
    assert aws.count() == 1
    assert aws.tombstones() == []


# --- races ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("first_price", ["100", "150"])
def test_a_takeover_between_a_read_and_a_write_wins_alone(aws: Aws, first_price: str) -> None:
    """A reads the orphan claim, then B takes it over before A's next write.

    A's next write (repair: the tick PutItem; takeover: a transaction conditioned on the
    claim A read) fails on B's tick or B's claim: A starts again, finds B's tick, and is 409.
    """
    write_orphan_claim(aws, "100")
    answers: list[tuple[int, dict[str, Any]]] = []

    def b_takes_over() -> None:
        answers.append(post(tick_body(event_id=EVENT_ID, price="200")))

    # A's 1st write (its claim's PutItem) reads the orphan; B runs right before A's 2nd.
    stop = interleave(b_takes_over, 2)
    try:
        a_answer = post(tick_body(event_id=EVENT_ID, price=first_price))
    finally:
        stop()
    [b_answer] = answers
    assert (b_answer[0], b_answer[1]["status"]) == (200, "stored")
    assert a_answer[0] == 409
    [row] = aws.items()
    assert row["price"] == Decimal("200")
    held = claim(aws)
    assert held is not None
    assert held["digest"] == content_digest("200")


def test_a_delayed_tick_write_after_a_takeover_meets_the_tombstone(
    aws: Aws, caplog: pytest.LogCaptureFixture
) -> None:
    """A's claim is written, B (other content, another key) takes the id over, then A's tick
    write arrives: it fails on the tombstone, A is 409, and only B's tick is stored and enriched."""
    answers: list[tuple[int, dict[str, Any]]] = []

    def b_takes_over() -> None:
        answers.append(post(tick_body(event_id=EVENT_ID, price="200")))

    stop = interleave(b_takes_over, 2)  # after A's claim PutItem, before A's tick PutItem
    try:
        a_status, a_answer = post(tick_body(event_id=EVENT_ID, price="100", timestamp=None))
    finally:
        stop()
    [(b_status, b_answer)] = answers
    assert (b_status, b_answer["status"]) == (200, "stored")
    assert a_status == 409
    assert "taken over" in a_answer["error"]
    [row] = aws.items()
    assert (row["sk"], row["price"]) == (tick_sk(), Decimal("200"))
    [tombstone] = aws.tombstones()
    assert tombstone["sk"].startswith("t#")
    assert tombstone["sk"] != tick_sk()  # A's receive-time key
    assert tombstone[TOMBSTONE] == tick_sk()
    assert tombstone[TTL_ATTRIBUTE] > time.time() + 23 * 3600
    held = claim(aws)
    assert held is not None
    assert (held["digest"], held["tick_sk"]) == (content_digest("200"), tick_sk())
    # The enricher gets every INSERT (claims and the tombstone too) and enriches B's tick alone.
    records = aws.stream_records()
    assert [r for r in records if is_tombstone(r["dynamodb"].get("NewImage", {}))]
    caplog.clear()
    assert enrich(records) == []  # the tombstone's record is no tick: ignored, not failed
    # The enricher's history Query reads the tombstone too (same series) and skips it quietly.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert [d["body"]["notification_id"] for d in aws.deliveries()] == [b_answer["tick_id"]]
    # A's redelivery meets B's stored tick: still 409, and nothing else is stored.
    assert post(tick_body(event_id=EVENT_ID, price="100", timestamp=None))[0] == 409
    assert [row["price"] for row in aws.items()] == [Decimal("200")]


def test_racing_threads_store_one_tick_under_one_id(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight requests with eight contents race over one orphan claim: exactly one tick is stored.

    Half carry no timestamp (each its own receive-time key), so takeovers leave tombstones.
    """
    # In-process moto checks a condition and writes in two steps; DynamoDB does it atomically.
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        monkeypatch.setattr(DynamoDBBackend, name, getattr(DynamoDBBackend, name))
    serialise_writes()
    write_orphan_claim(aws, "100")
    clients.dynamodb()  # one client, created before the threads
    start = threading.Barrier(8)
    answers: dict[int, tuple[int, dict[str, Any]]] = {}

    def send(i: int) -> None:
        start.wait()
        timestamp = {} if i % 2 else {"timestamp": None}
        answers[i] = post(tick_body(event_id=EVENT_ID, price=str(200 + i), **timestamp))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = Counter(status for status, _ in answers.values())
    assert statuses[200] == 1, answers
    assert set(statuses) <= {200, 409, 503}
    [row] = aws.items()
    [(winner, _)] = [(i, a) for i, (status, a) in answers.items() if status == 200]
    assert row["price"] == Decimal(200 + winner)
    held = claim(aws)
    assert held is not None
    assert held["tick_sk"] == row["sk"]
    assert all(tombstone["sk"] != row["sk"] for tombstone in aws.tombstones())


def test_the_redrive_scan_and_the_local_summary_skip_tombstones(aws: Aws) -> None:
    """A takeover's tombstone is neither a tick to redrive nor a row to count."""
    aws.client("dynamodb").put_item(  # an orphan claim of a tick at another key: the takeover tombstones it
        TableName=aws.table,
        Item={
            "pk": {"S": SERIES},
            "sk": {"S": f"e#{EVENT_ID}"},
            "tick_sk": {"S": tick_sk("earlier")},
            "digest": {"S": content_digest("100")},
        },
    )
    assert post(tick_body(event_id=EVENT_ID, price="200"))[1]["status"] == "stored"
    assert [row["sk"] for row in aws.tombstones()] == [tick_sk("earlier")]
    found = scan_pending(aws.client("dynamodb"), aws.table, Window(0, 10**15))
    assert [tick.sk for tick in found.ticks] == [tick_sk()]  # never enriched, and no tombstone
    assert [row["sk"] for row in summary.tick_rows(aws.all_items())] == [tick_sk()]
