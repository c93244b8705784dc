"""Fixtures of the load and fault tests: one moto server (127.0.0.1) for the folder, a fresh
stack of resources per test (tests.support.account, no Terraform), both handlers loaded
in-process against it, the local Function URL server and a stream poller playing the
event source mapping (scripts.local)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

from scripts.local.aws import Clients
from scripts.local.http_server import FunctionUrlServer
from scripts.local.moto_server import HOST, MotoServer
from tests.support import handlers
from tests.support.account import Stack


def _atomic_moto_command(port: int) -> list[str]:
    return [sys.executable, "-m", "tests.load.atomic_moto", "-H", HOST, "-p", str(port)]


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = Path(tmp_path_factory.mktemp("moto-load")) / "moto.log"
    with mock.patch("scripts.local.moto_server.moto_server_command", _atomic_moto_command):
        server = MotoServer(log_path=log).start()
    try:
        yield server.endpoint
    finally:
        server.stop()


@pytest.fixture
def clients(moto_endpoint: str) -> Clients:
    return Clients(moto_endpoint)


@pytest.fixture
def stack(clients: Clients) -> Stack:
    return Stack.create(clients, prefix=f"load-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def loaded(stack: Stack, moto_endpoint: str) -> Iterator[handlers.Handlers]:
    with handlers.loaded(stack.function_env(), moto_endpoint) as loaded:
        yield loaded


@pytest.fixture
def webhook_url(loaded: handlers.Handlers) -> Iterator[str]:
    server = FunctionUrlServer(loaded.webhook, handlers.WEBHOOK).start()
    try:
        yield server.url
    finally:
        server.stop()
