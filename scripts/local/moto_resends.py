"""A call the SDK sends again after the local server answered it with success gets that answer again.

The AWS SDKs keep one ``amz-sdk-invocation-id`` for all attempts of an operation and count the
attempt in ``amz-sdk-request``. Under load on this machine, the AWS provider sometimes loses a
response of the local moto server that moto logged as 200, and sends the call again about 100 ms
later. moto then executes it twice: a repeated CreateFunction answers 409 "Function already
exist", a repeated CreateAlias "already exists", and the apply fails. Where the answer is lost is
not known; the answer itself was sent, so this server gives the resend what the SDK never read:
the first attempt's 2xx answer, without executing the call again.

An attempt that failed (4xx, 5xx, a throttle a test injects) is never replayed: its retry executes,
as it would in AWS. An answer is replayed once: should the SDK refuse it for another reason, its
next attempt executes as before. A resend that arrives while the first attempt still runs waits
for it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

#: Answers kept: the last this many operations; an answer larger than MAX_BODY is not kept.
MAX_ENTRIES = 512
MAX_BODY = 1 << 20
#: How long a resend waits for its first attempt still running.
WAIT_SECONDS = 60.0


@dataclass
class _Answer:
    done: threading.Event = field(default_factory=threading.Event)
    status: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    replayed: bool = False


class ReplayResends:
    """WSGI middleware: one execution per SDK operation that succeeded, however often it is sent."""

    def __init__(self, app: WsgiApp, max_entries: int = MAX_ENTRIES) -> None:
        self.app = app
        self.max_entries = max_entries
        self._answers: OrderedDict[str, _Answer] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID", "")
        if not invocation:
            return self.app(environ, start_response)
        with self._lock:
            earlier = self._answers.get(invocation)
            if earlier is None:
                mine = self._answers[invocation] = _Answer()
                while len(self._answers) > self.max_entries:
                    self._answers.popitem(last=False)
        if earlier is not None:
            earlier.done.wait(WAIT_SECONDS)
            with self._lock:
                replay = earlier.body is not None and earlier.status.startswith("2") and not earlier.replayed
                earlier.replayed = True
            if replay:
                start_response(earlier.status, earlier.headers)
                return [earlier.body]
            return self.app(environ, start_response)
        return self._first(environ, start_response, mine)

    def _first(
        self, environ: dict[str, Any], start_response: StartResponse, mine: _Answer
    ) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], Any]:
            captured.update(status=status, headers=list(headers))
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            chunks = self.app(environ, capture)
            try:
                body = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
            if len(body) <= MAX_BODY:
                mine.status, mine.headers, mine.body = captured["status"], captured["headers"], body
            return [body]
        finally:
            mine.done.set()


def install() -> None:
    """Every moto server application answers resends through its own ReplayResends."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    plain = DomainDispatcherApplication.__call__
    if getattr(plain, "replays_resends", False):
        return

    def call(
        self: DomainDispatcherApplication, environ: dict[str, Any], start_response: StartResponse
    ) -> Any:
        if "_replay_resends" not in vars(self):
            self._replay_resends = ReplayResends(lambda e, s: plain(self, e, s))  # type: ignore[attr-defined]
        return self._replay_resends(environ, start_response)  # type: ignore[attr-defined]

    call.replays_resends = True  # type: ignore[attr-defined]
    DomainDispatcherApplication.__call__ = call  # type: ignore[method-assign]
