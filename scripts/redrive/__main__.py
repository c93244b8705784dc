"""``python -m scripts.redrive`` (``make redrive``): replay the enricher's on-failure queue.

Local (default): the running ``make local --serve`` deployment (endpoint from
build/local/session.json, or ``--endpoint``); the queue and the enricher are found from
the event source mapping Terraform created, and the enricher runs in this process.

AWS: ``--aws --queue-url URL`` with credentials in the environment; each message's
``requestContext.functionArn`` is invoked synchronously (``lambda:InvokeFunction``) with
the rebuilt event. The caller needs sqs:ReceiveMessage/DeleteMessage/
ChangeMessageVisibility on the queue, dynamodb:GetShardIterator/GetRecords on the stream,
dynamodb:GetItem on the table, and lambda:InvokeFunction on the enricher.

Run it after fixing the cause (the item, the code, the outage). ``--image stream`` replays
the records as streamed instead of re-reading each item; ``--dry-run`` only reports.
Exit status 0 when every message was redriven, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scripts.redrive.core import BatchInfo, InProcessInvoker, Invoker, LambdaInvoker, Outcome, Redriver

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
        help="replay the item as it is now in the table (current) or the stream record's image (stream)",
    )
    parser.add_argument(
        "--max-messages", type=int, default=100, help="stop after this many queue messages (default 100)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would be replayed; invoke and delete nothing"
    )
    return parser.parse_args(argv)


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
    )


def describe(outcome: Outcome) -> str:
    text = f"{outcome.message_id}: {outcome.status} ({outcome.records} record(s)"
    text += f", {outcome.gone} gone" if outcome.gone else ""
    text += f", failed {outcome.failed}" if outcome.failed else ""
    return text + ")" + (f" {outcome.detail}" if outcome.detail else "")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    redriver = aws_redriver(args) if args.aws else local_redriver(args)
    outcomes = redriver.run(args.max_messages)
    for outcome in outcomes:
        print(describe(outcome))
    done = sum(1 for o in outcomes if o.status == "redriven")
    print(f"{done}/{len(outcomes)} message(s) redriven from {redriver.queue_url}")
    return 0 if all(o.status in ("redriven", "dry run") for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
