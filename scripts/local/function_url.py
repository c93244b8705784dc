"""Lambda Function URL emulation: HTTP request -> payload 2.0 event, handler result -> HTTP response.

Follows the Function URL payload format 2.0 (the API Gateway HTTP API v2 shape):
lower-cased headers (repeated ones joined with commas), cookies split out,
``queryStringParameters`` only when there is a query, the body as text for
textual content types and base64 otherwise (``isBase64Encoded``), and a
``requestContext`` with the method, path, source IP and ``timeEpoch``.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

TEXT_TYPES = (
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/x-www-form-urlencoded",
)
URL_ID = "localfunctionurl0000000000000000"


def is_text_content(content_type: str | None) -> bool:
    if not content_type:
        return False
    ctype = content_type.split(";", 1)[0].strip().lower()
    return ctype.startswith(TEXT_TYPES) or ctype.endswith("+json") or ctype.endswith("+xml")


def build_event(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    source_ip: str = "127.0.0.1",
    now_ms: int | None = None,
    domain_name: str = f"{URL_ID}.lambda-url.us-east-1.on.aws",
    request_id: str | None = None,
) -> dict[str, Any]:
    """The payload 2.0 event Lambda would pass for this request."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    raw_path = raw_path or "/"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": merged,
    }
    if cookies:
        event["cookies"] = cookies
    if raw_query:
        params: dict[str, str] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            params[key] = f"{params[key]},{value}" if key in params else value
        event["queryStringParameters"] = params
    event["requestContext"] = {
        "accountId": "anonymous",
        "apiId": domain_name.split(".", 1)[0],
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".", 1)[0],
        "http": {
            "method": method.upper(),
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": merged.get("user-agent", ""),
        },
        "requestId": request_id or str(uuid.uuid4()),
        "routeKey": "$default",
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
        "timeEpoch": now_ms,
    }
    if body:
        if is_text_content(merged.get("content-type")):
            try:
                event["body"] = body.decode("utf-8")
                event["isBase64Encoded"] = False
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(body).decode("ascii")
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def to_http_response(result: Any) -> HttpResponse:
    """What a Function URL returns for a handler result (payload 2.0 response rules).

    A dict with ``statusCode`` is a structured response; anything else that is
    valid JSON is returned as a 200 ``application/json`` body.
    """
    if isinstance(result, dict) and "statusCode" in result:
        status = int(result["statusCode"])
        headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
        headers.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or [])
        body = result.get("body")
        if body is None:
            raw = b""
        elif result.get("isBase64Encoded"):
            raw = base64.b64decode(body)
        else:
            raw = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", "application/json"))
        return HttpResponse(status, headers, raw)
    raw = result.encode("utf-8") if isinstance(result, str) else json.dumps(result).encode("utf-8")
    return HttpResponse(200, [("Content-Type", "application/json")], raw)


def error_response(status: int, message: str) -> HttpResponse:
    """What the Function URL front end answers when the function itself fails."""
    body = json.dumps({"Message": message}).encode("utf-8")
    return HttpResponse(status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", message)], body)
