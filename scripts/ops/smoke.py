"""``pipeline-smoke`` (``make smoke ENV=<env>``): one signed tick through the deployed pipeline.

Steps, each timed: read the signing secret (AWSCURRENT); create a temporary SQS queue
(``<name_prefix>-smoke-<random>``, SQS-managed encryption: SNS delivers to it without a grant on
the topic's KMS key) subscribed to the topic; POST one signed tick (symbol SMOKE-USD, exchange
``smoke``: a series of its own) to the Function URL; wait for its enriched row (GetItem,
consistent); wait for its notification on the queue. The queue and the subscription are always
removed. Exit status 0 when every step passed; else 1 and one line naming the failing step.

The environment's ``terraform output -json pipeline`` gives the URL, table, topic and secret
(``--env``); ``--env local`` is ``make local ARGS=--serve``'s deployment. docs/operations.md has
the operator policy the command needs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from pricing.signature import signature_header
from scripts.clihelp import description
from scripts.http_post import post
from scripts.ops.target import OpsError, Target, add_target_arguments, aws_error, resolve, run_command
from scripts.ops.topic_queue import subscribe_new_queue

SYMBOL, EXCHANGE = "SMOKE-USD", "smoke"
#: Seconds the temporary queue keeps a message: past any wait of one run.
RETENTION = "600"
#: A new queue policy can take up to a minute to reach SNS (SQS SetQueueAttributes); SNS retries meanwhile.
DEFAULT_TIMEOUT_S = 90.0
#: The temporary queue's name after the environment's name prefix; the operator policy grants this pattern.
QUEUE_INFIX = "-smoke-"


class StepFailed(OpsError):
    def __init__(self, step: str, why: str) -> None:
        super().__init__(f"smoke test failed at step '{step}': {why}", status=1)
        self.step = step


@dataclass
class Smoke:
    """One run against ``target``; ``steps`` holds (name, seconds) of the steps passed."""

    target: Target
    timeout_s: float = DEFAULT_TIMEOUT_S
    poll_s: float = 0.5
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    say: Callable[[str], None] = print
    steps: list[tuple[str, float]] = field(default_factory=list)
    cleanup_problems: list[str] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = self.clock()
        try:
            yield
        except StepFailed:
            raise
        except (BotoCoreError, ClientError) as exc:
            raise StepFailed(name, aws_error(exc)) from None
        elapsed = self.clock() - started
        self.steps.append((name, elapsed))
        self.say(f"  {name:<10} {elapsed:7.2f} s")

    def run(self) -> None:
        outputs = self.target
        url = outputs.webhook_url or outputs.output("webhook_url")
        if not url.startswith(("http://", "https://")):
            raise StepFailed("outputs", f"the webhook URL {url!r} is not an http(s) URL")
        table, topic = outputs.output("table_name"), outputs.output("topic_arn")
        secret_arn, prefix = outputs.output("webhook_secret_arn"), outputs.output("name_prefix")
        clients = self.target.clients
        with self.step("secret"):
            secret = clients("secretsmanager").get_secret_value(
                SecretId=secret_arn, VersionStage="AWSCURRENT"
            )["SecretString"]
        queue_url = subscription = None
        try:
            with self.step("subscribe"):
                name = f"{prefix}{QUEUE_INFIX}{uuid.uuid4().hex[:8]}"
                queue = subscribe_new_queue(
                    self.target.clients, topic, name, {"MessageRetentionPeriod": "600"}
                )
                queue_url, subscription = queue.url, queue.subscription_arn
            with self.step("post"):
                tick_id = self._post(url, secret)
            pk, sk = tick_id.split("|", 1)
            with self.step("enriched"):
                self._until(
                    "enriched", f"no enriched row for {tick_id}", lambda: self._enriched(table, pk, sk)
                )
            with self.step("notified"):
                self._until(
                    "notified", f"no notification for {tick_id}", lambda: self._notified(queue_url, tick_id)
                )
        finally:
            self._cleanup(queue_url, subscription)

    def _post(self, url: str, secret: str) -> str:
        body = json.dumps(
            {"symbol": SYMBOL, "price": "1", "exchange": EXCHANGE, "event_id": f"smoke-{uuid.uuid4().hex}"}
        ).encode()
        headers = {"Content-Type": "application/json", "X-Signature": signature_header(secret, body)}
        try:
            answer = post(url, body, headers, timeout=min(30.0, self.timeout_s))
        except (urllib.error.URLError, OSError) as exc:
            raise StepFailed("post", f"cannot reach {url}: {getattr(exc, 'reason', exc)}") from None
        if answer.status != 200 or answer.body.get("status") != "stored":
            raise StepFailed("post", f"the webhook answered {answer.status} {json.dumps(answer.body)[:200]}")
        return str(answer.body["tick_id"])

    def _enriched(self, table: str, pk: str, sk: str) -> bool:
        item = (
            self.target.clients("dynamodb")
            .get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
            .get("Item")
        )
        return bool(item and "enriched_at" in item)

    def _notified(self, queue_url: str | None, tick_id: str) -> bool:
        reply = self.target.clients("sqs").receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in reply.get("Messages", []):
            try:
                if json.loads(message["Body"]).get("notification_id") == tick_id:
                    return True
            except ValueError:
                continue  # not a notification of this pipeline: the queue is deleted anyway
        return False

    def _until(self, step: str, why: str, done: Callable[[], bool]) -> None:
        deadline = self.clock() + self.timeout_s
        while not done():
            if self.clock() >= deadline:
                raise StepFailed(step, f"{why} after {self.timeout_s:g} s")
            self.sleep(self.poll_s)

    def _cleanup(self, queue_url: str | None, subscription: str | None) -> None:
        for what, call in (
            (
                "unsubscribe",
                lambda: subscription and self.target.clients("sns").unsubscribe(SubscriptionArn=subscription),
            ),
            (
                "delete queue",
                lambda: queue_url and self.target.clients("sqs").delete_queue(QueueUrl=queue_url),
            ),
        ):
            try:
                call()
            except (BotoCoreError, ClientError) as exc:
                self.cleanup_problems.append(f"{what}: {aws_error(exc)}")
                self.say(f"warning: {what} failed, remove it by hand: {aws_error(exc)}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pipeline-smoke", description=description(__doc__))
    add_target_arguments(parser)
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help="seconds to wait for the enriched row, and again for the notification "
        f"(default {DEFAULT_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--url", help="POST here instead of the webhook_url output (a proxy, a custom domain)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, resolver: Callable[..., Target] = resolve) -> int:
    args = parse_args(argv)

    def body() -> int:
        if args.timeout <= 0:
            raise OpsError("--timeout must be more than 0 seconds")
        target = resolver(args.env, args.region)
        if args.url:
            target.webhook_url = args.url
        print(f"smoke test of {target.env}:")
        smoke = Smoke(target, timeout_s=args.timeout)
        smoke.run()
        total = sum(seconds for _, seconds in smoke.steps)
        print(f"smoke test of {target.env} passed in {total:.2f} s")
        return 0

    return run_command(body)


if __name__ == "__main__":
    sys.exit(main())
