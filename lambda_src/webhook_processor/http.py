"""Function URL (payload format 2.0) requests and JSON responses."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

JSON_HEADERS = {"content-type": "application/json", "cache-control": "no-store"}


class HttpError(Exception):
    """Ends a request with ``status`` and ``{"error": reason}``."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}


@dataclass(frozen=True, slots=True)
class Request:
    """What the handler needs from a Function URL event."""

    method: str
    headers: dict[str, str]
    body: bytes


def json_response(
    status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A Function URL response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {**JSON_HEADERS, **(headers or {})},
        "body": json.dumps(payload, separators=(",", ":"), sort_keys=True),
    }


def error_response(error: HttpError) -> dict[str, Any]:
    """The response of an :class:`HttpError`."""
    return json_response(error.status, {"error": error.reason}, error.headers)


def read_request(event: object, max_body_bytes: int) -> Request:
    """Method, lower-cased headers and raw body bytes of a POST; raise :class:`HttpError` otherwise.

    405 for another method, 413 when the raw body is over ``max_body_bytes``, 400 when the
    event is not a Function URL event or the base64 body does not decode.
    """
    if not isinstance(event, dict):
        raise HttpError(400, "not a Function URL event")
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    method = http.get("method") if isinstance(http, dict) else None
    if not isinstance(method, str):
        raise HttpError(400, "not a Function URL event")
    if method.upper() != "POST":
        raise HttpError(405, "method not allowed", {"allow": "POST"})
    raw_headers = event.get("headers")
    headers = (
        {k.lower(): v for k, v in raw_headers.items() if isinstance(k, str) and isinstance(v, str)}
        if isinstance(raw_headers, dict)
        else {}
    )
    return Request(method="POST", headers=headers, body=_body(event, max_body_bytes))


def _body(event: dict[str, Any], max_body_bytes: int) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise HttpError(400, "body must be a string")
    if event.get("isBase64Encoded") is True:
        # Base64 is 4 characters per 3 bytes: reject a huge body before decoding it.
        if len(body) > (max_body_bytes + 2) // 3 * 4 + 4:
            raise HttpError(413, "body too large")
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise HttpError(400, "body is not valid base64") from None
    else:
        if len(body) > max_body_bytes:  # characters <= bytes: a cheap early check
            raise HttpError(413, "body too large")
        # surrogatepass: a lone surrogate becomes bytes that fail UTF-8 decoding later (400).
        raw = body.encode("utf-8", "surrogatepass")
    if len(raw) > max_body_bytes:
        raise HttpError(413, "body too large")
    return raw
