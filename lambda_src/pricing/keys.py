"""Table keys and ids, per docs/design.md.

One item collection per series, ordered by event time in the table's own sort key, so
the enricher reads a tick's neighbours with a consistent Query on the base table and no
secondary index caps the series (a local secondary index limits every partition key to
10 GB).

- ``pk``: ``"<SYMBOL>#<exchange>"``.
- tick ``sk``: ``"t#<event time, 16-digit epoch microseconds>#<identity>"`` where the
  identity is ``"e#<event_id>"`` when the feed sent an id, else ``"h#<content digest>"``
  (16 hex digits of the SHA-256 of the tick's content). A redelivery maps to the same
  key; two different ticks never do.
- event-id claim ``sk``: ``"e#<event_id>"``, one small item per ``event_id`` that holds
  the content digest and the tick's ``sk``: it makes an ``event_id`` unique in its series
  whatever the tick's time, so a reuse with other content is detected (409).
- request claim ``sk``: ``"r#<request digest>"`` (``"r#<request digest>.<position>"`` for
  an element of a batch), the same small item for a tick whose only identity is the signed
  request that brought it (no ``event_id``, no ``timestamp``); it expires with the
  signature's window.
- tombstone: an item at a tick ``sk`` that carries :data:`TOMBSTONE` and no price, left
  where an orphan claim's tick would have been stored (webhook_processor/store.py); it
  expires after a day and no reader of ticks sees it.
- notification / tick id: ``"<pk>|<sk>"`` (``|`` never occurs in a pk).

Every tick ``sk`` sorts between :data:`TICK_FIRST` and :data:`TICK_LAST`; claims (``e#``,
``r#``) sort before them.

A tick item stores nothing its keys hold: symbol and exchange are read from ``pk``
(:func:`series_of`), the event time and ``event_id`` from ``sk`` (:func:`time_us_of`;
the id follows ``#e#``). Rows written before that rule also carry ``symbol``, ``exchange``,
``ts`` and ``event_id``; readers accept both.
"""

from __future__ import annotations

#: The table's TTL attribute; modules/pipeline/price_table.json names it for Terraform, and
#: the handler tests create their table from that file, so a key renamed on one side fails them.
TTL_ATTRIBUTE = "expires_at"
TICK_PREFIX = "t#"
CLAIM_PREFIX = "e#"
REQUEST_CLAIM_PREFIX = "r#"
#: Bounds of the tick range of a series: ``"t$"`` is the first string after every ``"t#..."``.
TICK_FIRST = TICK_PREFIX
TICK_LAST = "t$"
TIME_DIGITS = 16

#: The enricher's first-enrichment time (epoch ms): a tick without it was never enriched.
ENRICHED_AT = "enriched_at"
#: The stored revision of a tick's indicators (1 for the first enrichment).
REVISION = "revision"
#: ``sk`` of the late tick whose record wrote the stored revision (absent: the tick's own did).
REVISED_BY = "revised_by"
#: The revision whose notification SNS did not accept: written by the enricher only when a
#: publish fails (never by the enrichment write), removed once the message went out or a
#: newer revision is written (absent in steady state). The redrive's table path re-sends
#: every tick that carries it.
UNSENT = "unsent"
DIGEST_DIGITS = 16
#: The marker of a tombstone: an item at a tick key that holds no tick, written when an
#: event-id claim whose tick was never stored is taken over; its value is the sort key of the
#: tick that now holds the id. It keeps the first request's delayed tick write from landing
#: (that write's ``attribute_not_exists`` fails on it). Every reader of ticks skips it.
TOMBSTONE = "tombstone_for"


def series_key(symbol: str, exchange: str) -> str:
    """Partition key of the series of ``symbol`` on ``exchange``."""
    return f"{symbol}#{exchange}"


def series_of(pk: str) -> tuple[str, str]:
    """``(symbol, exchange)`` of a series key; ValueError when ``pk`` is not one."""
    symbol, sep, exchange = pk.partition("#")
    if not sep or not symbol or not exchange or "#" in exchange:
        raise ValueError(f"not a series key: {pk[:80]!r}")
    return symbol, exchange


def tick_sort_key(time_us: int, *, event_id: str | None, digest: str) -> str:
    """Sort key of a tick: event time first, so the table orders a series by time."""
    identity = f"e#{event_id}" if event_id is not None else f"h#{digest[:DIGEST_DIGITS]}"
    return f"{TICK_PREFIX}{time_us:0{TIME_DIGITS}d}#{identity}"


def claim_sort_key(event_id: str) -> str:
    """Sort key of the item that claims ``event_id`` inside its series."""
    return f"{CLAIM_PREFIX}{event_id}"


def request_claim_sort_key(request_digest: str, position: int | None = None) -> str:
    """Sort key of the item that claims a signed request (or element ``position`` of its batch)."""
    suffix = "" if position is None else f".{position}"
    return f"{REQUEST_CLAIM_PREFIX}{request_digest}{suffix}"


def is_tick_key(sk: object) -> bool:
    """True for the sort key of a tick (not of an event-id claim)."""
    return isinstance(sk, str) and sk.startswith(TICK_PREFIX)


def is_tombstone(item: object) -> bool:
    """True for a tombstone (:data:`TOMBSTONE`), as a low-level or a deserialised item."""
    return isinstance(item, dict) and TOMBSTONE in item


def is_stored_tick(item: object) -> bool:
    """True for a row that holds a tick: a tick key, and not a tombstone (either item form)."""
    if not isinstance(item, dict):
        return False
    sk = item.get("sk")
    sk = sk.get("S") if isinstance(sk, dict) else sk
    return is_tick_key(sk) and not is_tombstone(item)


def time_us_of(sk: str) -> int:
    """The event time (epoch microseconds) a tick sort key carries."""
    return int(sk[len(TICK_PREFIX) : len(TICK_PREFIX) + TIME_DIGITS])


def time_ms_of(sk: str) -> int:
    """The event time in epoch milliseconds, as messages and answers carry it (``ts``)."""
    return time_us_of(sk) // 1000


def notification_id(pk: str, sk: str) -> str:
    """Stable id of a tick across retries, replays and revisions: ``"<pk>|<sk>"``."""
    return f"{pk}|{sk}"
