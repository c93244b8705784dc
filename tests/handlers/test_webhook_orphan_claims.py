"""An event_id claim whose tick does not exist never blocks its id (issue 17, item 4).

An orphan claim is what an older webhook left when its claim PutItem succeeded and its tick
PutItem failed and the sender never retried; the tests write one as docs/design.md defines
it. The claim and the tick are now written in one transaction, and a tick is only ever
written under a condition on its claim, so two different ticks never share an id, even
when requests race (deterministic interleavings, and threads against moto).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend

from tests.handlers.conftest import TICK_TS, Aws, post, tick_body
from tests.load.atomic_moto import serialise_writes
from tests.support.faults import Throttle
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


def test_a_failed_transaction_leaves_no_claim_and_the_retry_stores_once(aws: Aws) -> None:
    faults = Throttle({"dynamodb:TransactWriteItems": 1}).attach(clients.dynamodb())
    try:
        assert post(tick_body(event_id=EVENT_ID))[0] == 503
        assert aws.all_items() == []  # all or nothing: no claim without its tick
        assert post(tick_body(event_id=EVENT_ID))[1]["status"] == "stored"
    finally:
        faults.detach()
    assert aws.count() == 1
    assert claim(aws) is not None


# --- races ----------------------------------------------------------------------------------------


def interleave(on_call: int, action: Any) -> Any:
    """Run ``action`` just before the webhook's ``on_call``-th TransactWriteItems (1-based) is sent."""
    seen = Counter[str]()

    def before(model: Any, **_: Any) -> None:
        if model.name != "TransactWriteItems":
            return
        seen["calls"] += 1
        if seen["calls"] == on_call:
            action()

    emitter = clients.dynamodb().meta.events
    emitter.register("before-call", before, unique_id="interleave")
    return lambda: emitter.unregister("before-call", unique_id="interleave")


@pytest.mark.parametrize("first_price", ["100", "150"])
def test_a_takeover_between_a_read_and_a_write_wins_alone(aws: Aws, first_price: str) -> None:
    """A reads the orphan claim (first transaction), then B takes it over before A's next write.

    A's next transaction is conditioned on the claim A read (repair: same content as the
    orphan; takeover: other content): it fails, A starts again, finds B's tick, and is 409.
    """
    write_orphan_claim(aws, "100")
    answers: list[tuple[int, dict[str, Any]]] = []

    def b_takes_over() -> None:
        answers.append(post(tick_body(event_id=EVENT_ID, price="200")))

    # A's 1st transaction reads the claim; B runs (its own 1st and 2nd) right before A's 2nd.
    stop = interleave(2, b_takes_over)
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


def test_racing_threads_store_one_tick_under_one_id(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight requests with eight contents race over one orphan claim: exactly one tick is stored."""
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
        answers[i] = post(tick_body(event_id=EVENT_ID, price=str(200 + i)))

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
    assert held["digest"] == content_digest(str(200 + winner))
