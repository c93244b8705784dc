"""Fault injection through botocore's ``before-call`` event: an AWS call fails as if throttled.

    faults = Throttle({"dynamodb:UpdateItem": 5, "sns:PublishBatch": 2})   # first N calls fail
    faults = Throttle({"sns:PublishBatch": None}, outage_s=1.0)  # every call for 1 s from the first
    faults.attach(client)  ...  faults.detach()

The raised error is the ``ClientError`` the SDK raises once its own retries are used up, so
the code under test sees exactly what a sustained throttle looks like.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

CODES = {"dynamodb": "ProvisionedThroughputExceededException", "sns": "Throttled"}


class Throttle:
    """Fail the first N calls of each operation (N None: every call for ``outage_s`` seconds).

    The outage starts at the first call of a planned operation, not at construction, so it
    fires however long a slow machine takes to get there.
    """

    def __init__(self, plan: Mapping[str, int | None], outage_s: float | None = None) -> None:
        self.plan = dict(plan)
        self.outage_s = outage_s
        self._outage_ends: float | None = None
        self.injected: Counter[str] = Counter()
        self.seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._emitters: list[Any] = []
        self._id = f"throttle-{id(self)}"

    def _on_call(self, model: Any, **_: Any) -> None:
        name = f"{model.service_model.endpoint_prefix}:{model.name}"
        if name not in self.plan:
            return
        with self._lock:
            self.seen[name] += 1
            limit = self.plan[name]
            if self.outage_s is not None and self._outage_ends is None:
                self._outage_ends = time.monotonic() + self.outage_s
            active = self._outage_ends is None or time.monotonic() < self._outage_ends
            if not active or (limit is not None and self.injected[name] >= limit):
                return
            self.injected[name] += 1
        service = model.service_model.endpoint_prefix
        code = CODES.get(service, "ThrottlingException")
        raise ClientError(
            {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": 400}},
            model.name,
        )

    def attach(self, client: Any) -> Throttle:
        client.meta.events.register("before-call", self._on_call, unique_id=self._id)
        self._emitters.append(client.meta.events)
        return self

    def detach(self) -> None:
        for emitter in self._emitters:
            emitter.unregister("before-call", unique_id=self._id)
        self._emitters.clear()
