"""The webhook signing secret, fetched from Secrets Manager once per container.

Both ``AWSCURRENT`` and ``AWSPREVIOUS`` are accepted, so the secret rotates without
downtime. After a signature mismatch the handler may call :meth:`SecretCache.refresh`,
which refetches at most once per :data:`MIN_REFRESH_S`: a rotation is picked up without a
cold start, and a stream of bad signatures cannot turn into a stream of fetches.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

MIN_REFRESH_S = 60.0
STAGES = ("AWSCURRENT", "AWSPREVIOUS")


class SecretUnavailable(RuntimeError):
    """The secret exists but holds no usable value."""


def fetch_versions(client: Any, secret_id: str) -> tuple[bytes, ...]:
    """The non-empty values of the AWSCURRENT and AWSPREVIOUS versions (the latter may not exist)."""
    values: list[bytes] = []
    for stage in STAGES:
        try:
            answer = client.get_secret_value(SecretId=secret_id, VersionStage=stage)
        except ClientError as error:
            if (
                stage != "AWSCURRENT"
                and error.response.get("Error", {}).get("Code") == "ResourceNotFoundException"
            ):
                continue
            raise
        value = answer.get("SecretString")
        raw = value.encode("utf-8") if isinstance(value, str) else answer.get("SecretBinary")
        if raw and raw not in values:
            values.append(raw)
    if not values:
        raise SecretUnavailable("the webhook secret is empty")
    return tuple(values)


class SecretCache:
    """Accepted secret values for one secret id, with a rate-limited refresh."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, min_refresh_s: float = MIN_REFRESH_S):
        self.clock = clock
        self._min_refresh_s = min_refresh_s
        self._secret_id: str | None = None
        self._values: tuple[bytes, ...] = ()
        self._loaded_at = 0.0

    def get(self, client: Any, secret_id: str) -> tuple[bytes, ...]:
        """Cached values, fetched on first use (or when the secret id changes)."""
        if not self._values or secret_id != self._secret_id:
            self._load(client, secret_id)
        return self._values

    def refresh(self, client: Any, secret_id: str) -> bool:
        """Refetch if the cache is older than the minimum interval; True when it refetched."""
        if self.clock() - self._loaded_at < self._min_refresh_s:
            return False
        # Stamp before fetching: a failing fetch is not retried on every request either.
        self._loaded_at = self.clock()
        self._load(client, secret_id)
        return True

    def age(self) -> float:
        """Seconds since the last fetch attempt."""
        return self.clock() - self._loaded_at

    def clear(self) -> None:
        """Forget everything (tests; a new container does the same)."""
        self._secret_id = None
        self._values = ()
        self._loaded_at = 0.0

    def _load(self, client: Any, secret_id: str) -> None:
        self._loaded_at = self.clock()
        values = fetch_versions(client, secret_id)
        self._secret_id, self._values = secret_id, values
