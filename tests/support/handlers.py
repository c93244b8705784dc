"""Both Lambda handlers imported from lambda_src into this process, with their environment.

The handlers cache boto3 clients (and the webhook its secret) per container; ``load``
clears those caches and boto3's default session, so the next invocation is a cold start
that reads the environment set here (moto's endpoint, fake credentials, the functions'
variables). ``restore`` puts the previous environment back.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from scripts.local.aws import FAKE_CREDENTIALS
from scripts.local.context import FunctionInfo

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDA_SRC = REPO_ROOT / "lambda_src"
Handler = Callable[[dict[str, Any], Any], Any]

WEBHOOK = FunctionInfo(
    name="bench-webhook",
    arn="arn:aws:lambda:us-east-1:123456789012:function:bench-webhook",
    handler="webhook_processor.handler.handler",
    environment={},
    memory_mb=256,
    timeout_seconds=10,
)
ENRICHER = FunctionInfo(
    name="bench-enricher",
    arn="arn:aws:lambda:us-east-1:123456789012:function:bench-enricher",
    handler="price_enricher.handler.handler",
    environment={},
    memory_mb=256,
    timeout_seconds=60,
)


@dataclass(frozen=True)
class Handlers:
    webhook: Handler
    enricher: Handler


def aws_environment(endpoint: str | None) -> dict[str, str]:
    """Fake credentials and region; ``AWS_ENDPOINT_URL`` only for a moto server."""
    env = dict(FAKE_CREDENTIALS)
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


def _modules() -> tuple[Any, ...]:
    if str(LAMBDA_SRC) not in sys.path:
        sys.path.insert(0, str(LAMBDA_SRC))
    names = (
        "webhook_processor.handler",
        "webhook_processor.clients",
        "price_enricher.handler",
        "price_enricher.clients",
    )
    return tuple(importlib.import_module(name) for name in names)


def reset_caches() -> None:
    """Forget cached clients, the cached secret and boto3's default session (a cold start)."""
    webhook, webhook_clients, _, enricher_clients = _modules()
    webhook_clients.reset()
    enricher_clients.reset()
    webhook.SECRETS.clear()
    boto3.DEFAULT_SESSION = None


def cached_clients() -> list[Any]:
    """The boto3 clients the handlers have created so far (none after :func:`reset_caches`)."""
    _, webhook_clients, _, enricher_clients = _modules()
    found = []
    for factory in (
        webhook_clients.dynamodb,
        webhook_clients.secretsmanager,
        enricher_clients.dynamodb,
        enricher_clients.sns,
    ):
        if factory.cache_info().currsize:
            found.append(factory())
    return found


def load(function_env: Mapping[str, str], endpoint: str | None = None) -> Handlers:
    """Set the environment, reset the caches, return both handler functions."""
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(aws_environment(endpoint))
    os.environ.update(function_env)
    webhook, _, enricher, _ = _modules()
    reset_caches()
    return Handlers(webhook=webhook.handler, enricher=enricher.handler)


@contextmanager
def loaded(function_env: Mapping[str, str], endpoint: str | None = None) -> Iterator[Handlers]:
    """:func:`load` for a block; the environment and default session are restored after it."""
    saved_env, saved_session = dict(os.environ), boto3.DEFAULT_SESSION
    try:
        yield load(function_env, endpoint)
    finally:
        reset_caches()
        os.environ.clear()
        os.environ.update(saved_env)
        boto3.DEFAULT_SESSION = saved_session
