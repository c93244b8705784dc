"""One consistent Query per series and batch, and the price windows it yields.

For the ticks of one series in a batch, a single Query on the LSI ``by_ts`` (consistent,
newest first, ``ts <= `` the batch's latest tick) returns the batch's ticks and their
predecessors; it pages on only when the earliest tick of the batch has fewer than
``MAX_WINDOW - 1`` predecessors in what was read and the index has more.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger

from price_enricher.records import StreamTick, number
from pricing.indicators import MAX_WINDOW

INDEX = "by_ts"
_NAMES = {"#pk": "pk", "#sk": "sk", "#ts": "ts", "#price": "price"}

logger = Logger(child=True)


class SeriesHistory:
    """Prices of one series in ``(ts, sk)`` order, enough for every tick of the batch."""

    def __init__(self, points: dict[str, tuple[int, Decimal]]):
        ordered = sorted((ts, sk, price) for sk, (ts, price) in points.items())
        self._keys = [(ts, sk) for ts, sk, _ in ordered]
        self._prices = [price for _, _, price in ordered]

    def window(self, tick: StreamTick, size: int = MAX_WINDOW) -> list[Decimal]:
        """The last ``size`` prices up to and including ``tick`` (in order)."""
        end = bisect.bisect_right(self._keys, tick.order)
        return self._prices[max(0, end - size) : end]

    @classmethod
    def load(cls, client: Any, table: str, ticks: Sequence[StreamTick]) -> SeriesHistory:
        """Query the series of ``ticks`` (all of one pk) once, paging only when history is short."""
        pk = ticks[0].pk
        earliest = min(tick.order for tick in ticks)
        request: dict[str, Any] = {
            "TableName": table,
            "IndexName": INDEX,
            "KeyConditionExpression": "#pk = :pk AND #ts <= :max_ts",
            "ExpressionAttributeNames": _NAMES,
            "ExpressionAttributeValues": {
                ":pk": {"S": pk},
                ":max_ts": {"N": str(max(tick.ts for tick in ticks))},
            },
            # Only attributes the index holds: reading others would fetch from the table.
            "ProjectionExpression": "#sk, #ts, #price",
            "ScanIndexForward": False,
            "ConsistentRead": True,
            "Limit": len(ticks) + MAX_WINDOW,
        }
        points: dict[str, tuple[int, Decimal]] = {}
        while True:
            page = client.query(**request)
            for item in page.get("Items", []):
                _add(points, item)
            more = page.get("LastEvaluatedKey")
            if not more or _enough(points, earliest):
                break
            # Rare (the batch spans ticks far apart): read on, twice as much each time.
            request["ExclusiveStartKey"] = more
            request["Limit"] = min(2 * request["Limit"], 1000)
        # The batch's own images count too (e.g. a tick the table no longer holds).
        for tick in ticks:
            points.setdefault(tick.sk, (tick.ts, tick.price))
        return cls(points)


def _add(points: dict[str, tuple[int, Decimal]], item: dict[str, Any]) -> None:
    sk = item.get("sk", {}).get("S")
    ts = number(item.get("ts"))
    price = number(item.get("price"))
    if not isinstance(sk, str) or ts is None or price is None or price <= 0 or ts.adjusted() > 15:
        logger.warning("Skipping malformed history item", extra={"sk": str(sk)[:200]})
        return
    points[sk] = (int(ts), price)


def _enough(points: dict[str, tuple[int, Decimal]], earliest: tuple[int, str]) -> bool:
    """True when the earliest tick has ``MAX_WINDOW - 1`` complete predecessors.

    Items come newest first by ``ts`` only, so the oldest ``ts`` read so far may be cut
    by the page boundary; only predecessors strictly newer than it are complete.
    """
    if not points:
        return False
    oldest = min(ts for ts, _ in points.values())
    count = sum(1 for sk, (ts, _) in points.items() if ts > oldest and (ts, sk) < earliest)
    return count >= MAX_WINDOW - 1
