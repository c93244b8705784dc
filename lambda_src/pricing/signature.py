"""Webhook signatures: signing and verification of both schemes the webhook accepts.

The only signing code of the project: the handler verifies with it, and every sender in
``scripts/`` (local feed, ``pipeline-sign``, bench) and the tests sign with it.

**X-Signature** (Stripe-like): ``X-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]``,
each ``v1`` the hex ``HMAC-SHA256(key, b"<t>." + raw_body)``.

**Standard Webhooks** (https://www.standardwebhooks.com, what Svix sends): three headers,
``webhook-id: <message id>``, ``webhook-timestamp: <unix seconds>`` and
``webhook-signature: v1,<base64> [v1,<base64> ...]``, each ``v1`` the base64
``HMAC-SHA256(key, b"<id>.<timestamp>." + raw_body)``. Entries of other versions
(``v1a,...``, asymmetric) are ignored, as the specification says.

Keys, from a stored secret (a Secrets Manager value; AWSCURRENT and AWSPREVIOUS both count):

- X-Signature uses the secret's UTF-8 bytes, whatever it looks like. Stripe's own secrets
  start with ``whsec_`` and Stripe signs with the whole string, so decoding them here would
  break a Stripe-style sender.
- Standard Webhooks decodes a secret of the form ``whsec_<base64>`` to its key bytes (the
  specification's rule, what its libraries and Svix do); any other secret is used as its
  UTF-8 bytes.

**Svix's names**: Svix's libraries and service send the Standard Webhooks scheme under the
``svix-`` prefix (``svix-id``, ``svix-timestamp``, ``svix-signature``); they are read as
aliases of the ``webhook-*`` headers, with the same rules. The two prefixes are never
mixed: when any ``webhook-*`` header is sent, the ``webhook-*`` set is read and every
``svix-*`` header is ignored; the ``svix-*`` set is read only when no ``webhook-*`` header
comes.

Which scheme: when a ``webhook-signature`` (or ``svix-signature``) is sent, Standard
Webhooks, and an ``X-Signature`` sent along is ignored; otherwise ``X-Signature``. A request
with neither signature header but another ``webhook-*``/``svix-*`` header is read as
Standard Webhooks, so its answer names the header it lacks. An empty header counts as absent.

A signature is valid when its timestamp is within :data:`TOLERANCE_S` of now (past or
future) and any of its ``v1`` entries matches any accepted secret; every entry is compared
with every secret in constant time, with no early exit.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

TOLERANCE_S = 300
#: More v1 entries than this is not a rotation, it is an attempt to make us work.
MAX_SIGNATURES = 8
#: Longest header value read, in characters: bounds the parsing and the HMAC input.
MAX_HEADER = 1024

SIGNATURE_HEADER = "X-Signature"
WEBHOOK_ID = "webhook-id"
WEBHOOK_TIMESTAMP = "webhook-timestamp"
WEBHOOK_SIGNATURE = "webhook-signature"
#: Svix's names of the three Standard Webhooks headers, in the same order.
SVIX_ID = "svix-id"
SVIX_TIMESTAMP = "svix-timestamp"
SVIX_SIGNATURE = "svix-signature"
#: The prefix of a Standard Webhooks secret whose rest is the base64 of the key.
STANDARD_SECRET_PREFIX = b"whsec_"

Secret = str | bytes

_DIGITS = re.compile(r"[0-9]{1,12}")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
# Standard base64 of a 32-byte digest, padded, as the specification's libraries write it.
_BASE64_DIGEST = re.compile(r"[A-Za-z0-9+/]{43}=")
_BASE64_KEY = re.compile(rb"[A-Za-z0-9+/]+={0,2}")


class Verdict(enum.Enum):
    """Outcome of a signature check; everything but OK is a 401 whose reason is the value."""

    OK = "ok"
    MISSING = "missing signature"
    MALFORMED = "malformed signature"
    STALE = "signature timestamp out of tolerance"
    MISMATCH = "signature mismatch"
    MISSING_WEBHOOK_ID = "missing webhook-id header"
    MISSING_WEBHOOK_TIMESTAMP = "missing webhook-timestamp header"
    MISSING_WEBHOOK_SIGNATURE = "missing webhook-signature header"
    MALFORMED_WEBHOOK_ID = "malformed webhook-id header"
    MALFORMED_WEBHOOK_TIMESTAMP = "malformed webhook-timestamp header"
    MALFORMED_WEBHOOK_SIGNATURE = "malformed webhook-signature header"
    NO_V1_SIGNATURE = "webhook-signature has no v1 entry"


# --- keys ---------------------------------------------------------------------------------------


def _utf8(secret: Secret) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def standard_key(secret: Secret) -> bytes:
    """The Standard Webhooks key of a stored secret: ``whsec_<base64>`` decoded, else its UTF-8 bytes.

    The base64 may omit its padding; a ``whsec_`` secret whose rest is not base64 is not of
    that form and is used as it is.
    """
    raw = _utf8(secret)
    if not raw.startswith(STANDARD_SECRET_PREFIX):
        return raw
    encoded = raw[len(STANDARD_SECRET_PREFIX) :]
    if not _BASE64_KEY.fullmatch(encoded):
        return raw
    core = encoded.rstrip(b"=")
    try:
        key = base64.b64decode(core + b"=" * (-len(core) % 4), validate=True)
    except binascii.Error:
        return raw
    return key or raw


# --- signing --------------------------------------------------------------------------------------
# Every signer takes the stored secret, then the body, then what else the signature covers.


def sign(secret: Secret, body: bytes, timestamp: int) -> str:
    """X-Signature: hex HMAC-SHA256 of ``b"<timestamp>." + body`` under the secret's UTF-8 bytes."""
    return hmac.new(_utf8(secret), b"%d." % timestamp + body, hashlib.sha256).hexdigest()


def sign_standard(secret: Secret, body: bytes, msg_id: str, timestamp: int) -> str:
    """Standard Webhooks: base64 HMAC-SHA256 of ``b"<msg_id>.<timestamp>." + body`` (no ``v1,``)."""
    return base64.b64encode(_standard_digest(standard_key(secret), body, msg_id, timestamp)).decode("ascii")


def _standard_digest(key: bytes, body: bytes, msg_id: str, timestamp: int) -> bytes:
    return hmac.new(key, msg_id.encode("utf-8") + b".%d." % timestamp + body, hashlib.sha256).digest()


def signature_header(
    secret: Secret, body: bytes, timestamp: int | None = None, extra_secrets: Iterable[Secret] = ()
) -> str:
    """The ``X-Signature`` value for ``body`` now (or at ``timestamp``); one v1 per secret."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return ",".join([f"t={t}", *(f"v1={sign(s, body, t)}" for s in (secret, *extra_secrets))])


def standard_headers(
    secret: Secret,
    body: bytes,
    msg_id: str,
    timestamp: int | None = None,
    extra_secrets: Iterable[Secret] = (),
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` now (or at ``timestamp``); one v1 per secret."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    entries = (f"v1,{sign_standard(s, body, msg_id, t)}" for s in (secret, *extra_secrets))
    return {WEBHOOK_ID: msg_id, WEBHOOK_TIMESTAMP: str(t), WEBHOOK_SIGNATURE: " ".join(entries)}


# --- verification ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignatureHeader:
    """A parsed ``X-Signature`` header; ``signatures`` are the lower-case hex v1 values."""

    timestamp: int
    signatures: tuple[bytes, ...]

    def expected(self, secret: bytes, body: bytes) -> bytes:
        """What a v1 entry holds when signed with ``secret``."""
        return sign(secret, body, self.timestamp).encode("ascii")


@dataclass(frozen=True, slots=True)
class StandardHeaders:
    """Parsed Standard Webhooks headers; ``signatures`` are the decoded 32-byte v1 digests."""

    msg_id: str
    timestamp: int
    signatures: tuple[bytes, ...]

    def expected(self, secret: bytes, body: bytes) -> bytes:
        """What a v1 entry holds (decoded) when signed with ``secret``."""
        return _standard_digest(standard_key(secret), body, self.msg_id, self.timestamp)


Signed = SignatureHeader | StandardHeaders


def _present(value: str | None) -> bool:
    return value is not None and bool(value.strip())


def parse(headers: Mapping[str, str]) -> Signed | Verdict:
    """The signature of a request whose header names are lower-cased, in the scheme it uses.

    Standard Webhooks when ``webhook-signature`` is sent (``X-Signature`` is then ignored),
    or when no ``X-Signature`` is sent but another ``webhook-*`` header is; else X-Signature.
    """
    x_signature = headers.get(SIGNATURE_HEADER.lower())
    msg_id, timestamp, signature = standard_names(headers)
    if _present(signature) or (not _present(x_signature) and (_present(msg_id) or _present(timestamp))):
        return parse_standard(msg_id, timestamp, signature)
    return parse_header(x_signature)


def standard_names(headers: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    """The id, timestamp and signature header values: the ``webhook-*`` set when any of it is
    present, else the ``svix-*`` set (never a mix of the two)."""
    webhook = (headers.get(WEBHOOK_ID), headers.get(WEBHOOK_TIMESTAMP), headers.get(WEBHOOK_SIGNATURE))
    if any(_present(value) for value in webhook):
        return webhook
    return headers.get(SVIX_ID), headers.get(SVIX_TIMESTAMP), headers.get(SVIX_SIGNATURE)


def parse_header(value: str | None) -> SignatureHeader | Verdict:
    """Parse ``X-Signature``; return :attr:`Verdict.MISSING` or :attr:`Verdict.MALFORMED` on failure.

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


def parse_standard(
    msg_id: str | None, timestamp: str | None, signature: str | None
) -> StandardHeaders | Verdict:
    """Parse the three Standard Webhooks headers; the Verdict names the first one missing or malformed.

    Each must be non-empty and at most :data:`MAX_HEADER` characters; the timestamp is whole
    unix seconds; the signature is space-separated ``<version>,<value>`` entries, of which
    the ``v1`` ones (at least one, at most :data:`MAX_SIGNATURES`) are checked and the
    others ignored.
    """
    if msg_id is None or not msg_id.strip():
        return Verdict.MISSING_WEBHOOK_ID
    if timestamp is None or not timestamp.strip():
        return Verdict.MISSING_WEBHOOK_TIMESTAMP
    if signature is None or not signature.strip():
        return Verdict.MISSING_WEBHOOK_SIGNATURE
    if len(msg_id) > MAX_HEADER or not _utf8_encodable(msg_id):
        return Verdict.MALFORMED_WEBHOOK_ID
    if not _DIGITS.fullmatch(timestamp):
        return Verdict.MALFORMED_WEBHOOK_TIMESTAMP
    if len(signature) > MAX_HEADER:
        return Verdict.MALFORMED_WEBHOOK_SIGNATURE
    digests: list[bytes] = []
    for entry in signature.split():
        version, sep, value = entry.partition(",")
        if not sep or not version:
            return Verdict.MALFORMED_WEBHOOK_SIGNATURE
        if version == "v1":
            if not _BASE64_DIGEST.fullmatch(value):
                return Verdict.MALFORMED_WEBHOOK_SIGNATURE
            digests.append(base64.b64decode(value))
    if len(digests) > MAX_SIGNATURES:
        return Verdict.MALFORMED_WEBHOOK_SIGNATURE
    if not digests:
        return Verdict.NO_V1_SIGNATURE
    return StandardHeaders(msg_id, int(timestamp), tuple(digests))


def _utf8_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: it has no bytes to sign
        return False
    return True


def request_digest(header: Signed, body: bytes) -> str:
    """SHA-256 (hex) of what a verified signature covers: the scheme, its timestamp (and
    message id) and the body.

    Two requests have the same digest exactly when they carry the same signed content, so a
    captured replay maps to the request it copies, while a resend signed again at another
    second does not. Extra or reordered ``v1`` entries (anyone can append one) change nothing.
    """
    if isinstance(header, StandardHeaders):
        signed = b"webhook|%s|%d|" % (header.msg_id.encode("utf-8"), header.timestamp)
    else:
        signed = b"x-signature|%d|" % header.timestamp
    return hashlib.sha256(signed + body).hexdigest()


def check_time(header: Signed, now_s: float) -> Verdict:
    """STALE when the timestamp is more than :data:`TOLERANCE_S` from now (past or future), else OK."""
    return Verdict.OK if abs(now_s - header.timestamp) <= TOLERANCE_S else Verdict.STALE


def matches(header: Signed, body: bytes, secrets: Iterable[bytes]) -> bool:
    """True when any v1 entry equals the HMAC of the body under any of ``secrets``."""
    found = False
    for secret in secrets:
        expected = header.expected(secret, body)
        for candidate in header.signatures:
            # No early exit: the work done does not depend on which entry matches.
            found |= hmac.compare_digest(expected, candidate)
    return found
