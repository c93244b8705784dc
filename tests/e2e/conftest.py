"""Fixtures for the local runtime tests: one moto server (127.0.0.1, free port) for the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.local.aws import Clients
from scripts.local.moto_server import MotoServer


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = MotoServer(log_path=tmp_path_factory.mktemp("moto") / "moto.log").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def clients(moto_server: MotoServer) -> Clients:
    return Clients(moto_server.endpoint)


@pytest.fixture(scope="session")
def deploy_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """A second server that holds only the Terraform deployment, so the destroy check sees only it."""
    server = MotoServer(log_path=tmp_path_factory.mktemp("deploy-moto") / "moto.log").start()
    try:
        yield server
    finally:
        server.stop()
