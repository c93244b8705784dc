"""Helpers shared by the load and fault tests."""

from __future__ import annotations

import json
import multiprocessing
import uuid
from collections.abc import Callable, Sequence
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


def enrich_in_parallel(
    function_env: dict[str, str],
    endpoint: str,
    batch: list[dict[str, Any]],
    barrier: Any,
    results: Any,
) -> None:
    """In a process of its own (one enricher container, as at parallelization factor 2): read
    the series for ``batch``, wait at ``barrier`` until the other container has read it too,
    then write; put ``(failed sequence numbers, the invocation's EMF metrics)``.

    Only the first read waits: a conflict's retry reads again at once, as in Lambda.
    """
    import contextlib
    import io

    from price_enricher.history import SeriesHistory

    loaded = handlers.load(function_env, endpoint)
    context = handlers.ENRICHER.new_context()
    loaded.enricher({"Records": []}, context)  # cold start
    real_load = SeriesHistory.__dict__["load"].__func__
    waited: list[bool] = []

    def load_then_wait(cls: type[SeriesHistory], *args: Any) -> SeriesHistory:
        history = real_load(cls, *args)
        if not waited:
            waited.append(True)
            barrier.wait()  # both containers hold the series as it was before either wrote
        return history

    SeriesHistory.load = classmethod(load_then_wait)  # type: ignore[method-assign,assignment]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        answer = loaded.enricher({"Records": batch}, context)
    emf = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith('{"_aws"')]
    metrics = {k: sum(v) for line in emf for k, v in line.items() if isinstance(v, list)}
    results.put(([item["itemIdentifier"] for item in answer["batchItemFailures"]], metrics))


def run_in_processes(
    target: Callable[..., None], arguments: Sequence[tuple[Any, ...]], results: int
) -> list[Any]:
    """One spawned process per ``arguments`` entry, each running ``target(*entry, barrier, queue)``
    (a barrier shared by all of them); the first ``results`` items they put on the queue.

    Each process is its own Lambda container; every process must exit cleanly.
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(arguments), timeout=120)
    queue = context.Queue()
    workers = [
        context.Process(target=target, args=(*entry, barrier, queue), daemon=True) for entry in arguments
    ]
    for worker in workers:
        worker.start()
    try:
        answers = [queue.get(timeout=180) for _ in range(results)]
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    assert all(worker.exitcode == 0 for worker in workers), [w.exitcode for w in workers]
    return answers
