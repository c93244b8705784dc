"""Count AWS API calls by operation, through botocore's ``before-call`` event.

Used by the handler tests and the benchmark; it depends on nothing in ``lambda_src``::

    with count_calls() as calls:      # hooks boto3's default session
        handler(event, context)       # clients created inside are counted
    assert calls["dynamodb:PutItem"] == 1

``before-call`` fires once per API call made by a client (botocore's own retries of
that call are not counted again), including calls that then fail. A client copies its
session's event hooks when it is created, so hook the session *before* the code under
test creates its clients, or pass already-created clients to :meth:`CallCounter.attach`.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3

_ids = itertools.count()


class CallCounter(Counter[str]):
    """A Counter of ``"<service>:<Operation>"`` (e.g. ``dynamodb:Query``) -> calls."""

    def __init__(self) -> None:
        super().__init__()
        self._unique_id = f"callcount-{next(_ids)}"
        self._emitters: list[Any] = []

    def _on_call(self, model: Any, **_: Any) -> None:
        self[f"{model.service_model.endpoint_prefix}:{model.name}"] += 1

    def attach(self, target: Any) -> None:
        """Count the calls of a boto3/botocore session or client (its ``events`` emitter)."""
        emitter = target.meta.events if hasattr(target, "meta") else target.events
        emitter.register("before-call", self._on_call, unique_id=self._unique_id)
        self._emitters.append(emitter)

    def detach(self) -> None:
        """Stop counting everywhere this counter was attached."""
        for emitter in self._emitters:
            emitter.unregister("before-call", unique_id=self._unique_id)
        self._emitters.clear()

    def total(self) -> int:
        """All calls counted."""
        return sum(self.values())

    def by_service(self, service: str) -> dict[str, int]:
        """The counts of one service, keyed by operation name."""
        prefix = f"{service}:"
        return {key[len(prefix) :]: n for key, n in self.items() if key.startswith(prefix)}


@contextmanager
def count_calls(*targets: Any) -> Iterator[CallCounter]:
    """Count calls of clients created from boto3's default session, and of ``targets``."""
    counter = CallCounter()
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    counter.attach(boto3.DEFAULT_SESSION)
    for target in targets:
        counter.attach(target)
    try:
        yield counter
    finally:
        counter.detach()


class CallClock:
    """Wall time spent inside AWS calls (``before-call`` to ``after-call``), in seconds.

    With moto in-process, that is moto's emulation; the handler's own time is the rest.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self._unique_id = f"callclock-{next(_ids)}"
        self._started: list[float] = []
        self._emitters: list[Any] = []

    def _before(self, **_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, **_: Any) -> None:
        if self._started:
            self.seconds += time.perf_counter() - self._started.pop()

    def attach(self, target: Any) -> None:
        emitter = target.meta.events if hasattr(target, "meta") else target.events
        emitter.register("before-call", self._before, unique_id=self._unique_id + "-b")
        emitter.register("after-call", self._after, unique_id=self._unique_id + "-a")
        self._emitters.append(emitter)

    def detach(self) -> None:
        for emitter in self._emitters:
            emitter.unregister("before-call", unique_id=self._unique_id + "-b")
            emitter.unregister("after-call", unique_id=self._unique_id + "-a")
        self._emitters.clear()
