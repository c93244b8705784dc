"""Webhook signatures: ``X-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]``.

Each ``v1`` is ``HMAC-SHA256(secret, b"<t>." + raw_body)`` in hex. A signature is valid
when ``t`` is within :data:`TOLERANCE_S` of now and any ``v1`` matches any accepted
secret (AWSCURRENT or AWSPREVIOUS), compared in constant time.

The only signing code of the project: the handler verifies with it, and every sender in
``scripts/`` (local feed, ``pipeline-sign``, bench) and the tests sign with it.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

TOLERANCE_S = 300
#: More v1 entries than this is not a rotation, it is an attempt to make us work.
MAX_SIGNATURES = 8
MAX_HEADER = 1024

SIGNATURE_HEADER = "X-Signature"

Secret = str | bytes

_DIGITS = re.compile(r"[0-9]{1,12}")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


class Verdict(enum.Enum):
    """Outcome of a signature check; everything but OK is a 401."""

    OK = "ok"
    MISSING = "missing signature"
    MALFORMED = "malformed signature"
    STALE = "signature timestamp out of tolerance"
    MISMATCH = "signature mismatch"


@dataclass(frozen=True, slots=True)
class SignatureHeader:
    """A parsed ``X-Signature`` header."""

    timestamp: int
    signatures: tuple[bytes, ...]


def parse_header(value: str | None) -> SignatureHeader | Verdict:
    """Parse the header; return :attr:`Verdict.MISSING` or :attr:`Verdict.MALFORMED` on failure.

    Unknown schemes (``v0=...``) are ignored, as Stripe does; ``t`` must appear once.
    """
    if value is None or not value.strip():
        return Verdict.MISSING
    if len(value) > MAX_HEADER:
        return Verdict.MALFORMED
    timestamp: int | None = None
    signatures: list[bytes] = []
    for part in value.split(","):
        key, sep, item = part.strip().partition("=")
        if not sep:
            return Verdict.MALFORMED
        if key == "t":
            if timestamp is not None or not _DIGITS.fullmatch(item):
                return Verdict.MALFORMED
            timestamp = int(item)
        elif key == "v1":
            if not _HEX64.fullmatch(item):
                return Verdict.MALFORMED
            signatures.append(item.lower().encode("ascii"))
    if timestamp is None or not signatures or len(signatures) > MAX_SIGNATURES:
        return Verdict.MALFORMED
    return SignatureHeader(timestamp, tuple(signatures))


def _utf8(secret: Secret) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: Secret, body: bytes, timestamp: int) -> str:
    """Hex HMAC-SHA256 of ``b"<timestamp>." + body`` under the secret's UTF-8 bytes (a ``v1``)."""
    return hmac.new(_utf8(secret), b"%d." % timestamp + body, hashlib.sha256).hexdigest()


def signature_header(
    secret: Secret, body: bytes, timestamp: int | None = None, extra_secrets: Iterable[Secret] = ()
) -> str:
    """The ``X-Signature`` value for ``body`` now (or at ``timestamp``); one v1 per secret."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return ",".join([f"t={t}", *(f"v1={sign(s, body, t)}" for s in (secret, *extra_secrets))])


def check_time(header: SignatureHeader, now_s: float) -> Verdict:
    """STALE when ``t`` is more than :data:`TOLERANCE_S` from now (past or future), else OK."""
    return Verdict.OK if abs(now_s - header.timestamp) <= TOLERANCE_S else Verdict.STALE


def matches(header: SignatureHeader, body: bytes, secrets: Iterable[bytes]) -> bool:
    """True when any ``v1`` equals the HMAC of the body under any of ``secrets``."""
    found = False
    for secret in secrets:
        expected = sign(secret, body, header.timestamp).encode("ascii")
        for candidate in header.signatures:
            # No early exit: the work done does not depend on which entry matches.
            found |= hmac.compare_digest(expected, candidate)
    return found
