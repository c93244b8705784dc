"""Print an ``X-Signature`` header value (or a whole curl command) for a webhook body.

    python -m scripts.local.sign --body '{"symbol":"BTC-USD","price":"65000.5","exchange":"binance"}'

    python -m scripts.local.sign --body-file batch.json --curl   # a batch: a JSON array of ticks

With ``--standard``, the Standard Webhooks headers instead, one ``name: value`` a line:
``webhook-id`` (``--id``, default a new ``msg_<random hex>``: the tick's event_id when the
body has none), ``webhook-timestamp`` and ``webhook-signature``; ``--svix`` prints the same
under Svix's names (``svix-id``, ``svix-timestamp``, ``svix-signature``). The body is
``--body`` or the bytes of ``--body-file`` (``-`` for stdin), signed exactly as given.

The secret is, in order: ``--secret``, ``$WEBHOOK_SECRET``, or the AWSCURRENT value of
the running local deployment's secret (read from Secrets Manager on the moto server
named in the session file, build/local/session.json unless ``--session``, written by
``python -m scripts.local``).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

from pricing.signature import (
    SIGNATURE_HEADER,
    SVIX_ID,
    SVIX_SIGNATURE,
    SVIX_TIMESTAMP,
    signature_header,
    standard_headers,
)
from scripts.errors import UserError, one_line

SESSION_FILE = Path(__file__).resolve().parents[2] / "build" / "local" / "session.json"


def load_session(path: Path = SESSION_FILE, instead: str = "--secret") -> dict[str, str]:
    """The running local deployment's session; UserError naming ``instead``, the option that
    would have made it unnecessary, when none runs."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(
            f"no running local deployment ({path} is missing): pass {instead}, "
            "or start one with `make local ARGS=--serve`"
        ) from None


def secret_from_session(session: dict[str, str]) -> str:
    from scripts.local.aws import Clients
    from scripts.local.runtime import read_secret

    return read_secret(Clients(session["endpoint"]), session["secret_arn"])


def curl_command(url: str, body: str, header: str | Mapping[str, str]) -> str:
    """A curl POST of ``body``; ``header`` is an X-Signature value or a mapping of headers."""
    headers = {SIGNATURE_HEADER: header} if isinstance(header, str) else header
    return " ".join(
        [
            "curl -sS -X POST",
            shlex.quote(url),
            "-H 'Content-Type: application/json'",
            *("-H " + shlex.quote(f"{name}: {value}") for name, value in headers.items()),
            "--data-binary " + shlex.quote(body),
        ]
    )


def read_body_file(path: str) -> str:
    """The text of ``path`` (``-``: stdin) as it is; a one-line exit for a missing or non-UTF-8 file."""
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_bytes().decode("utf-8")
    except OSError as error:
        raise UserError(f"cannot read --body-file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"--body-file {path} is not UTF-8 text") from None


@one_line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pipeline-sign",
        description="Sign a webhook body: prints the X-Signature value, or the Standard Webhooks headers.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--body", help="the exact request body (JSON text: a tick, or an array of ticks)")
    source.add_argument("--body-file", help="a file holding the exact body (e.g. a batch); - for stdin")
    parser.add_argument(
        "--secret", help="signing secret (default: $WEBHOOK_SECRET or the local deployment's)"
    )
    parser.add_argument("--timestamp", type=int, help="unix seconds (default: now)")
    parser.add_argument(
        "--standard", action="store_true", help="print the Standard Webhooks headers (webhook-*) instead"
    )
    parser.add_argument("--svix", action="store_true", help="like --standard, under Svix's names (svix-*)")
    parser.add_argument("--id", help="webhook-id for --standard/--svix (default: msg_<random hex>)")
    parser.add_argument("--curl", action="store_true", help="print a complete curl command instead")
    parser.add_argument("--url", help="webhook URL for --curl (default: the local deployment's)")
    parser.add_argument("--session", type=Path, default=SESSION_FILE, help=f"default {SESSION_FILE}")
    args = parser.parse_args(argv)
    session: dict[str, str] | None = None
    secret = args.secret or os.environ.get("WEBHOOK_SECRET")
    if not secret:
        session = load_session(args.session)
        secret = secret_from_session(session)
    standard = args.standard or args.svix
    if args.id is not None and not standard:
        parser.error("--id goes with --standard or --svix")
    text = args.body if args.body is not None else read_body_file(args.body_file)
    body = text.encode("utf-8")
    headers: str | dict[str, str]
    if standard:
        msg_id = args.id or f"msg_{uuid.uuid4().hex}"
        headers = standard_headers(secret, body, msg_id, args.timestamp)
        if args.svix:
            headers = dict(zip((SVIX_ID, SVIX_TIMESTAMP, SVIX_SIGNATURE), headers.values(), strict=True))
    else:
        headers = signature_header(secret, body, args.timestamp)
    if args.curl:
        url = args.url or (session or load_session(args.session, instead="--url"))["url"]
        print(curl_command(url, text, headers))
    elif isinstance(headers, str):
        print(headers)
    else:
        print("\n".join(f"{name}: {value}" for name, value in headers.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
