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
from the table (the queue keeps messages 14 days): the ticks received in the message's
arrival window, widened by ``--slack-seconds`` (keep it above the webhook's timeout),
un-enriched or enriched by their own record or a late tick of the window (whether their
message went out is unknown: sent again), and every tick marked ``unsent`` (a stored
revision whose notification SNS did not accept, wherever it was received), whose revision
the enricher sends again. That
fallback reads the **whole table once per run** (about table size / 4 KB / 2 read units,
eventually consistent); the run's last lines say what it read. Finding unsent revisions
needs no action beyond the ones above (the same Scan and GetItem read the mark; the
enricher writes and removes it with its own role).

Run it after fixing the cause (the item, the code, the outage). ``--image stream`` replays
the records as streamed instead of re-reading each item (stream path only); ``--dry-run``
only reports (the fallback's Scan still runs). Exit status 0 when every message was
redriven, 1 otherwise.
"""

from __future__ import annotations

import argparse
import re
import sys
from urllib.parse import urlsplit

import boto3
import botocore.exceptions

from scripts.clihelp import description
from scripts.errors import UserError, one_line
from scripts.redrive.cli import add_run_arguments, report, run_redriver
from scripts.redrive.core import BatchInfo, Invoker, LambdaInvoker, Redriver

#: SQS queue URLs: https://sqs.<region>.amazonaws.com[.cn]/<account>/<queue>, and the legacy
#: https://<region>.queue.amazonaws.com/... and https://queue.amazonaws.com/... (us-east-1).
_QUEUE_PATH = re.compile(r"^/\d{12}/[A-Za-z0-9_-]{1,80}(\.fifo)?$")
_REGIONAL_HOST = re.compile(
    r"^(?:sqs\.(?P<a>[a-z0-9-]+)|(?P<b>[a-z]{2}(?:-[a-z]+)+-\d)\.queue)\.amazonaws\.com(?:\.cn)?$"
)
URL_FORM = "https://sqs.<region>.amazonaws.com/<account id>/<queue name>"


def queue_region(url: str) -> str | None:
    """The region an SQS queue URL names (None for a URL that names none, such as a VPC
    endpoint's); UserError when ``url`` is not a queue URL at all."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or not _QUEUE_PATH.match(parts.path):
        raise UserError(f"--queue-url {url!r} is not an SQS queue URL ({URL_FORM})")
    if parts.hostname == "queue.amazonaws.com":
        return "us-east-1"
    match = _REGIONAL_HOST.match(parts.hostname)
    return (match["a"] or match["b"]) if match else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pipeline-redrive", description=description(__doc__))
    parser.add_argument(
        "--queue-url",
        required=True,
        help="the on-failure queue URL (terraform output -json pipeline: on_failure_queue_url)",
    )
    parser.add_argument(
        "--region", default=None, help="AWS region (default: the queue URL's, else your AWS config)"
    )
    add_run_arguments(parser)
    return parser.parse_args(argv)


def aws_redriver(args: argparse.Namespace) -> Redriver:
    """A redriver of the queue that invokes each message's deployed function, in the queue's
    region unless ``--region`` says otherwise."""
    region = args.region or queue_region(args.queue_url)
    session = boto3.session.Session(region_name=region)
    if session.get_credentials() is None:
        # Without this check the first call fails deep in botocore; say it before anything runs.
        raise botocore.exceptions.NoCredentialsError()
    lam = session.client("lambda")

    def invoker_for(info: BatchInfo) -> Invoker:
        return LambdaInvoker(lam, info.function_arn)

    return run_redriver(session.client, args, args.queue_url, invoker_for)


@one_line
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return report(aws_redriver(args), args.max_messages)


if __name__ == "__main__":
    sys.exit(main())
