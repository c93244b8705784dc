"""The local Function URL over real HTTP (stand-in handler), the feed, and the signing helper."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from pricing.signature import signature_header
from scripts.local.context import FunctionInfo
from scripts.local.feed import FeedSender, RandomWalk, bad_ticks, post
from scripts.local.http_server import FunctionUrlServer

pytestmark = pytest.mark.emulator

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTION = FunctionInfo(
    name="webhook",
    arn="arn:aws:lambda:us-east-1:123456789012:function:webhook",
    handler="stand_in.handler",
    environment={},
)


class Echo:
    """Answers with what it got; a body of "boom" raises, "weird" returns something unserialisable."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        body = event.get("body", "")
        if body == "boom":
            raise RuntimeError("boom")
        if body == "weird":
            return {"statusCode": 200, "body": object()}
        assert context.function_name == "webhook"
        assert context.get_remaining_time_in_millis() > 0
        return {
            "statusCode": 201,
            "headers": {"X-Echo": "yes"},
            "body": json.dumps({"method": event["requestContext"]["http"]["method"]}),
        }


@pytest.fixture
def server() -> Any:
    echo = Echo()
    running = FunctionUrlServer(echo, FUNCTION).start()
    try:
        yield running, echo
    finally:
        running.stop()


def test_requests_become_payload_2_events_and_responses_come_back(server: Any) -> None:
    running, echo = server
    reply = post(
        running.url + "path?x=1", b'{"a":1}', {"Content-Type": "application/json", "X-Signature": "t=1,v1=0"}
    )
    assert reply.status == 201
    assert reply.body == {"method": "POST"}
    event = echo.events[-1]
    assert event["rawPath"] == "/path"
    assert event["rawQueryString"] == "x=1"
    assert event["headers"]["x-signature"] == "t=1,v1=0"
    assert event["body"] == '{"a":1}'
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
    binary = post(running.url, b"\x00\x01", {"Content-Type": "application/octet-stream"})
    assert binary.status == 201
    assert echo.events[-1]["isBase64Encoded"] is True
    assert base64.b64decode(echo.events[-1]["body"]) == b"\x00\x01"
    assert post(running.url, b"", {}, method="GET").status == 201


def test_a_failing_function_is_a_502(server: Any) -> None:
    running, _ = server
    assert post(running.url, b"boom", {"Content-Type": "text/plain"}).status == 502
    assert post(running.url, b"weird", {"Content-Type": "text/plain"}).status == 502
    assert running.errors == 2


def test_feed_is_seeded_and_signed(server: Any) -> None:
    running, echo = server
    first = [RandomWalk(seed=3).next_tick(now_ms=1) for _ in range(1)]
    again = [RandomWalk(seed=3).next_tick(now_ms=1) for _ in range(1)]
    assert first == again
    walk = RandomWalk(seed=3)
    ticks = [walk.next_tick() for _ in range(50)]
    assert len({tick.event_id for tick in ticks}) == 50
    by_series: dict[str, list[int]] = {}
    for tick in ticks:
        by_series.setdefault(tick.series, []).append(tick.timestamp_ms)
        assert tick.price > 0
        assert "e" not in str(tick.price).lower()  # decimal strings, never floats
    assert all(ts == sorted(set(ts)) for ts in by_series.values())
    sender = FeedSender(running.url, "s3cret")
    sender.send_tick(ticks[0])
    event = echo.events[-1]
    header = event["headers"]["x-signature"]
    t = header.split(",")[0].removeprefix("t=")
    expected = hmac.new(b"s3cret", f"{t}.".encode() + event["body"].encode(), hashlib.sha256).hexdigest()
    assert header == f"t={t},v1={expected}"
    assert json.loads(event["body"])["event_id"] == ticks[0].event_id
    assert {bad.expected for bad in bad_ticks("s3cret", ticks[0])} == {400, 401, 405, 409, 413}


def test_feed_sends_every_third_tick_with_standard_webhooks_headers(server: Any) -> None:
    running, echo = server
    walk = RandomWalk(seed=5)
    ticks = [walk.next_tick() for _ in range(6)]
    sender = FeedSender(running.url, "s3cret")
    sent = [*ticks, ticks[2]]  # a redelivery keeps the scheme of the first delivery
    for tick in sent:
        sender.send_tick(tick)
    standard = [i for i, event in enumerate(echo.events) if "webhook-signature" in event["headers"]]
    assert standard == [2, 5, 6]
    assert sender.result.standard_webhooks == 3
    for i in standard:
        event, tick = echo.events[i], sent[i]
        headers = event["headers"]
        assert "x-signature" not in headers
        assert headers["webhook-id"] == tick.event_id
        body = event["body"].encode()
        assert "event_id" not in json.loads(body)  # the webhook-id carries it
        signed = f"{tick.event_id}.{headers['webhook-timestamp']}.".encode() + body
        digest = base64.b64encode(hmac.new(b"s3cret", signed, hashlib.sha256).digest()).decode()
        assert headers["webhook-signature"] == f"v1,{digest}"
        Webhook(b"s3cret").verify(body, headers)
    for i in sorted(set(range(7)) - set(standard)):
        assert "webhook-signature" not in echo.events[i]["headers"]
        assert "x-signature" in echo.events[i]["headers"]


def test_signature_header_with_a_rotated_secret() -> None:
    header = signature_header("new", b"{}", timestamp=100, extra_secrets=("old",))
    t, v1, v1_old = header.split(",")
    assert t == "t=100"
    assert v1 == "v1=" + hmac.new(b"new", b"100.{}", hashlib.sha256).hexdigest()
    assert v1_old == "v1=" + hmac.new(b"old", b"100.{}", hashlib.sha256).hexdigest()


def test_sign_cli(tmp_path: Path) -> None:
    body = '{"symbol":"BTC-USD","price":"1","exchange":"binance"}'
    run = subprocess.run(
        [sys.executable, "-m", "scripts.local.sign", "--secret", "k", "--timestamp", "42", "--body", body],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == signature_header("k", body.encode(), timestamp=42)
    curl = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.local.sign",
            "--secret",
            "k",
            "--curl",
            "--url",
            "http://127.0.0.1:1/",
            "--body",
            body,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert curl.stdout.startswith("curl -sS -X POST http://127.0.0.1:1/ ")
    standard = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.local.sign",
            "--secret",
            "k",
            "--standard",
            "--id",
            "m-1",
            "--body",
            body,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    headers = dict(line.split(": ", 1) for line in standard.stdout.strip().splitlines())
    assert sorted(headers) == ["webhook-id", "webhook-signature", "webhook-timestamp"]
    assert headers["webhook-id"] == "m-1"
    assert Webhook(b"k").verify(body, headers) == json.loads(body)
    misuse = subprocess.run(
        [sys.executable, "-m", "scripts.local.sign", "--secret", "k", "--id", "m-1", "--body", body],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert misuse.returncode == 2
    assert "--id goes with --standard" in misuse.stderr
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.local.sign",
            "--session",
            str(tmp_path / "none.json"),
            "--body",
            body,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert missing.returncode != 0
    assert "no running local deployment" in missing.stderr


def sign_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """pipeline-sign with secret "k" at t=42."""
    command = [sys.executable, "-m", "scripts.local.sign", "--secret", "k", "--timestamp", "42", *args]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)


def test_sign_cli_signs_a_batch_file_and_svix_names(tmp_path: Path) -> None:
    batch = tmp_path / "batch.json"
    batch.write_bytes(
        b'[{"symbol":"BTC-USD","price":"1","exchange":"binance"},\n'
        b' {"symbol":"ETH-USD","price":"2","exchange":"kraken"}]\n'
    )
    run = sign_cli("--body-file", str(batch))
    # The file's exact bytes are signed, trailing newline and all.
    assert run.stdout.strip() == signature_header("k", batch.read_bytes(), timestamp=42)
    svix = sign_cli("--svix", "--id", "m-2", "--body-file", str(batch))
    headers = dict(line.split(": ", 1) for line in svix.stdout.strip().splitlines())
    assert sorted(headers) == ["svix-id", "svix-signature", "svix-timestamp"]
    assert headers["svix-signature"].startswith("v1,")
    missing = sign_cli("--body-file", str(tmp_path / "nope.json"))
    assert missing.returncode == 2  # a user's mistake (scripts/errors.py)
    assert missing.stderr.strip().startswith("error: cannot read --body-file")
    assert "Traceback" not in missing.stderr
