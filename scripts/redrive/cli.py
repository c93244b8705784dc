"""What both redrive commands share: the run's flags, one line per message, the exit status.

``pipeline-redrive`` (:mod:`scripts.redrive.aws`) replays into a deployed enricher;
``pipeline-local-redrive`` (:mod:`scripts.local.redrive`) into the local deployment's,
in its own process. Both hand a :class:`~scripts.redrive.core.Redriver` to :func:`report`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from scripts.redrive.core import BatchInfo, Invoker, Outcome, Redriver, RunStats
from scripts.redrive.window import DEFAULT_SLACK_S

#: The statuses a run ends well with: exit status 0 only when every message has one.
DONE = ("redriven", "dry run")


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of one run, the same for the local and the AWS command."""
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
        type=slack_seconds,
        default=DEFAULT_SLACK_S,
        help="table fallback: widen each message's arrival window by this much on both sides "
        f"(default {DEFAULT_SLACK_S}; keep it above the webhook's timeout)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would be replayed; invoke and delete nothing"
    )


def run_redriver(
    clients: Callable[[str], Any],
    args: argparse.Namespace,
    queue_url: str,
    invoker_for: Callable[[BatchInfo], Invoker],
) -> Redriver:
    """A redriver of ``queue_url`` over ``clients``' SQS, Streams and DynamoDB with the run's flags."""
    return Redriver(
        sqs=clients("sqs"),
        streams=clients("dynamodbstreams"),
        ddb=clients("dynamodb"),
        queue_url=queue_url,
        invoker_for=invoker_for,
        image=args.image,
        dry_run=args.dry_run,
        slack_s=args.slack_seconds,
    )


def slack_seconds(text: str) -> int:
    """``--slack-seconds``: a whole number of seconds, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of seconds: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def describe(outcome: Outcome) -> str:
    """One line per message: its status, where its ticks came from, and what was replayed."""
    if outcome.path not in ("stream", "table") or outcome.status in ("error", "skipped"):
        return f"{outcome.message_id}: {outcome.status}" + (f": {outcome.detail}" if outcome.detail else "")
    text = f"{outcome.message_id}: {outcome.status} from the {outcome.path}"
    text += f" ({outcome.reason})" if outcome.reason else ""
    counts = [f"{outcome.records} record(s) replayed"]
    if outcome.path == "table":
        counts.insert(0, f"{outcome.found} pending tick(s) found")
        counts += [f"{outcome.unsent} unsent revision(s) sent again"] if outcome.unsent else []
        counts += [f"{outcome.unknown} enriched in the window, sent again"] if outcome.unknown else []
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
            f" {stats.read_units:g} read unit(s) consumed, {stats.ticks_found} pending tick(s) found"
        )
    return text


def report(redriver: Redriver, max_messages: int) -> int:
    """Run, print a line per message and what was read; 0 when every message was redriven."""
    outcomes = redriver.run(max_messages)
    for outcome in outcomes:
        print(describe(outcome))
    print(summary(redriver.stats))
    done = sum(1 for o in outcomes if o.status == "redriven")
    print(f"{done}/{len(outcomes)} message(s) redriven from {redriver.queue_url}")
    return 0 if all(o.status in DONE for o in outcomes) else 1
