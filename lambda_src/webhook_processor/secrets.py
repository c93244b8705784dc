"""The webhook signing secret, fetched from Secrets Manager and cached for a bounded time.

Both ``AWSCURRENT`` and ``AWSPREVIOUS`` are accepted, so the secret rotates without
downtime. The cache lives for ``ttl_s`` seconds (``SECRET_CACHE_TTL_SECONDS``, default
:data:`DEFAULT_TTL_S`): a rotated-out or deleted secret stops being accepted within one TTL
(two while every fetch fails: see below; docs/operations.md states the bound).
After a signature mismatch the handler may call :meth:`SecretCache.refresh`, which refetches
at most once per :data:`MIN_REFRESH_S`, so a stream of bad signatures cannot turn into a
stream of fetches.

When a fetch fails, the cache remembers the failure and backs off: until the backoff ends
every request gets the same error without calling AWS. Failures come in two kinds:

- :class:`SecretMisconfigured` (permanent: the secret is deleted, scheduled for deletion,
  not readable by the role, or empty): an operator must act, retrying does not help. The
  cached values are dropped at once and a fetch is retried every :data:`MISCONFIGURED_RETRY_S`.
- :class:`SecretFetchFailed` (transient: throttling, a timeout, an AWS 5xx): the backoff
  doubles from :data:`FIRST_BACKOFF_S` to :data:`MAX_BACKOFF_S`, and values fetched before
  keep being used for at most one more TTL, so a short Secrets Manager outage rejects no
  correctly signed tick.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

DEFAULT_TTL_S = 300
MIN_REFRESH_S = 60.0
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 60.0
MISCONFIGURED_RETRY_S = 60.0
STAGES = ("AWSCURRENT", "AWSPREVIOUS")

#: Error codes of GetSecretValue that no retry can fix: deleted or scheduled for deletion
#: (InvalidRequestException), never existed, not decryptable, not readable by the role, bad id.
PERMANENT_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "InvalidRequestException",
        "InvalidParameterException",
        "DecryptionFailure",
        "AccessDeniedException",
        "AccessDenied",
    }
)


class SecretError(RuntimeError):
    """The signing secret cannot be used. ``code`` is AWS's error code (or a reason),
    ``cached`` is True when the error was remembered rather than just raised by AWS."""

    def __init__(self, message: str, code: str, cached: bool = False):
        super().__init__(message)
        self.code = code
        self.cached = cached


class SecretMisconfigured(SecretError):
    """Permanent: the secret is deleted, unreadable or empty (the function answers 500)."""


class SecretFetchFailed(SecretError):
    """Transient: Secrets Manager failed or throttled (the function answers 503)."""


def fetch_versions(client: Any, secret_id: str) -> tuple[bytes, ...]:
    """The non-empty values of the AWSCURRENT and AWSPREVIOUS versions (the latter may not exist).

    Raises :class:`SecretMisconfigured` or :class:`SecretFetchFailed`.
    """
    values: list[bytes] = []
    for stage in STAGES:
        try:
            answer = client.get_secret_value(SecretId=secret_id, VersionStage=stage)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "ClientError"))
            if stage != "AWSCURRENT" and code == "ResourceNotFoundException":
                continue  # no AWSPREVIOUS yet: the secret was never rotated
            kind = SecretMisconfigured if code in PERMANENT_CODES else SecretFetchFailed
            raise kind(f"GetSecretValue({stage}) failed: {code}", code) from error
        except BotoCoreError as error:
            raise SecretFetchFailed(
                f"GetSecretValue({stage}) failed: {type(error).__name__}", type(error).__name__
            ) from error
        value = answer.get("SecretString")
        raw = value.encode("utf-8") if isinstance(value, str) else answer.get("SecretBinary")
        if raw and raw not in values:
            values.append(raw)
    if not values:
        raise SecretMisconfigured("the webhook secret is empty", "EmptySecret")
    return tuple(values)


class SecretCache:
    """Accepted secret values for one secret id: a TTL, a rate-limited refresh, and a
    backoff after a failed fetch."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, min_refresh_s: float = MIN_REFRESH_S):
        self.clock = clock
        self._min_refresh_s = min_refresh_s
        self.clear()

    def get(self, client: Any, secret_id: str, ttl_s: float = DEFAULT_TTL_S) -> tuple[bytes, ...]:
        """Cached values while younger than ``ttl_s``, else fetched again (subject to the backoff)."""
        now = self.clock()
        if secret_id != self._secret_id:
            self.clear()
            self._secret_id = secret_id
        if self._values and now - self._fetched_at < ttl_s:
            return self._values
        return self._load(client, secret_id, ttl_s, now)

    def refresh(self, client: Any, secret_id: str, ttl_s: float = DEFAULT_TTL_S) -> bool:
        """Refetch if the last attempt is older than the minimum interval; True when it refetched."""
        now = self.clock()
        if now - self._attempted_at < self._min_refresh_s or now < self._retry_at:
            return False
        self._load(client, secret_id, ttl_s, now)
        return True

    def age(self) -> float:
        """Seconds since the last fetch attempt."""
        return self.clock() - self._attempted_at

    def clear(self) -> None:
        """Forget everything (tests; a new container does the same)."""
        self._secret_id: str | None = None
        self._values: tuple[bytes, ...] = ()
        self._fetched_at = 0.0
        self._attempted_at = float("-inf")
        self._failure: SecretError | None = None
        self._retry_at = float("-inf")
        self._backoff_s = 0.0

    def _load(self, client: Any, secret_id: str, ttl_s: float, now: float) -> tuple[bytes, ...]:
        if self._failure is not None and now < self._retry_at:
            return self._after_failure(self._failure, ttl_s, now, cached=True)
        self._attempted_at = now
        try:
            values = fetch_versions(client, secret_id)
        except SecretError as error:
            self._remember(error, now)
            return self._after_failure(error, ttl_s, now, cached=False)
        self._values, self._fetched_at = values, now
        self._failure, self._retry_at, self._backoff_s = None, float("-inf"), 0.0
        return values

    def _remember(self, error: SecretError, now: float) -> None:
        if isinstance(error, SecretMisconfigured):
            # The secret is gone or unreadable: stop accepting what it used to hold.
            self._values = ()
            self._backoff_s = MISCONFIGURED_RETRY_S
        else:
            self._backoff_s = min(MAX_BACKOFF_S, max(FIRST_BACKOFF_S, self._backoff_s * 2))
        self._failure = error
        self._retry_at = now + self._backoff_s

    def _after_failure(self, error: SecretError, ttl_s: float, now: float, cached: bool) -> tuple[bytes, ...]:
        # A transient failure keeps the last good values usable for one more TTL at most.
        if isinstance(error, SecretFetchFailed) and self._values and now - self._fetched_at < 2 * ttl_s:
            return self._values
        raise type(error)(str(error), error.code, cached=cached) from error
