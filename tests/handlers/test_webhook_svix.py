"""webhook_processor with Svix's header names (``svix-id``, ``svix-timestamp``,
``svix-signature``): interop with the ``svix`` package both ways, redeliveries, and which
prefix wins when both come."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from svix.webhooks import Webhook, WebhookVerificationError

from pricing import signature
from tests.handlers.conftest import Aws, send, standard_headers, tick_body
from tests.support.callcount import count_calls

MSG_ID = "msg_svix_2KWPBgLlAfxdpx2AI54p"
KEY = hashlib.sha256(b"svix test key").digest()
WHSEC = "whsec_" + base64.b64encode(KEY).decode()


@pytest.fixture
def svix_secret(aws: Aws) -> str:
    """The deployed signing secret set to a Svix-style ``whsec_`` secret."""
    aws.client("secretsmanager").put_secret_value(SecretId=aws.secret_arn, SecretString=WHSEC)
    return WHSEC


def svix_headers(body: bytes, msg_id: str = MSG_ID, secret: str = WHSEC) -> dict[str, str]:
    """What a sender using Svix's library sends: its ``sign`` under the ``svix-*`` names."""
    at = datetime.now(UTC)
    return {
        "svix-id": msg_id,
        "svix-timestamp": str(int(at.timestamp())),
        "svix-signature": Webhook(secret).sign(msg_id, at, body.decode()),
    }


def renamed(headers: dict[str, str], prefix: str) -> dict[str, str]:
    return {prefix + name.split("-", 1)[1]: value for name, value in headers.items()}


def test_a_svix_signed_tick_is_stored_once(aws: Aws, svix_secret: str) -> None:
    body = tick_body(timestamp=None)
    first = send(body, svix_headers(body))
    again = send(body, svix_headers(body))  # Svix redelivers with the same id, signed anew
    assert (first[0], first[1]["status"], first[1]["dedup"]) == (200, "stored", "event_id")
    assert (again[0], again[1]["status"]) == (200, "duplicate")
    assert again[1]["tick_id"] == first[1]["tick_id"]
    [row] = aws.items()
    assert row["sk"].endswith(f"#e#{MSG_ID}")


def test_a_svix_id_reused_for_other_content_is_409(aws: Aws, svix_secret: str) -> None:
    assert send(tick_body(), svix_headers(tick_body()))[0] == 200
    other = tick_body(price="1")
    assert send(other, svix_headers(other))[0] == 409
    assert aws.count() == 1


def test_our_svix_named_headers_verify_with_the_svix_library() -> None:
    body = tick_body()
    headers = renamed(signature.standard_headers(WHSEC, body, MSG_ID), "svix-")
    assert set(headers) == {"svix-id", "svix-timestamp", "svix-signature"}
    Webhook(WHSEC).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(WHSEC).verify(tick_body(price="1"), headers)


@pytest.mark.parametrize(
    ("missing", "reason"),
    [
        ("svix-id", "missing webhook-id header"),
        ("svix-timestamp", "missing webhook-timestamp header"),
        ("svix-signature", "missing webhook-signature header"),
    ],
)
def test_an_incomplete_svix_set_names_what_is_missing(
    aws: Aws, svix_secret: str, missing: str, reason: str
) -> None:
    body = tick_body()
    headers = {k: v for k, v in svix_headers(body).items() if k != missing}
    assert send(body, headers) == (401, {"error": reason})


def test_webhook_names_win_over_svix_names(aws: Aws, svix_secret: str) -> None:
    """Both sets sent: the ``webhook-*`` set is read, the ``svix-*`` set ignored whole."""
    body = tick_body(timestamp=None)
    good_webhook = renamed(svix_headers(body, msg_id="msg_webhook"), "webhook-")
    bad_svix = svix_headers(body, msg_id="msg_svix", secret="whsec_" + base64.b64encode(b"x" * 32).decode())
    status, receipt = send(body, {**bad_svix, **good_webhook})
    assert (status, receipt["status"]) == (200, "stored")
    [row] = aws.items()
    assert row["sk"].endswith("#e#msg_webhook")
    # A valid svix-* set does not rescue a bad webhook-* one.
    good_svix = svix_headers(body, msg_id="msg_svix")
    bad_webhook = renamed(bad_svix, "webhook-")
    assert send(body, {**good_svix, **bad_webhook}) == (401, {"error": "signature mismatch"})


def test_the_two_prefixes_are_never_mixed(aws: Aws, svix_secret: str) -> None:
    body = tick_body()
    headers: dict[str, Any] = svix_headers(body)
    mixed = {"webhook-id": headers.pop("svix-id"), **headers}  # id under one name, the rest under the other
    assert send(body, mixed) == (401, {"error": "missing webhook-timestamp header"})


def test_a_svix_request_costs_what_a_webhook_request_costs(aws: Aws) -> None:
    body = tick_body()
    with count_calls() as calls:
        assert send(body, renamed(standard_headers(body, "c1"), "svix-"))[0] == 200
    assert calls["dynamodb:PutItem"] == 2  # the claim, then the tick
    assert "dynamodb:TransactWriteItems" not in calls
