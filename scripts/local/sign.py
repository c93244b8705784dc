"""Print an ``X-Signature`` header value (or a whole curl command) for a webhook body.

    python -m scripts.local.sign --body '{"symbol":"BTC-USD","price":"65000.5","exchange":"binance"}'

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
from pathlib import Path

from pricing.signature import SIGNATURE_HEADER, signature_header

SESSION_FILE = Path(__file__).resolve().parents[2] / "build" / "local" / "session.json"


def load_session(path: Path = SESSION_FILE) -> dict[str, str]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SystemExit(
            f"no running local deployment ({path} is missing): start `python -m scripts.local --serve` "
            "or pass --secret"
        ) from None


def secret_from_session(session: dict[str, str]) -> str:
    from scripts.local.aws import Clients
    from scripts.local.runtime import read_secret

    return read_secret(Clients(session["endpoint"]), session["secret_arn"])


def curl_command(url: str, body: str, header: str) -> str:
    return " ".join(
        [
            "curl -sS -X POST",
            shlex.quote(url),
            "-H 'Content-Type: application/json'",
            "-H " + shlex.quote(f"{SIGNATURE_HEADER}: {header}"),
            "--data-binary " + shlex.quote(body),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sign a webhook body: prints the X-Signature value.")
    parser.add_argument("--body", required=True, help="the exact request body (JSON text)")
    parser.add_argument(
        "--secret", help="signing secret (default: $WEBHOOK_SECRET or the local deployment's)"
    )
    parser.add_argument("--timestamp", type=int, help="unix seconds (default: now)")
    parser.add_argument("--curl", action="store_true", help="print a complete curl command instead")
    parser.add_argument("--url", help="webhook URL for --curl (default: the local deployment's)")
    parser.add_argument("--session", type=Path, default=SESSION_FILE, help=f"default {SESSION_FILE}")
    args = parser.parse_args(argv)
    session: dict[str, str] | None = None
    secret = args.secret or os.environ.get("WEBHOOK_SECRET")
    if not secret:
        session = load_session(args.session)
        secret = secret_from_session(session)
    header = signature_header(secret, args.body.encode("utf-8"), args.timestamp)
    if args.curl:
        url = args.url or (session or load_session(args.session))["url"]
        print(curl_command(url, args.body, header))
    else:
        print(header)
    return 0


if __name__ == "__main__":
    sys.exit(main())
