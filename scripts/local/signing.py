"""The webhook protocol's signature.

``X-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Signature"


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes, body: bytes, timestamp: int) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>." + body``."""
    return hmac.new(_key(secret), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def signature_header(
    secret: str | bytes, body: bytes, timestamp: int | None = None, extra_secrets: tuple[str, ...] = ()
) -> str:
    """The ``X-Signature`` value for ``body`` now (or at ``timestamp``); one v1 per secret."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    parts = [f"t={t}", f"v1={sign(secret, body, t)}"]
    parts.extend(f"v1={sign(other, body, t)}" for other in extra_secrets)
    return ",".join(parts)
