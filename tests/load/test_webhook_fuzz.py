"""Hostile webhook requests from a corpus (fuzz_corpus.json), each with its expected status.

Every case runs against the handler in-process (the event the local Function URL would
build, or a raw event for what HTTP cannot carry) and over HTTP on 127.0.0.1 through the
local Function URL server, sent as raw bytes so CR/LF and NUL reach the server unchanged.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pricing.signature import sign
from scripts.bench import handlers
from scripts.bench.account import Stack
from scripts.bench.ticks import url_event
from scripts.local.aws import Clients
from scripts.local.http_server import FunctionUrlServer

pytestmark = pytest.mark.load

CORPUS = json.loads((Path(__file__).with_name("fuzz_corpus.json")).read_text())["cases"]


@pytest.fixture(scope="module")
def fuzz_stack(moto_endpoint: str) -> Stack:
    """One stack for the whole corpus (only the valid cases write, each its own tick)."""
    return Stack.create(Clients(moto_endpoint), prefix=f"fuzz-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def fuzz_handlers(fuzz_stack: Stack, moto_endpoint: str) -> Iterator[handlers.Handlers]:
    with handlers.loaded(fuzz_stack.function_env(), moto_endpoint) as loaded:
        yield loaded


@pytest.fixture(scope="module")
def fuzz_url(fuzz_handlers: handlers.Handlers) -> Iterator[str]:
    server = FunctionUrlServer(fuzz_handlers.webhook, handlers.WEBHOOK).start()
    try:
        yield server.url
    finally:
        server.stop()


def body_bytes(spec: dict[str, Any]) -> bytes:
    if "text" in spec:
        return spec["text"].encode("utf-8")
    if "hex" in spec:
        return bytes.fromhex(spec["hex"])
    if "utf16" in spec:
        return spec["utf16"].encode("utf-16")  # with its BOM
    if "gen" in spec:
        g = spec["gen"]
        return (g["prefix"] + g["repeat"] * g["times"] + g["suffix"]).encode("utf-8")
    if "event_text" in spec:
        return spec["event_text"].encode("utf-8", "surrogatepass")
    raise ValueError(f"unknown body spec {spec}")


def headers_for(case: dict[str, Any], body: bytes, secret: str) -> dict[str, str]:
    now = int(time.time())
    headers = {"Content-Type": "application/json", **case.get("headers", {})}
    mode = case.get("sign", "valid")
    valid = f"t={now},v1={sign(secret, body, now)}"
    if mode == "valid":
        headers["X-Signature"] = valid
    elif mode == "stale":
        headers["X-Signature"] = f"t={now - 3600},v1={sign(secret, body, now - 3600)}"
    elif mode == "future":
        headers["X-Signature"] = f"t={now + 3600},v1={sign(secret, body, now + 3600)}"
    elif mode == "many":
        wrong = [f"v1={'0' * 64}"] * (case["count"] - 1)
        headers["X-Signature"] = ",".join([f"t={now}", *wrong, f"v1={sign(secret, body, now)}"])
    elif mode == "literal":
        headers["X-Signature"] = case["signature"].format(now=now, hex=sign(secret, body, now))
    elif mode == "inject":
        headers["X-Signature"] = f"t={now},v1={'0' * 64}\r\nX-Signature: {valid}"
    elif mode != "none":
        raise ValueError(mode)
    return headers


def cases(where: str) -> list[Any]:
    return [pytest.param(case, id=case["name"]) for case in CORPUS if case.get("only", where) == where]


@pytest.mark.parametrize("case", cases("inprocess"))
def test_corpus_in_process(case: dict[str, Any], fuzz_stack: Stack, fuzz_handlers: handlers.Handlers) -> None:
    stack, loaded = fuzz_stack, fuzz_handlers
    body = body_bytes(case["body"])
    headers = headers_for(case, body, stack.secret)
    if "event_text" in case["body"]:
        event = url_event(b"", headers, case.get("method", "POST"))
        event.update(body=case["body"]["event_text"], isBase64Encoded=False)
    else:
        event = url_event(body, headers, case.get("method", "POST"))
    answer = loaded.webhook(event, handlers.WEBHOOK.new_context())
    assert answer["statusCode"] == case["expected"], answer["body"]
    assert isinstance(json.loads(answer["body"]), dict)


@pytest.mark.parametrize("case", cases("http"))
def test_corpus_over_http(case: dict[str, Any], fuzz_stack: Stack, fuzz_url: str) -> None:
    body = body_bytes(case["body"])
    headers = headers_for(case, body, fuzz_stack.secret)
    status, answer = raw_request(fuzz_url, case.get("method", "POST"), headers, body, case)
    assert status == case.get("expected_http", case["expected"]), answer[:300]


def raw_request(
    url: str, method: str, headers: dict[str, str], body: bytes, case: dict[str, Any]
) -> tuple[int, bytes]:
    """One request as raw bytes on a fresh loopback connection; (status, response)."""
    parsed = urllib.parse.urlsplit(url)
    assert parsed.hostname == "127.0.0.1"
    length = case.get("content_length", len(body))
    head = (
        f"{method} / HTTP/1.1\r\nHost: {parsed.netloc}\r\nConnection: close\r\nContent-Length: {length}\r\n"
    )
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    with socket.create_connection((parsed.hostname, parsed.port), timeout=30) as sock:
        sock.sendall(head.encode("utf-8") + b"\r\n" + body)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            if len(chunks) > 1000:
                break
    response = b"".join(chunks)
    status_line = response.split(b"\r\n", 1)[0].split()
    return int(status_line[1]), response
