"""``pipeline-local-redrive`` (``make redrive``): replay the local deployment's on-failure queue.

The running ``make local ARGS=--serve`` deployment (endpoint from build/local/session.json,
or ``--endpoint``): the queue and the enricher are found from the event source mapping
Terraform created, and the enricher runs in this process, as the local runtime runs it.
Everything else (stream, else table fallback; flags; exit status) is ``pipeline-redrive``'s
(:mod:`scripts.redrive`), which replays a deployed environment's queue.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.clihelp import description
from scripts.errors import UserError, one_line
from scripts.local import runtime
from scripts.local.aws import Clients, use_moto_env
from scripts.local.context import INVOCATION_LOCK, FunctionInfo
from scripts.redrive.cli import add_run_arguments, report, run_redriver
from scripts.redrive.core import Redriver

SESSION_FILE = Path(__file__).resolve().parents[2] / "build" / "local" / "session.json"

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class InProcessInvoker:
    """The enricher handler called in this process (local runtime, tests)."""

    handler: Handler
    function: FunctionInfo

    def __call__(self, event: dict[str, Any]) -> list[str]:
        # one invocation at a time in this process, as the local Function URL and poller do
        with INVOCATION_LOCK:
            answer = self.handler(event, self.function.new_context())
        return [item["itemIdentifier"] for item in (answer or {}).get("batchItemFailures", [])]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pipeline-local-redrive", description=description(__doc__))
    parser.add_argument("--endpoint", help="moto endpoint (default: build/local/session.json)")
    parser.add_argument(
        "--queue-url", help="on-failure queue URL (default: the enricher mapping's on-failure destination)"
    )
    add_run_arguments(parser)
    return parser.parse_args(argv)


def session_endpoint(session_file: Path = SESSION_FILE) -> str:
    """The moto endpoint of the running local deployment; exits with a message when none runs."""
    if not session_file.exists():
        raise UserError("no local deployment: start `make local ARGS=--serve` or pass --endpoint")
    return str(json.loads(session_file.read_text())["endpoint"])


def local_redriver(args: argparse.Namespace) -> Redriver:
    """A redriver of the local queue that invokes the enricher in this process."""
    endpoint = args.endpoint or session_endpoint()
    clients = Clients(endpoint)
    use_moto_env(endpoint)
    deployment = runtime.discover(clients)
    queue_url = args.queue_url or runtime.queue_url(clients, deployment.failure_destination or "")
    handler = runtime.load_handler(deployment.enricher, endpoint)
    invoker = InProcessInvoker(handler, deployment.enricher)
    return run_redriver(clients, args, queue_url, lambda info: invoker)


@one_line
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return report(local_redriver(args), args.max_messages)


if __name__ == "__main__":
    sys.exit(main())
