"""Helpers shared by the load and fault tests."""

from __future__ import annotations

import json
import uuid
from typing import Any

from scripts.local.aws import Clients
from scripts.local.poller import MappingConfig, StreamPoller
from tests.support import handlers
from tests.support.account import Stack


def make_poller(stack: Stack, loaded: handlers.Handlers, clients: Clients, retries: int = -1) -> StreamPoller:
    """The mapping envs/local configures, with batch 10, no batching window and ``retries``."""
    config = MappingConfig(
        uuid=str(uuid.uuid4()),
        function_arn=handlers.ENRICHER.arn,
        event_source_arn=stack.stream_arn,
        batch_size=10,
        filters=({"eventName": ["INSERT"]},),
        max_retry_attempts=retries,
        bisect_on_error=True,
        report_batch_item_failures=True,
        on_failure_destination=stack.failure_queue_arn,
    )
    return StreamPoller(config, loaded.enricher, handlers.ENRICHER, clients, poll_interval_s=0.02)


def deliver_rounds(
    function_env: dict[str, str],
    endpoint: str,
    rounds: list[tuple[bytes, dict[str, str]]],
    barrier: Any,
    results: Any,
) -> None:
    """In a process of its own: load the real webhook handler against ``endpoint``, warm it
    up (clients, secret), then for each round wait at ``barrier`` with the other processes
    and invoke the handler with that round's request; put ``(round, status, outcome)``.

    Each process is its own Lambda container: nothing but the table is shared, so only the
    conditional write can keep a redelivered tick to one row.
    """
    from tests.support.ticks import url_event

    loaded = handlers.load(function_env, endpoint)
    context = handlers.WEBHOOK.new_context()
    loaded.webhook(url_event(b"{}", {"x-signature": "t=1,v1=" + "0" * 64}), context)  # cold start
    for index, (body, headers) in enumerate(rounds):
        barrier.wait()
        answer = loaded.webhook(url_event(body, headers), context)
        outcome = json.loads(answer["body"]).get("status", "")
        results.put((index, answer["statusCode"], outcome))
