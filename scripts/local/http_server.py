"""A local Function URL: a threading HTTP server on 127.0.0.1 that invokes a handler in-process."""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from scripts.local.context import INVOCATION_LOCK, FunctionInfo
from scripts.local.function_url import build_event, error_response, to_http_response

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]
MAX_REQUEST_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer with a listen backlog for bursts (Python's default is 5)."""

    request_queue_size = 128
    daemon_threads = True


class FunctionUrlServer:
    """Serves ``handler`` as a Function URL would; ``url`` once started."""

    def __init__(self, handler: Handler, function: FunctionInfo, host: str = "127.0.0.1", port: int = 0):
        self.handler = handler
        self.function = function
        self.invocations = 0
        self.errors = 0
        self._lock = threading.Lock()
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "local-function-url"
            sys_version = ""

            def _handle(self) -> None:
                server.handle_request(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("%s %s", self.address_string(), format % args)

        self.httpd = _Server((host, port), RequestHandler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> FunctionUrlServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="function-url", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.httpd.server_close()

    def handle_request(self, request: BaseHTTPRequestHandler) -> None:
        path, _, query = request.path.partition("?")
        length = int(request.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self._send(request, error_response(413, "RequestEntityTooLargeException"))
            return
        body = request.rfile.read(length) if length > 0 else b""
        event = build_event(
            method=request.command,
            raw_path=path,
            raw_query=query,
            headers=list(request.headers.items()),
            body=body,
            source_ip=request.client_address[0],
        )
        with self._lock:
            self.invocations += 1
        try:
            with INVOCATION_LOCK:
                result = self.handler(json.loads(json.dumps(event)), self.function.new_context())
            json.dumps(result)  # the runtime serialises the result; unserialisable is an error
            response = to_http_response(result)
        except Exception:
            with self._lock:
                self.errors += 1
            log.error("%s raised:\n%s", self.function.name, traceback.format_exc())
            response = error_response(502, "Internal Server Error")
        self._send(request, response)

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, response: Any) -> None:
        request.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                request.send_header(name, value)
        request.send_header("Content-Length", str(len(response.body)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(response.body)
