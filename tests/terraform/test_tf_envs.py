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
    "aws_iam_role_policy": 4,  # per function: the plan-time policy and the key-ARN KMS policy
    "aws_kms_alias": 1,
    "aws_kms_key": 1,
    "aws_lambda_event_source_mapping": 1,
    "aws_lambda_function": 2,
    "aws_lambda_function_url": 1,
    "aws_lambda_permission": 1,  # InvokeFunction; the URL resource adds InvokeFunctionUrl itself
    "aws_cloudwatch_dashboard": 1,
    "aws_secretsmanager_secret": 1,
    "aws_secretsmanager_secret_version": 1,
    "aws_sns_topic": 1,
    "aws_sns_topic_policy": 1,
    "aws_sqs_queue": 1,
}
# Alarms on: 11 alarms (webhook errors, throttles, URL 5xx; enricher errors, throttles, iterator age,
# on-failure depth and age, records failed; table write throttles; stalled mapping) and an alarm topic.
_WITH_ALARMS = {**_BASE, "aws_cloudwatch_metric_alarm": 11, "aws_sns_topic": 2, "aws_sns_topic_policy": 2}
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
        logs = arn.format("logs", "log-group:/aws/lambda/crypto-prices-{}-{}:*")
        policies = {
            a.split(".")[3]: _actions(v["policy"])
            for a, v in plan.of_type("aws_iam_role_policy")
            if a.endswith(".this[0]")
        }  # module.pipeline.module.<fn>.aws_iam_role_policy.this[0]; .kms[0] holds the key-ARN grant
        expected_webhook = {
            logs.format(env, "webhook"): {"logs:CreateLogStream", "logs:PutLogEvents"},
            "*": {"xray:PutTraceSegments", "xray:PutTelemetryRecords"},
            arn.format("secretsmanager", f"secret:crypto-prices/{env}/webhook-signing-secret-??????"): {
                "secretsmanager:GetSecretValue"
            },
            table: {"dynamodb:PutItem"},
        }
        expected_enricher = {
            logs.format(env, "enricher"): {"logs:CreateLogStream", "logs:PutLogEvents"},
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

    def test_kms_is_granted_on_the_key_arn(self, roots, lambda_zips):
        plan = plan_env(roots, lambda_zips, self.env)
        kms = sorted(a for a, _ in plan.of_type("aws_iam_role_policy") if a.endswith(".kms[0]"))
        assert kms == [
            f"module.pipeline.module.{fn}.aws_iam_role_policy.kms[0]" for fn in ("enricher", "webhook")
        ]
        assert "kms:ResourceAliases" not in json.dumps(plan.raw)

    def test_reserved_concurrency_follows_the_config(self, roots, lambda_zips):
        plan = plan_env(roots, lambda_zips, self.env)
        reserved = {
            v["function_name"].rsplit("-", 1)[1]: v["reserved_concurrent_executions"]
            for _, v in plan.of_type("aws_lambda_function")
        }
        # dev: unreserved (-1), a new account has nothing to reserve; the others reserve what config says.
        assert (
            reserved
            == {
                "dev": {"webhook": -1, "enricher": -1},
                "staging": {"webhook": 10, "enricher": 5},
                "prod": {"webhook": 50, "enricher": 10},
                "local": {"webhook": 5, "enricher": 2},
            }[self.env]
        )

    def test_alarms_and_dashboard(self, roots, lambda_zips):
        plan = plan_env(roots, lambda_zips, self.env)
        alarms = plan.of_type("aws_cloudwatch_metric_alarm")
        assert bool(alarms) is (self.env != "dev")  # config: alarms off in dev only
        for address, alarm in alarms:
            # The environment's own alarm topic, whose ARN is known after apply.
            assert alarm["alarm_actions"] is UNKNOWN, address
            assert alarm["ok_actions"] is UNKNOWN, address
        if alarms:
            assert plan.resources["module.pipeline.module.alarm_topic[0].aws_sns_topic.this"]["name"] == (
                f"crypto-prices-{self.env}-alarms"
            )
        ((_, dashboard),) = plan.of_type("aws_cloudwatch_dashboard")
        assert dashboard["dashboard_name"] == f"crypto-prices-{self.env}"

    def test_provider_refuses_other_accounts(self, roots, lambda_zips):
        plan = plan_env(roots, lambda_zips, self.env)
        provider = plan.raw["configuration"]["provider_config"]["aws"]["expressions"]
        if self.env == "local":
            assert "allowed_account_ids" not in provider  # moto's fake account
        else:
            assert set(provider["allowed_account_ids"]["references"]) == {
                "var.offline_plan",
                "var.account_id",
            }
        tfvars = (REPO_ROOT / "envs" / self.env / "terraform.tfvars").read_text()
        (account,) = re.findall(r'^account_id\s*=\s*"(\d{12})"', tfvars, re.MULTILINE)
        assert plan.outputs["account_id"]["value"] == account

    def test_account_id_is_required(self, roots, lambda_zips):
        tf_vars = {"webhook_zip": str(lambda_zips["webhook_processor"]), "account_id": "prod"}
        error = " ".join(roots.get(f"envs/{self.env}").plan_error(tf_vars).split())
        assert "account_id must be the 12-digit id of the environment's AWS account" in error

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
