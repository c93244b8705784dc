"""Lambda Function URL handler: authenticate, validate and store price ticks.

A request is signed with ``X-Signature``, or with the Standard Webhooks headers
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature``, or Svix's ``svix-*`` names
for them): see pricing/signature.py. Its body is one tick (a JSON object) or a batch (a JSON
array of up to MAX_BATCH_TICKS ticks, see batch.py). Each tick is stored once, recognised
by the strongest identity its sender gives (identity.py): its ``event_id`` (else the
``webhook-id``, ``<webhook-id>:<position>`` in a batch), else its ``timestamp`` and
content, else the signed request (plus its position in a batch). A tick without
``timestamp`` gets the receive time (plus its position in microseconds in a batch, so the
elements keep their order and distinct keys).

Answers: 200 ``{"status": "stored"|"duplicate", "tick_id", "symbol", "exchange",
"timestamp", "dedup": "event_id"|"content"|"request"}`` for a tick, 200 ``{"results":
[...]}`` for a batch (each element such a receipt, or ``{"status": "conflict"|"invalid",
"reason"}``); 400/401/405/413 ``{"error": reason}`` for the whole request; 409 when a single
tick's ``event_id`` already names a different tick; 5xx only when AWS fails (or a batch runs
out of time), so the sender retries. The checks run cheapest first and the body is parsed
only once its signature is verified. DynamoDB calls per tick: see store.py.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from pricing import signature
from pricing.signature import Signed, StandardHeaders, Verdict
from pricing.ticks import Tick, TickError, load_body, tick_of
from webhook_processor import batch, clients
from webhook_processor.config import ConfigError, Settings
from webhook_processor.http import HttpError, Request, error_response, json_response, read_request
from webhook_processor.identity import identify
from webhook_processor.secrets import SecretCache, SecretFetchFailed, SecretMisconfigured
from webhook_processor.store import Conflict, Contention, Receipt, store_tick

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "webhook-processor"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "CryptoPricePipeline"))

#: The accepted signing secrets, cached for SECRET_CACHE_TTL_SECONDS.
SECRETS = SecretCache()
#: The metric each per-tick outcome is counted in.
OUTCOME_METRICS = {
    "stored": "TicksStored",
    "duplicate": "TicksDuplicate",
    batch.CONFLICT: "TicksConflict",
    batch.INVALID: "TicksRejected",
}


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Function URL entry point (payload format 2.0). Never raises."""
    try:
        settings = Settings.from_env()
        return _accept(event, settings, context)
    except HttpError as error:
        metrics.add_metric(name="TicksRejected", unit=MetricUnit.Count, value=1)
        logger.info("Request rejected", extra={"status_code": error.status, "reason": error.reason})
        return error_response(error)
    except Conflict as conflict:
        metrics.add_metric(name="TicksConflict", unit=MetricUnit.Count, value=1)
        logger.warning("Tick conflicts with a stored one", extra={"reason": str(conflict)})
        return json_response(409, {"error": f"{conflict}; the first tick is kept"})
    except (Contention, batch.OutOfTime) as error:
        metrics.add_metric(name="Errors", unit=MetricUnit.Count, value=1)
        logger.warning("Request not finished, the sender retries", extra={"reason": str(error)})
        return json_response(503, {"error": "temporarily unavailable, retry"})
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


def _accept(event: object, settings: Settings, context: Any) -> dict[str, Any]:
    received_us = time.time_ns() // 1_000
    request = read_request(event, settings.max_body_bytes)
    signed = _authenticate(request, settings, received_us / 1_000_000)
    message_id = signed.msg_id if isinstance(signed, StandardHeaders) else None
    try:
        body = load_body(request.body)
    except TickError as error:
        raise HttpError(400, str(error)) from None

    def store(tick: Tick, position: int | None, at_us: int) -> Receipt:
        return store_tick(
            clients.dynamodb(),
            settings.table_name,
            tick,
            identity=identify(tick, signed, request.body, position),
            received_us=at_us,
            ttl_days=settings.ttl_days,
            claim_ttl_days=settings.claim_ttl_days,
        )

    if isinstance(body, dict):
        try:
            tick = tick_of(body, now_ms=received_us // 1000, message_id=message_id)
        except TickError as error:
            raise HttpError(400, str(error)) from None
        receipt = store(tick, None, received_us)
        _count(Counter([receipt.status]))
        # Sampled (SUCCESS_LOG_EVERY): TicksStored and TicksDuplicate count every accepted tick.
        if settings.success_log_every == 1 or random.randrange(settings.success_log_every) == 0:  # noqa: S311
            logger.info("Tick accepted", extra={"tick_id": receipt.tick_id, "outcome": receipt.status})
        return json_response(200, receipt.as_dict())

    batch.check_size(body, settings.max_batch_ticks)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    results = batch.store_batch(
        body,
        tick_of=lambda element, position: tick_of(
            element,
            now_ms=received_us // 1000,
            message_id=None if message_id is None else f"{message_id}:{position}",
        ),
        # Distinct receive times keep the order and the keys of elements without a timestamp.
        store=lambda tick, position: store(tick, position, received_us + position),
        time_left_ms=remaining if callable(remaining) else lambda: batch.MIN_TIME_LEFT_MS,
    )
    outcomes = Counter(result["status"] for result in results)
    _count(outcomes)
    logger.info("Batch accepted", extra={"ticks": len(results), "outcomes": dict(outcomes)})
    return json_response(200, {"results": results})


def _count(outcomes: Counter[str]) -> None:
    for outcome, count in outcomes.items():
        metrics.add_metric(name=OUTCOME_METRICS[outcome], unit=MetricUnit.Count, value=count)


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
