"""moto_server with one change: moto does not try to run stream-triggered functions itself.

moto 5 forwards every DynamoDB stream record of a table that has an event source
mapping to the mapped function (which needs Docker, absent here) and, whatever the
outcome, then *empties the shard* and restarts its sequence numbers. Real DynamoDB
Streams keep records for 24 hours for any reader. This wrapper makes moto's
forwarding a no-op, so the stream keeps its records and ``scripts.local.poller``
plays the event source mapping's part by reading them with the Streams API.
It also installs scripts/local/moto_transactions.py, so a cancelled TransactWriteItems
leaves the stream readable, scripts/local/moto_autoscaling_tags.py, the scalable-target
tagging calls hashicorp/aws reads, and scripts/local/moto_resends.py, which answers an SDK's
resend of a call it already answered with success with that answer instead of executing the
call twice. Everything else is the stock ``moto.server.main``.

Run as ``python -m scripts.local.moto_main -H 127.0.0.1 -p PORT``.
"""

from __future__ import annotations

import sys
from typing import Any

from scripts.local import moto_autoscaling_tags, moto_resends, moto_transactions


def patch_moto() -> None:
    from moto.awslambda.models import LambdaBackend

    def send_dynamodb_items(self: LambdaBackend, function_arn: str, items: list[Any], source: str) -> str:
        return ""  # falsy: moto keeps the shard's records

    LambdaBackend.send_dynamodb_items = send_dynamodb_items  # type: ignore[method-assign,assignment]
    moto_transactions.install()
    moto_autoscaling_tags.install()
    moto_resends.install()


def log_calls() -> None:
    """Each request's log line names the API call and the SDK's attempt number (``amz-sdk-request``),
    so the log shows which call a status answered and whether a client sent it again."""
    from werkzeug.serving import WSGIRequestHandler

    plain = WSGIRequestHandler.log_request

    def log_request(self: WSGIRequestHandler, code: int | str = "-", size: int | str = "-") -> None:
        target = self.headers.get("X-Amz-Target", "")
        attempt = self.headers.get("amz-sdk-request", "")
        if not (target or attempt):
            plain(self, code, size)
            return
        path, self.path = self.path, f"{self.path} [{target or '-'}; {attempt or '-'}]"
        try:
            plain(self, code, size)
        finally:
            self.path = path

    WSGIRequestHandler.log_request = log_request  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    patch_moto()
    log_calls()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
