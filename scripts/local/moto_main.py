"""The local moto server: moto's application, patched where moto differs from AWS, on waitress.

moto 5 forwards every DynamoDB stream record of a table that has an event source
mapping to the mapped function (which needs Docker, absent here) and, whatever the
outcome, then *empties the shard* and restarts its sequence numbers. Real DynamoDB
Streams keep records for 24 hours for any reader. This wrapper makes moto's
forwarding a no-op, so the stream keeps its records and ``scripts.local.poller``
plays the event source mapping's part by reading them with the Streams API.
It also installs scripts/local/moto_transactions.py, so a cancelled TransactWriteItems
leaves the stream readable, and scripts/local/moto_autoscaling_tags.py, the scalable-target
tagging calls hashicorp/aws reads. The server is waitress, not werkzeug's development server
that ``moto_server`` runs (see :func:`main`).

Run as ``python -m scripts.local.moto_main -H 127.0.0.1 -p PORT``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, TextIO

from scripts.clihelp import description
from scripts.local import moto_autoscaling_tags, moto_transactions


def patch_moto() -> None:
    from moto.awslambda.models import LambdaBackend

    def send_dynamodb_items(self: LambdaBackend, function_arn: str, items: list[Any], source: str) -> str:
        return ""  # falsy: moto keeps the shard's records

    LambdaBackend.send_dynamodb_items = send_dynamodb_items  # type: ignore[method-assign,assignment]
    moto_transactions.install()
    moto_autoscaling_tags.install()


#: Request threads: more than one terraform apply sends at once (its parallelism is 10).
THREADS = 16


def logged(app: Any, out: TextIO) -> Any:
    """``app`` writing a line per request to ``out``: method, path, the API call (``X-Amz-Target``),
    the SDK's attempt number (``amz-sdk-request``) and the status, so the log shows which call a
    status answered and whether a client sent it again."""

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            target = environ.get("HTTP_X_AMZ_TARGET", "-")
            attempt = environ.get("HTTP_AMZ_SDK_REQUEST", "-")
            stamp = time.strftime("%d/%b/%Y %H:%M:%S")
            out.write(f'[{stamp}] "{environ["REQUEST_METHOD"]} {environ.get("PATH_INFO", "")} '
                      f'[{target}; {attempt}]" {status.split(" ", 1)[0]}\n')  # fmt: skip
            out.flush()
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return application


def main(argv: list[str] | None = None) -> None:
    """moto's server application on waitress: ``-H HOST -p PORT``.

    moto's own ``moto_server`` runs werkzeug's development server, whose answers a Go client (the
    AWS provider) sometimes does not receive under load although moto has acted: the SDK then
    sends the call again, and a create answers "already exists" (a function, an alias) or a delete
    "not found". waitress is a production WSGI server (HTTP/1.1, request bodies read in full)."""
    import waitress
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    parser = argparse.ArgumentParser(prog="moto_main", description=description(__doc__))
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    os.environ.setdefault("MOTO_PORT", str(args.port))
    patch_moto()
    app = DomainDispatcherApplication(create_backend_app)
    print(f" * Running on http://{args.host}:{args.port}", flush=True)
    waitress.serve(logged(app, sys.stdout), host=args.host, port=args.port, threads=THREADS, _quiet=True)


if __name__ == "__main__":
    main()
