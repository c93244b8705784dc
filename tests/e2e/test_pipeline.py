"""End to end: envs/local applied by Terraform to a moto server, run by the local runtime.

The feed goes through the real HTTP path (urllib -> local Function URL -> webhook handler
-> DynamoDB), the stream poller plays the event source mapping Terraform created and
invokes the real enricher, SNS delivers to a raw-delivery harness queue. Then a poison
record, then ``terraform destroy`` and a check that nothing is left on the server.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest

from scripts.local import iam_check
from scripts.local.aws import Clients
from scripts.local.feed import FeedResult, FeedSender, RandomWalk
from scripts.local.moto_server import MotoServer
from scripts.local.operator import OperatorSession
from scripts.local.pipeline import LocalPipeline
from scripts.local.runtime import queue_messages
from scripts.local.summary import scan_table, tick_rows
from scripts.local.terraform import ENV_DIR, LocalTerraform, terraform_variables
from scripts.ops import smoke as smoke_command
from scripts.ops import target
from scripts.ops.smoke import EXCHANGE as SMOKE_EXCHANGE
from scripts.ops.smoke import SYMBOL as SMOKE_SYMBOL
from scripts.ops.target import write_local_session

pytestmark = [pytest.mark.e2e, pytest.mark.terraform]

REPO_ROOT = Path(__file__).resolve().parents[2]
TICKS = 60
HANDLER_PACKAGES = ("webhook_processor", "price_enricher", "pricing")
SEED = 11


@dataclass
class Deployed:
    moto: MotoServer
    clients: Clients
    tf: LocalTerraform
    outputs: dict[str, Any]
    pipeline: LocalPipeline
    feed: FeedResult
    destroyed: bool = False


@pytest.fixture(scope="module")
def zips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The function zips, built by scripts/package.py into a folder of this test's own."""
    out = tmp_path_factory.mktemp("zips")
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "package.py"), "--out", str(out)],
        check=True,
        cwd=REPO_ROOT,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory: pytest.TempPathFactory, zips: Path, deploy_moto: MotoServer
) -> Iterator[Deployed]:
    """envs/local applied to the deployment's own moto server, the runtime started, the feed sent."""
    work = tmp_path_factory.mktemp("local")
    # the runtime sets the environment and imports the handlers afresh (a cold start);
    # put back what other tests in this session see
    saved_env, saved_session = dict(os.environ), boto3.DEFAULT_SESSION
    saved_modules = {
        name: module for name, module in sys.modules.items() if name.split(".")[0] in HANDLER_PACKAGES
    }
    moto = deploy_moto
    tf: LocalTerraform | None = None
    pipeline: LocalPipeline | None = None
    state: Deployed | None = None
    try:
        # the variables make local gives envs/local: the endpoint and this test's zips folder
        tf = LocalTerraform(
            moto.endpoint, work, variables=terraform_variables(ENV_DIR, moto.endpoint, zips, [])
        )
        tf.init()
        outputs = tf.apply()
        clients = Clients(moto.endpoint)
        pipeline = LocalPipeline(clients, outputs, poll_interval_s=0.1).start()
        sender = FeedSender(pipeline.url, pipeline.secret)
        feed = sender.run(RandomWalk(seed=SEED), TICKS)
        assert pipeline.wait_for_notifications(feed.stored, timeout_s=60), "the enricher did not catch up"
        state = Deployed(moto, clients, tf, outputs, pipeline, feed)
        yield state
    finally:
        if pipeline is not None:
            pipeline.stop()
        if tf is not None and not (state and state.destroyed):
            try:
                tf.destroy()
            except Exception as exc:  # keep stopping moto; the test already reports
                print(f"destroy failed: {exc}", file=sys.stderr)
        os.environ.clear()
        os.environ.update(saved_env)
        boto3.DEFAULT_SESSION = saved_session
        for name in [name for name in sys.modules if name.split(".")[0] in HANDLER_PACKAGES]:
            del sys.modules[name]
        sys.modules.update(saved_modules)


def rows_by_key(clients: Clients, table: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["pk"], row["sk"]): row for row in tick_rows(scan_table(clients, table))}


def test_envs_local_is_what_the_runtime_runs(deployed: Deployed) -> None:
    assert ENV_DIR.name == "local"
    deployment = deployed.pipeline.deployment
    assert deployment is not None
    assert deployed.outputs["table_name"] == deployment.table_name
    assert deployed.outputs["event_source_mapping_uuid"] == deployment.mapping["UUID"]
    _, _, mapping = deployed.pipeline.parts()
    tick_keys = {
        "Keys": {"sk": {"S": [{"prefix": "t#"}]}},
        "NewImage": {"tombstone_for": {"S": [{"exists": False}]}},
    }
    assert mapping.filters == ({"eventName": ["INSERT"], "dynamodb": tick_keys},)
    assert mapping.report_batch_item_failures
    assert mapping.on_failure_destination == deployed.outputs["on_failure_queue_arn"]


def test_every_accepted_tick_is_stored_exactly_once(deployed: Deployed) -> None:
    feed = deployed.feed
    assert feed.server_errors == 0
    assert feed.stored == TICKS
    assert feed.duplicate == feed.redeliveries > 0  # every 10th tick sent on time was redelivered
    assert feed.late == TICKS // 20  # every 20th tick was held back and sent late
    assert feed.conflict == 1  # the bad request that reuses an event_id
    # every third new tick sent alone goes with Standard Webhooks headers, each redelivery in its first scheme
    assert feed.standard_webhooks >= (TICKS - feed.batched) // 3
    # one run of ticks in four went in batches, and the first batch was resent (its ticks duplicates)
    assert feed.batches >= 2
    assert feed.batched >= TICKS // 5
    assert feed.bad_as_expected, [(bad.name, status) for bad, status in feed.bad]
    rows = rows_by_key(deployed.clients, deployed.pipeline.deployment.table_name)  # type: ignore[union-attr]
    keys = [tick.key for tick, _ in feed.receipts]
    assert len(keys) == len(set(keys)) == TICKS
    assert set(keys) == set(rows)  # each receipt has its row, and there is no other row
    for tick, receipt in feed.receipts:
        row = rows[tick.key]
        assert row["price"] == tick.price
        assert int(row["sk"][2:18]) // 1000 == tick.timestamp_ms  # the event time lives in the key
        assert receipt["timestamp"] == tick.timestamp_ms
        assert receipt["status"] == "stored"


def test_indicators_present_exactly_where_history_suffices(deployed: Deployed) -> None:
    rows = rows_by_key(deployed.clients, deployed.pipeline.deployment.table_name).values()  # type: ignore[union-attr]
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        series[row["pk"]].append(row)
    assert max(len(r) for r in series.values()) >= 21  # the main series reaches SMA-20 and beyond
    for history in series.values():
        history.sort(key=lambda row: row["sk"])  # series order: the sort key starts with the event time
        prices = [row["price"] for row in history]
        for i, row in enumerate(history):
            assert "enriched_at" in row
            assert ("sma_5" in row) == (i >= 4)
            assert ("sma_20" in row) == (i >= 19)
            assert ("volatility_10" in row) == (i >= 10)
            if i >= 4:
                assert float(row["sma_5"]) == pytest.approx(float(sum(prices[i - 4 : i + 1]) / 5), rel=1e-12)
            if i >= 19:
                assert float(row["sma_20"]) == pytest.approx(
                    float(sum(prices[i - 19 : i + 1]) / 20), rel=1e-12
                )
            if i >= 10:
                returns = [math.log(float(prices[j] / prices[j - 1])) for j in range(i - 9, i + 1)]
                mean = sum(returns) / 10
                expected = math.sqrt(sum((r - mean) ** 2 for r in returns) / 9)
                assert float(row["volatility_10"]) == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_one_notification_per_enriched_tick(deployed: Deployed) -> None:
    harness, _, _ = deployed.pipeline.parts()
    harness.drain()
    bodies = harness.bodies()
    rows = rows_by_key(deployed.clients, deployed.pipeline.deployment.table_name)  # type: ignore[union-attr]
    pairs = [(body["notification_id"], body["revision"]) for body in bodies]
    assert len(pairs) == len(set(pairs))  # one message per revision of a tick
    assert {nid for nid, _ in pairs} == {f"{pk}|{sk}" for pk, sk in rows}
    assert len(pairs) > len(rows)  # the late ticks revised some followers
    latest: dict[str, dict[str, Any]] = {}
    for message in harness.messages:
        body = json.loads(message["Body"])
        assert message["MessageAttributes"]["symbol"]["StringValue"] == body["symbol"]
        assert message["MessageAttributes"]["exchange"]["StringValue"] == body["exchange"]
        if body["revision"] > latest.get(body["notification_id"], {}).get("revision", 0):
            latest[body["notification_id"]] = body
    for nid, body in latest.items():  # what a subscriber keeps is what the table holds
        row = rows[tuple(nid.split("|", 1))]
        assert body["revision"] == row["revision"]
        assert Decimal(str(body["price"])) == row["price"]
        for name in ("sma_5", "sma_20", "volatility_10"):
            assert (name in body) == (name in row)
            if name in row:
                assert Decimal(body[name]) == row[name]


def test_on_failure_queue_is_empty(deployed: Deployed) -> None:
    _, poller, mapping = deployed.pipeline.parts()
    assert mapping.on_failure_destination
    assert queue_messages(deployed.clients, mapping.on_failure_destination) == []
    assert poller.stats.records_to_destination == 0
    assert poller.stats.function_errors == 0
    assert poller.last_error is None


@pytest.fixture(scope="module")
def operator(deployed: Deployed) -> OperatorSession:
    """The operator's tools on the deployment, every call recorded for the operator policy's check."""
    return OperatorSession(deployed.pipeline, deployed.outputs)


def test_smoke_test_passes_against_the_deployment(deployed: Deployed, operator: OperatorSession) -> None:
    """``make smoke ENV=local``'s code, with the endpoint and outputs of this run."""
    queues_before = deployed.clients("sqs").list_queues().get("QueueUrls", [])
    lines: list[str] = []
    smoke = operator.smoke(say=lines.append)
    assert [name for name, _ in smoke.steps] == ["secret", "subscribe", "post", "enriched", "notified"]
    assert len(lines) == len(smoke.steps)
    assert smoke.cleanup_problems == []
    assert deployed.clients("sqs").list_queues().get("QueueUrls", []) == queues_before
    rows = rows_by_key(deployed.clients, deployed.outputs["table_name"])
    assert [
        row
        for (pk, _), row in rows.items()
        if pk == f"{SMOKE_SYMBOL}#{SMOKE_EXCHANGE}" and "enriched_at" in row
    ]


def test_make_smoke_env_local_passes_against_the_running_deployment(
    deployed: Deployed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``make smoke ENV=local``: the command reads the session file make local writes."""
    session = tmp_path / "session.json"
    pipeline = deployed.pipeline
    write_local_session(
        session, deployed.moto.endpoint, pipeline.url, pipeline.deployment.secret_arn, deployed.outputs
    )  # type: ignore[union-attr]
    monkeypatch.setattr(target, "SESSION_FILE", session)
    assert smoke_command.main(["--env", "local"]) == 0
    # the handlers run in this process and log to stdout too: keep the command's own lines
    out = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("{")]
    assert out[0] == "smoke test of local:"
    steps = [re.fullmatch(r"  (\w+) +\d+\.\d\d s", line) for line in out[1:-1]]
    assert [step[1] for step in steps if step] == ["secret", "subscribe", "post", "enriched", "notified"]
    assert re.fullmatch(r"smoke test of local passed in \d+\.\d\d s", out[-1])


POISON_SK = "t#1700000000000000#e#poison"


def unenrichable_tick(symbol: str, sk: str, ms: int) -> dict[str, dict[str, str]]:
    """A tick row (binance) the enricher fails on: its price is not a number."""
    return {
        "pk": {"S": f"{symbol}#binance"},
        "sk": {"S": sk},
        "ts": {"N": str(ms)},
        "symbol": {"S": symbol},
        "exchange": {"S": "binance"},
        "price": {"S": "not-a-price"},
        "volume": {"N": "0"},
        "received_at": {"N": str(ms)},
    }  # a tick key (docs/design.md), so the mapping's filter passes it


def test_poison_record_lands_in_the_on_failure_queue_alone(deployed: Deployed) -> None:
    pipeline, clients = deployed.pipeline, deployed.clients
    harness, poller, mapping = pipeline.parts()
    table = pipeline.deployment.table_name  # type: ignore[union-attr]
    poller.stop()  # put the poison and good ticks in the stream first, so they share one batch
    harness.drain()
    before = len(harness.messages)
    clients("dynamodb").put_item(
        TableName=table, Item=unenrichable_tick("BTC-USD", POISON_SK, 1_700_000_000_000)
    )
    sender = FeedSender(pipeline.url, pipeline.secret)
    walk = RandomWalk(seed=SEED + 1)
    good = [walk.next_tick() for _ in range(4)]
    for tick in good:
        assert sender.send_tick(tick).status == 200
    invocations = poller.stats.invocations
    assert poller.run_until_idle(timeout_s=60)
    assert poller.stats.invocations > invocations

    messages = queue_messages(clients, mapping.on_failure_destination or "", delete=True)
    assert len(messages) == 1
    record = json.loads(messages[0]["Body"])
    info = record["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"] == pipeline.deployment.stream_arn  # type: ignore[union-attr]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    # one try and every retry of the single-record batch, plus the bisection steps that isolated it
    assert record["requestContext"]["approximateInvokeCount"] >= mapping.max_retry_attempts + 1
    assert record["version"] == "1.0"
    streams = clients("dynamodbstreams")
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    discarded = streams.get_records(ShardIterator=iterator, Limit=1)["Records"][0]
    assert discarded["dynamodb"]["Keys"]["sk"]["S"] == POISON_SK

    # the rest of its batch succeeded: enriched and notified
    rows = rows_by_key(clients, table)
    assert "enriched_at" not in rows[("BTC-USD#binance", POISON_SK)]
    for tick in good:
        assert "enriched_at" in rows[tick.key]
    assert pipeline.wait_for_notifications(before + len(good), timeout_s=30)
    new_ids = {body["notification_id"] for body in harness.bodies()[before:]}
    assert new_ids == {"|".join(tick.key) for tick in good}


def test_every_aws_call_is_allowed_by_the_role_terraform_attached(deployed: Deployed) -> None:
    """IAM by execution: every call of the run (feed, enrichment, poison record) against the
    policies read back from the server, and every granted action used or explained."""
    pipeline = deployed.pipeline
    deployment = pipeline.deployment
    assert deployment is not None
    report = pipeline.iam_report()
    assert report.denied == [], report.table()
    assert report.unexplained == [], report.table()
    account = deployment.webhook.arn.split(":")[4]
    # the pipeline's one key, as the table reports it
    described = deployed.clients("dynamodb").describe_table(TableName=deployment.table_name)
    key_arn = described["Table"]["SSEDescription"]["KMSMasterKeyArn"]
    calls = {(c.principal, c.action, c.resource) for c in report.counts}
    webhook, enricher = deployment.webhook.name, deployment.enricher.name
    table = f"arn:aws:dynamodb:us-east-1:{account}:table/{deployment.table_name}"
    queue = deployment.failure_destination
    # what the handlers and the mapping must have done in this run, named independently of the recorder
    assert (webhook, "dynamodb:PutItem", table) in calls
    assert (webhook, "secretsmanager:GetSecretValue", deployment.secret_arn) in calls
    assert (webhook, "kms:Decrypt", key_arn) in calls  # the secret is encrypted with the pipeline's key
    assert (enricher, "dynamodb:Query", table) in calls
    assert (enricher, "dynamodb:UpdateItem", table) in calls
    assert (enricher, "sns:Publish", deployment.topic_arn) in calls
    assert (enricher, "kms:GenerateDataKey", key_arn) in calls  # the topic is encrypted
    assert (enricher, "dynamodb:GetRecords", deployment.stream_arn) in calls
    assert (enricher, "sqs:SendMessage", queue) in calls  # the poison record's batch
    enricher_role = deployed.clients("lambda").get_function_configuration(FunctionName=enricher)["Role"]
    used = {(g.role, g.action) for g, n in report.used.items() if n}
    assert (enricher_role.rsplit("/", 1)[1], "sqs:SendMessage") in used
    # the line make local prints, its counts checked against the calls named above
    headline = re.fullmatch(
        r"IAM: (\d+) calls checked \((\d+) distinct\), 0 denied, (\d+) statements unused", report.headline()
    )
    assert headline, report.headline()
    assert int(headline[2]) >= len(calls) >= 9
    assert int(headline[3]) == 0  # the poison record used the on-failure send too


def test_a_missing_grant_is_reported_as_denied(deployed: Deployed) -> None:
    """The check can fail: drop the enricher's UpdateItem grant on the server, and its writes are denied."""
    pipeline, iam = deployed.pipeline, deployed.clients("iam")
    deployment = pipeline.deployment
    assert deployment is not None
    config = deployed.clients("lambda").get_function_configuration(FunctionName=deployment.enricher.name)
    role = config["Role"].rsplit("/", 1)[1]
    name = next(p for p in iam.list_role_policies(RoleName=role)["PolicyNames"] if p.endswith("-permissions"))
    original = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    statements = [s for s in original["Statement"] if s.get("Sid") != "WriteIndicators"]
    assert len(statements) == len(original["Statement"]) - 1
    iam.put_role_policy(
        RoleName=role, PolicyName=name, PolicyDocument=json.dumps({**original, "Statement": statements})
    )
    try:
        denied = {(v.call.principal, v.call.action) for v in pipeline.iam_report().denied}
    finally:
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(original))
    assert denied == {(deployment.enricher.name, "dynamodb:UpdateItem")}


def test_redrive_needs_only_the_operator_policy(deployed: Deployed, operator: OperatorSession) -> None:
    """A tick the enricher cannot take lands in the on-failure queue; a redrive while it still fails
    releases the message, a redrive after the item is fixed replays it and deletes the message."""
    pipeline, clients = deployed.pipeline, deployed.clients
    _, poller, mapping = pipeline.parts()
    poller.stop()
    table = deployed.outputs["table_name"]
    # a series of its own: once fixed and enriched, it revises no tick of the feed
    item = unenrichable_tick("RDRV-USD", "t#1700000000001000#e#redrive", 1_700_000_000_001)  # sk: µs
    key = {"pk": item["pk"], "sk": item["sk"]}
    clients("dynamodb").put_item(TableName=table, Item=item)
    assert poller.run_until_idle(timeout_s=60)
    assert len(queue_messages(clients, mapping.on_failure_destination or "")) == 1
    (first,) = operator.redrive()
    assert first.status == "still failing", first
    clients("dynamodb").update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET price = :p",
        ExpressionAttributeValues={":p": {"N": "2000.5"}},
    )
    (second,) = operator.redrive()
    assert (second.status, second.path) == ("redriven", "stream"), second
    assert queue_messages(clients, mapping.on_failure_destination or "") == []
    assert (
        "enriched_at" in clients("dynamodb").get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    )


def test_rotate_and_revoke_on_the_deployment(deployed: Deployed, operator: OperatorSession) -> None:
    """``pipeline-secret rotate`` then ``revoke`` on the deployed secret: a webhook container that starts
    afterwards takes the new value and refuses the old one (the TTL bound of a warm one is tested in
    tests/handlers/test_secret_revocation.py)."""
    pipeline, clients = deployed.pipeline, deployed.clients
    old = pipeline.secret
    rotation, revoked = operator.rotate_and_revoke()
    assert revoked == rotation.previous
    new = clients("secretsmanager").get_secret_value(SecretId=deployed.outputs["webhook_secret_arn"])[
        "SecretString"
    ]
    assert new != old
    sys.modules["webhook_processor.handler"].SECRETS.clear()  # a new container
    walk = RandomWalk(seed=SEED + 2)
    assert FeedSender(pipeline.url, new).send_tick(walk.next_tick()).status == 200
    assert FeedSender(pipeline.url, old).send_tick(walk.next_tick()).status == 401
    pipeline.secret = new


def test_operator_tools_are_allowed_by_the_operator_policy_alone(
    deployed: Deployed, operator: OperatorSession
) -> None:
    """IAM by execution for the operator: the smoke test, both redrives and the rotation against
    ``operator_policy_json``: nothing denied, every grant used but the table fallback's Scan."""
    report = operator.report()
    assert report.denied == [], report.table()
    assert [(g.sid, g.action) for g in report.unused] == [("ReadTicks", "dynamodb:Scan")], report.table()
    account, outputs = operator.account, deployed.outputs
    key_arn = outputs["kms_key_arn"]
    calls = {(c.principal, c.action, c.resource) for c in report.counts}
    # named independently of the recorder: what each tool must have asked for
    for action, resource in [
        ("secretsmanager:GetSecretValue", outputs["webhook_secret_arn"]),
        ("secretsmanager:PutSecretValue", outputs["webhook_secret_arn"]),
        ("secretsmanager:UpdateSecretVersionStage", outputs["webhook_secret_arn"]),
        ("kms:Decrypt", key_arn),
        ("kms:GenerateDataKey", key_arn),
        ("sns:Subscribe", outputs["topic_arn"]),
        ("sns:Unsubscribe", outputs["topic_arn"]),
        ("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{account}:table/{outputs['table_name']}"),
        ("dynamodb:GetRecords", outputs["stream_arn"]),
        ("sqs:ReceiveMessage", outputs["on_failure_queue_arn"]),
        ("sqs:ChangeMessageVisibility", outputs["on_failure_queue_arn"]),
        ("sqs:DeleteMessage", outputs["on_failure_queue_arn"]),
        (
            "lambda:InvokeFunction",
            f"arn:aws:lambda:us-east-1:{account}:function:{outputs['enricher_function_name']}",
        ),
    ]:
        assert ("operator", action, resource) in calls, (action, resource)
    assert re.fullmatch(
        r"IAM: \d+ calls checked \(\d+ distinct\), 0 denied, 0 statements unused", report.headline()
    )
    # the check can fail: without the key statement, the secret and the queue cannot be decrypted
    policy = json.loads(outputs["operator_policy_json"])
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "UsePipelineKey"]
    without_key = iam_check.check_policy(operator.calls, deployed.clients, "operator", policy, account)
    assert {(v.call.action, v.call.resource) for v in without_key.denied} == {
        ("kms:Decrypt", key_arn),
        ("kms:GenerateDataKey", key_arn),
    }


def test_repackaging_unchanged_code_plans_no_changes(deployed: Deployed, zips: Path, tmp_path: Path) -> None:
    """No hash churn: rebuild the zips from scratch (other umask, TZ, source mtimes) and re-plan."""
    sources = tmp_path / "lambda_src"
    shutil.copytree(REPO_ROOT / "lambda_src", sources, ignore=shutil.ignore_patterns("__pycache__"))
    for path in sources.rglob("*"):
        os.utime(path, (1_234_567_890, 1_234_567_890))
    before = {name: (zips / name).read_bytes() for name in ("webhook_processor.zip", "price_enricher.zip")}
    for name in before:
        (zips / name).unlink()
    script = f"umask 077 && exec {sys.executable} scripts/package.py --out {zips} --src {sources}"
    subprocess.run(
        ["bash", "-c", script], cwd=REPO_ROOT, env={**os.environ, "TZ": "Asia/Kolkata"}, check=True
    )
    assert {name: (zips / name).read_bytes() for name in before} == before

    tf = deployed.tf
    plan_file = tmp_path / "replan.tfplan"
    tf.run("plan", "-input=false", "-no-color", f"-out={plan_file}", *tf._state_args, *tf._var_args())
    shown = json.loads(tf.run("show", "-json", "-no-color", str(plan_file), capture=True))
    changes = [
        (change["address"], change["change"]["actions"])
        for change in shown.get("resource_changes", [])
        if change["change"]["actions"] not in (["no-op"], ["read"])
    ]
    assert changes == [], "re-packaging unchanged code must not change the deployment"


def test_destroy_leaves_nothing(deployed: Deployed) -> None:
    deployed.pipeline.stop()  # removes the harness queue and its subscription (not Terraform's)
    deployed.tf.destroy()
    deployed.destroyed = True
    clients = deployed.clients
    assert clients("dynamodb").list_tables()["TableNames"] == []
    assert clients("lambda").list_functions()["Functions"] == []
    assert clients("lambda").list_event_source_mappings()["EventSourceMappings"] == []
    assert clients("sqs").list_queues().get("QueueUrls", []) == []
    assert clients("sns").list_topics()["Topics"] == []
    assert clients("sns").list_subscriptions()["Subscriptions"] == []
    assert clients("iam").list_roles()["Roles"] == []
    assert clients("logs").describe_log_groups()["logGroups"] == []
    assert clients("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert clients("secretsmanager").list_secrets()["SecretList"] == []
    kms = clients("kms")
    aliases = kms.list_aliases().get("Aliases", [])
    # moto makes AWS-managed keys (alias/aws/dynamodb, ...) on its own; they are not the deployment's
    aws_managed = {a.get("TargetKeyId") for a in aliases if a["AliasName"].startswith("alias/aws/")}
    keys = [kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"] for key in kms.list_keys()["Keys"]]
    created = [key for key in keys if key["KeyId"] not in aws_managed]
    assert created, "Terraform created a customer-managed key"
    assert {key["KeyState"] for key in created} == {"PendingDeletion"}, created
    assert [a["AliasName"] for a in aliases if not a["AliasName"].startswith("alias/aws/")] == []
