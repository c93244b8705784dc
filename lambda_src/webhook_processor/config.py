"""Settings of the webhook processor, read from its environment on every invocation."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from webhook_processor.secrets import DEFAULT_TTL_S

#: Room for a full batch (DEFAULT_MAX_BATCH_TICKS ticks of about 120 bytes) and then some.
DEFAULT_MAX_BODY_BYTES = 16_384
#: Ticks one batch request may carry (MAX_BATCH_TICKS); the pipeline module's
#: ``webhook.max_batch_ticks`` sets it, validated against the same range.
DEFAULT_MAX_BATCH_TICKS = 100
MAX_BATCH_TICKS_RANGE = (1, 1000)
#: Seconds the signing secret is cached (SECRET_CACHE_TTL_SECONDS); the Terraform module sets it.
DEFAULT_SECRET_CACHE_TTL_S = DEFAULT_TTL_S


class ConfigError(RuntimeError):
    """The function's environment is wrong; an operator must fix it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """``TABLE_NAME``, ``WEBHOOK_SECRET_ARN``, ``TICK_TTL_DAYS`` (0 = no TTL), ``MAX_BODY_BYTES``,
    ``SECRET_CACHE_TTL_SECONDS`` (10 to 3600), ``MAX_BATCH_TICKS`` (1 to 1000), ``CLAIM_TTL_DAYS``
    (days an event-id claim is kept; 0 = as long as its tick), ``SUCCESS_LOG_EVERY`` (one "Tick
    accepted" line per N accepted ticks on average; rejected and failed requests are always logged)."""

    table_name: str
    secret_id: str
    ttl_days: int
    max_body_bytes: int
    secret_cache_ttl_s: int = DEFAULT_SECRET_CACHE_TTL_S
    max_batch_ticks: int = DEFAULT_MAX_BATCH_TICKS
    claim_ttl_days: int = 0
    success_log_every: int = 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Read and validate the settings; raise :class:`ConfigError` naming the bad variable."""
        return cls(
            table_name=_required(env, "TABLE_NAME"),
            secret_id=_required(env, "WEBHOOK_SECRET_ARN"),
            ttl_days=_integer(env, "TICK_TTL_DAYS", 0, 0, 36_500),
            max_body_bytes=_integer(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 256, 1_048_576),
            secret_cache_ttl_s=_integer(
                env, "SECRET_CACHE_TTL_SECONDS", DEFAULT_SECRET_CACHE_TTL_S, 10, 3600
            ),
            max_batch_ticks=_integer(env, "MAX_BATCH_TICKS", DEFAULT_MAX_BATCH_TICKS, *MAX_BATCH_TICKS_RANGE),
            claim_ttl_days=_integer(env, "CLAIM_TTL_DAYS", 0, 0, 36_500),
            success_log_every=_integer(env, "SUCCESS_LOG_EVERY", 1, 1, 1_000_000),
        )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set")
    return value


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise ConfigError(f"{name} must be an integer from {low} to {high}")
    return int(text)
