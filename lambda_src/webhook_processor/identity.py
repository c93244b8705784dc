"""How a delivery of a tick is recognised again: the strongest identity its sender gives.

- ``event_id``: the tick's own ``event_id``, else the Standard Webhooks / Svix message id
  (``<id>:<position>`` for an element of a batch). Claimed in its series for the tick's
  lifetime: a redelivery at any time is a duplicate, a reuse with other content a conflict.
- ``content``: a tick with a ``timestamp`` and no id is its time and content; a redelivery
  maps to the same key (no claim needed).
- ``request``: a tick with neither is recognised by the signed request that brought it
  (pricing.signature.request_digest, plus its position in a batch). A captured replay can
  only be accepted while the signature is fresh, so the claim expires when the signature's
  window closes; a sender that signs again and resends makes a new tick, because nothing
  tells it from a new one.
"""

from __future__ import annotations

from dataclasses import dataclass

from pricing.keys import claim_sort_key, request_claim_sort_key
from pricing.signature import TOLERANCE_S, Signed, request_digest
from pricing.ticks import Tick

EVENT_ID = "event_id"
CONTENT = "content"
REQUEST = "request"


@dataclass(frozen=True, slots=True)
class Identity:
    """``kind`` is the receipt's ``dedup``; ``claim_sk`` the claim item's sort key (none for
    ``content``); ``expires_s`` the epoch second after which a request claim no longer counts."""

    kind: str
    claim_sk: str | None = None
    expires_s: int | None = None


def identify(tick: Tick, signed: Signed, body: bytes, position: int | None = None) -> Identity:
    """The identity of ``tick``, which came in ``body`` (at ``position`` of a batch) signed by ``signed``."""
    if tick.event_id is not None:
        return Identity(EVENT_ID, claim_sort_key(tick.event_id))
    if tick.timestamp_us is not None:
        return Identity(CONTENT)
    # The last second the signature is accepted is its timestamp + TOLERANCE_S: the claim
    # must hold at least that long, and DynamoDB compares TTLs with "<" (expired when older).
    return Identity(
        REQUEST,
        request_claim_sort_key(request_digest(signed, body), position),
        expires_s=signed.timestamp + TOLERANCE_S + 1,
    )
