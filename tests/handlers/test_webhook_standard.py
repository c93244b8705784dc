"""webhook_processor with Standard Webhooks headers: interop with the scheme's reference
implementation (the ``standardwebhooks`` package) both ways, ``webhook-id`` as the idempotency
key, the key rule of ``whsec_`` secrets, and the choice between the two schemes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from pricing import signature
from tests.handlers.conftest import (
    SECRET,
    TICK_TS,
    Aws,
    post,
    send,
    signature_header,
    standard_headers,
    tick_body,
)
from tests.support.callcount import count_calls
from webhook_processor import handler as webhook

MSG_ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
#: A Standard Webhooks secret: ``whsec_`` and the base64 of a 32-byte key.
KEY = hashlib.sha256(b"standard webhooks test key").digest()
WHSEC = "whsec_" + base64.b64encode(KEY).decode()
MISMATCH = (401, {"error": "signature mismatch"})
STALE = (401, {"error": "signature timestamp out of tolerance"})


def reference_headers(
    secret: str | bytes, body: bytes, msg_id: str = MSG_ID, at: datetime | None = None
) -> dict[str, str]:
    """The headers a sender using the reference library sends (its ``sign`` makes the signature)."""
    at = datetime.now(UTC) if at is None else at
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body.decode()),
    }


def rotate(aws: Aws, new_secret: str) -> None:
    aws.client("secretsmanager").put_secret_value(SecretId=aws.secret_arn, SecretString=new_secret)


def tick_sk(time_us: int, event_id: str) -> str:
    """``t#<16-digit us>#e#<event_id>`` (docs/design.md), written out here."""
    return f"t#{time_us:016d}#e#{event_id}"


# --- accepted, and webhook-id as the idempotency key ----------------------------------------------


def test_a_reference_signed_tick_is_stored_under_its_webhook_id(aws: Aws) -> None:
    body = tick_body()  # a timestamp, no event_id
    # The standardwebhooks library reads a str secret as base64; ours is not of the whsec_ form, so
    # the key is its UTF-8 bytes, which the library takes when given bytes.
    status, receipt = send(body, reference_headers(SECRET.encode(), body))
    assert (status, receipt["status"]) == (200, "stored")
    sk = tick_sk(TICK_TS * 1000, MSG_ID)
    assert receipt["tick_id"] == f"BTC-USD#binance|{sk}"
    [row] = aws.items()
    assert row["sk"] == sk  # the id lives in the key, not repeated in the row
    [claim] = aws.claims()
    assert (claim["sk"], claim["tick_sk"]) == (f"e#{MSG_ID}", sk)


def test_the_hand_computed_signature_is_accepted(aws: Aws) -> None:
    body = tick_body()
    assert send(body, standard_headers(body, MSG_ID))[1]["status"] == "stored"


def test_a_redelivery_is_a_duplicate_even_without_a_timestamp_in_the_body(aws: Aws) -> None:
    body = tick_body(timestamp=None)  # neither timestamp nor event_id: only the webhook-id identifies it
    now = datetime.now(UTC)
    first = send(body, reference_headers(SECRET.encode(), body, at=now))
    time.sleep(0.01)
    # The sender retries: same message id and body, a new timestamp and signature.
    again = send(body, reference_headers(SECRET.encode(), body, at=now + timedelta(seconds=30)))
    assert (first[0], first[1]["status"]) == (200, "stored")
    assert (again[0], again[1]["status"]) == (200, "duplicate")
    assert again[1]["tick_id"] == first[1]["tick_id"]
    [row] = aws.items()
    assert row["sk"].endswith(f"#e#{MSG_ID}")
    # No timestamp sent: the first receive time, kept.
    assert int(row["sk"][2:18]) // 1000 == row["received_at"] == first[1]["timestamp"]
    # A new message id is a new message, even with the same body.
    other = send(body, reference_headers(SECRET.encode(), body, msg_id="msg_other"))
    assert (other[0], other[1]["status"]) == (200, "stored")
    assert aws.count() == 2


def test_a_webhook_id_reused_for_other_content_is_409(aws: Aws) -> None:
    assert send(tick_body(), standard_headers(tick_body(), MSG_ID))[0] == 200
    changed = tick_body(price="1")
    status, answer = send(changed, standard_headers(changed, MSG_ID))
    assert status == 409
    assert MSG_ID in answer["error"]
    assert aws.count() == 1


def test_the_body_event_id_wins_over_the_webhook_id(aws: Aws) -> None:
    body = tick_body(event_id="body-1")
    assert send(body, standard_headers(body, "msg_a"))[1]["status"] == "stored"
    # Another message id, same body: the body's event_id names the same tick.
    assert send(body, standard_headers(body, "msg_b"))[1]["status"] == "duplicate"
    [row] = aws.items()
    assert row["sk"] == tick_sk(TICK_TS * 1000, "body-1")
    # The webhook-id is then only signed over, so any id the specification allows will do.
    other = tick_body(event_id="body-2")
    assert send(other, standard_headers(other, "not an event id #|"))[1]["status"] == "stored"


@pytest.mark.parametrize("msg_id", ["has space", "a#b", "a|b", "x" * 129, "caf\u00e9"])
def test_a_webhook_id_that_cannot_be_an_event_id_is_400(aws: Aws, msg_id: str) -> None:
    body = tick_body()
    status, answer = send(body, standard_headers(body, msg_id))
    assert status == 400
    assert answer["error"].startswith("webhook-id must be 1-128 printable ASCII characters")
    assert aws.all_items() == []


def test_a_webhook_id_tick_costs_its_claim(aws: Aws) -> None:
    with count_calls() as calls:
        assert send(tick_body(), standard_headers(tick_body(), "c1"))[0] == 200
        assert send(tick_body(), standard_headers(tick_body(), "c1"))[1]["status"] == "duplicate"
    # claim then tick, two PutItems, twice (the duplicate's both fail: nothing written)
    assert calls["dynamodb:PutItem"] == 4
    assert "dynamodb:TransactWriteItems" not in calls


# --- rejected ------------------------------------------------------------------------------------


@pytest.mark.parametrize("part", ["body", "id", "timestamp"])
def test_a_tampered_request_is_401(aws: Aws, part: str) -> None:
    body = tick_body()
    headers = reference_headers(SECRET.encode(), body)
    if part == "body":
        body = tick_body(price="65000.6")
    elif part == "id":
        headers["webhook-id"] = MSG_ID + "x"
    else:
        headers["webhook-timestamp"] = str(int(headers["webhook-timestamp"]) - 1)
    assert send(body, headers) == MISMATCH
    assert aws.all_items() == []


@pytest.mark.parametrize(("skew", "ok"), [(-301, False), (-295, True), (295, True), (301, False)])
def test_the_timestamp_tolerance_is_300_s(aws: Aws, skew: int, ok: bool) -> None:
    body = tick_body()
    got = send(body, standard_headers(body, MSG_ID, t=int(time.time()) + skew))
    assert got[0] == 200 if ok else got == STALE


def test_a_wrong_secret_is_401(aws: Aws) -> None:
    body = tick_body()
    assert send(body, reference_headers(b"not-the-secret", body)) == MISMATCH


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_a_missing_header_is_401_naming_it(aws: Aws, missing: str, how: str) -> None:
    body = tick_body()
    headers = standard_headers(body, MSG_ID)
    if how == "absent":
        del headers[missing]
    else:
        headers[missing] = " "
    assert send(body, headers) == (401, {"error": f"missing {missing} header"})


V1 = "v1," + base64.b64encode(b"\x00" * 32).decode()
SHORT_V1 = "v1," + base64.b64encode(b"\x00" * 31).decode()


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        ("webhook-timestamp", "12.5", "malformed webhook-timestamp header"),
        ("webhook-timestamp", "-5", "malformed webhook-timestamp header"),
        ("webhook-timestamp", "1e9", "malformed webhook-timestamp header"),
        ("webhook-id", "x" * 1025, "malformed webhook-id header"),
        ("webhook-id", "\ud800", "malformed webhook-id header"),
        ("webhook-signature", "v1", "malformed webhook-signature header"),
        ("webhook-signature", ",abc", "malformed webhook-signature header"),
        ("webhook-signature", "v1,not-base64", "malformed webhook-signature header"),
        ("webhook-signature", SHORT_V1, "malformed webhook-signature header"),
        ("webhook-signature", " ".join([V1] * 9), "malformed webhook-signature header"),
        ("webhook-signature", "v1a," + "A" * 1100, "malformed webhook-signature header"),
        ("webhook-signature", "v1a," + "A" * 86 + "==", "webhook-signature has no v1 entry"),
    ],
)  # fmt: skip
def test_a_malformed_header_is_401_naming_it(aws: Aws, header: str, value: str, reason: str) -> None:
    body = tick_body()
    headers = {**standard_headers(body, MSG_ID), header: value}
    assert send(body, headers) == (401, {"error": reason})


def test_unknown_versions_are_ignored_and_any_v1_may_match(aws: Aws) -> None:
    body = tick_body()
    headers = standard_headers(body, MSG_ID)
    good = headers["webhook-signature"]
    headers["webhook-signature"] = f"v1a,{'A' * 86}==  v2,anything {V1} {good}"
    assert send(body, {name.title(): value for name, value in headers.items()})[0] == 200


# --- secrets: rotation and the whsec_ form -----------------------------------------------------------


def test_a_rotated_secret_is_accepted_as_awsprevious(aws: Aws) -> None:
    rotate(aws, "whsec-next")
    body = tick_body(price="1")
    assert send(body, reference_headers(b"whsec-next", body, msg_id="new"))[0] == 200
    assert send(body, reference_headers(SECRET.encode(), body, msg_id="old"))[0] == 200  # AWSPREVIOUS
    assert aws.count() == 2


def test_a_rotation_is_picked_up_after_a_mismatch(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(webhook.SECRETS, "clock", lambda: now[0])
    assert send(tick_body(), standard_headers(tick_body(), "1"))[0] == 200  # caches SECRET
    rotate(aws, WHSEC)
    now[0] += 61
    body = tick_body(price="2")
    assert send(body, reference_headers(WHSEC, body, msg_id="2"))[0] == 200  # refreshed once


def test_a_whsec_secret_is_decoded_for_standard_webhooks_only(aws: Aws) -> None:
    rotate(aws, WHSEC)
    body = tick_body(price="3")
    assert send(body, reference_headers(WHSEC, body, msg_id="ref"))[1]["status"] == "stored"
    assert send(body, standard_headers(body, "hand", key=KEY))[1]["status"] == "stored"
    # Unpadded base64 is the same key (the standardwebhooks library pads it too).
    unpadded = WHSEC.rstrip("=")
    assert unpadded != WHSEC
    assert send(body, reference_headers(unpadded, body, msg_id="ref-2"))[1]["status"] == "stored"
    # The whole string's bytes are not the Standard Webhooks key ...
    assert send(body, standard_headers(body, "raw", key=WHSEC.encode())) == MISMATCH
    # ... but they are the X-Signature key, as Stripe signs with its whsec_ secrets.
    x_body = tick_body(price="4")
    assert post(x_body, secret=WHSEC)[1]["status"] == "stored"
    t = int(time.time())
    decoded_key = hmac.new(KEY, f"{t}.".encode() + x_body, hashlib.sha256).hexdigest()
    assert send(x_body, {"x-signature": f"t={t},v1={decoded_key}"}) == MISMATCH


# --- both schemes in one request ------------------------------------------------------------------


def test_with_both_headers_standard_webhooks_decides(aws: Aws) -> None:
    body = tick_body()
    good_x = signature_header(body)
    good_std = standard_headers(body, MSG_ID)
    # X-Signature is not even parsed when webhook-signature is sent.
    assert send(body, {**good_std, "x-signature": "garbage"})[1]["status"] == "stored"
    wrong_std = standard_headers(body, "other", key=b"wrong")
    assert send(body, {**wrong_std, "x-signature": good_x}) == MISMATCH


def test_without_webhook_signature_x_signature_decides_and_webhook_id_is_unused(aws: Aws) -> None:
    body = tick_body()
    headers = {"x-signature": signature_header(body), "webhook-id": MSG_ID, "webhook-timestamp": "1"}
    assert send(body, headers)[1]["status"] == "stored"
    [row] = aws.items()
    assert "#h#" in row["sk"]  # keyed by content, no event_id
    assert "event_id" not in row
    assert aws.claims() == []


# --- the other direction: our signer, the standardwebhooks library's verify ---------------------------------


@pytest.mark.parametrize(
    ("stored", "reference_secret"), [(SECRET, SECRET.encode()), (WHSEC, WHSEC), (WHSEC, KEY)]
)
def test_our_headers_verify_with_the_reference_library(stored: str, reference_secret: str | bytes) -> None:
    body = tick_body()
    headers = signature.standard_headers(stored, body, MSG_ID)
    assert Webhook(reference_secret).verify(body, headers) == {
        "symbol": "BTC-USD",
        "price": "65000.5",
        "exchange": "binance",
        "timestamp": TICK_TS,
    }
    with pytest.raises(WebhookVerificationError):
        Webhook(reference_secret).verify(tick_body(price="1"), headers)


def test_our_headers_match_the_hand_computation_and_carry_one_v1_per_secret() -> None:
    body = tick_body()
    ours = signature.standard_headers(SECRET, body, MSG_ID, 1_700_000_000, extra_secrets=(WHSEC,))
    hand_current = standard_headers(body, MSG_ID, t=1_700_000_000)
    hand_previous = standard_headers(body, MSG_ID, key=KEY, t=1_700_000_000)
    assert ours == {
        **hand_current,
        "webhook-signature": f"{hand_current['webhook-signature']} {hand_previous['webhook-signature']}",
    }


def test_our_rotation_headers_verify_under_either_secret() -> None:
    body = tick_body()
    headers = signature.standard_headers("whsec-new", body, MSG_ID, extra_secrets=(SECRET,))
    Webhook(b"whsec-new").verify(body, headers)
    Webhook(SECRET.encode()).verify(body, headers)


@pytest.mark.parametrize(
    ("secret", "key"),
    [
        (WHSEC, KEY),
        (WHSEC.rstrip("="), KEY),
        (WHSEC.encode(), KEY),
        ("whsec_" + base64.b64encode(b"k").decode(), b"k"),
        ("whsec_not base64!", b"whsec_not base64!"),
        ("whsec_abcde", b"whsec_abcde"),  # 5 base64 digits cannot be a whole byte string
        ("whsec_", b"whsec_"),
        ("whsec-current", b"whsec-current"),
        ("plain \u00e9", "plain \u00e9".encode()),
    ],
)
def test_the_standard_webhooks_key_of_a_stored_secret(secret: str | bytes, key: bytes) -> None:
    assert signature.standard_key(secret) == key
