"""Every module example: terraform validate, and plans driven by the tfvars cases under fixtures/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest
from tfhelpers import UNKNOWN, Plan, check_all, check_iam_policies, fixture_cases, iter_statements

from scripts.price_table import table_definition

pytestmark = pytest.mark.terraform

# example root -> fixtures folder of its tfvars cases
EXAMPLES = {
    "modules/kms/examples/basic": "kms/basic",
    "modules/kms/examples/complete": "kms/complete",
    "modules/dynamodb-stream/examples/basic": "dynamodb-stream/basic",
    "modules/dynamodb-stream/examples/indexed": "dynamodb-stream/indexed",
    "modules/lambda-with-dlq/examples/complete": "lambda-with-dlq",
    "modules/notifications/examples/basic": "notifications/basic",
    "modules/notifications/examples/subscriptions": "notifications/subscriptions",
    "modules/webhook-secret/examples/basic": "webhook-secret/basic",
    "modules/pipeline/examples/basic": "pipeline",
}


def zip_vars(relpath: str, zips: dict[str, Path]) -> dict[str, str]:
    if relpath.startswith("modules/lambda-with-dlq/"):
        return {"filename": str(zips["price_enricher"])}
    if relpath.startswith("modules/pipeline/"):
        return {"webhook_zip": str(zips["webhook_processor"]), "enricher_zip": str(zips["price_enricher"])}
    return {}


def pytest_generate_tests(metafunc):
    """tfvars cases of the class's root (fixtures/<module>/*.tfvars), and its invalid cases."""
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", fixture_cases(EXAMPLES[metafunc.cls.relpath]))
    if "invalid_case" in metafunc.fixturenames:
        metafunc.parametrize(("invalid_case", "messages"), metafunc.cls.invalid)


def _plan(roots, zips, relpath: str, case: str) -> Plan:
    return roots.get(relpath).plan(zip_vars(relpath, zips), (f"{EXAMPLES[relpath]}/{case}.tfvars",))


class ExampleChecks:
    """Checks of one example root. One subclass per root: `--dist loadscope` keeps a root's tests on
    one worker, which then initialises and plans it once."""

    relpath = ""

    def test_validate(self, roots):
        result = roots.get(self.relpath).validate()
        assert result["valid"], result["diagnostics"]
        assert result["warning_count"] == 0, result["diagnostics"]

    def test_plan_is_secure(self, roots, lambda_zips, case):
        plan = roots.get(self.relpath).plan(zip_vars(self.relpath, lambda_zips), (case,))
        assert plan.resources, "nothing planned"
        check_all(plan)


class RejectsInvalidValues:
    """Plans that variable validation must refuse (fixtures/invalid/*.tfvars)."""

    relpath = ""
    invalid: ClassVar[tuple[tuple[str, str], ...]] = ()

    def test_validation_rejects(self, roots, lambda_zips, invalid_case, messages):
        # One plan per root: terraform reports every failed variable validation of a run.
        error = roots.get(self.relpath).plan_error(zip_vars(self.relpath, lambda_zips), (invalid_case,))
        error = " ".join(error.split())
        for message in messages.split("|"):
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
    invalid = (("dynamodb-stream/basic/invalid/billing-mode.tfvars", "billing_mode must be"),)

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
    invalid = (
        (
            "dynamodb-stream/indexed/invalid/indexes.tfvars",
            "global_secondary_indexes: hash_key_type and range_key_type must be S, N or B."
            "|global_secondary_indexes: projection_type must be ALL, KEYS_ONLY or INCLUDE;"
            " non_key_attributes are given exactly when the projection is INCLUDE."
            "|point_in_time_recovery_period_in_days must be a whole number from 1 to 35."
            "|on_demand_throughput: max_read_request_units and max_write_request_units must be null or whole"
            " numbers of at least 1.",
        ),
        (
            "dynamodb-stream/indexed/invalid/throughput-provisioned.tfvars",
            "on_demand_throughput applies only when billing_mode is PAY_PER_REQUEST.",
        ),
    )

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

    def test_stream_off_means_null_stream_outputs(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, self.relpath, "stream-off")
        ((_, table),) = plan.of_type("aws_dynamodb_table")
        assert table["stream_enabled"] is False
        # Known at plan time: null, not an ARN to come.
        assert "value" in plan.outputs["stream_arn"]
        assert plan.outputs["stream_arn"]["value"] is None


class TestKmsCompleteExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/kms/examples/complete"
    invalid = (
        (
            "kms/complete/invalid/statements.tfvars",
            "key_administrators must be IAM role, user or account-root ARNs."
            "|key_users must be IAM role, user or account-root ARNs."
            "|extra_statements: each Sid must be 1-100 letters or digits and not one the module writes"
            " itself."
            "|extra_statements: effect must be Allow or Deny, actions kms:<Action> and principals of type"
            " AWS or Service, none empty."
            "|extra_statements: a Deny statement needs a condition and may not cover kms:PutKeyPolicy (kms:*,"
            " kms:Put*), or it could lock the account out of the key.",
        ),
    )

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


class TestLambdaWithDlqExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/lambda-with-dlq/examples/complete"
    invalid = (
        (
            "invalid/lambda.tfvars",
            "stream_source.batch_size must be from 1 to 10000"
            "|function_url.authorization_type must be AWS_IAM or NONE",
        ),
    )

    def test_lambda_failure_destinations_by_trigger(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, "modules/lambda-with-dlq/examples/complete", "defaults")
        functions = {a.split(".")[1]: v for a, v in plan.of_type("aws_lambda_function")}
        # URL- and stream-invoked functions: no DLQ; the async worker: a DLQ and its invoke config.
        assert not functions["webhook"]["dead_letter_config"]
        assert not functions["consumer"]["dead_letter_config"]
        assert functions["worker"]["dead_letter_config"] == [{"target_arn": UNKNOWN}]
        assert [a for a, _ in plan.of_type("aws_lambda_function_event_invoke_config")] == [
            "module.worker.aws_lambda_function_event_invoke_config.this[0]"
        ]
        queues = sorted(v["name"] for _, v in plan.of_type("aws_sqs_queue"))
        assert queues == [
            "crypto-prices-example-consumer-on-failure",
            "crypto-prices-example-worker-async-dlq",
        ]
        (esm,) = [v for _, v in plan.of_type("aws_lambda_event_source_mapping")]
        assert esm["batch_size"] == 100
        assert esm["starting_position"] == "TRIM_HORIZON"
        assert esm["maximum_retry_attempts"] == 3
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

    def test_lambda_stream_permissions(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, "modules/lambda-with-dlq/examples/complete", "defaults")
        policy = plan.resources["module.consumer.aws_iam_role_policy.this"]["policy"]
        statements = {s["Sid"]: s for s in iter_statements(policy)}
        table = "arn:aws:dynamodb:us-east-1:123456789012:table/crypto-prices-example-stream-ticks"
        assert statements["ReadTableStream"]["Resource"] == f"{table}/stream/*"
        assert sorted(statements["ReadTableStream"]["Action"]) == [
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams",
        ]
        assert statements["SendToOnFailureQueue"] == {
            "Sid": "SendToOnFailureQueue",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": "arn:aws:sqs:us-east-1:123456789012:crypto-prices-example-consumer-on-failure",
        }
        assert statements["WriteOwnLogs"]["Resource"] == (
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/crypto-prices-example-consumer:*"
        )
        assert "UseKmsKey" not in statements
        assert "kms:ResourceAliases" not in json.dumps(plan.raw)

    def test_lambda_kms_use_is_granted_on_the_key_arn(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, "modules/lambda-with-dlq/examples/complete", "defaults")
        kms_policies = {a: v for a, v in plan.of_type("aws_iam_role_policy") if a.endswith(".kms")}
        assert sorted(kms_policies) == [
            f"module.{fn}.aws_iam_role_policy.kms" for fn in ("consumer", "webhook", "worker")
        ]
        (config,) = [
            r
            for r in plan.raw["configuration"]["root_module"]["module_calls"]["consumer"]["module"][
                "resources"
            ]
            if r["address"] == "aws_iam_role_policy.kms"
        ]
        # The policy names the key by var.kms_key_arn (the key itself), no alias and no condition.
        assert set(config["expressions"]["policy"]["references"]) == {"local.kms_actions", "var.kms_key_arn"}

    def test_lambda_iam_url_has_no_public_permission(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, "modules/lambda-with-dlq/examples/complete", "iam-url-small-batch")
        assert not plan.of_type("aws_lambda_permission")
        (url,) = [v for _, v in plan.of_type("aws_lambda_function_url")]
        assert url["authorization_type"] == "AWS_IAM"
        (esm,) = [v for _, v in plan.of_type("aws_lambda_event_source_mapping")]
        assert esm["batch_size"] == 10


class TestNotificationsExample(ExampleChecks):
    relpath = "modules/notifications/examples/basic"

    def test_topic_policy(self, roots, lambda_zips):
        plan = _plan(roots, lambda_zips, "modules/notifications/examples/basic", "defaults")
        (topic,) = [v for _, v in plan.of_type("aws_sns_topic")]
        assert topic["name"] == "crypto-prices-example-enriched-ticks"
        assert len(plan.of_type("aws_sns_topic_policy")) == 1


class TestNotificationsSubscriptionsExample(ExampleChecks, RejectsInvalidValues):
    relpath = "modules/notifications/examples/subscriptions"
    invalid = (
        (
            "notifications/subscriptions/invalid/subscriptions.tfvars",
            "subscriptions: protocol must be sqs, lambda, email or https."
            "|subscriptions: the endpoint must match the protocol: sqs a queue ARN, lambda a function ARN,"
            " email an address, https an https:// URL."
            "|subscriptions: raw_message_delivery is only for sqs and https subscriptions."
            "|subscriptions: filter_policy must be a JSON object."
            "|subscriptions: filter_policy_scope must be MessageAttributes or MessageBody."
            "|policy_statements: actions must be among sns:Subscribe, sns:Receive, sns:Publish,"
            " sns:GetTopicAttributes, sns:ListSubscriptionsByTopic."
            '|policy_statements: principals must be account-root or IAM role ARNs (never "*").',
        ),
    )

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
            plan = _plan(roots, lambda_zips, relpath, case)
            ((address, version),) = plan.of_type("aws_secretsmanager_secret_version")
            # Write-only: planned as null, written once (version 1), never read back into state.
            assert version["secret_string"] is None, address
            assert version["secret_string_wo"] is None, address
            assert version["secret_string_wo_version"] == 1, address
            assert value not in json.dumps(plan.raw), f"{case}: the initial value is in the plan"
        root = roots.get(relpath)
        variables = root.plan({}, ("webhook-secret/basic/known-initial-value.tfvars",)).raw.get(
            "variables", {}
        )
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
                [*powertools, "SECRET_CACHE_TTL_SECONDS", "TABLE_NAME", "TICK_TTL_DAYS", "WEBHOOK_SECRET_ARN"]
            ),
            "enricher": sorted([*powertools, "TABLE_NAME", "TOPIC_ARN"]),
        }
        handlers = sorted(v["handler"] for _, v in plan.of_type("aws_lambda_function"))
        assert handlers == ["price_enricher.handler.handler", "webhook_processor.handler.handler"]


def test_every_example_has_cases():
    for folder in EXAMPLES.values():
        assert fixture_cases(folder), folder


def test_every_module_has_an_example():
    repo = Path(__file__).resolve().parents[2]
    modules = sorted(p.parent.name for p in (repo / "modules").glob("*/variables.tf"))
    assert sorted({r.split("/")[1] for r in EXAMPLES}) == modules
    classes = [c for c in globals().values() if isinstance(c, type) and issubclass(c, ExampleChecks)]
    assert sorted(c.relpath for c in classes if c.relpath) == sorted(EXAMPLES)


def test_fixtures_are_tfvars():
    fixtures = Path(__file__).parent / "fixtures"
    assert not [p for p in fixtures.rglob("*") if p.is_file() and p.suffix != ".tfvars"]
