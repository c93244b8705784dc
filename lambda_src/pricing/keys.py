"""Table keys and ids, per docs/design.md.

- ``pk``: ``"<SYMBOL>#<exchange>"``, one series per symbol and exchange.
- ``sk``: ``"id#<event_id>"`` when the feed sent an id, else ``"ts#<timestamp_ms>"``
  when it sent a timestamp. A tick with neither cannot be recognised when redelivered;
  it gets ``"rx#<received_ms>#<random>"`` so that two such ticks received in the same
  millisecond are both stored instead of the second being taken for a duplicate.
- notification / tick id: ``"<pk>|<sk>"`` (``|`` never occurs in a pk).
"""

from __future__ import annotations


def series_key(symbol: str, exchange: str) -> str:
    """Partition key of the series of ``symbol`` on ``exchange``."""
    return f"{symbol}#{exchange}"


def tick_sort_key(*, event_id: str | None, timestamp_ms: int | None, received_ms: int, nonce: str) -> str:
    """Sort key of a tick inside its series (see the module docstring)."""
    if event_id is not None:
        return f"id#{event_id}"
    if timestamp_ms is not None:
        return f"ts#{timestamp_ms}"
    return f"rx#{received_ms}#{nonce}"


def notification_id(pk: str, sk: str) -> str:
    """Stable id of a tick across retries and replays: ``"<pk>|<sk>"``."""
    return f"{pk}|{sk}"
