"""Every module example (discovered: modules/*/examples/*): terraform validate, and plans driven by the
tfvars cases of fixtures/<module>/<example>/, each checked against the expectations beside it
(<case>.yaml: values, counts, checks); invalid/<case>.tfvars must be refused with the messages of
invalid/<case>.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest
from tfhelpers import (
    FIXTURES,
    REPO_ROOT,
    UNKNOWN,
    CaseResult,
    Plan,
    Root,
    check_all,
    check_iam_policies,
    check_inventory,
    discover_examples,
    fixture_cases,
    fixture_folder,
    inventory,
    iter_statements,
    permits,
)

from pricing.keys import TOMBSTONE
from scripts.local.esm_filter import matches_any, parse_filters
from scripts.price_table import table_definition
from tests.support import runbook

pytestmark = pytest.mark.terraform

EXAMPLES = discover_examples()


def zip_vars(relpath: str, zips: dict[str, Path]) -> dict[str, str]:
    if relpath.startswith("modules/lambda-with-dlq/"):
        return {"filename": str(zips["price_enricher"])}
    if relpath.startswith("modules/pipeline/"):
        return {"webhook_zip": str(zips["webhook_processor"]), "enricher_zip": str(zips["price_enricher"])}
    return {}


def invalid_cases(relpath: str) -> list[str]:
    return fixture_cases(f"{fixture_folder(relpath)}/invalid")


def pytest_generate_tests(metafunc):
    """tfvars cases of the class's root (fixtures/<module>/<example>/*.tfvars), and its invalid cases."""
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", fixture_cases(fixture_folder(metafunc.cls.relpath)))
    if "invalid_case" in metafunc.fixturenames:
        metafunc.parametrize("invalid_case", invalid_cases(metafunc.cls.relpath))


def _root(roots, zips, relpath: str) -> Root:
    """The example's root, every fixture case of it (valid and invalid) planned in one command."""
    root = roots.get(relpath)
    root.plan_cases(zip_vars(relpath, zips), fixture_cases(fixture_folder(relpath)) + invalid_cases(relpath))
    return root


def _plan(
    roots, zips, relpath: str, case: str, extra: dict[str, str] | None = None, whole: bool = False
) -> Plan:
    tf_vars = {**zip_vars(relpath, zips), **(extra or {})}
    return _root(roots, zips, relpath).plan(
        tf_vars, (f"{fixture_folder(relpath)}/{case}.tfvars",), whole=whole
    )


class ExampleChecks:
    """Checks of one example root. One subclass per root: a class is one xdist group (tests/conftest.py),
    so one worker initialises the root and plans all its fixture cases in one `terraform test`."""

    relpath = ""

    def test_validate(self, roots, lambda_zips):
        """What `terraform validate` checks, read from the cases' `terraform test`: it validates the
        root before each case's plan and reports that walk's diagnostics under the case's run
        (test_terraform_test_reports_what_validate_warns). Every valid case plans; nothing warns."""
        root = _root(roots, lambda_zips, self.relpath)
        results = root.case_results()
        valid = {case: r for case, r in results.items() if "/invalid/" not in case}
        failed = {case: r.errors for case, r in valid.items() if r.status != "pass"}
        assert valid, "no valid case planned"
        assert failed == {}
        warnings = {case: r.warnings for case, r in results.items() if r.warnings}
        assert (root.configuration_warnings, warnings) == ([], {})

    def test_plan_is_secure(self, roots, lambda_zips, case):
        plan = _root(roots, lambda_zips, self.relpath).plan(zip_vars(self.relpath, lambda_zips), (case,))
        assert plan.resources, "nothing planned"
        expected = inventory(case)
        check_all(plan, **expected.get("checks", {}))
        check_inventory(plan, expected)


class RejectsInvalidValues:
    """Plans that variable validation must refuse (invalid/*.tfvars, messages in invalid/*.yaml)."""

    relpath = ""

    def test_validation_rejects(self, roots, lambda_zips, invalid_case):
        messages = inventory(invalid_case)["errors"]
        assert messages, f"{invalid_case}: no expected messages"
        # One plan per case: terraform reports every failed variable validation of a run.
        root = _root(roots, lambda_zips, self.relpath)
        error = root.plan_error(zip_vars(self.relpath, lambda_zips), (invalid_case,))
        error = " ".join(error.split())
        for message in messages:
            assert message in error, error


class TestKmsExample(ExampleChecks):
    relpath = "modules/kms/examples/basic"

    def test_kms_key_policy(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, "modules/kms/examples/basic", "defaults")
        (key,) = [v for _, v in plan.of_type("aws_kms_key")]
        statements = {s["Sid"]: s for s in iter_statements(key["policy"])}
        assert set(statements) == {
            "AccountRootAdministers",
            "CloudWatchLogsEncryptsLogGroups",
            "CloudwatchUsesDataKeys",
        }
        assert statements["AccountRootAdministers"]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
        logs = statements["CloudWatchLogsEncryptsLogGroups"]
        assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
        assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/crypto-prices-example-*"
        )
        cloudwatch = statements["CloudwatchUsesDataKeys"]
        assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
        assert cloudwatch["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
        assert key["deletion_window_in_days"] == 7
        (alias,) = [v for _, v in plan.of_type("aws_kms_alias")]
        assert alias["name"] == "alias/crypto-prices-example"


class TestDynamodbStreamExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/dynamodb-stream/examples/basic"
    invalid = (("invalid/dynamodb-billing-mode.tfvars", "billing_mode must be"),)

    def test_table_defaults(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, "modules/dynamodb-stream/examples/basic", "defaults")
        (table,) = [v for _, v in plan.of_type("aws_dynamodb_table")]
        assert table["name"] == "crypto-prices-example-ticks"
        assert table["billing_mode"] == "PAY_PER_REQUEST"
        assert table["deletion_protection_enabled"] is True
        # TTL is off unless ttl_attribute is given (the envs cover it on); unset, the block is computed.
        assert table["ttl"] is UNKNOWN or not table["ttl"][0]["enabled"]

    def test_table_matches_the_python_definition(self, roots, lambda_zips):
        """The module and scripts/price_table.py (used by the handler tests) describe one table."""
        plan = _plan(roots, lambda_zips, "modules/dynamodb-stream/examples/basic", "defaults")
        (table,) = [v for _, v in plan.of_type("aws_dynamodb_table")]
        python = table_definition(table["name"])
        keys = {k["KeyType"]: k["AttributeName"] for k in python["KeySchema"]}
        assert (table["hash_key"], table["range_key"]) == (keys["HASH"], keys["RANGE"])
        assert {(a["name"], a["type"]) for a in table["attribute"]} == {
            (a["AttributeName"], a["AttributeType"]) for a in python["AttributeDefinitions"]
        }
        assert "LocalSecondaryIndexes" not in python
        assert table["local_secondary_index"] == []
        assert table["stream_enabled"] is True
        assert table["stream_view_type"] == python["StreamSpecification"]["StreamViewType"]


class TestDynamodbStreamIndexedExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/dynamodb-stream/examples/indexed"

    def test_indexes_recovery_period_and_throughput_cap(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        ((_, table),) = plan.of_type("aws_dynamodb_table")
        assert (table["hash_key"], table["range_key"]) == ("order_id", None)
        # Every key attribute of the table and its indexes declared once, with its type.
        assert sorted((a["name"], a["type"]) for a in table["attribute"]) == [
            ("created_at", "N"),
            ("customer_id", "S"),
            ("order_id", "S"),
            ("status", "S"),
        ]
        indexes = {i["name"]: i for i in table["global_secondary_index"]}
        assert set(indexes) == {"by_customer", "by_status"}
        by_customer, by_status = indexes["by_customer"], indexes["by_status"]
        assert (by_customer["hash_key"], by_customer["range_key"], by_customer["projection_type"]) == (
            "customer_id",
            "created_at",
            "ALL",
        )
        assert not by_customer["non_key_attributes"]
        assert (by_status["hash_key"], by_status["projection_type"]) == ("status", "INCLUDE")
        assert sorted(by_status["non_key_attributes"]) == ["customer_id", "total"]
        assert table["point_in_time_recovery"] == [{"enabled": True, "recovery_period_in_days": 7}]
        assert table["on_demand_throughput"] == [
            {"max_read_request_units": 200, "max_write_request_units": 100}
        ]
        assert (table["stream_enabled"], table["stream_view_type"]) == (True, "NEW_AND_OLD_IMAGES")
        assert table["local_secondary_index"] == []
        assert plan.outputs["global_index_names"]["value"] == ["by_customer", "by_status"]
        assert plan.outputs["stream_arn"].get("value") is None  # known after apply

    def test_case_plans_are_terraform_plans(self, roots, lambda_zips):
        """A case planned by `terraform test` (Root.plan_cases) holds what `terraform plan` + `terraform
        show -json` plan for the same root and variables: every resource change and output."""
        case = _plan(roots, lambda_zips, self.relpath, "defaults")
        whole = _plan(roots, lambda_zips, self.relpath, "defaults", whole=True)
        assert (case.whole, whole.whole) == (False, True)
        assert len(whole.raw["resource_changes"]) >= 3
        assert case.raw["resource_changes"] == whole.raw["resource_changes"]
        assert case.raw["output_changes"] == whole.raw["output_changes"]
        # Outputs known at plan time (values) and after apply (no value) both present.
        outputs = whole.raw["planned_values"]["outputs"]
        assert {"value" in o for o in outputs.values()} == {True, False}
        assert case.outputs == {
            name: {k: v for k, v in o.items() if k != "type"} for name, o in outputs.items()
        }

    def test_stream_off_means_null_stream_outputs(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "stream-off")
        ((_, table),) = plan.of_type("aws_dynamodb_table")
        assert table["stream_enabled"] is False
        # Known at plan time: null, not an ARN to come.
        assert "value" in plan.outputs["stream_arn"]
        assert plan.outputs["stream_arn"]["value"] is None


class TestDynamodbStreamAutoscaledExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/dynamodb-stream/examples/autoscaled"

    def test_capacity_tracks_the_target_and_plans_leave_it_to_the_scaler(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        ((address, table),) = plan.of_type("aws_dynamodb_table")
        # The scaled table is its own resource: only it ignores read/write capacity.
        assert address.endswith("aws_dynamodb_table.autoscaled[0]")
        assert table["billing_mode"] == "PROVISIONED"
        assert (table["read_capacity"], table["write_capacity"]) == (5, 10)  # start at the minimum
        targets = {v["scalable_dimension"]: v for _, v in plan.of_type("aws_appautoscaling_target")}
        assert {d: (t["min_capacity"], t["max_capacity"]) for d, t in targets.items()} == {
            "dynamodb:table:ReadCapacityUnits": (5, 100),
            "dynamodb:table:WriteCapacityUnits": (10, 500),
        }
        for target in targets.values():
            assert target["service_namespace"] == "dynamodb"
            assert target["resource_id"] == "table/crypto-prices-example-autoscaled"
        policies = {v["scalable_dimension"]: v for _, v in plan.of_type("aws_appautoscaling_policy")}
        assert set(policies) == set(targets)
        for dimension, policy in policies.items():
            kind = "Read" if "Read" in dimension else "Write"
            assert policy["policy_type"] == "TargetTrackingScaling"
            (config,) = policy["target_tracking_scaling_policy_configuration"]
            assert config["target_value"] == 70
            assert config["predefined_metric_specification"][0]["predefined_metric_type"] == (
                f"DynamoDB{kind}CapacityUtilization"
            )

    def test_the_scaled_table_ignores_capacity_drift(self):
        main = (REPO_ROOT / "modules/dynamodb-stream/main.tf").read_text()
        scaled = main[main.index('resource "aws_dynamodb_table" "autoscaled"') :]
        scaled = scaled[: scaled.index("\n}\n")]
        assert "ignore_changes = [read_capacity, write_capacity]" in scaled
        fixed = main[main.index('resource "aws_dynamodb_table" "this"') :]
        assert "ignore_changes" not in fixed[: fixed.index("\n}\n")]


class TestKmsCompleteExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/kms/examples/complete"

    def test_key_policy_principals(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        ((_, key),) = plan.of_type("aws_kms_key")
        assert key["bypass_policy_lockout_safety_check"] is False
        statements = {s["Sid"]: s for s in iter_statements(key["policy"])}
        assert set(statements) == {
            "AccountRootAdministers",
            "KeyAdministrators",
            "KeyUsers",
            "KeyUsersGrantToAwsServices",
            "CloudWatchLogsEncryptsLogGroups",
            "PartnerDecryptsItsMessages",
        }
        # The account root keeps every right, whatever else the policy says: no lock-out.
        assert statements["AccountRootAdministers"]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
        assert statements["AccountRootAdministers"]["Action"] == "kms:*"
        admins = statements["KeyAdministrators"]
        assert admins["Principal"] == {"AWS": "arn:aws:iam::123456789012:role/platform-admin"}
        # Administrators manage the key and never use it.
        assert {"kms:ScheduleKeyDeletion", "kms:Put*", "kms:Disable*"} <= set(admins["Action"])
        assert not {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"} & set(
            admins["Action"]
        )
        users = statements["KeyUsers"]
        assert sorted(users["Principal"]["AWS"]) == [
            "arn:aws:iam::123456789012:role/orders-batch",
            "arn:aws:iam::123456789012:role/orders-service",
        ]
        assert sorted(users["Action"]) == [
            "kms:Decrypt",
            "kms:DescribeKey",
            "kms:Encrypt",
            "kms:GenerateDataKey*",
            "kms:ReEncrypt*",
        ]
        grants = statements["KeyUsersGrantToAwsServices"]
        assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
        assert sorted(grants["Action"]) == ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
        partner = statements["PartnerDecryptsItsMessages"]
        assert partner == {
            "Sid": "PartnerDecryptsItsMessages",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Principal": {"AWS": "arn:aws:iam::210987654321:role/orders-partner"},
            "Condition": {"StringEquals": {"kms:EncryptionContext:tenant": "partner"}},
        }


class TestNotificationsSubscriptionsExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/notifications/examples/subscriptions"

    def test_subscriptions_by_protocol(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        subs = {a.split('"')[1]: v for a, v in plan.of_type("aws_sns_topic_subscription")}
        got = {
            name: (s["protocol"], s["endpoint"], s["raw_message_delivery"], s["filter_policy_scope"])
            for name, s in subs.items()
        }
        assert got == {
            "audit_queue": (
                "sqs",
                "arn:aws:sqs:us-east-1:123456789012:orders-example-audit",
                True,
                "MessageBody",
            ),
            "fulfilment": (
                "lambda",
                "arn:aws:lambda:us-east-1:123456789012:function:orders-example-fulfilment",
                False,
                "MessageAttributes",
            ),
            "ops_mail": ("email", "ops@example.com", False, UNKNOWN),
            "partner_webhook": ("https", "https://hooks.example.com/orders", True, UNKNOWN),
        }
        assert json.loads(subs["audit_queue"]["filter_policy"]) == {"status": ["cancelled", "refunded"]}
        assert json.loads(subs["fulfilment"]["filter_policy"]) == {
            "status": ["paid"],
            "total": [{"numeric": [">=", 100]}],
        }
        assert subs["ops_mail"]["filter_policy"] is None
        assert subs["partner_webhook"]["endpoint_auto_confirms"] is True
        assert subs["partner_webhook"]["confirmation_timeout_in_minutes"] == 5

    def test_cross_account_statement(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        # The topic ARN is known after apply, so the document is read then: its statement blocks are planned.
        (document,) = [
            c["change"]["after"]
            for c in plan.raw["resource_changes"]
            if c["address"] == "module.topic.data.aws_iam_policy_document.topic"
        ]
        statements = {s["sid"]: s for s in document["statement"]}
        assert list(statements) == [
            "AccountManagesTopic",
            "PartnerSubscribes",
            "DenyInsecureTransport",
        ]
        partner = statements["PartnerSubscribes"]
        assert (partner["effect"], partner["actions"]) == ("Allow", ["sns:Subscribe"])
        assert partner["principals"] == [{"type": "AWS", "identifiers": ["arn:aws:iam::210987654321:root"]}]
        assert partner["condition"] == [
            {"test": "StringEquals", "variable": "sns:Protocol", "values": ["sqs"]}
        ]
        # Insecure transport stays denied to everyone, partner included.
        assert statements["DenyInsecureTransport"]["effect"] == "Deny"


ACCOUNT = "123456789012"
REGION = "us-east-1"


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def role_policy(plan: Plan, module: str) -> str:
    policy = plan.resources[f"module.{module}.aws_iam_role_policy.this[0]"]["policy"]
    assert isinstance(policy, str), "the plan-time policy must be known at plan time"
    return policy


def statements(policy: str) -> dict[str, dict]:
    """Sid -> statement, with Action and Resource as sorted lists."""
    out = {}
    for s in iter_statements(policy):
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        out[s["Sid"]] = {"actions": sorted(actions), "resources": sorted(resources)}
    return out


def assert_grants(policy: str, allowed: list[tuple[str, str]], denied: list[tuple[str, str]]) -> None:
    """Each (action, resource) pair is allowed, or denied, by the policy as an IAM evaluator reads it."""
    for action, resource in allowed:
        assert permits(policy, action, resource), f"{action} on {resource} should be allowed"
    for action, resource in denied:
        assert not permits(policy, action, resource), f"{action} on {resource} should be denied"


LOGS_AND_TRACES = {"WriteOwnLogs", "WriteTraces"}


class TestLambdaWithDlqExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/lambda-with-dlq/examples/complete"

    def test_lambda_failure_destinations_by_trigger(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        functions = {a.split(".")[1]: v for a, v in plan.of_type("aws_lambda_function")}
        # URL- and stream-invoked functions: no DLQ; the async worker: a DLQ and its invoke config.
        assert not functions["webhook"]["dead_letter_config"]
        assert not functions["consumer"]["dead_letter_config"]
        assert functions["worker"]["dead_letter_config"] == [{"target_arn": UNKNOWN}]
        assert [a for a, _ in plan.of_type("aws_lambda_function_event_invoke_config")] == [
            "module.worker.aws_lambda_function_event_invoke_config.this[0]"
        ]
        alarms = {v["alarm_name"]: v for _, v in plan.of_type("aws_cloudwatch_metric_alarm")}
        consumer = "crypto-prices-example-consumer"
        assert {
            name: (a["namespace"], a["metric_name"], a["statistic"], a["threshold"])
            for name, a in alarms.items()
        } == {
            f"{consumer}-errors": ("AWS/Lambda", "Errors", "Sum", 1),
            f"{consumer}-throttles": ("AWS/Lambda", "Throttles", "Sum", 1),
            f"{consumer}-iterator-age": ("AWS/Lambda", "IteratorAge", "Maximum", 60000),
            f"{consumer}-on-failure-depth": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 1),
            f"{consumer}-on-failure-age": ("AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", 3600),
        }
        assert alarms[f"{consumer}-on-failure-age"]["dimensions"] == {"QueueName": f"{consumer}-on-failure"}
        # The URL resource adds lambda:InvokeFunctionUrl itself; the module adds only lambda:InvokeFunction.
        ((_, permission),) = plan.of_type("aws_lambda_permission")
        assert (permission["action"], permission["principal"]) == ("lambda:InvokeFunction", "*")
        assert check_iam_policies(plan) > 0

    def test_lambda_stream_source_keeps_its_release_policy(self, roots, lambda_zips):
        """stream_source (the release's input) grants what it granted, under the same statement ids."""
        plan = _plan(roots, lambda_zips, self.relpath, "defaults", whole=True)
        policy = role_policy(plan, "consumer")
        table = arn("dynamodb", "table/crypto-prices-example-stream-ticks")
        queue = arn("sqs", "crypto-prices-example-consumer-on-failure")
        assert statements(policy) == {
            "WriteOwnLogs": {
                "actions": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "resources": [arn("logs", "log-group:/aws/lambda/crypto-prices-example-consumer:*")],
            },
            "WriteTraces": {
                "actions": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
                "resources": ["*"],
            },
            "ReadTableStream": {
                "actions": [
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                ],
                "resources": [f"{table}/stream/*"],
            },
            # ListStreams accepts only "*": a statement of its own, for that action alone.
            "ListTableStreams": {"actions": ["dynamodb:ListStreams"], "resources": ["*"]},
            "SendToOnFailureQueue": {"actions": ["sqs:SendMessage"], "resources": [queue]},
            "WriteIndicators": {"actions": ["dynamodb:UpdateItem"], "resources": [table]},
        }
        assert "kms:ResourceAliases" not in json.dumps(plan.raw)

    def test_lambda_kms_use_is_granted_on_the_key_arn(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults", whole=True)
        kms_policies = {a: v for a, v in plan.of_type("aws_iam_role_policy") if ".kms[" in a}
        assert sorted(kms_policies) == [
            f"module.{fn}.aws_iam_role_policy.kms[0]" for fn in ("consumer", "webhook", "worker")
        ]
        (config,) = [
            r
            for r in plan.raw["configuration"]["root_module"]["module_calls"]["consumer"]["module"][
                "resources"
            ]
            if r["address"] == "aws_iam_role_policy.kms"
        ]
        # The statements name the key by its ARN (local.kms_statements: var.kms.key_arn), no alias.
        assert set(config["expressions"]["policy"]["references"]) == {"local.kms_statements"}

    def test_lambda_iam_url_has_no_public_permission(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "iam-url-small-batch")
        assert not plan.of_type("aws_lambda_permission")
        (url,) = [v for _, v in plan.of_type("aws_lambda_function_url")]
        assert url["authorization_type"] == "AWS_IAM"
        (esm,) = [v for _, v in plan.of_type("aws_lambda_event_source_mapping")]
        assert esm["batch_size"] == 10

    def test_lambda_accepts_other_runtimes_and_handlers(self, roots, lambda_zips):
        """Any supported runtime, with its own handler notation (the plan only checks the values)."""
        root = roots.get("modules/lambda-with-dlq/examples/url-function")
        plan = root.plan(
            {**zip_vars(self.relpath, lambda_zips), "runtime": "nodejs22.x", "architecture": "x86_64"}
        )
        (fn,) = [v for _, v in plan.of_type("aws_lambda_function")]
        assert (fn["runtime"], fn["architectures"]) == ("nodejs22.x", ["x86_64"])


class TestLambdaStreamWorkerExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/lambda-with-dlq/examples/stream-worker"

    def test_dynamodb_source_permissions(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        policy = role_policy(plan, "worker")
        table = arn("dynamodb", "table/crypto-prices-example-orders")
        queue = arn("sqs", "crypto-prices-example-stream-worker-orders-on-failure")
        found = statements(policy)
        assert set(found) == LOGS_AND_TRACES | {
            "OrdersReadDynamodbStream",
            "OrdersListDynamodbStreams",
            "OrdersSendToOnFailureQueue",
            "WriteResults",
        }
        assert found["OrdersReadDynamodbStream"] == {
            "actions": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
            ],
            "resources": [f"{table}/stream/*"],
        }
        assert found["OrdersListDynamodbStreams"] == {"actions": ["dynamodb:ListStreams"], "resources": ["*"]}
        assert found["OrdersSendToOnFailureQueue"] == {"actions": ["sqs:SendMessage"], "resources": [queue]}
        stream = f"{table}/stream/2026-01-01T00:00:00.000"
        assert_grants(
            policy,
            allowed=[
                ("dynamodb:GetRecords", stream),
                ("dynamodb:GetShardIterator", stream),
                ("sqs:SendMessage", queue),
            ],
            denied=[
                ("dynamodb:GetRecords", arn("dynamodb", "table/other/stream/2026-01-01T00:00:00.000")),
                ("dynamodb:PutItem", table),
                ("sqs:SendMessage", arn("sqs", "crypto-prices-example-other-on-failure")),
                ("sqs:ReceiveMessage", queue),
                ("kinesis:GetRecords", arn("kinesis", "stream/crypto-prices-example-orders")),
            ],
        )

    def test_filters_and_failure_destination(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        esm = plan.resources['module.worker.aws_lambda_event_source_mapping.this["orders"]']
        patterns = [json.loads(f["pattern"]) for c in esm["filter_criteria"] for f in c["filter"]]
        assert patterns == [{"eventName": ["INSERT"]}]
        assert esm["destination_config"] == [{"on_failure": [{"destination_arn": UNKNOWN}]}]


class TestLambdaSqsWorkerExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/lambda-with-dlq/examples/sqs-worker"

    def test_sqs_source_permissions_and_no_kms(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        policy = role_policy(plan, "worker")
        queue = arn("sqs", "crypto-prices-example-jobs")
        found = statements(policy)
        # PassThrough tracing: no X-Ray statement.
        assert set(found) == {"WriteOwnLogs", "JobsConsumeQueue"}
        assert found["JobsConsumeQueue"] == {
            "actions": ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
            "resources": [queue],
        }
        assert_grants(
            policy,
            allowed=[
                ("sqs:ReceiveMessage", queue),
                ("sqs:DeleteMessage", queue),
                ("sqs:GetQueueAttributes", queue),
            ],
            denied=[
                ("sqs:SendMessage", queue),
                ("sqs:ReceiveMessage", arn("sqs", "crypto-prices-example-jobs-dlq")),
                ("sqs:PurgeQueue", queue),
                ("kms:Decrypt", arn("kms", "key/00000000-0000-0000-0000-000000000000")),
            ],
        )
        # kms = null: no KMS policy, no KMS action anywhere, no module queue (the source queue's redrive
        # policy holds the failures).
        assert not [a for a, _ in plan.of_type("aws_iam_role_policy") if ".kms[" in a]
        assert "kms:" not in policy
        assert not [a for a in plan.resources if a.startswith("module.worker.aws_sqs_queue")]


class TestLambdaKinesisConsumerExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/lambda-with-dlq/examples/kinesis-consumer"
    STREAM = arn("kinesis", "stream/crypto-prices-example-trades")
    QUEUE = arn("sqs", "crypto-prices-example-kinesis-consumer-trades-on-failure")
    READ: ClassVar[list[str]] = [
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
    ]

    def test_kinesis_source_permissions(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        policy = role_policy(plan, "consumer")
        found = statements(policy)
        assert set(found) == LOGS_AND_TRACES | {"TradesReadKinesisStream", "TradesSendToOnFailureQueue"}
        assert found["TradesReadKinesisStream"] == {"actions": self.READ, "resources": [self.STREAM]}
        assert found["TradesSendToOnFailureQueue"] == {
            "actions": ["sqs:SendMessage"],
            "resources": [self.QUEUE],
        }
        assert_grants(
            policy,
            allowed=[(action, self.STREAM) for action in self.READ] + [("sqs:SendMessage", self.QUEUE)],
            denied=[
                ("kinesis:ListStreams", "*"),  # lists every stream of the account: not needed
                ("kinesis:GetRecords", arn("kinesis", "stream/other")),
                ("kinesis:PutRecord", self.STREAM),
                ("kinesis:SubscribeToShard", f"{self.STREAM}/consumer/any:1700000000"),
            ],
        )
        # The stream's key: a KMS policy of its own (the key ARN is known after apply).
        assert plan.resources["module.consumer.aws_iam_role_policy.kms[0]"]["policy"] is UNKNOWN

    def test_enhanced_fan_out_subscribes_on_its_consumer_only(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "enhanced-fan-out")
        policy = role_policy(plan, "consumer")
        consumer = f"{self.STREAM}/consumer/crypto-prices-example-kinesis-consumer"
        found = statements(policy)
        assert found["TradesSubscribeToShard"] == {
            "actions": ["kinesis:SubscribeToShard"],
            "resources": [f"{consumer}:*"],
        }
        assert found["TradesReadKinesisStream"]["resources"] == [self.STREAM]
        assert_grants(
            policy,
            allowed=[
                ("kinesis:SubscribeToShard", f"{consumer}:1764115200"),
                ("kinesis:GetRecords", self.STREAM),
            ],
            denied=[
                ("kinesis:SubscribeToShard", f"{self.STREAM}/consumer/other:1764115200"),
                ("kinesis:SubscribeToShard", self.STREAM),
            ],
        )


class TestLambdaUrlFunctionExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/lambda-with-dlq/examples/url-function"

    def test_url_function_needs_only_logs_and_traces(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        assert set(statements(role_policy(plan, "api"))) == LOGS_AND_TRACES
        assert plan.outputs["role_managed"]["value"] is True
        assert not plan.of_type("aws_sqs_queue")

    def test_own_role_gets_nothing_attached(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "own-role")
        assert not plan.of_type("aws_iam_role")
        assert not plan.of_type("aws_iam_role_policy")
        assert plan.outputs["role_managed"]["value"] is False
        # What the caller's role needs is still stated, for them to attach.
        assert set(statements(plan.outputs["policy_json"]["value"])) == LOGS_AND_TRACES

    def test_vpc_network_interface_permissions(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "vpc-public")
        policy = role_policy(plan, "api")
        ec2 = "arn:aws:ec2:us-east-1:123456789012"
        subnets = [f"{ec2}:subnet/subnet-0a1b2c3d4e5f60718", f"{ec2}:subnet/subnet-0f1e2d3c4b5a69788"]
        group = f"{ec2}:security-group/sg-0123456789abcdef0"
        enis = f"{ec2}:network-interface/*"
        found = statements(policy)
        assert found["CreateVpcNetworkInterfaces"] == {
            "actions": ["ec2:CreateNetworkInterface"],
            "resources": sorted([enis, *subnets, group]),
        }
        assert found["ManageVpcNetworkInterfaces"] == {
            "actions": [
                "ec2:AssignPrivateIpAddresses",
                "ec2:DeleteNetworkInterface",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "resources": [enis],
        }
        assert found["DescribeVpcNetworkInterfaces"] == {
            "actions": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            "resources": ["*"],
        }
        eni = f"{ec2}:network-interface/eni-0123456789abcdef0"
        assert_grants(
            policy,
            allowed=[
                ("ec2:CreateNetworkInterface", subnets[0]),
                ("ec2:CreateNetworkInterface", group),
                ("ec2:CreateNetworkInterface", eni),
                ("ec2:DeleteNetworkInterface", eni),
                ("ec2:DescribeSubnets", "*"),
            ],
            denied=[
                ("ec2:CreateNetworkInterface", f"{ec2}:subnet/subnet-0ffffffffffffffff"),
                ("ec2:CreateNetworkInterface", f"{ec2}:security-group/sg-0ffffffffffffffff"),
                ("ec2:DeleteNetworkInterface", "arn:aws:ec2:eu-west-1:123456789012:network-interface/eni-1"),
                ("ec2:DeleteNetworkInterface", f"{ec2}:instance/i-0123456789abcdef0"),
                ("ec2:RunInstances", "*"),
            ],
        )


class TestLambdaAsyncDlqExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/lambda-with-dlq/examples/async-dlq"

    def test_dead_letter_queue_permissions(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        policy = role_policy(plan, "worker")
        dlq = arn("sqs", "crypto-prices-example-async-worker-async-dlq")
        found = statements(policy)
        assert set(found) == LOGS_AND_TRACES | {"SendToDeadLetterQueue"}
        assert found["SendToDeadLetterQueue"] == {"actions": ["sqs:SendMessage"], "resources": [dlq]}
        worker = plan.resources["module.worker.aws_lambda_function.this"]
        assert worker["dead_letter_config"] == [{"target_arn": UNKNOWN}]
        assert_grants(policy, allowed=[("sqs:SendMessage", dlq)], denied=[("sqs:ReceiveMessage", dlq)])

    def test_destinations_get_one_action_each(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        policy = role_policy(plan, "notifier")
        failures = arn("sqs", "crypto-prices-example-notifier-failures")
        results = arn("sns", "crypto-prices-example-notifier-results")
        found = statements(policy)
        assert set(found) == LOGS_AND_TRACES | {"SendToOnFailureDestination", "SendToOnSuccessDestination"}
        assert found["SendToOnFailureDestination"] == {
            "actions": ["sqs:SendMessage"],
            "resources": [failures],
        }
        assert found["SendToOnSuccessDestination"] == {"actions": ["sns:Publish"], "resources": [results]}
        assert_grants(
            policy,
            allowed=[("sqs:SendMessage", failures), ("sns:Publish", results)],
            denied=[
                ("sns:Publish", failures),
                ("sqs:SendMessage", results),
                ("sns:Publish", arn("sns", "other")),
            ],
        )


class TestLambdaReleasesExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/lambda-with-dlq/examples/releases"

    def test_callers_reach_the_alias_not_latest(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        ((_, alias),) = plan.of_type("aws_lambda_alias")
        # The version this apply publishes: known only after apply, never "$LATEST".
        assert alias["function_version"] is UNKNOWN
        ((_, url),) = plan.of_type("aws_lambda_function_url")
        ((_, provisioned),) = plan.of_type("aws_lambda_provisioned_concurrency_config")
        assert url["qualifier"] == provisioned["qualifier"] == alias["name"] == "live"
        # The mapping invokes the alias ARN (known after apply), not the function's unqualified ARN.
        ((_, mapping),) = plan.of_type("aws_lambda_event_source_mapping")
        assert mapping["function_name"] is UNKNOWN
        assert plan.output("alias_arn") is UNKNOWN
        # The role (shared by every version) may consume the queue.
        consume = statements(role_policy(plan, "service"))["OrdersConsumeQueue"]
        assert consume["resources"] == [arn("sqs", "crypto-prices-example-orders")]


class TestLambdaOperationsExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/lambda-with-dlq/examples/operations"

    def test_existing_log_group_is_the_one_granted(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "existing-log-group")
        assert not plan.of_type("aws_cloudwatch_log_group")
        policy = role_policy(plan, "function")
        shared = arn("logs", "log-group:/platform/lambda/shared")
        own = arn("logs", "log-group:/aws/lambda/crypto-prices-example-operations")
        assert_grants(
            policy,
            allowed=[("logs:PutLogEvents", f"{shared}:log-stream:2026/12/03/[$LATEST]abc")],
            denied=[("logs:PutLogEvents", f"{own}:log-stream:2026/12/03/[$LATEST]abc")],
        )
        assert plan.outputs["log_group_name"]["value"] == "/platform/lambda/shared"
        assert not plan.of_type("aws_lambda_function_recursion_config")
        assert not plan.of_type("aws_lambda_permission")


class TestNotificationsExample(ExampleChecks):
    relpath = "modules/notifications/examples/basic"

    def test_topic_policy(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, "modules/notifications/examples/basic", "defaults")
        (topic,) = [v for _, v in plan.of_type("aws_sns_topic")]
        assert topic["name"] == "crypto-prices-example-enriched-ticks"
        assert len(plan.of_type("aws_sns_topic_policy")) == 1


class TestWebhookSecretExample(ExampleChecks):
    relpath = "modules/webhook-secret/examples/basic"

    def test_secret_created_or_referenced(self, roots, lambda_zips):
        relpath = "modules/webhook-secret/examples/basic"
        created = _plan(roots, lambda_zips, relpath, "defaults")
        (secret,) = [v for _, v in created.of_type("aws_secretsmanager_secret")]
        assert secret["name"] == "crypto-prices/example/webhook-signing-secret"
        assert secret["recovery_window_in_days"] == 7
        assert len(created.of_type("aws_secretsmanager_secret_version")) == 1
        referenced = _plan(roots, lambda_zips, relpath, "existing")
        assert not referenced.of_type("aws_secretsmanager_secret")
        assert referenced.outputs["secret_arn"]["value"].endswith(":secret:shared/webhook-AbCdEf")

    def test_secret_value_reaches_neither_plan_nor_state(self, roots, lambda_zips):
        relpath = "modules/webhook-secret/examples/basic"
        value = "whsec-fixture-initial-value-5f0c2a"
        for case in ("defaults", "known-initial-value"):
            plan = _plan(roots, lambda_zips, relpath, case, whole=True)
            ((address, version),) = plan.of_type("aws_secretsmanager_secret_version")
            # Write-only: planned as null, written once (version 1), never read back into state.
            assert version["secret_string"] is None, address
            assert version["secret_string_wo"] is None, address
            assert version["secret_string_wo_version"] == 1, address
            assert value not in json.dumps(plan.raw), f"{case}: the initial value is in the plan"
        root = roots.get(relpath)
        case = f"{fixture_folder(relpath)}/known-initial-value.tfvars"
        variables = root.plan({}, (case,), whole=True).raw["variables"]
        assert variables["initial_value"]["value"] is None, "an ephemeral variable's value is not recorded"


class TestPipelineExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/pipeline/examples/basic"
    invalid = (
        (
            "invalid/pipeline-ttl.tfvars",
            "tick_ttl_days must be a whole number"
            "|webhook.secret_cache_ttl_seconds must be a whole number from 10 to 3600"
            "|reserved_concurrency must be null (unreserved) or at least parallelization_factor"
            "|alarms.queue_age_seconds_threshold must be from 60 to 1209600",
        ),
    )

    def test_pipeline_stream_filter_passes_ticks_alone(self, roots, lambda_zips):
        """The planned filter, as Lambda applies it (scripts/local/esm_filter.py): a tick's INSERT
        passes, and so does a malformed tick row (the enricher fails it loudly); a claim's, a
        tombstone's (a tick key marked tombstone_for) and the enricher's MODIFY do not."""
        plan = _plan(roots, lambda_zips, self.relpath, "defaults")
        (esm,) = [v for _, v in plan.of_type("aws_lambda_event_source_mapping")]
        patterns = [{"Pattern": f["pattern"]} for c in esm["filter_criteria"] for f in c["filter"]]
        filters = parse_filters({"Filters": patterns})
        tick_sk = {"S": "t#1714564800000000#e#id-1"}

        def record(event: str, sk: dict[str, str], image: dict[str, dict[str, str]]) -> dict:
            keys = {"pk": {"S": "BTC-USD#binance"}, "sk": sk}
            return {"eventName": event, "dynamodb": {"Keys": keys, "NewImage": {**keys, **image}}}

        tick = record("INSERT", tick_sk, {"price": {"N": "65000.5"}, "received_at": {"N": "1714564800001"}})
        assert matches_any(filters, tick)
        assert not matches_any(filters, {**tick, "eventName": "MODIFY"})
        assert matches_any(filters, record("INSERT", tick_sk, {"price": {"S": "not-a-price"}}))
        tombstone = {TOMBSTONE: {"S": "t#1714564800000001#e#id-1"}, "expires_at": {"N": "1714651200"}}
        assert not matches_any(filters, record("INSERT", tick_sk, tombstone))
        claim = {"tick_sk": tick_sk, "digest": {"S": "0" * 64}}
        assert not matches_any(filters, record("INSERT", {"S": "e#id-1"}, claim))

    def test_pipeline_alarm_topic(self, roots, lambda_zips):
        relpath = "modules/pipeline/examples/basic"
        own = _plan(roots, lambda_zips, relpath, "defaults")
        external = _plan(roots, lambda_zips, relpath, "external-alarm-topic")
        assert sorted(v["name"] for _, v in own.of_type("aws_sns_topic")) == [
            "crypto-prices-example-alarms",
            "crypto-prices-example-enriched-ticks",
        ]
        assert [v["name"] for _, v in external.of_type("aws_sns_topic")] == [
            "crypto-prices-example-enriched-ticks"
        ]
        for _, alarm in external.of_type("aws_cloudwatch_metric_alarm"):
            assert alarm["alarm_actions"] == ["arn:aws:sns:us-east-1:123456789012:ops-alarms"]
            assert alarm["ok_actions"] == ["arn:aws:sns:us-east-1:123456789012:ops-alarms"]
        assert len(external.of_type("aws_cloudwatch_metric_alarm")) == 11
        # Every alarm, the pipeline's and both functions', links an existing section of docs/runbook.md,
        # at the module's default location or where the caller says operators read it.
        sections = runbook.anchors()
        for plan, url in (
            (own, "docs/runbook.md"),
            (external, "https://git.example.com/ops/crypto-prices/blob/main/docs/runbook.md"),
        ):
            for address, alarm in plan.of_type("aws_cloudwatch_metric_alarm"):
                link = runbook.LINK.search(alarm["alarm_description"])
                assert link is not None, (address, alarm["alarm_description"])
                assert link["url"] == url, address
                assert link["anchor"] in sections, (address, link["anchor"])
                assert len(alarm["alarm_description"]) <= 1024, address  # CloudWatch's limit

    def test_pipeline_alarms_see_every_failure(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, "modules/pipeline/examples/basic", "external-alarm-topic")
        alarms = {v["alarm_name"]: v for _, v in plan.of_type("aws_cloudwatch_metric_alarm")}
        p = "crypto-prices-example"
        webhook, enricher = {"FunctionName": f"{p}-webhook"}, {"FunctionName": f"{p}-enricher"}
        queue = {"QueueName": f"{p}-enricher-on-failure"}
        expected = {
            f"{p}-webhook-errors": ("AWS/Lambda", "Errors", "Sum", 1, webhook),
            f"{p}-webhook-throttles": ("AWS/Lambda", "Throttles", "Sum", 1, webhook),
            f"{p}-webhook-url-5xx": ("AWS/Lambda", "Url5xxCount", "Sum", 1, webhook),
            f"{p}-enricher-errors": ("AWS/Lambda", "Errors", "Sum", 1, enricher),
            f"{p}-enricher-throttles": ("AWS/Lambda", "Throttles", "Sum", 1, enricher),
            f"{p}-enricher-iterator-age": ("AWS/Lambda", "IteratorAge", "Maximum", 60000, enricher),
            f"{p}-enricher-on-failure-depth": (
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "Maximum",
                1,
                queue,
            ),
            f"{p}-enricher-on-failure-age": (
                "AWS/SQS",
                "ApproximateAgeOfOldestMessage",
                "Maximum",
                3600,
                queue,
            ),
            # The enricher's own EMF metric: namespace POWERTOOLS_METRICS_NAMESPACE, dimension service.
            f"{p}-enricher-records-failed": (
                "crypto-prices",
                "RecordsFailed",
                "Sum",
                1,
                {"service": "price_enricher"},
            ),
            f"{p}-ticks-write-throttles": (
                "AWS/DynamoDB",
                "WriteThrottleEvents",
                "Sum",
                1,
                {"TableName": f"{p}-ticks"},
            ),
        }
        for name, (namespace, metric, statistic, threshold, dimensions) in expected.items():
            alarm = alarms[name]
            got = (alarm["namespace"], alarm["metric_name"], alarm["statistic"], alarm["threshold"])
            assert got == (namespace, metric, statistic, threshold), name
            assert alarm["dimensions"] == dimensions, name
            assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold", name
            assert alarm["treat_missing_data"] == "notBreaching", name
            assert alarm["period"] == 300, name

        stalled = alarms[f"{p}-enricher-stream-stalled"]
        assert set(alarms) == {*expected, f"{p}-enricher-stream-stalled"}
        assert (stalled["threshold"], stalled["evaluation_periods"], stalled["datapoints_to_alarm"]) == (
            1,
            2,
            2,
        )
        assert stalled["alarm_actions"] == ["arn:aws:sns:us-east-1:123456789012:ops-alarms"]
        queries = {q["id"]: q for q in stalled["metric_query"]}
        assert (
            queries["stalled"]["expression"] == "IF(FILL(stored, 0) > 0 AND FILL(invocations, 0) == 0, 1, 0)"
        )
        assert queries["stalled"]["return_data"] is True
        (stored,) = queries["stored"]["metric"]
        (invocations,) = queries["invocations"]["metric"]
        assert (stored["namespace"], stored["metric_name"], stored["dimensions"], stored["stat"]) == (
            "crypto-prices",
            "TicksStored",
            {"service": "webhook_processor"},
            "Sum",
        )
        assert (invocations["namespace"], invocations["metric_name"], invocations["dimensions"]) == (
            "AWS/Lambda",
            "Invocations",
            enricher,
        )

    def test_pipeline_dashboard(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, "modules/pipeline/examples/basic", "defaults")
        ((_, dashboard),) = plan.of_type("aws_cloudwatch_dashboard")
        assert dashboard["dashboard_name"] == "crypto-prices-example"
        widgets = {
            w["properties"]["title"]: w["properties"]
            for w in json.loads(dashboard["dashboard_body"])["widgets"]
        }
        metrics = {title: {(m[0], m[1]) for m in props["metrics"]} for title, props in widgets.items()}
        assert metrics == {
            "Ticks in (webhook)": {
                ("crypto-prices", n)
                for n in ("TicksStored", "TicksDuplicate", "TicksRejected", "TicksConflict")
            },
            "Enriched (enricher)": {
                ("crypto-prices", "TicksEnriched"),
                ("crypto-prices", "TicksRevised"),
                ("crypto-prices", "NotificationsPublished"),
            },
            "Failed": {
                ("crypto-prices", "RecordsFailed"),
                ("AWS/Lambda", "Url5xxCount"),
                ("AWS/Lambda", "Errors"),
                ("AWS/Lambda", "Throttles"),
                ("AWS/DynamoDB", "WriteThrottleEvents"),
            },
            "Revision conflicts (enricher)": {
                ("crypto-prices", "RevisionConflicts"),
                ("crypto-prices", "ConflictsExhausted"),
            },
            "Latency (p99, ms)": {("AWS/Lambda", "UrlRequestLatency"), ("AWS/Lambda", "Duration")},
            "Iterator age (max, ms)": {("AWS/Lambda", "IteratorAge")},
            "On-failure queue": {
                ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
                ("AWS/SQS", "ApproximateAgeOfOldestMessage"),
            },
        }
        assert widgets["Iterator age (max, ms)"]["metrics"][0][2:4] == [
            "FunctionName",
            "crypto-prices-example-enricher",
        ]
        (queue,) = [v["name"] for _, v in plan.of_type("aws_sqs_queue") if v["name"].endswith("-on-failure")]
        assert {tuple(m[2:4]) for m in widgets["On-failure queue"]["metrics"]} == {("QueueName", queue)}

    def test_pipeline_reserved_concurrency_is_optional(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, "modules/pipeline/examples/basic", "defaults")
        # Unset: unreserved (-1), so an apply works in a new account that has no concurrency to reserve.
        assert {v["reserved_concurrent_executions"] for _, v in plan.of_type("aws_lambda_function")} == {-1}

    def test_pipeline_environment_variables_follow_the_design(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, "modules/pipeline/examples/basic", "defaults")
        powertools = ["POWERTOOLS_LOG_LEVEL", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME"]
        assert plan.outputs["environment_variable_names"]["value"] == {
            "webhook": sorted(
                [
                    *powertools,
                    "CLAIM_TTL_DAYS",
                    "SECRET_CACHE_TTL_SECONDS",
                    "SUCCESS_LOG_EVERY",
                    "TABLE_NAME",
                    "TICK_TTL_DAYS",
                    "WEBHOOK_SECRET_ARN",
                ]
            ),
            "enricher": sorted([*powertools, "TABLE_NAME", "TOPIC_ARN"]),
        }
        handlers = sorted(v["handler"] for _, v in plan.of_type("aws_lambda_function"))
        assert handlers == ["price_enricher.handler.handler", "webhook_processor.handler.handler"]


def test_every_example_has_cases_and_a_test_class():
    classes = [c for c in globals().values() if isinstance(c, type) and issubclass(c, ExampleChecks)]
    by_root = {c.relpath: c for c in classes if c.relpath}
    assert sorted(by_root) == EXAMPLES, "every discovered example has its test class"
    for relpath in EXAMPLES:
        assert fixture_cases(fixture_folder(relpath)), f"{relpath}: no tfvars case"
        if invalid_cases(relpath):
            assert issubclass(by_root[relpath], RejectsInvalidValues), f"{relpath}: invalid cases never run"


def test_a_case_result_tells_a_failed_plan_from_a_passed_one():
    """Root.plan_cases's reading of `terraform test -json`: a failed run is no plan, a passed one no error."""
    failed, passed = CaseResult("modules/x/examples/y"), CaseResult("modules/x/examples/y")
    failed.read({"type": "diagnostic", "diagnostic": {"severity": "warning", "summary": "Deprecated"}})
    failed.read(
        {
            "type": "diagnostic",
            "diagnostic": {"severity": "error", "summary": "Invalid value", "detail": "x must be"},
        }
    )
    failed.read({"type": "test_run", "test_run": {"progress": "complete", "status": "error"}})
    changes = {"resource_changes": [], "output_changes": {"known": {"after": 1, "after_unknown": False}}}
    passed.read({"type": "test_plan", "test_plan": changes})
    passed.read({"type": "test_run", "test_run": {"progress": "complete", "status": "pass"}})
    assert failed.error(("a.tfvars",)) == "Invalid value: x must be"
    with pytest.raises(AssertionError, match="failed \\(error\\): \\['Invalid value: x must be'\\]"):
        failed.plan(("a.tfvars",))
    with pytest.raises(AssertionError, match="succeeded"):
        passed.error(("b.tfvars",))
    assert passed.plan(("b.tfvars",)).outputs == {"known": {"sensitive": False, "value": 1}}
    assert (failed.warnings, passed.warnings) == (["Deprecated: "], [])


#: A root that `terraform validate` warns about twice: once as it loads the configuration (a version
#: in the provider block) and once in its walk (a deprecated argument of the provider's schema).
WARNING_ROOT = """
provider "aws" {
  version                     = ">= 5.0"
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

resource "aws_iam_role" "this" {
  name                = "warned"
  assume_role_policy  = "{}"
  managed_policy_arns = []
}
"""


def test_terraform_test_reports_what_validate_warns(tmp_path, tf_env):
    """The examples' test_validate reads `terraform validate`'s findings from their cases' `terraform
    test`: here both commands see the same two warnings of one root, each where it comes from."""
    (tmp_path / "warned").mkdir()
    (tmp_path / "warned" / "main.tf").write_text(WARNING_ROOT)
    root = Root(tmp_path, "warned", tf_env)
    validated = root.validate()
    assert validated["valid"]
    assert sorted(d["summary"] for d in validated["diagnostics"]) == [
        "Argument is deprecated",
        "Version constraints inside provider configuration blocks are deprecated",
    ]
    root.plan_cases({}, ["kms/basic/defaults.tfvars"])  # a case that sets no variable
    (result,) = root.case_results().values()
    assert result.status == "pass"
    (loaded,) = root.configuration_warnings
    assert loaded.startswith("main.tf: Version constraints inside provider configuration blocks")
    assert result.warnings
    assert all(w.startswith("main.tf: Argument is deprecated: ") for w in result.warnings)


def test_every_module_has_an_example():
    modules = sorted(p.parent.name for p in (REPO_ROOT / "modules").glob("*/variables.tf"))
    assert sorted({r.split("/")[1] for r in EXAMPLES}) == modules


def test_fixtures_are_tfvars_with_expectations_beside_them():
    for path in FIXTURES.rglob("*"):
        if not path.is_file():
            continue
        assert path.suffix in (".tfvars", ".yaml"), path
        if path.suffix == ".yaml":
            assert path.with_suffix(".tfvars").is_file(), f"{path}: no case beside it"
        if path.parent.name == "invalid" and path.suffix == ".tfvars":
            assert inventory(str(path.relative_to(FIXTURES))).get("errors"), f"{path}: no expected errors"
    folders = {p.parent.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.tfvars")}
    known = {fixture_folder(r) for r in EXAMPLES} | {f"{fixture_folder(r)}/invalid" for r in EXAMPLES}
    assert folders <= known, f"fixtures of no example: {sorted(folders - known)}"


def _missing_classes() -> None:
    """A discovered example without a class of its own here gets the generic checks."""
    have = {c.relpath for c in globals().values() if isinstance(c, type) and issubclass(c, ExampleChecks)}
    for relpath in EXAMPLES:
        if relpath in have:
            continue
        _, module, _, example = relpath.split("/")
        name = (
            "Test"
            + "".join(w.title() for w in f"{module}-{example}".replace("_", "-").split("-"))
            + "Example"
        )
        bases = (ExampleChecks, RejectsInvalidValues) if invalid_cases(relpath) else (ExampleChecks,)
        globals()[name] = type(name, bases, {"relpath": relpath})


_missing_classes()
