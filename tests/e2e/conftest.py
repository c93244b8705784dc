"""Fixtures for the local runtime tests: moto servers on 127.0.0.1 (free ports), each started once per
session (per xdist worker).

- ``moto_server``: the emulator tests' server; each test makes resources of its own names.
- ``deploy_moto`` (a module) and ``fresh_moto`` (a test): the worker's deployment server, emptied by
  moto's reset API before, so that it holds only what the module or test deploys and a destroy check
  sees only that; as good as a new server, without paying moto's start-up each time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.local.aws import Clients
from scripts.local.moto_server import MotoServer


def _started(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[MotoServer]:
    server = MotoServer(log_path=tmp_path_factory.mktemp(name) / "moto.log").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    yield from _started(tmp_path_factory, "moto")


@pytest.fixture
def clients(moto_server: MotoServer) -> Clients:
    return Clients(moto_server.endpoint)


@pytest.fixture(scope="session")
def _deployment_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    yield from _started(tmp_path_factory, "deploy-moto")


@pytest.fixture(scope="module")
def deploy_moto(_deployment_server: MotoServer) -> MotoServer:
    """The deployment server, empty when the module starts: it holds only the module's deployments."""
    _deployment_server.reset()
    return _deployment_server


@pytest.fixture
def fresh_moto(_deployment_server: MotoServer) -> MotoServer:
    """The deployment server, empty when the test starts: it holds only what the test deploys."""
    _deployment_server.reset()
    return _deployment_server
