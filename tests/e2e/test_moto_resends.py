"""scripts/local/moto_resends.py: the local moto server answers an SDK's resend of a call it answered
with success with that answer, once, and executes every other call (a failed attempt's retry, a new
operation) as moto does."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from scripts.local.moto_resends import ReplayResends
from scripts.local.moto_server import MotoServer

pytestmark = pytest.mark.emulator

AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0"
)


def _kms(server: MotoServer, action: str, body: dict[str, Any], invocation: str, attempt: int = 1):
    """One attempt of a KMS call as the AWS SDKs send it: the operation's id and the attempt number."""
    request = urllib.request.Request(  # noqa: S310 - the loopback moto server
        f"{server.endpoint}/",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "X-Amz-Target": f"TrentService.{action}",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": AUTHORIZATION,
            "amz-sdk-invocation-id": invocation,
            "amz-sdk-request": f"attempt={attempt}; max=25",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback http
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _aliases(server: MotoServer, key_id: str) -> list[str]:
    _, listed = _kms(server, "ListAliases", {"KeyId": key_id}, str(uuid.uuid4()))
    return sorted(a["AliasName"] for a in listed["Aliases"])


@pytest.fixture
def key_id(moto_server: MotoServer) -> str:
    status, created = _kms(moto_server, "CreateKey", {}, str(uuid.uuid4()))
    assert status == 200, created
    return created["KeyMetadata"]["KeyId"]


def test_a_resent_create_gets_the_first_answer_and_runs_once(moto_server: MotoServer, key_id: str) -> None:
    alias = f"alias/resent-{uuid.uuid4().hex[:8]}"
    body = {"AliasName": alias, "TargetKeyId": key_id}
    operation = str(uuid.uuid4())
    assert _kms(moto_server, "CreateAlias", body, operation)[0] == 200
    # The SDK's second attempt of the same operation: the answer it lost, not a second create.
    assert _kms(moto_server, "CreateAlias", body, operation, attempt=2)[0] == 200
    assert _aliases(moto_server, key_id) == [alias]
    # Replayed once: a third attempt runs, and moto refuses the second create, as a new operation's is.
    status, error = _kms(moto_server, "CreateAlias", body, operation, attempt=3)
    assert (status, error["__type"]) == (400, "AlreadyExistsException")
    status, error = _kms(moto_server, "CreateAlias", body, str(uuid.uuid4()))
    assert (status, error["__type"]) == (400, "AlreadyExistsException")


def test_the_retry_of_a_failed_attempt_runs(moto_server: MotoServer, key_id: str) -> None:
    alias = f"alias/retried-{uuid.uuid4().hex[:8]}"
    delete = str(uuid.uuid4())
    status, error = _kms(moto_server, "DeleteAlias", {"AliasName": alias}, delete)
    assert (status, error["__type"]) == (400, "NotFoundException")
    assert (
        _kms(moto_server, "CreateAlias", {"AliasName": alias, "TargetKeyId": key_id}, str(uuid.uuid4()))[0]
        == 200
    )
    # The failed attempt is not replayed: its retry deletes the alias that now exists.
    assert _kms(moto_server, "DeleteAlias", {"AliasName": alias}, delete, attempt=2)[0] == 200
    assert _aliases(moto_server, key_id) == []


def test_a_resend_waits_for_its_first_attempt_and_calls_without_an_id_always_run() -> None:
    calls: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        calls.append(environ.get("HTTP_AMZ_SDK_REQUEST", "-"))
        time.sleep(0.3 if len(calls) == 1 else 0)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"n": %d}' % len(calls)]

    middleware = ReplayResends(app)
    answers: dict[str, tuple[str, bytes]] = {}

    def send(attempt: int) -> None:
        environ = {"HTTP_AMZ_SDK_INVOCATION_ID": "op-1", "HTTP_AMZ_SDK_REQUEST": f"attempt={attempt}"}
        status: list[str] = []
        body = b"".join(middleware(environ, lambda s, h, *a: status.append(s)))
        answers[f"attempt={attempt}"] = (status[0], body)

    first = threading.Thread(target=send, args=(1,))
    first.start()
    time.sleep(0.05)  # the resend arrives while the first attempt still runs
    send(2)
    first.join()
    assert calls == ["attempt=1"]
    assert answers["attempt=2"] == answers["attempt=1"] == ("200 OK", b'{"n": 1}')
    for _ in range(2):
        assert b"".join(middleware({}, lambda s, h, *a: None)) in (b'{"n": 2}', b'{"n": 3}')
    assert calls == ["attempt=1", "-", "-"]
