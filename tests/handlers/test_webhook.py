"""webhook_processor: responses, validation, signatures, secret rotation, storage, duplicates."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import time
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pricing.keys import time_ms_of
from scripts.price_table import price_table
from tests.handlers.conftest import (
    CONTEXT,
    SECRET,
    TICK_TS,
    Aws,
    post,
    signature_header,
    tick_body,
    url_event,
)
from tests.support.callcount import count_calls
from webhook_processor import clients
from webhook_processor import handler as webhook


def call(event: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    answer = webhook.handler(event, CONTEXT)
    return answer["statusCode"], json.loads(answer["body"]), answer["headers"]


# --- accepted ticks -------------------------------------------------------------------

# Sort keys as docs/design.md defines them, written out rather than computed by the code.
SK_E1 = "t#1700000000123000#e#e-1"


def sk_ms(sk: str) -> int:
    """The event time (epoch ms) a tick's sort key holds: ``t#<16-digit us>#...``."""
    return int(sk[2:18]) // 1000


def digest_sk(time_us: int, *content: Any) -> str:
    """``t#<us>#h#<16 hex of sha256 of the canonical content>`` (docs/design.md), computed here."""
    canonical = json.dumps(list(content), separators=(",", ":")).encode()
    return f"t#{time_us:016d}#h#{hashlib.sha256(canonical).hexdigest()[:16]}"


def test_stores_a_tick_with_its_receipt(aws: Aws) -> None:
    before = int(time.time() * 1000)
    status, receipt = post(tick_body(timestamp=1_700_000_000_123, event_id="e-1", volume="1.25"))
    assert status == 200
    assert receipt == {
        "status": "stored",
        "tick_id": f"BTC-USD#binance|{SK_E1}",
        "symbol": "BTC-USD",
        "exchange": "binance",
        "timestamp": 1_700_000_000_123,
        "dedup": "event_id",
    }
    row = aws.item("BTC-USD#binance", SK_E1)
    assert row is not None
    # Nothing the keys hold is repeated: symbol, exchange, time and event_id are in pk and sk.
    assert set(row) == {"pk", "sk", "price", "volume", "received_at"}
    assert row["price"] == Decimal("65000.5")
    assert row["volume"] == Decimal("1.25")
    assert before <= row["received_at"] <= int(time.time() * 1000)
    assert aws.count() == 1
    [claim] = aws.claims()
    assert (claim["pk"], claim["sk"], claim["tick_sk"]) == ("BTC-USD#binance", "e#e-1", SK_E1)


def test_tick_without_event_id_is_keyed_by_time_and_content(aws: Aws) -> None:
    status, receipt = post(tick_body(symbol="eth/usdt", exchange="Kraken", price="3400.10", volume=None))
    assert status == 200
    assert receipt["symbol"] == "ETH/USDT"
    assert receipt["exchange"] == "kraken"
    [row] = aws.items()
    assert row["pk"] == "ETH/USDT#kraken"
    assert row["volume"] == 0
    assert row["sk"] == digest_sk(TICK_TS * 1000, "ETH/USDT", "kraken", "3400.1", "0", TICK_TS * 1000, None)
    assert aws.claims() == []  # one write: nothing to claim


def test_event_id_without_timestamp_takes_the_receive_time_once(aws: Aws) -> None:
    before = int(time.time() * 1000)
    body = tick_body(timestamp=None, event_id="late-1")
    first = post(body)[1]
    time.sleep(0.01)
    again = post(body)[1]
    assert (first["status"], again["status"]) == ("stored", "duplicate")
    assert again["tick_id"] == first["tick_id"]
    assert again["timestamp"] == first["timestamp"]
    [row] = aws.items()
    assert sk_ms(row["sk"]) == row["received_at"] == first["timestamp"] >= before


SEED_BODY = b'{"symbol": "BTC-USD", "price": 65000.5, "exchange": "binance"}'


def test_the_original_body_is_stored_at_its_receive_time_by_request(aws: Aws) -> None:
    """The seed contract (reference-design.md): no timestamp, no event_id, the server stamps the time."""
    before = int(time.time() * 1000)
    status, receipt = post(SEED_BODY)
    assert (status, receipt["status"], receipt["dedup"]) == (200, "stored", "request")
    [row] = aws.items()
    assert before <= time_ms_of(row["sk"]) == row["received_at"] <= int(time.time() * 1000)
    assert receipt["timestamp"] == time_ms_of(row["sk"])
    assert "#e#" not in row["sk"]


def test_a_captured_replay_of_a_request_is_a_duplicate(aws: Aws) -> None:
    header = signature_header(SEED_BODY)
    first = call(url_event(SEED_BODY, headers={"x-signature": header}))[1]
    time.sleep(0.002)
    # The same request again, and with a junk v1 entry appended (anyone can add one).
    replay = call(url_event(SEED_BODY, headers={"x-signature": header}))[1]
    padded = call(url_event(SEED_BODY, headers={"x-signature": header + ",v1=" + "0" * 64}))[1]
    assert (first["status"], replay["status"], padded["status"]) == ("stored", "duplicate", "duplicate")
    assert first["tick_id"] == replay["tick_id"] == padded["tick_id"]
    assert aws.count() == 1


def test_a_resent_request_signed_again_is_a_new_tick(aws: Aws) -> None:
    now = int(time.time())
    for t in (now - 1, now):
        status, receipt, _ = call(
            url_event(SEED_BODY, headers={"x-signature": signature_header(SEED_BODY, t=t)})
        )
        assert (status, receipt["status"], receipt["dedup"]) == (200, "stored", "request")
    assert aws.count() == 2


def test_a_request_claim_lasts_exactly_the_signature_window(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICK_TTL_DAYS", "7")  # the tick's own TTL, not the claim's
    t = int(time.time()) - 10
    assert call(url_event(SEED_BODY, headers={"x-signature": signature_header(SEED_BODY, t=t)}))[0] == 200
    [claim] = [row for row in aws.all_items() if row["sk"].startswith("r#")]
    # Accepted while |now - t| <= 300 s; DynamoDB's TTL expires an item once now > expires_at.
    assert claim["expires_at"] == t + 300 + 1
    assert claim["tick_sk"] == aws.items()[0]["sk"]
    assert aws.items()[0]["expires_at"] >= t + 7 * 86_400


def test_an_expired_request_claim_not_yet_deleted_counts_as_absent(aws: Aws) -> None:
    """DynamoDB deletes expired items up to days later: the condition must ignore them."""
    header = signature_header(SEED_BODY)
    assert post_with(header)[1]["status"] == "stored"
    [claim] = [row for row in aws.all_items() if row["sk"].startswith("r#")]
    aws.client("dynamodb").update_item(
        TableName=aws.table,
        Key={"pk": {"S": claim["pk"]}, "sk": {"S": claim["sk"]}},
        UpdateExpression="SET expires_at = :past, tick_sk = :gone",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}, ":gone": {"S": "t#0#h#gone"}},
    )
    assert post_with(header)[1]["status"] == "stored"  # the expired claim was not used
    [claim] = [row for row in aws.all_items() if row["sk"].startswith("r#")]
    assert claim["tick_sk"] != "t#0#h#gone"


def post_with(header: str) -> tuple[int, dict[str, Any]]:
    status, answer, _ = call(url_event(SEED_BODY, headers={"x-signature": header}))
    return status, answer


def test_a_tick_with_a_timestamp_and_no_id_is_deduplicated_by_content(aws: Aws) -> None:
    assert post(tick_body())[1]["dedup"] == "content"
    assert post(tick_body())[1]["status"] == "duplicate"
    assert aws.count() == 1


@pytest.mark.parametrize(
    ("timestamp", "expected_us"),
    [
        ("2024-05-01T12:00:00.123Z", 1_714_564_800_123_000),
        ("2024-05-01T14:00:00.123+02:00", 1_714_564_800_123_000),
        ("2024-05-01T12:00:00.123456Z", 1_714_564_800_123_456),
        (1_714_564_800_123, 1_714_564_800_123_000),
    ],
)
def test_timestamp_forms(aws: Aws, timestamp: Any, expected_us: int) -> None:
    status, receipt = post(tick_body(timestamp=timestamp, event_id="t", volume=None))
    assert status == 200
    [row] = aws.items()
    assert receipt["timestamp"] == sk_ms(row["sk"]) == expected_us // 1000
    assert row["sk"] == f"t#{expected_us:016d}#e#t"


@pytest.mark.parametrize(
    "price",
    [
        "0.000000012345678901234567890123456789",
        "12345678901234567890.123456789012345678",  # 38 significant digits
        "1E-130",
        "9.9999999999999999999999999999999999999E+125",
        "1.5000000000000000000000000000000000000000000000",  # > 38 digits, but trailing zeros
    ],
)
@pytest.mark.parametrize("as_string", [True, False])
def test_prices_are_stored_exactly(aws: Aws, price: str, as_string: bool) -> None:
    literal = json.dumps(price) if as_string else price
    body = b'{"symbol":"SHIB-USD","exchange":"binance","price":' + literal.encode() + b',"event_id":"x"}'
    status, _ = post(body)
    assert status == 200
    [row] = aws.items()
    assert row["price"] == Decimal(price)
    assert isinstance(row["price"], Decimal)


def test_ttl_sets_expires_at_on_the_tick_and_its_claim(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICK_TTL_DAYS", "7")
    assert post(tick_body(event_id="ttl"))[0] == 200
    [row] = aws.items()
    [claim] = aws.claims()
    ttl = price_table()["ttl_attribute"]  # the attribute Terraform enables TTL on
    assert row[ttl] == claim[ttl] == row["received_at"] // 1000 + 7 * 86_400


@pytest.mark.parametrize(("tick_days", "claim_days", "expected"), [(365, 3, 3), (2, 3, 2), (0, 3, 3)])
def test_claim_expires_on_its_own_horizon_never_after_its_tick(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, tick_days: int, claim_days: int, expected: int
) -> None:
    monkeypatch.setenv("TICK_TTL_DAYS", str(tick_days))
    monkeypatch.setenv("CLAIM_TTL_DAYS", str(claim_days))
    assert post(tick_body(event_id="horizon"))[0] == 200
    [row] = aws.items()
    [claim] = aws.claims()
    ttl = price_table()["ttl_attribute"]
    assert claim[ttl] == row["received_at"] // 1000 + expected * 86_400
    assert row.get(ttl) == (row["received_at"] // 1000 + tick_days * 86_400 if tick_days else None)


def test_redelivery_after_the_claim_expired_is_still_a_duplicate_when_timed(aws: Aws) -> None:
    body = tick_body(event_id="expired-claim", price="100")
    assert post(body)[1]["status"] == "stored"
    [claim] = aws.claims()
    key = {"pk": {"S": claim["pk"]}, "sk": {"S": claim["sk"]}}
    aws.client("dynamodb").delete_item(TableName=aws.table, Key=key)  # what TTL does after CLAIM_TTL_DAYS
    assert post(body)[1]["status"] == "duplicate"  # the tick's key holds the sender's time
    assert len(aws.items()) == 1


def test_success_lines_are_sampled_and_rejections_always_logged(
    aws: Aws,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SUCCESS_LOG_EVERY", "1000000")
    monkeypatch.setattr("random.randrange", lambda n: n - 1)  # never the sampled draw
    caplog.set_level(logging.INFO)
    capsys.readouterr()
    assert post(tick_body(event_id="quiet"))[0] == 200
    assert post(tick_body(price="-1"))[0] == 400
    messages = [record.getMessage() for record in caplog.records]
    assert "Tick accepted" not in messages
    assert "Request rejected" in messages
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(line.get("TicksStored") == [1.0] for line in metrics)  # the count is kept by the metric


def test_every_success_is_logged_by_default(aws: Aws, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert post(tick_body(event_id="loud"))[0] == 200
    assert [r.getMessage() for r in caplog.records].count("Tick accepted") == 1


def test_base64_body_is_verified_on_decoded_bytes(aws: Aws) -> None:
    status, receipt = post(tick_body(event_id="b64"), b64=True)
    assert (status, receipt["status"]) == (200, "stored")
    bad = url_event("!!!not base64!!!", headers={"x-signature": signature_header(b"x")}, b64=True)
    status, answer, _ = call(bad)
    assert status == 400
    assert "base64" in answer["error"]
    assert aws.count() == 1


# --- duplicates, conflicts and collisions --------------------------------------------------


def test_redelivery_by_event_id_is_stored_once(aws: Aws) -> None:
    body = tick_body(event_id="dup", price="100")
    assert post(body)[1]["status"] == "stored"
    status, receipt = post(body)
    assert (status, receipt["status"]) == (200, "duplicate")
    assert receipt["tick_id"] == f"BTC-USD#binance|t#{TICK_TS * 1000:016d}#e#dup"
    assert len(aws.items()) == len(aws.claims()) == 1


def test_same_price_written_differently_is_the_same_tick(aws: Aws) -> None:
    assert post(tick_body(event_id="n", price="100.50"))[1]["status"] == "stored"
    assert post(tick_body(event_id="n", price="100.5"))[1]["status"] == "duplicate"
    assert post(tick_body(price="7.0"))[1]["status"] == "stored"
    assert post(tick_body(price="7"))[1]["status"] == "duplicate"
    assert aws.count() == 2


@pytest.mark.parametrize(
    "changed",
    [{"price": "101"}, {"volume": "3"}, {"timestamp": TICK_TS + 1}, {"timestamp": None}],
    ids=["price", "volume", "time", "no time"],
)
def test_event_id_reused_with_other_content_is_a_conflict(aws: Aws, changed: dict[str, Any]) -> None:
    assert post(tick_body(event_id="once", price="100", volume="1"))[1]["status"] == "stored"
    status, answer = post(tick_body(**{"event_id": "once", "price": "100", "volume": "1", **changed}))
    assert status == 409
    assert "event_id 'once' was already used for a different tick" in answer["error"]
    [row] = aws.items()  # the first tick stays, untouched
    assert (row["price"], row["volume"], sk_ms(row["sk"])) == (100, 1, TICK_TS)


def test_same_event_id_in_two_series_is_two_ticks(aws: Aws) -> None:
    for exchange in ("binance", "coinbase"):
        assert post(tick_body(exchange=exchange, event_id="shared"))[1]["status"] == "stored"
    assert aws.count() == 2


def test_redelivery_by_time_and_content_is_stored_once(aws: Aws) -> None:
    body = tick_body(timestamp=1_714_564_800_000)
    first = post(body)[1]
    assert first["status"] == "stored"
    assert post(body)[1] == {**first, "status": "duplicate"}
    assert aws.count() == 1


def test_same_millisecond_different_ticks_are_all_stored(aws: Aws) -> None:
    bodies = [
        tick_body(price="1"),
        tick_body(price="2"),
        tick_body(price="1", volume="5"),
        tick_body(price="1", timestamp="2024-05-01T12:00:00.000001Z"),  # 1 us later
        tick_body(exchange="coinbase", price="1"),
    ]
    assert [post(body)[1]["status"] for body in bodies] == ["stored"] * 5
    rows = aws.items()
    assert len(rows) == 5
    assert {sk_ms(row["sk"]) for row in rows} == {TICK_TS}


# --- invalid bodies ------------------------------------------------------------------------

NOT_UTF8 = b'{"symbol":"BTC","price":1,"exchange":"\xff\xfe"}'
INVALID_BODIES: dict[str, bytes] = {
    "empty": b"",
    "not json": b"hello",
    "truncated json": b'{"symbol": "BTC"',
    "array": b"[]",
    "string": b'"tick"',
    "number": b"42",
    "null": b"null",
    "bom": "\ufeff".encode() + tick_body(),
    "deep nesting": b"[" * 2000 + b"]" * 2000,
    "huge exponent": b'{"symbol":"BTC","exchange":"x","price":1e999999999999999999999999}',
    "missing symbol": tick_body(symbol=...),
    "missing price": tick_body(price=...),
    "missing exchange": tick_body(exchange=...),
    "null price": tick_body(price=None),
    "unknown field": tick_body(bid="1"),
    "duplicate field": b'{"symbol":"BTC","price":1,"price":2,"exchange":"x"}',
    "price zero": tick_body(price=0),
    "price negative": tick_body(price="-1"),
    "price not numeric": tick_body(price="abc"),
    "price with spaces": tick_body(price=" 1"),
    "price underscore": tick_body(price="1_000"),
    "price hex": tick_body(price="0x10"),
    "price NaN string": tick_body(price="NaN"),
    "price Infinity string": tick_body(price="Infinity"),
    "price NaN literal": b'{"symbol":"BTC","exchange":"x","price":NaN}',
    "price Infinity literal": b'{"symbol":"BTC","exchange":"x","price":Infinity}',
    "price -Infinity literal": b'{"symbol":"BTC","exchange":"x","price":-Infinity}',
    "price bool": tick_body(price=True),
    "price list": tick_body(price=[1]),
    "price object": tick_body(price={"v": 1}),
    "price 39 digits": tick_body(price="1.23456789012345678901234567890123456789"),
    "price too big": tick_body(price="1E+126"),
    "price too small": tick_body(price="9E-131"),
    "volume negative": tick_body(volume=-1),
    "volume NaN literal": b'{"symbol":"BTC","exchange":"x","price":1,"volume":NaN}',
    "volume 39 digits": tick_body(volume="123456789012345678901234567890123456789"),
    "symbol empty": tick_body(symbol=""),
    "symbol space": tick_body(symbol="BTC USD"),
    "symbol hash": tick_body(symbol="BTC#USD"),
    "symbol two separators": tick_body(symbol="BTC-USD-X"),
    "symbol trailing separator": tick_body(symbol="BTC-"),
    "symbol non-ascii": tick_body(symbol="\u0392TC"),  # Greek capital beta
    "symbol too long": tick_body(symbol="A" * 16 + "-" + "B" * 16),
    "symbol number": tick_body(symbol=123),
    "symbol newline": tick_body(symbol="BTC\n"),
    "exchange empty": tick_body(exchange=""),
    "exchange hash": tick_body(exchange="bin#ance"),
    "exchange pipe": tick_body(exchange="bin|ance"),
    "exchange too long": tick_body(exchange="x" * 33),
    "exchange number": tick_body(exchange=5),
    "timestamp fraction": tick_body(timestamp=1_714_564_800_000.5),
    "timestamp seconds": tick_body(timestamp=1_714_564_800),
    "timestamp before 2009": tick_body(timestamp=946_684_800_000),
    "timestamp far future": tick_body(timestamp=int(time.time() * 1000) + 3_600_000),
    "timestamp huge": tick_body(timestamp=10**300),
    "timestamp negative": tick_body(timestamp=-1),
    "timestamp naive iso": tick_body(timestamp="2024-05-01T12:00:00"),
    "timestamp words": tick_body(timestamp="yesterday"),
    "timestamp bool": tick_body(timestamp=True),
    "timestamp numeric string": tick_body(timestamp="1714564800000"),
    "event_id empty": tick_body(event_id=""),
    "event_id pipe": tick_body(event_id="a|b"),
    "event_id hash": tick_body(event_id="a#b"),
    "event_id space": tick_body(event_id="a b"),
    "event_id too long": tick_body(event_id="e" * 129),
    "event_id number": tick_body(event_id=123),
}


@pytest.mark.parametrize("name", sorted(INVALID_BODIES))
def test_invalid_body_is_400_and_stores_nothing(aws: Aws, name: str) -> None:
    status, answer = post(INVALID_BODIES[name], b64=True)
    assert status == 400, answer
    assert isinstance(answer["error"], str)
    assert answer["error"]
    assert aws.count() == 0


def test_non_utf8_body_is_400(aws: Aws) -> None:
    status, answer = post(NOT_UTF8, b64=True)
    assert (status, answer) == (400, {"error": "body is not UTF-8"})


# --- method, size, event shape ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS", "HEAD"])
def test_non_post_is_405(aws: Aws, method: str) -> None:
    body = tick_body()
    status, answer, headers = call(
        url_event(body, headers={"x-signature": signature_header(body)}, method=method)
    )
    assert status == 405
    assert answer == {"error": "method not allowed"}
    assert headers["allow"] == "POST"
    assert aws.count() == 0


@pytest.mark.parametrize("event", [None, "x", {}, {"requestContext": {}}, {"requestContext": {"http": {}}}])
def test_not_a_function_url_event_is_400(aws: Aws, event: Any) -> None:
    assert call(event)[0] == 400


@pytest.mark.parametrize("b64", [False, True])
def test_oversized_body_is_413_before_any_other_check(aws: Aws, b64: bool) -> None:
    body = tick_body(event_id="x" * 100, symbol="B" * 10).replace(
        b"}", b"," + b'"pad":"' + b"p" * 16_400 + b'"}'
    )
    assert len(body) > 16_384  # DEFAULT_MAX_BODY_BYTES
    status, answer = post(body, b64=b64)
    assert (status, answer) == (413, {"error": "body too large"})
    unsigned = call(url_event(body, b64=b64))  # no signature: still 413, the size is checked first
    assert unsigned[0] == 413


def test_body_limit_is_configurable(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    body = tick_body(event_id="e" * 60) + b" " * 300  # JSON allows trailing white space
    assert len(body) > 256  # the smallest limit the function accepts
    monkeypatch.setenv("MAX_BODY_BYTES", str(len(body)))
    assert post(body)[0] == 200
    monkeypatch.setenv("MAX_BODY_BYTES", str(len(body) - 1))
    assert post(body)[0] == 413


# --- signatures ---------------------------------------------------------------------------------


def signed_call(body: bytes, header: str | None, name: str = "x-signature") -> tuple[int, dict[str, Any]]:
    headers = {} if header is None else {name: header}
    status, answer, _ = call(url_event(body, headers=headers))
    return status, answer


HEX = "ab" * 32


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing signature"),
        ("", "missing signature"),
        ("garbage", "malformed signature"),
        ("t=abc,v1=" + HEX, "malformed signature"),
        ("t=1700000000", "malformed signature"),
        ("v1=" + HEX, "malformed signature"),
        ("t=1700000000,v1=zz", "malformed signature"),
        ("t=1700000000,v1=" + HEX[:-2], "malformed signature"),
        ("t=1,t=2,v1=" + HEX, "malformed signature"),
        ("t=1700000000," + ",".join(["v1=" + HEX] * 9), "malformed signature"),
        ("t=-5,v1=" + HEX, "malformed signature"),
    ],
)
def test_missing_or_malformed_signature_is_401(aws: Aws, header: str | None, reason: str) -> None:
    assert signed_call(tick_body(), header) == (401, {"error": reason})
    assert aws.count() == 0


def test_wrong_secret_is_401(aws: Aws) -> None:
    body = tick_body()
    assert signed_call(body, signature_header(body, secret="not-the-secret")) == (
        401,
        {"error": "signature mismatch"},
    )
    assert aws.count() == 0


def test_signature_covers_the_exact_body(aws: Aws) -> None:
    body = tick_body(price="100")
    header = signature_header(body)
    assert signed_call(tick_body(price="1000"), header)[0] == 401
    assert signed_call(body + b" ", header)[0] == 401
    assert signed_call(body, header)[0] == 200


@pytest.mark.parametrize(("skew", "status"), [(-301, 401), (-295, 200), (295, 200), (301, 401)])
def test_signature_time_tolerance(aws: Aws, skew: int, status: int) -> None:
    body = tick_body()
    got, answer = signed_call(body, signature_header(body, t=int(time.time()) + skew))
    assert got == status
    if status == 401:
        assert answer == {"error": "signature timestamp out of tolerance"}


def test_any_v1_may_match_and_header_name_is_case_insensitive(aws: Aws) -> None:
    body = tick_body()
    good = signature_header(body)
    t, v1 = good.split(",")
    header = f"{t}, v1={'00' * 32}, v0=ignored, {v1}"
    assert signed_call(body, header, name="X-Signature")[0] == 200


def rotate(aws: Aws, new_secret: str) -> None:
    aws.client("secretsmanager").put_secret_value(SecretId=aws.secret_arn, SecretString=new_secret)


def test_cold_start_after_rotation_accepts_current_and_previous(aws: Aws) -> None:
    rotate(aws, "whsec-next")
    assert post(tick_body(event_id="new"), secret="whsec-next")[0] == 200
    assert post(tick_body(event_id="old"), secret=SECRET)[0] == 200  # AWSPREVIOUS


def test_rotation_is_picked_up_by_a_rate_limited_refresh(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(webhook.SECRETS, "clock", lambda: now[0])
    with count_calls() as calls:
        assert post(tick_body(event_id="1"))[0] == 200  # cold start: caches the old secret
        rotate(aws, "whsec-next")
        now[0] += 30
        # Within a minute of the last fetch: no refetch, the new secret is not known yet.
        assert post(tick_body(event_id="2"), secret="whsec-next")[0] == 401
        assert calls["secretsmanager:GetSecretValue"] == 2
        now[0] += 31
        assert post(tick_body(event_id="3"), secret="whsec-next")[0] == 200  # refreshed once
        assert calls["secretsmanager:GetSecretValue"] == 4
        assert post(tick_body(event_id="4"), secret=SECRET)[0] == 200  # now AWSPREVIOUS
        # A stream of bad signatures cannot cause a fetch storm: one refresh per minute at most.
        for i in range(20):
            now[0] += 10
            assert post(tick_body(event_id=f"bad{i}"), secret="wrong")[0] == 401
        assert calls["secretsmanager:GetSecretValue"] == 4 + 2 * 3  # at +60, +120, +180 s
    assert aws.count() == 3


# --- AWS failures and configuration ------------------------------------------------------------


def test_dynamodb_failure_is_503(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    def throttled(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "PutItem")

    monkeypatch.setattr(clients.dynamodb(), "put_item", throttled)
    status, answer = post(tick_body())
    assert (status, answer) == (503, {"error": "temporarily unavailable, retry"})


def test_secret_missing_is_500(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    # A secret that does not exist is a misconfiguration: a retry cannot fix it, so no 503.
    monkeypatch.setenv("WEBHOOK_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope")
    assert post(tick_body()) == (500, {"error": "server misconfigured"})
    assert aws.count() == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TABLE_NAME", ""),
        ("WEBHOOK_SECRET_ARN", ""),
        ("TICK_TTL_DAYS", "seven"),
        ("MAX_BODY_BYTES", "-1"),
        ("SECRET_CACHE_TTL_SECONDS", "5"),
        ("SECRET_CACHE_TTL_SECONDS", "3601"),
        ("SECRET_CACHE_TTL_SECONDS", "5m"),
    ],
)
def test_misconfiguration_is_500(aws: Aws, monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    assert post(tick_body()) == (500, {"error": "server misconfigured"})


# --- cost ---------------------------------------------------------------------------------------


def test_one_put_item_per_accepted_tick_and_secret_only_on_cold_start(aws: Aws) -> None:
    with count_calls() as calls:
        for i in range(25):
            assert post(tick_body(price=str(100 + i)))[0] == 200
        assert post(tick_body(price="100"))[1]["status"] == "duplicate"
        assert post(tick_body(price="-1"))[0] == 400
        assert post(tick_body(), secret="wrong")[0] == 401
    assert dict(calls) == {
        "secretsmanager:GetSecretValue": 2,  # AWSCURRENT + AWSPREVIOUS, once per container
        "dynamodb:PutItem": 26,  # 25 stored + 1 duplicate; rejected requests cost nothing
    }


def test_a_tick_with_event_id_costs_a_claim_too(aws: Aws) -> None:
    with count_calls() as calls:
        for i in range(5):
            assert post(tick_body(event_id=f"c{i}"))[0] == 200
        assert post(tick_body(event_id="c0"))[1]["status"] == "duplicate"
        assert post(tick_body(event_id="c0", price="1"))[0] == 409
    # Claim then tick (two PutItems) each: the first deliveries', the duplicate's (both fail,
    # nothing written). The conflict's claim PutItem finds another digest: its takeover
    # transaction fails on the stored tick (the rare path; nothing written either).
    assert dict(calls) == {
        "secretsmanager:GetSecretValue": 2,
        "dynamodb:PutItem": 5 * 2 + 2 + 1,
        "dynamodb:TransactWriteItems": 1,
    }


def test_a_tick_without_timestamp_or_id_costs_a_request_claim(aws: Aws) -> None:
    with count_calls() as calls:
        header = signature_header(SEED_BODY)
        assert post_with(header)[1]["status"] == "stored"
        assert post_with(header)[1]["status"] == "duplicate"
    assert calls["dynamodb:PutItem"] == 2 + 2  # claim and tick, twice


def test_base64_event_round_trip_helper_is_faithful() -> None:
    body = b"\x00\xff"
    assert base64.b64decode(url_event(body, b64=True)["body"]) == body


def test_failed_condition_without_the_stored_item_is_retried_not_guessed(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS returns the stored item with the failed condition; without it nothing tells a
    redelivery from a conflict, and the role has no GetItem to look: 503, the sender retries."""

    def failed(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "PutItem")

    monkeypatch.setattr(clients.dynamodb(), "put_item", failed)
    with count_calls() as calls:
        assert post(tick_body())[0] == 503
    assert "dynamodb:GetItem" not in calls


def test_iso_times_that_differ_below_the_microsecond_are_two_ticks(aws: Aws) -> None:
    first = tick_body(price="1", timestamp="2024-05-01T12:00:00.123456789Z")
    second = tick_body(price="1", timestamp="2024-05-01T12:00:00.123456780Z")
    assert [post(body)[1]["status"] for body in (first, second, first)] == ["stored", "stored", "duplicate"]
    rows = aws.items()
    assert len(rows) == 2
    assert {row["sk"][:18] for row in rows} == {"t#1714564800123456"}  # the key keeps microseconds
    # Trailing zeros past the microsecond name the same instant: one tick.
    assert post(tick_body(price="1", timestamp="2024-05-01T12:00:00.123456700Z"))[1]["status"] == "stored"
    assert post(tick_body(price="1", timestamp="2024-05-01T12:00:00.1234567Z"))[1]["status"] == "duplicate"


def test_log_lines_carry_the_lambda_context(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """Powertools' inject_lambda_context: every line names the request and the function."""
    stream = io.StringIO()
    monkeypatch.setattr(webhook.logger.registered_handler, "stream", stream)
    status, answer = post(tick_body())
    assert status == 200, answer
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    accepted = next(line for line in lines if line.get("message") == "Tick accepted")
    assert accepted["function_request_id"] == CONTEXT.aws_request_id
    assert accepted["function_name"] == CONTEXT.function_name
    assert "cold_start" in accepted
