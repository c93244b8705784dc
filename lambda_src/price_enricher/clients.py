"""boto3 clients, created on first use and cached for the life of the container."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(connect_timeout=2, read_timeout=10, retries={"mode": "standard", "max_attempts": 4})


@cache
def dynamodb() -> Any:
    """The DynamoDB client."""
    return boto3.client("dynamodb", config=_CONFIG)


@cache
def sns() -> Any:
    """The SNS client."""
    return boto3.client("sns", config=_CONFIG)


def reset() -> None:
    """Forget the cached clients (tests create fresh ones inside each mock)."""
    dynamodb.cache_clear()
    sns.cache_clear()
