"""Batch ingest: a signed JSON array of ticks, stored element by element, results in order.

DynamoDB's BatchWriteItem takes no condition expressions, so it cannot refuse to overwrite
a stored tick, claim an ``event_id`` or tell a redelivery from a conflict: each element is
stored with the same conditional writes as a single tick (webhook_processor/store.py), and
gets the same answer a single tick would (``stored``, ``duplicate``, ``conflict`` with its
reason, or ``invalid`` with its reason). What a batch saves is the HTTPS request, the
signature check and the Lambda invocation per tick, not the writes.

The elements are written one after the other, and a new one is started only while the
invocation has :data:`MIN_TIME_LEFT_MS` left (the worst case of one AWS call under the
client's timeouts), so a slow batch ends as a 503 the sender retries, not as a Lambda
timeout. Any AWS failure part-way is a 503 too; the resend is safe, because every element
keeps its identity (an element's identity depends on the request and its position only),
so the elements already stored answer ``duplicate``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pricing.ticks import Tick, TickError
from webhook_processor.http import HttpError
from webhook_processor.store import Conflict, Receipt

#: One AWS call's worst case under clients.py's timeouts (connect 1 s + read 3 s).
MIN_TIME_LEFT_MS = 4_000

INVALID = "invalid"
CONFLICT = "conflict"


class OutOfTime(Exception):
    """The invocation is too close to its timeout to start the element at ``position``."""

    def __init__(self, position: int):
        super().__init__(f"stopped before element {position}: the invocation is running out of time")
        self.position = position


def check_size(elements: list[Any], max_ticks: int) -> None:
    """400 for an empty batch or one over ``max_ticks`` elements (MAX_BATCH_TICKS)."""
    if not elements:
        raise HttpError(400, "batch is empty")
    if len(elements) > max_ticks:
        raise HttpError(400, f"batch has {len(elements)} ticks, at most {max_ticks} are accepted")


def store_batch(
    elements: list[Any],
    *,
    tick_of: Callable[[Any, int], Tick],
    store: Callable[[Tick, int], Receipt],
    time_left_ms: Callable[[], int],
) -> list[dict[str, Any]]:
    """One result per element, in order. ``tick_of(element, position)`` validates an element
    (raising TickError), ``store(tick, position)`` stores it (raising Conflict); AWS errors and
    :class:`OutOfTime` propagate."""
    results: list[dict[str, Any]] = []
    for position, element in enumerate(elements):
        if time_left_ms() < MIN_TIME_LEFT_MS:
            raise OutOfTime(position)
        try:
            tick = tick_of(element, position)
        except TickError as error:
            results.append({"status": INVALID, "reason": str(error)})
            continue
        try:
            results.append(store(tick, position).as_dict())
        except Conflict as conflict:
            results.append({"status": CONFLICT, "reason": f"{conflict}; the first tick is kept"})
    return results
