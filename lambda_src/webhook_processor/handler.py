"""Lambda Function URL handler: authenticate, validate and store one price tick.

A request is signed with ``X-Signature`` or with the Standard Webhooks headers
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature``): see pricing/signature.py.
With Standard Webhooks, ``webhook-id`` is the tick's ``event_id`` when the body has none,
so a redelivery of the message is a duplicate.

Answers: 200 ``{"status": "stored"|"duplicate", "tick_id", "symbol", "exchange",
"timestamp"}``; 400/401/405/413 ``{"error": reason}``; 409 when the tick's ``event_id``
already names a different tick; 5xx only when AWS fails, so the sender retries. The
checks run cheapest first and the body is parsed only once its signature is verified. One
DynamoDB call per accepted tick, two when it carries an ``event_id`` (see store.py).
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from pricing import signature
from pricing.signature import Signed, StandardHeaders, Verdict
from pricing.ticks import TickError, parse_tick
from webhook_processor import clients
from webhook_processor.config import ConfigError, Settings
from webhook_processor.http import HttpError, Request, error_response, json_response, read_request
from webhook_processor.secrets import SecretCache, SecretFetchFailed, SecretMisconfigured
from webhook_processor.store import Conflict, Receipt, store_tick

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "webhook-processor"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "CryptoPricePipeline"))

#: The accepted signing secrets, cached for SECRET_CACHE_TTL_SECONDS.
SECRETS = SecretCache()


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Function URL entry point (payload format 2.0). Never raises."""
    try:
        settings = Settings.from_env()
        receipt = _accept(event, settings)
    except HttpError as error:
        metrics.add_metric(name="TicksRejected", unit=MetricUnit.Count, value=1)
        logger.info("Request rejected", extra={"status_code": error.status, "reason": error.reason})
        return error_response(error)
    except Conflict as conflict:
        metrics.add_metric(name="TicksConflict", unit=MetricUnit.Count, value=1)
        logger.warning("Tick conflicts with a stored one", extra={"reason": str(conflict)})
        return json_response(409, {"error": f"{conflict}; the first tick is kept"})
    except SecretFetchFailed as error:
        # One line, no stack trace: while the cache backs off, every request ends here.
        metrics.add_metric(name="Errors", unit=MetricUnit.Count, value=1)
        logger.warning("Signing secret unavailable", extra={"code": error.code, "cached": error.cached})
        return json_response(503, {"error": "temporarily unavailable, retry"})
    except SecretMisconfigured as error:
        # Permanent (deleted, unreadable, empty): 500, so senders do not retry forever.
        metrics.add_metric(name="Errors", unit=MetricUnit.Count, value=1)
        logger.error("Signing secret misconfigured", extra={"code": error.code, "cached": error.cached})
        return json_response(500, {"error": "server misconfigured"})
    except (ClientError, BotoCoreError):
        metrics.add_metric(name="Errors", unit=MetricUnit.Count, value=1)
        logger.exception("AWS call failed")
        return json_response(503, {"error": "temporarily unavailable, retry"})
    except ConfigError:
        metrics.add_metric(name="Errors", unit=MetricUnit.Count, value=1)
        logger.exception("Function is misconfigured")
        return json_response(500, {"error": "server misconfigured"})
    except Exception:  # a bug; the sender gets JSON and may retry, the log has the trace
        metrics.add_metric(name="Errors", unit=MetricUnit.Count, value=1)
        logger.exception("Unexpected error")
        return json_response(500, {"error": "internal error"})
    metrics.add_metric(
        name="TicksStored" if receipt.status == "stored" else "TicksDuplicate", unit=MetricUnit.Count, value=1
    )
    # Sampled (SUCCESS_LOG_EVERY): TicksStored and TicksDuplicate count every accepted tick.
    if settings.success_log_every == 1 or random.randrange(settings.success_log_every) == 0:  # noqa: S311
        logger.info("Tick accepted", extra={"tick_id": receipt.tick_id, "outcome": receipt.status})
    return json_response(200, receipt.as_dict())


def _accept(event: object, settings: Settings) -> Receipt:
    received_us = time.time_ns() // 1_000
    request = read_request(event, settings.max_body_bytes)
    signed = _authenticate(request, settings, received_us / 1_000_000)
    message_id = signed.msg_id if isinstance(signed, StandardHeaders) else None
    try:
        tick = parse_tick(request.body, now_ms=received_us // 1000, message_id=message_id)
    except TickError as error:
        raise HttpError(400, str(error)) from None
    return store_tick(
        clients.dynamodb(),
        settings.table_name,
        tick,
        received_us=received_us,
        ttl_days=settings.ttl_days,
        claim_ttl_days=settings.claim_ttl_days,
    )


def _authenticate(request: Request, settings: Settings, now_s: float) -> Signed:
    """The request's signature; 401 unless well-formed, fresh, and matching an accepted secret."""
    parsed = signature.parse(request.headers)
    if isinstance(parsed, Verdict):
        raise HttpError(401, parsed.value)
    if signature.check_time(parsed, now_s) is not Verdict.OK:
        raise HttpError(401, Verdict.STALE.value)
    if not _matches(parsed, request.body, settings):
        raise HttpError(401, Verdict.MISMATCH.value)
    return parsed


def _matches(parsed: Signed, body: bytes, settings: Settings) -> bool:
    client, secret_id, ttl_s = clients.secretsmanager(), settings.secret_id, settings.secret_cache_ttl_s
    if signature.matches(parsed, body, SECRETS.get(client, secret_id, ttl_s)):
        return True
    # Maybe the secret rotated since this container fetched it: refetch, at most once a minute.
    if SECRETS.refresh(client, secret_id, ttl_s):
        logger.info("Signing secret refreshed after a mismatch")
        return signature.matches(parsed, body, SECRETS.get(client, secret_id, ttl_s))
    return False
