"""``pipeline-smoke`` against the handlers on moto: the webhook behind a local Function URL,
the enricher run on the table's stream whenever the smoke test waits (time is a fake clock).

Each failure names its step, and the temporary queue and subscription never outlive a run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scripts.local.context import FunctionInfo
from scripts.local.http_server import FunctionUrlServer
from scripts.ops.smoke import EXCHANGE, SYMBOL, Smoke, StepFailed
from scripts.ops.target import Target
from tests.handlers.conftest import Aws, enrich
from webhook_processor import handler as webhook

WEBHOOK = FunctionInfo("webhook", "arn:aws:lambda:us-east-1:123456789012:function:webhook", "h", {})


@pytest.fixture
def url(aws: Aws) -> Iterator[str]:
    server = FunctionUrlServer(webhook.handler, WEBHOOK).start()
    try:
        yield server.url
    finally:
        server.stop()


class Pipeline:
    """The smoke test's clock and sleep: each wait runs the enricher on the new tick INSERTs."""

    def __init__(self, aws: Aws, enricher_runs: bool = True) -> None:
        self.aws, self.enricher_runs, self.now, self.lines = aws, enricher_runs, 0.0, []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        records = [
            r
            for r in self.aws.stream_records()
            if r["eventName"] == "INSERT" and r["dynamodb"]["Keys"]["sk"]["S"].startswith("t#")
        ]
        if records and self.enricher_runs:
            assert enrich(records) == []

    def smoke(self, aws: Aws, url: str, **outputs: Any) -> Smoke:
        values = {
            "table_name": aws.table,
            "topic_arn": aws.topic_arn,
            "webhook_secret_arn": aws.secret_arn,
            "name_prefix": "crypto-prices-test",
            **outputs,
        }
        target = Target("test", values, aws.client, url)
        return Smoke(target, timeout_s=10, clock=self.clock, sleep=self.sleep, say=self.lines.append)


def queues_and_subscriptions(aws: Aws) -> tuple[list[str], list[str]]:
    queues = aws.client("sqs").list_queues().get("QueueUrls", [])
    subscriptions = [s["Endpoint"] for s in aws.client("sns").list_subscriptions()["Subscriptions"]]
    return sorted(queues), sorted(subscriptions)


def test_a_working_pipeline_passes_every_step_and_leaves_nothing(aws: Aws, url: str) -> None:
    before = queues_and_subscriptions(aws)
    pipeline = Pipeline(aws)
    smoke = pipeline.smoke(aws, url)
    smoke.run()
    assert [name for name, _ in smoke.steps] == ["secret", "subscribe", "post", "enriched", "notified"]
    assert len(pipeline.lines) == 5  # one latency line per step
    (row,) = [row for row in aws.items() if row["pk"] == f"{SYMBOL}#{EXCHANGE}"]
    assert "enriched_at" in row
    assert queues_and_subscriptions(aws) == before
    assert smoke.cleanup_problems == []


def test_an_enricher_that_never_runs_fails_the_enriched_step(aws: Aws, url: str) -> None:
    before = queues_and_subscriptions(aws)
    smoke = Pipeline(aws, enricher_runs=False).smoke(aws, url)
    with pytest.raises(StepFailed) as failed:
        smoke.run()
    assert failed.value.step == "enriched"
    assert "no enriched row" in str(failed.value)
    assert "after 10 s" in str(failed.value)
    assert queues_and_subscriptions(aws) == before  # removed on failure too


def test_a_wrong_secret_fails_the_post_step(aws: Aws, url: str) -> None:
    smoke = Pipeline(aws).smoke(aws, url)
    real = smoke.target.clients

    def stale_secret(service: str) -> Any:
        client = real(service)
        if service == "secretsmanager":

            class Stale:
                def get_secret_value(self, **_: Any) -> dict[str, str]:
                    return {"SecretString": "whsec-someone-elses"}

            return Stale()
        return client

    smoke.target.clients = stale_secret
    with pytest.raises(StepFailed) as failed:
        smoke.run()
    assert failed.value.step == "post"
    assert "401" in str(failed.value)


def test_a_missing_secret_fails_the_secret_step_with_the_aws_code(aws: Aws, url: str) -> None:
    smoke = Pipeline(aws).smoke(aws, url, webhook_secret_arn="arn:aws:secretsmanager:us-east-1:1:secret:gone")
    with pytest.raises(StepFailed) as failed:
        smoke.run()
    assert failed.value.step == "secret"
    assert "ResourceNotFoundException" in str(failed.value)


@pytest.mark.parametrize(
    ("webhook_url", "step", "words"),
    [
        ("ftp://example.com/x", "outputs", "not an http(s) URL"),
        ("http://127.0.0.1:9/", "post", "cannot reach http://127.0.0.1:9/"),
    ],
)
def test_a_bad_url_names_its_step(aws: Aws, webhook_url: str, step: str, words: str) -> None:
    before = queues_and_subscriptions(aws)
    smoke = Pipeline(aws).smoke(aws, webhook_url)
    with pytest.raises(StepFailed) as failed:
        smoke.run()
    assert failed.value.step == step
    assert words in str(failed.value)
    assert queues_and_subscriptions(aws) == before
