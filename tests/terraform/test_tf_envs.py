"""Every environment: terraform validate, an offline plan with its own terraform.tfvars, the shared
security assertions, and the exact resources it plans."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tfhelpers import REPO_ROOT, UNKNOWN, check_all, iter_statements

pytestmark = pytest.mark.terraform

ENVS = ("dev", "staging", "prod", "local")

_BASE = {
    "aws_cloudwatch_log_group": 2,
    "aws_dynamodb_table": 1,
    "aws_iam_role": 2,
    "aws_iam_role_policy": 2,
    "aws_kms_alias": 1,
    "aws_kms_key": 1,
    "aws_lambda_event_source_mapping": 1,
    "aws_lambda_function": 2,
    "aws_lambda_function_url": 1,
    "aws_lambda_permission": 2,
    "aws_secretsmanager_secret": 1,
    "aws_secretsmanager_secret_version": 1,
    "aws_sns_topic": 1,
    "aws_sns_topic_policy": 1,
    "aws_sqs_queue": 1,
}
# Alarms on: 4 alarms (webhook errors; enricher errors, iterator age, on-failure depth) and an alarm topic.
_WITH_ALARMS = {**_BASE, "aws_cloudwatch_metric_alarm": 4, "aws_sns_topic": 2, "aws_sns_topic_policy": 2}
EXPECTED_COUNTS = {"dev": _BASE, "staging": _WITH_ALARMS, "prod": _WITH_ALARMS, "local": _WITH_ALARMS}

EXPECTED_OUTPUTS = {
    "account_id",
    "region",
    "name_prefix",
    "webhook_url",
    "webhook_function_name",
    "enricher_function_name",
    "event_source_mapping_uuid",
    "table_name",
    "table_arn",
    "stream_arn",
    "topic_arn",
    "alarm_topic_arn",
    "on_failure_queue_url",
    "on_failure_queue_arn",
    "webhook_secret_arn",
    "kms_key_arn",
}


def plan_env(roots, zips, env):
    # offline_plan is what scripts/plan.py sets without credentials; envs/local never needs it.
    tf_vars = {"webhook_zip": str(zips["webhook_processor"]), "enricher_zip": str(zips["price_enricher"])}
    if env != "local":
        tf_vars["offline_plan"] = True
    return roots.get(f"envs/{env}").plan(tf_vars)


def _actions(policy: str) -> dict[str, set[str]]:
    """resource -> actions granted on it."""
    grants: dict[str, set[str]] = {}
    for statement in iter_statements(policy):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        for resource in resources:
            grants.setdefault(resource, set()).update(actions)
    return grants


class EnvPlanChecks:
    """The checks of one environment; one subclass per env, so `--dist loadscope` gives each env's
    tests (and its one init and plan) to a single worker."""

    env = ""

    def test_validate(self, roots):
        env = self.env
        result = roots.get(f"envs/{env}").validate()
        assert result["valid"], result["diagnostics"]
        assert result["warning_count"] == 0, result["diagnostics"]

    def test_plan_is_secure(self, roots, lambda_zips):
        env = self.env
        check_all(plan_env(roots, lambda_zips, env))

    def test_resource_counts(self, roots, lambda_zips):
        env = self.env
        assert plan_env(roots, lambda_zips, env).counts() == dict(sorted(EXPECTED_COUNTS[env].items()))

    def test_names_tags_and_outputs(self, roots, lambda_zips):
        env = self.env
        plan = plan_env(roots, lambda_zips, env)
        assert set(plan.outputs) == EXPECTED_OUTPUTS
        assert plan.outputs["name_prefix"]["value"] == f"crypto-prices-{env}"
        for address, values in plan.resources.items():
            for attribute in ("name", "function_name", "alarm_name"):
                name = values.get(attribute)
                if isinstance(name, str) and address.split(".")[-2] != "aws_lambda_permission":
                    assert f"-{env}" in name or f"/{env}/" in name, f"{address}: {attribute}={name}"
            tags = values.get("tags_all")
            if tags is not None:
                assert tags["Environment"] == env, address
                assert tags["Application"] == "crypto-prices", address
                assert tags["ManagedBy"] == "terraform", address

    def test_functions_follow_the_design(self, roots, lambda_zips):
        env = self.env
        plan = plan_env(roots, lambda_zips, env)
        functions = {v["function_name"].rsplit("-", 1)[1]: v for _, v in plan.of_type("aws_lambda_function")}
        webhook, enricher = functions["webhook"], functions["enricher"]
        assert webhook["handler"] == "webhook_processor.handler.handler"
        assert enricher["handler"] == "price_enricher.handler.handler"
        # The webhook's variables hold the secret ARN (known after apply), and the provider then plans the
        # whole map as unknown; modules/pipeline/examples/basic checks its names, the enricher's are known.
        assert webhook["environment"][0]["variables"] is UNKNOWN
        enricher_env = enricher["environment"][0]["variables"]
        account = plan.outputs["account_id"]["value"]
        assert enricher_env == {
            "TABLE_NAME": f"crypto-prices-{env}-ticks",
            "TOPIC_ARN": f"arn:aws:sns:us-east-1:{account}:crypto-prices-{env}-enriched-ticks",
            "POWERTOOLS_SERVICE_NAME": "price_enricher",
            "POWERTOOLS_METRICS_NAMESPACE": "crypto-prices",
            "POWERTOOLS_LOG_LEVEL": "DEBUG" if env in ("dev", "local") else "INFO",
        }
        (url,) = [v for _, v in plan.of_type("aws_lambda_function_url")]
        assert url["authorization_type"] == "NONE"
        assert not url.get("cors")

    def test_least_privilege_matches_the_design(self, roots, lambda_zips):
        env = self.env
        plan = plan_env(roots, lambda_zips, env)
        account = plan.outputs["account_id"]["value"]
        arn = f"arn:aws:{{}}:us-east-1:{account}:{{}}"
        table = arn.format("dynamodb", f"table/crypto-prices-{env}-ticks")
        key = arn.format("kms", "key/*")
        logs = arn.format("logs", "log-group:/aws/lambda/crypto-prices-{}-{}:*")
        policies = {
            a.split(".")[3]: _actions(v["policy"]) for a, v in plan.of_type("aws_iam_role_policy")
        }  # module.pipeline.module.<fn>.aws_iam_role_policy.this
        expected_webhook = {
            logs.format(env, "webhook"): {"logs:CreateLogStream", "logs:PutLogEvents"},
            key: {"kms:Decrypt"},
            "*": {"xray:PutTraceSegments", "xray:PutTelemetryRecords"},
            arn.format("secretsmanager", f"secret:crypto-prices/{env}/webhook-signing-secret-??????"): {
                "secretsmanager:GetSecretValue"
            },
            table: {"dynamodb:PutItem"},
        }
        expected_enricher = {
            logs.format(env, "enricher"): {"logs:CreateLogStream", "logs:PutLogEvents"},
            key: {"kms:Decrypt", "kms:GenerateDataKey"},
            "*": {"xray:PutTraceSegments", "xray:PutTelemetryRecords"},
            f"{table}/stream/*": {
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            },
            arn.format("sqs", f"crypto-prices-{env}-enricher-on-failure"): {"sqs:SendMessage"},
            table: {"dynamodb:Query", "dynamodb:UpdateItem"},
            arn.format("sns", f"crypto-prices-{env}-enriched-ticks"): {"sns:Publish"},
        }
        (tracing,) = {v["tracing_config"][0]["mode"] for _, v in plan.of_type("aws_lambda_function")}
        if tracing == "PassThrough":  # no X-Ray statement without active tracing (envs/local)
            expected_webhook.pop("*")
            expected_enricher.pop("*")
        assert policies["webhook"] == expected_webhook
        assert policies["enricher"] == expected_enricher

    def test_stream_mapping_settings(self, roots, lambda_zips):
        env = self.env
        plan = plan_env(roots, lambda_zips, env)
        (esm,) = [v for _, v in plan.of_type("aws_lambda_event_source_mapping")]
        tfvars = (REPO_ROOT / "envs" / env / "terraform.tfvars").read_text()
        for setting in (
            "batch_size",
            "maximum_batching_window_in_seconds",
            "parallelization_factor",
            "maximum_retry_attempts",
            "maximum_record_age_in_seconds",
        ):
            match = re.search(rf"^\s*{setting}\s*=\s*(-?\d+)", tfvars, re.MULTILINE)
            assert match, f"{env}/terraform.tfvars sets enricher.{setting}"
            assert esm[setting] == int(match.group(1)), setting
        assert esm["starting_position"] == "TRIM_HORIZON"
        patterns = [json.loads(f["pattern"]) for c in esm["filter_criteria"] for f in c["filter"]]
        # Tick INSERTs only (docs/design.md): not the enricher's MODIFYs, not event-id claims (sk e#...).
        tick_keys = {"Keys": {"sk": {"S": [{"prefix": "t#"}]}}}
        assert patterns == [{"eventName": ["INSERT"], "dynamodb": tick_keys}]
        (on_failure,) = [v for _, v in plan.of_type("aws_sqs_queue")]
        assert on_failure["name"] == f"crypto-prices-{env}-enricher-on-failure"
        assert on_failure["message_retention_seconds"] == 1209600

    def test_environment_specific_safety(self, roots, lambda_zips):
        env = self.env
        plan = plan_env(roots, lambda_zips, env)
        (table,) = [v for _, v in plan.of_type("aws_dynamodb_table")]
        (key,) = [v for _, v in plan.of_type("aws_kms_key")]
        (secret,) = [v for _, v in plan.of_type("aws_secretsmanager_secret")]
        protected = env in ("staging", "prod")
        assert table["deletion_protection_enabled"] is protected
        assert key["deletion_window_in_days"] == (30 if protected else 7)
        assert (secret["recovery_window_in_days"] >= 7) is (env != "local")
        assert table["ttl"] == [{"enabled": True, "attribute_name": "expires_at"}]
        retention = {v["retention_in_days"] for _, v in plan.of_type("aws_cloudwatch_log_group")}
        assert retention == {{"dev": 14, "staging": 30, "prod": 365, "local": 1}[env]}


class TestDev(EnvPlanChecks):
    env = "dev"


class TestStaging(EnvPlanChecks):
    env = "staging"


class TestProd(EnvPlanChecks):
    env = "prod"


class TestLocal(EnvPlanChecks):
    env = "local"

    def test_local_provider_points_at_moto(self, roots, lambda_zips):
        plan = plan_env(roots, lambda_zips, "local")
        provider = plan.raw["configuration"]["provider_config"]["aws"]["expressions"]
        (endpoints,) = provider["endpoints"]
        assert endpoints, "no endpoints"
        for service, expression in endpoints.items():
            assert expression["references"] == ["var.moto_endpoint"], service
        for flag in ("skip_credentials_validation", "skip_requesting_account_id", "skip_metadata_api_check"):
            assert provider[flag]["constant_value"] is True, flag
        assert plan.raw["variables"]["moto_endpoint"]["value"] == "http://127.0.0.1:5000"
        assert plan.outputs["account_id"]["value"] == "123456789012"


def test_backends():
    for env in ("dev", "staging", "prod"):
        text = (REPO_ROOT / "envs" / env / "versions.tf").read_text()
        assert 'backend "s3"' in text
        assert "use_lockfile = true" in text
        assert "encrypt      = true" in text
        assert f'key          = "envs/{env}/terraform.tfstate"' in text
    assert 'backend "local"' in (REPO_ROOT / "envs/local/versions.tf").read_text()


def test_tfvars_are_flat():
    """terraform.tfvars hold scalars and one level of objects: issue 4 renders them from YAML."""
    for env in ENVS:
        depth = 0
        for line in (REPO_ROOT / "envs" / env / "terraform.tfvars").read_text().splitlines():
            depth += line.count("{") - line.count("}")
            assert depth <= 1, f"{env}: nested object in {line!r}"
            assert "[" not in line, f"{env}: lists are not needed in tfvars: {line!r}"


def test_envs_share_one_pipeline_definition():
    shared = (REPO_ROOT / "envs/_shared/pipeline.tf").resolve()
    for env in ENVS:
        assert (REPO_ROOT / "envs" / env / "pipeline.tf").resolve() == shared, env
    for env in ("dev", "staging", "prod"):
        assert (REPO_ROOT / "envs" / env / "provider.tf").resolve() == (
            REPO_ROOT / "envs/_shared/provider.tf"
        ).resolve()
    assert json.dumps(sorted(p.name for p in Path(REPO_ROOT / "envs/local").glob("*.tf"))) == json.dumps(
        ["pipeline.tf", "provider.tf", "versions.tf"]
    )
