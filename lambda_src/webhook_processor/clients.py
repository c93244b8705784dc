"""boto3 clients, created on first use and cached for the life of the container.

Creating a client makes no network call, but it costs a few milliseconds and needs the
region, so it happens lazily on the first invocation rather than at import.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Worst case 2 x (1 s + 3 s) = 8 s: inside the function's 10 s timeout, so a slow
# AWS call ends as a 503 the sender retries, never as a Lambda timeout.
_CONFIG = Config(
    connect_timeout=1,
    read_timeout=3,
    retries={"mode": "standard", "max_attempts": 2},
)


@cache
def dynamodb() -> Any:
    """The DynamoDB client."""
    return boto3.client("dynamodb", config=_CONFIG)


@cache
def secretsmanager() -> Any:
    """The Secrets Manager client."""
    return boto3.client("secretsmanager", config=_CONFIG)


def reset() -> None:
    """Forget the cached clients (tests create fresh ones inside each mock)."""
    dynamodb.cache_clear()
    secretsmanager.cache_clear()
