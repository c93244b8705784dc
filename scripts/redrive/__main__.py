"""``pipeline-redrive`` (``make redrive ARGS="--aws ..."``): replay a deployed enricher's on-failure queue.

``--queue-url URL`` (``terraform output -json pipeline``: ``on_failure_queue_url``) with
credentials in the environment; each message's ``requestContext.functionArn`` is invoked
synchronously (``lambda:InvokeFunction``) with the rebuilt event. The caller needs the
module's ``operator_policy_json`` output (modules/pipeline/operator.tf, docs/operations.md):
sqs:ReceiveMessage/DeleteMessage/ChangeMessageVisibility on the queue,
dynamodb:GetShardIterator/GetRecords on the stream, dynamodb:GetItem and dynamodb:Scan on
the table, lambda:InvokeFunction on the enricher, and kms:Decrypt on the pipeline's key (the
queue is encrypted with it). The local deployment's queue is
``pipeline-local-redrive``'s (:mod:`scripts.local.redrive`).

Each message is replayed from the stream while it holds the records (24 hours), else
from the table (the queue keeps messages 14 days): the un-enriched ticks received in the
message's arrival window, widened by ``--slack-seconds`` (keep it above the webhook's
timeout), and every tick marked ``unsent`` (a stored revision whose notification SNS never
accepted, wherever it was received), whose revision the enricher sends again. That
fallback reads the **whole table once per run** (about table size / 4 KB / 2 read units,
eventually consistent); the run's last lines say what it read. Finding unsent revisions
needs no action beyond the ones above (the same Scan and GetItem read the mark; the
enricher removes it with its own role).

Run it after fixing the cause (the item, the code, the outage). ``--image stream`` replays
the records as streamed instead of re-reading each item (stream path only); ``--dry-run``
only reports (the fallback's Scan still runs). Exit status 0 when every message was
redriven, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys

import boto3

from scripts.redrive.cli import add_run_arguments, report
from scripts.redrive.core import BatchInfo, Invoker, LambdaInvoker, Redriver


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pipeline-redrive", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--queue-url",
        required=True,
        help="the on-failure queue URL (terraform output -json pipeline: on_failure_queue_url)",
    )
    parser.add_argument("--region", default=None, help="AWS region (default: your AWS config)")
    add_run_arguments(parser)
    return parser.parse_args(argv)


def aws_redriver(args: argparse.Namespace) -> Redriver:
    """A redriver of the queue that invokes each message's deployed function."""
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return report(aws_redriver(args), args.max_messages)


if __name__ == "__main__":
    sys.exit(main())
