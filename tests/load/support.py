"""Helpers shared by the load and fault tests."""

from __future__ import annotations

import uuid

from scripts.bench import handlers
from scripts.bench.account import Stack
from scripts.local.aws import Clients
from scripts.local.poller import MappingConfig, StreamPoller


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
