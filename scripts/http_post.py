"""One HTTP request to a webhook URL, its status and JSON answer whatever the status: the feed of
``make local`` and ``pipeline-smoke`` send ticks with it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

__all__ = ["Response", "post"]


@dataclass
class Response:
    status: int
    body: dict[str, Any]


def post(
    url: str, body: bytes, headers: dict[str, str], method: str = "POST", timeout: float = 30
) -> Response:
    """One HTTP request; the status and JSON body whatever the status."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, data=body if method != "GET" else None, method=method)  # noqa: S310
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 - http(s) only, checked above
            status, raw = reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        parsed = {"raw": raw.decode("utf-8", "replace")}
    return Response(status, parsed if isinstance(parsed, dict) else {"value": parsed})
