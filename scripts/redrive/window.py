"""The receive-time window of an on-failure message's ticks, for the table fallback.

An on-failure record carries the approximate arrival of its batch's first and last
stream records (``approximateArrivalOfFirstRecord`` / ``...LastRecord``: ISO 8601 UTC,
rounded down to the second like a stream record's ``ApproximateCreationDateTime``), and
no item keys. A tick's ``received_at`` (epoch ms) is taken by the webhook before its
PutItem, so it precedes the tick's stream record by the webhook's time to write it (at
most the webhook's timeout, 10 s by default), and the webhook's host clock and
DynamoDB's differ a little. The window of a message is therefore

    [first arrival - slack, last arrival + 1 s (the rounding) + slack]

in epoch milliseconds, both ends included. The slack (``DEFAULT_SLACK_S``) must exceed
the webhook's timeout; a wider slack only finds more un-enriched ticks, which are
pending work too (see ``scripts.redrive.table``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

DEFAULT_SLACK_S = 60
#: An arrival time is rounded down to the second: the record came up to 1 s later.
ROUNDING_MS = 1_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)


class InvalidWindow(ValueError):
    """The message's arrival times cannot bound its ticks (missing, malformed or reversed)."""


@dataclass(frozen=True, order=True)
class Window:
    """Epoch-millisecond bounds of ``received_at``, both included."""

    start_ms: int
    end_ms: int

    def contains(self, received_ms: int) -> bool:
        return self.start_ms <= received_ms <= self.end_ms


def arrival_ms(value: Any, name: str) -> int:
    """An on-failure record's arrival time as epoch milliseconds; :class:`InvalidWindow` if malformed."""
    if not isinstance(value, str) or not value:
        raise InvalidWindow(f"{name} is missing or not a string: {value!r}")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidWindow(f"{name} is not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        # A time without an offset could be any zone's: it cannot bound a receive time.
        raise InvalidWindow(f"{name} has no UTC offset: {value!r}")
    return (moment - _EPOCH) // _MS


def arrival_window(first: Any, last: Any, slack_s: int = DEFAULT_SLACK_S) -> Window:
    """The widened window of a batch whose records arrived from ``first`` to ``last`` (ISO texts)."""
    if slack_s < 0:
        raise ValueError(f"slack must be 0 or more seconds, got {slack_s}")
    start = arrival_ms(first, "approximateArrivalOfFirstRecord")
    end = arrival_ms(last, "approximateArrivalOfLastRecord")
    if end < start:
        raise InvalidWindow(f"approximateArrivalOfLastRecord {last!r} is before the first record's {first!r}")
    slack_ms = slack_s * 1_000
    return Window(start - slack_ms, end + ROUNDING_MS + slack_ms)


def hull(windows: Iterable[Window]) -> Window:
    """The smallest window holding every one of ``windows`` (at least one)."""
    ordered = list(windows)
    if not ordered:
        raise ValueError("hull of no window")
    return Window(min(w.start_ms for w in ordered), max(w.end_ms for w in ordered))
