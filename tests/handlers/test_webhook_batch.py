"""webhook_processor batch ingest: a signed JSON array of ticks in one request."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pricing.keys import time_ms_of
from tests.handlers.conftest import (
    CONTEXT,
    TICK_TS,
    Aws,
    send,
    signature_header,
    standard_headers,
    url_event,
)
from tests.support.callcount import count_calls
from webhook_processor import clients
from webhook_processor import handler as webhook


def tick(i: int, **fields: Any) -> dict[str, Any]:
    element: dict[str, Any] = {"symbol": "BTC-USD", "price": str(100 + i), "exchange": "binance"}
    element.update(fields)
    return {k: v for k, v in element.items() if v is not ...}


def encode(elements: list[Any]) -> bytes:
    return json.dumps(elements).encode()


def post_batch(body: bytes, header: str | None = None, context: Any = CONTEXT) -> tuple[int, dict[str, Any]]:
    headers = {"x-signature": header or signature_header(body)}
    answer = webhook.handler(url_event(body, headers=headers), context)
    return answer["statusCode"], json.loads(answer["body"])


def statuses(answer: dict[str, Any]) -> list[str]:
    return [result["status"] for result in answer["results"]]


def test_a_batch_of_100_stores_100_rows_in_one_invocation_and_its_resend_nothing(aws: Aws) -> None:
    elements = [tick(i, timestamp=TICK_TS + i, event_id=f"b-{i}") for i in range(50)]
    elements += [tick(i, timestamp=TICK_TS + i) for i in range(50, 75)]
    elements += [tick(i) for i in range(75, 100)]
    body = encode(elements)
    header = signature_header(body)
    with count_calls() as calls:
        status, answer = post_batch(body, header)
    assert status == 200
    assert statuses(answer) == ["stored"] * 100
    assert [r["dedup"] for r in answer["results"]] == ["event_id"] * 50 + ["content"] * 25 + ["request"] * 25
    assert aws.count() == 100
    # 50 x 2 PutItems (event-id claim + tick), 25 PutItems (tick), 25 x 2 (request claim + tick)
    assert "dynamodb:TransactWriteItems" not in calls
    assert calls["dynamodb:PutItem"] == 100 + 25 + 50
    status, again = post_batch(body, header)  # a resend of the signed request, e.g. after a lost answer
    assert status == 200
    assert statuses(again) == ["duplicate"] * 100
    assert [r["tick_id"] for r in again["results"]] == [r["tick_id"] for r in answer["results"]]
    assert aws.count() == 100


def test_elements_without_a_timestamp_keep_their_order_and_identical_ones_are_distinct(aws: Aws) -> None:
    before = int(time.time() * 1000)
    body = encode([tick(0), tick(0), tick(1)])
    assert statuses(post_batch(body)[1]) == ["stored"] * 3
    rows = sorted(aws.items(), key=lambda row: row["sk"])
    assert [row["price"] for row in rows] == [Decimal("100"), Decimal("100"), Decimal("101")]
    assert all(before <= time_ms_of(row["sk"]) <= int(time.time() * 1000) for row in rows)
    assert len({row["sk"] for row in rows}) == 3


def test_results_come_in_order_with_reasons(aws: Aws) -> None:
    assert post_batch(encode([tick(0, event_id="taken", timestamp=TICK_TS)]))[0] == 200
    body = encode(
        [
            tick(1, timestamp=TICK_TS),
            tick(0, event_id="taken", timestamp=TICK_TS),  # the same tick again
            tick(9, event_id="taken", timestamp=TICK_TS),  # the id with other content
            tick(2, price="-1"),
            "not a tick",
            tick(3, colour="red"),
        ]
    )
    status, answer = post_batch(body)
    assert status == 200
    assert statuses(answer) == ["stored", "duplicate", "conflict", "invalid", "invalid", "invalid"]
    reasons = [r.get("reason") for r in answer["results"]]
    assert "event_id 'taken' was already used for a different tick" in reasons[2]
    assert reasons[3] == "price must be > 0"
    assert reasons[4] == "a tick must be a JSON object"
    assert reasons[5] == "unknown field: 'colour'"
    assert aws.count() == 2


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"[]", (400, {"error": "batch is empty"})),
        (b"[1,", (400, {"error": "body is not valid JSON"})),
        (b'"tick"', (400, {"error": "body must be a JSON object (a tick) or an array (a batch of ticks)"})),
    ],
)
def test_whole_request_failures_keep_their_status(aws: Aws, body: bytes, expected: tuple[int, Any]) -> None:
    assert post_batch(body) == expected
    assert aws.all_items() == []


def test_the_batch_limit_is_configurable(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    body = encode([tick(i) for i in range(3)])
    monkeypatch.setenv("MAX_BATCH_TICKS", "2")
    assert post_batch(body) == (400, {"error": "batch has 3 ticks, at most 2 are accepted"})
    monkeypatch.setenv("MAX_BATCH_TICKS", "3")
    assert post_batch(body)[0] == 200


def test_the_default_limit_is_100(aws: Aws) -> None:
    assert post_batch(encode([tick(i) for i in range(101)])) == (
        400,
        {"error": "batch has 101 ticks, at most 100 are accepted"},
    )


def test_a_bad_signature_or_size_fails_the_whole_batch(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    body = encode([tick(i) for i in range(3)])
    assert post_batch(body, header=signature_header(b"[]"))[0] == 401
    monkeypatch.setenv("MAX_BODY_BYTES", "256")
    assert post_batch(encode([tick(i) for i in range(5)])) == (413, {"error": "body too large"})
    assert aws.all_items() == []


def test_standard_webhooks_batch_elements_use_the_webhook_id_and_position(aws: Aws) -> None:
    body = encode([tick(0), tick(1, event_id="own")])
    status, answer = send(body, standard_headers(body, "msg_batch"))
    assert status == 200
    assert statuses(answer) == ["stored", "stored"]
    assert {row["sk"].partition("#e#")[2] for row in aws.items()} == {"msg_batch:0", "own"}
    # A redelivery of the message (signed anew, same id) stores nothing new.
    assert statuses(send(body, standard_headers(body, "msg_batch"))[1]) == ["duplicate", "duplicate"]
    assert aws.count() == 2


class FailAfter:
    """Fail every call of ``operation`` after the first ``ok`` ones, as a sustained throttle would."""

    def __init__(self, operation: str, ok: int) -> None:
        self.operation, self.ok, self.seen = operation, ok, 0

    def __call__(self, model: Any, **_: Any) -> None:
        if model.name != self.operation:
            return
        self.seen += 1
        if self.seen > self.ok:
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, model.name)


def test_an_aws_failure_part_way_is_503_and_the_resend_is_safe(aws: Aws) -> None:
    elements = [tick(i, timestamp=TICK_TS + i) for i in range(10)]
    body, header = encode(elements), signature_header(encode(elements))
    emitter = clients.dynamodb().meta.events
    emitter.register("before-call", FailAfter("PutItem", 4), unique_id="fail-after")
    try:
        assert post_batch(body, header) == (503, {"error": "temporarily unavailable, retry"})
    finally:
        emitter.unregister("before-call", unique_id="fail-after")
    assert aws.count() == 4
    status, answer = post_batch(body, header)
    assert status == 200
    assert statuses(answer) == ["duplicate"] * 4 + ["stored"] * 6
    assert aws.count() == 10


def test_an_aws_failure_part_way_through_request_identities_is_safe_too(aws: Aws) -> None:
    elements = [tick(i) for i in range(6)]  # no timestamp, no id: claim + tick each
    body, header = encode(elements), signature_header(encode(elements))
    emitter = clients.dynamodb().meta.events
    emitter.register("before-call", FailAfter("PutItem", 5), unique_id="fail-after")  # 3rd tick's claim only
    try:
        assert post_batch(body, header)[0] == 503
    finally:
        emitter.unregister("before-call", unique_id="fail-after")
    assert aws.count() == 2
    assert statuses(post_batch(body, header)[1]) == ["duplicate"] * 2 + ["stored"] * 4
    assert aws.count() == 6


@dataclass
class Clock:
    """A Lambda context whose remaining time drops by ``step_ms`` at each look."""

    remaining_ms: int
    step_ms: int
    function_name: str = CONTEXT.function_name
    memory_limit_in_mb: int = CONTEXT.memory_limit_in_mb
    invoked_function_arn: str = CONTEXT.invoked_function_arn
    aws_request_id: str = CONTEXT.aws_request_id

    def get_remaining_time_in_millis(self) -> int:
        self.remaining_ms -= self.step_ms
        return self.remaining_ms


def test_a_batch_stops_before_the_timeout_and_the_resend_finishes_it(aws: Aws) -> None:
    elements = [tick(i, timestamp=TICK_TS + i) for i in range(10)]
    body, header = encode(elements), signature_header(encode(elements))
    # 10 s, one second per element: elements 0-5 start with >= 4 s left, element 6 would not.
    assert post_batch(body, header, context=Clock(10_000, 1_000)) == (
        503,
        {"error": "temporarily unavailable, retry"},
    )
    assert aws.count() == 6
    assert statuses(post_batch(body, header)[1]) == ["duplicate"] * 6 + ["stored"] * 4
