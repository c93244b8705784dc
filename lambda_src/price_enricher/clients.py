"""boto3 clients, created on first use and cached for the life of the container."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(connect_timeout=2, read_timeout=10, retries={"mode": "standard", "max_attempts": 4})
#: SNS: a PublishBatch answers in milliseconds; one that hangs must end in an exception well
#: inside the function timeout (60 s by default), so the unsent notifications get their
#: marks written and their records failed. Worst case: 2 x (2 + 5) s plus a backoff under
#: 1 s; notify.publish() stops after the first such failure.
SNS_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 2})


@cache
def dynamodb() -> Any:
    """The DynamoDB client."""
    return boto3.client("dynamodb", config=_CONFIG)


@cache
def sns() -> Any:
    """The SNS client."""
    return boto3.client("sns", config=SNS_CONFIG)


def reset() -> None:
    """Forget the cached clients (tests create fresh ones inside each mock)."""
    dynamodb.cache_clear()
    sns.cache_clear()
