"""One series read around a batch's ticks: predecessors for their windows, followers to revise.

The table's sort key orders a series by event time (docs/design.md), so a consistent
Query on the base table reads a tick's neighbours; no index is involved. Per series and
batch the enricher reads, newest first from the top of the series, one page of
``len(ticks) + 2 * MAX_WINDOW`` ticks: in order (the common case) that holds every tick
after the batch, the batch and ``MAX_WINDOW - 1`` predecessors. It pages on only while
the earliest tick of the batch lacks predecessors. When the batch lies deeper than one
page below the top (ticks that arrived very late), it reads the ``MAX_WINDOW - 1``
followers after the batch with one ascending Query and the rest with a descending one
from the batch down, so the cost stays bounded however late a tick is.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger

from price_enricher.records import StreamTick, number
from pricing.indicators import INDICATOR_NAMES, MAX_WINDOW
from pricing.keys import (
    REVISED_BY,
    REVISION,
    TICK_FIRST,
    TICK_LAST,
    TOMBSTONE,
    UNSENT,
    is_tick_key,
    is_tombstone,
    time_ms_of,
)

_READ = ("pk", "sk", "price", *INDICATOR_NAMES, REVISION, REVISED_BY, UNSENT, TOMBSTONE)
_NAMES = {f"#{name}": name for name in _READ}
_PROJECTION = ", ".join(f"#{name}" for name in _READ if name != "pk")
_MAX_PAGE = 1000

logger = Logger(child=True)


def first_page(ticks: int) -> int:
    """Items the first Query asks for: the batch's ticks of the series, up to ``MAX_WINDOW``
    ticks written after them, and ``MAX_WINDOW`` predecessors."""
    return ticks + 2 * MAX_WINDOW


@dataclass(frozen=True, slots=True)
class Point:
    """A tick of the series as stored: price, and what the enricher last wrote for it."""

    sk: str
    ts: int
    price: Decimal
    values: dict[str, Decimal] = field(default_factory=dict)
    revision: int | None = None  # None: never enriched
    revised_by: str | None = None  # sk of the late tick whose record wrote the revision
    unsent: int | None = None  # the revision whose notification has not gone out (keys.UNSENT)

    @property
    def pending(self) -> bool:
        """The stored revision's notification was never accepted by SNS: it must be sent."""
        return self.revision is not None and self.unsent == self.revision


class SeriesHistory:
    """The ticks of one series that a batch needs, in series order."""

    def __init__(self, points: Iterable[Point]):
        self._points = sorted(points, key=lambda point: point.sk)
        self._keys = [point.sk for point in self._points]

    def point(self, sk: str) -> Point:
        """The stored state of the tick at ``sk`` (every tick of the batch has one: :meth:`load`)."""
        i = bisect.bisect_left(self._keys, sk)
        if i == len(self._keys) or self._keys[i] != sk:
            raise KeyError(sk)
        return self._points[i]

    def window(self, sk: str, size: int = MAX_WINDOW) -> list[Decimal]:
        """The last ``size`` prices up to and including the tick at ``sk`` (in order)."""
        end = bisect.bisect_right(self._keys, sk)
        return [point.price for point in self._points[max(0, end - size) : end]]

    def followers(self, sk: str, batch: set[str]) -> list[Point]:
        """Ticks after ``sk`` whose window holds it, up to the next batch tick (which owns the rest)."""
        start = bisect.bisect_right(self._keys, sk)
        found: list[Point] = []
        for point in self._points[start : start + MAX_WINDOW - 1]:
            if point.sk in batch:
                break
            found.append(point)
        return found

    @classmethod
    def load(cls, client: Any, table: str, ticks: Sequence[StreamTick]) -> SeriesHistory:
        """Read what the ticks of one series (one pk) need: one Query in the common case."""
        pk = ticks[0].pk
        earliest = min(tick.sk for tick in ticks)
        latest = max(tick.sk for tick in ticks)
        points: dict[str, Point] = {}
        top = _request(table, pk, "#sk BETWEEN :first AND :last", {":first": TICK_FIRST, ":last": TICK_LAST})
        top.update(ScanIndexForward=False, Limit=first_page(len(ticks)))
        page = client.query(**top)
        _add_all(points, page)
        reached = any(sk <= latest for sk in points)
        if reached or not page.get("LastEvaluatedKey"):
            _read_down(client, top, page, points, earliest)
        else:
            # The batch lies deeper than a page below the top: read just around it.
            after = _request(table, pk, "#sk > :latest", {":latest": latest})
            after.update(ScanIndexForward=True, Limit=MAX_WINDOW - 1)
            _add_all(points, client.query(**after))
            down = _request(
                table, pk, "#sk BETWEEN :first AND :latest", {":first": TICK_FIRST, ":latest": latest}
            )
            down.update(ScanIndexForward=False, Limit=len(ticks) + MAX_WINDOW)
            page = client.query(**down)
            _add_all(points, page)
            _read_down(client, down, page, points, earliest)
        # The batch's own images count too (e.g. a tick the table no longer holds).
        for tick in ticks:
            points.setdefault(tick.sk, Point(tick.sk, tick.ts, tick.price))
        return cls(points.values())


def _request(table: str, pk: str, condition: str, values: dict[str, str]) -> dict[str, Any]:
    return {
        "TableName": table,
        "KeyConditionExpression": f"#pk = :pk AND {condition}",
        "ExpressionAttributeNames": _NAMES,
        "ExpressionAttributeValues": {":pk": {"S": pk}, **{k: {"S": v} for k, v in values.items()}},
        "ProjectionExpression": _PROJECTION,
        "ConsistentRead": True,
    }


def _read_down(
    client: Any, request: dict[str, Any], page: dict[str, Any], points: dict[str, Point], earliest: str
) -> None:
    """Page on (newest first) until ``earliest`` has ``MAX_WINDOW - 1`` predecessors or the series ends."""
    while page.get("LastEvaluatedKey") and sum(1 for sk in points if sk < earliest) < MAX_WINDOW - 1:
        # Rare (the batch spans ticks far apart): read on, twice as much each time.
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        request["Limit"] = min(2 * request["Limit"], _MAX_PAGE)
        page = client.query(**request)
        _add_all(points, page)


def _add_all(points: dict[str, Point], page: dict[str, Any]) -> None:
    for item in page.get("Items", []):
        if is_tombstone(item):
            continue  # no tick is stored at its key (webhook_processor/store.py)
        point = _point(item)
        if point is not None:
            points[point.sk] = point


def _point(item: dict[str, Any]) -> Point | None:
    sk = item.get("sk", {}).get("S")
    price = number(item.get("price"))
    ts = _time_ms(sk)
    if ts is None or price is None or price <= 0:
        logger.warning("Skipping malformed history item", extra={"sk": str(sk)[:200]})
        return None
    values = {name: value for name in INDICATOR_NAMES if (value := number(item.get(name))) is not None}
    revision = number(item.get(REVISION))
    revised_by = item.get(REVISED_BY, {}).get("S")
    unsent = number(item.get(UNSENT))
    return Point(
        sk=sk,
        ts=ts,
        price=price,
        values=values,
        revision=None if revision is None else int(revision),
        revised_by=revised_by if isinstance(revised_by, str) else None,
        unsent=None if unsent is None else int(unsent),
    )


def _time_ms(sk: object) -> int | None:
    """The event time a tick key holds, or None when ``sk`` is not a well-formed tick key."""
    if not is_tick_key(sk):
        return None
    try:
        return time_ms_of(str(sk))
    except ValueError:
        return None
