"""``python -m scripts.redrive`` (``make redrive``): replay the enricher's on-failure queue.

Local (default): the running ``make local --serve`` deployment (endpoint from
build/local/session.json, or ``--endpoint``); the queue and the enricher are found from
the event source mapping Terraform created, and the enricher runs in this process.

AWS: ``--aws --queue-url URL`` with credentials in the environment; each message's
``requestContext.functionArn`` is invoked synchronously (``lambda:InvokeFunction``) with
the rebuilt event. The caller needs sqs:ReceiveMessage/DeleteMessage/
ChangeMessageVisibility on the queue, dynamodb:GetShardIterator/GetRecords on the stream,
dynamodb:GetItem and dynamodb:Scan on the table, and lambda:InvokeFunction on the enricher.

Each message is replayed from the stream while it holds the records (24 hours), else
from the table (the queue keeps messages 14 days): the un-enriched ticks received in the
message's arrival window, widened by ``--slack-seconds`` (keep it above the webhook's
timeout). That fallback reads the **whole table once per run** (about table size / 4 KB
/ 2 read units, eventually consistent); the run's last lines say what it read.

Run it after fixing the cause (the item, the code, the outage). ``--image stream`` replays
the records as streamed instead of re-reading each item (stream path only); ``--dry-run``
only reports (the fallback's Scan still runs). Exit status 0 when every message was
redriven, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scripts.redrive.core import (
    BatchInfo,
    InProcessInvoker,
    Invoker,
    LambdaInvoker,
    Outcome,
    Redriver,
    RunStats,
)
from scripts.redrive.window import DEFAULT_SLACK_S

SESSION_FILE = Path(__file__).resolve().parents[2] / "build" / "local" / "session.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pipeline-redrive", description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", help="moto endpoint (default: build/local/session.json)")
    parser.add_argument("--aws", action="store_true", help="real AWS: invoke the deployed function")
    parser.add_argument("--queue-url", help="on-failure queue URL (local: found from the mapping)")
    parser.add_argument("--region", default=None, help="AWS region with --aws (default: your AWS config)")
    parser.add_argument(
        "--image",
        choices=("current", "stream"),
        default="current",
        help="replay the item as it is now in the table (current) or the stream record's image "
        "(stream; the table fallback always replays the item as it is now)",
    )
    parser.add_argument(
        "--max-messages", type=int, default=100, help="stop after this many queue messages (default 100)"
    )
    parser.add_argument(
        "--slack-seconds",
        type=_slack,
        default=DEFAULT_SLACK_S,
        help="table fallback: widen each message's arrival window by this much on both sides "
        f"(default {DEFAULT_SLACK_S}; keep it above the webhook's timeout)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would be replayed; invoke and delete nothing"
    )
    return parser.parse_args(argv)


def _slack(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of seconds: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def local_redriver(args: argparse.Namespace) -> Redriver:
    from scripts.local import runtime
    from scripts.local.aws import Clients, use_moto_env

    endpoint = args.endpoint
    if not endpoint:
        if not SESSION_FILE.exists():
            raise SystemExit("no local deployment: start `make local ARGS=--serve` or pass --endpoint")
        endpoint = json.loads(SESSION_FILE.read_text())["endpoint"]
    clients = Clients(endpoint)
    use_moto_env(endpoint)
    deployment = runtime.discover(clients)
    queue_url = args.queue_url or runtime.queue_url(clients, deployment.failure_destination or "")
    handler = runtime.load_handler(deployment.enricher, endpoint)
    invoker = InProcessInvoker(handler, deployment.enricher)
    return Redriver(
        sqs=clients("sqs"),
        streams=clients("dynamodbstreams"),
        ddb=clients("dynamodb"),
        queue_url=queue_url,
        invoker_for=lambda info: invoker,
        image=args.image,
        dry_run=args.dry_run,
        slack_s=args.slack_seconds,
    )


def aws_redriver(args: argparse.Namespace) -> Redriver:
    import boto3

    if not args.queue_url:
        raise SystemExit("--aws needs --queue-url (terraform output on_failure_queue_url)")
    session = boto3.session.Session(region_name=args.region)
    lam = session.client("lambda")

    def invoker_for(info: BatchInfo) -> Invoker:
        return LambdaInvoker(lam, info.function_arn)

    return Redriver(
        sqs=session.client("sqs"),
        streams=session.client("dynamodbstreams"),
        ddb=session.client("dynamodb"),
        queue_url=args.queue_url,
        invoker_for=invoker_for,
        image=args.image,
        dry_run=args.dry_run,
        slack_s=args.slack_seconds,
    )


def describe(outcome: Outcome) -> str:
    """One line per message: its status, where its ticks came from, and what was replayed."""
    if outcome.path not in ("stream", "table") or outcome.status in ("error", "skipped"):
        return f"{outcome.message_id}: {outcome.status}" + (f": {outcome.detail}" if outcome.detail else "")
    text = f"{outcome.message_id}: {outcome.status} from the {outcome.path}"
    text += f" ({outcome.reason})" if outcome.reason else ""
    counts = [f"{outcome.records} record(s) replayed"]
    if outcome.path == "table":
        counts.insert(0, f"{outcome.found} un-enriched tick(s) in the window")
        counts += [f"{outcome.enriched} enriched meanwhile"] if outcome.enriched else []
    counts += [f"{outcome.gone} gone"] if outcome.gone else []
    counts += [f"failed {outcome.failed}"] if outcome.failed else []
    text += ": " + ", ".join(counts)
    return text + (f"; {outcome.detail}" if outcome.detail else "")


def summary(stats: RunStats) -> str:
    """What the run read: the table fallback's Scan is its cost driver."""
    text = f"messages via stream: {stats.via_stream}, via table scan: {stats.via_table}"
    if stats.scans:
        text += (
            f"; {stats.scans} table scan(s): {stats.items_scanned} item(s) scanned,"
            f" {stats.read_units:g} read unit(s) consumed, {stats.ticks_found} un-enriched tick(s) found"
        )
    return text


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    redriver = aws_redriver(args) if args.aws else local_redriver(args)
    outcomes = redriver.run(args.max_messages)
    for outcome in outcomes:
        print(describe(outcome))
    print(summary(redriver.stats))
    done = sum(1 for o in outcomes if o.status == "redriven")
    print(f"{done}/{len(outcomes)} message(s) redriven from {redriver.queue_url}")
    return 0 if all(o.status in ("redriven", "dry run") for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
