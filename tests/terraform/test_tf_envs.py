"""Every environment: terraform validate, an offline plan with its own settings.tf, the shared
security assertions, and the resources and settings it plans, expected from its config/<env>.yaml.

The environments are the ones that exist (config/<env>.yaml and envs/<env>/), found the way the
scripts find them: one test class per environment is made below, and a class is one xdist group
(tests/conftest.py), so each environment's tests (and its one init and plan) run on a single worker.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from tfhelpers import REPO_ROOT, UNKNOWN, _merge_unknown, check_all, iter_statements

from scripts import tfversion
from scripts.envs import backend_type, environments
from scripts.tfvariables import read_variables

pytestmark = pytest.mark.terraform

ENVS = environments()
PIPELINE_VARIABLES = read_variables(REPO_ROOT / "modules" / "pipeline")

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
# table.capacity provisioned: a scalable target and a target-tracking policy for reads and writes.
_AUTOSCALED = {"aws_appautoscaling_target": 2, "aws_appautoscaling_policy": 2}


def config(env: str) -> dict[str, Any]:
    """The environment's YAML: the input whose effect on the plan these tests check."""
    return yaml.safe_load((REPO_ROOT / "config" / f"{env}.yaml").read_text())


def setting(env: str, name: str, attribute: str | None = None) -> Any:
    """A setting of config/<env>.yaml, or the module's declared default when the YAML leaves it out."""
    values = config(env)
    variable = PIPELINE_VARIABLES[name]
    if attribute is None:
        return values.get(name, variable.default)
    given = values.get(name) or {}
    if attribute in given:
        return given[attribute]
    return variable.type[1][attribute].default


def _plain(value: Any) -> Any:
    """python-hcl2's result without its markers (``__is_block__``, ``__comments__``)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def hcl_file(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        return _plain(hcl2.load(handle))


def plan_env(roots, zips, env):
    return roots.get(f"envs/{env}").plan({"build_dir": str(zips["webhook_processor"].parent)})


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
    """The checks of one environment (subclassed once per environment below)."""

    env = ""

    def test_validate(self, roots):
        result = roots.get(f"envs/{self.env}").validate()
        assert result["valid"], result["diagnostics"]
        assert result["warning_count"] == 0, result["diagnostics"]

    def test_plan_is_secure(self, roots, lambda_zips):
        check_all(plan_env(roots, lambda_zips, self.env))

    def test_resource_counts(self, roots, lambda_zips):
        expected = _WITH_ALARMS if setting(self.env, "alarms", "enabled") else _BASE
        if setting(self.env, "table", "capacity").get("mode") == "provisioned":
            expected = {**expected, **_AUTOSCALED}
        assert plan_env(roots, lambda_zips, self.env).counts() == dict(sorted(expected.items()))

    def test_names_tags_and_outputs(self, roots, lambda_zips):
        env = self.env
        plan = plan_env(roots, lambda_zips, env)
        declared = hcl_file(REPO_ROOT / "modules" / "pipeline" / "outputs.tf")["output"]
        # One root output: every output of the module, none restated by the root.
        assert set(plan.outputs) == {"pipeline"}
        outputs = plan.output("pipeline")
        assert set(outputs) == {name.strip('"') for block in declared for name in block}
        application = setting(env, "application")
        assert outputs["name_prefix"] == f"{application}-{env}"
        for address, values in plan.resources.items():
            for attribute in ("name", "function_name", "alarm_name"):
                name = values.get(attribute)
                if isinstance(name, str) and address.split(".")[-2] != "aws_lambda_permission":
                    assert f"-{env}" in name or f"/{env}/" in name, f"{address}: {attribute}={name}"
            tags = values.get("tags_all")
            if tags is not None:
                assert tags["Environment"] == env, address
                assert tags["Application"] == application, address
                assert tags["ManagedBy"] == "terraform", address
                for key, value in (setting(env, "tags") or {}).items():
                    assert tags[key] == value, address

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
        account, region = config(env)["account_id"], config(env)["region"]
        assert enricher["environment"][0]["variables"] == {
            "TABLE_NAME": f"crypto-prices-{env}-ticks",
            "TOPIC_ARN": f"arn:aws:sns:{region}:{account}:crypto-prices-{env}-enriched-ticks",
            "POWERTOOLS_SERVICE_NAME": "price_enricher",
            "POWERTOOLS_METRICS_NAMESPACE": "crypto-prices",
            "POWERTOOLS_LOG_LEVEL": setting(env, "log_level"),
        }
        for function in (webhook, enricher):
            assert function["memory_size"] == setting(
                env, "webhook" if function is webhook else "enricher", "memory_size"
            )
        (url,) = [v for _, v in plan.of_type("aws_lambda_function_url")]
        assert url["authorization_type"] == setting(env, "webhook", "url_auth_type")
        assert not url.get("cors")
        # system_log_level set: JSON log format at that level, for both functions; unset: Lambda's default.
        level = config(env).get("system_log_level")
        for function in (webhook, enricher):
            logging = function.get("logging_config")
            if level is None:  # left to Lambda: the provider plans the block as known after apply
                assert logging is UNKNOWN or not logging, logging
            else:
                assert [(b["log_format"], b["system_log_level"]) for b in logging] == [("JSON", level)]

    def test_least_privilege_matches_the_design(self, roots, lambda_zips):
        env = self.env
        plan = plan_env(roots, lambda_zips, env)
        arn = f"arn:aws:{{}}:{config(env)['region']}:{config(env)['account_id']}:{{}}"
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
            },
            arn.format("sqs", f"crypto-prices-{env}-enricher-on-failure"): {"sqs:SendMessage"},
            table: {"dynamodb:Query", "dynamodb:UpdateItem"},
            arn.format("sns", f"crypto-prices-{env}-enriched-ticks"): {"sns:Publish"},
        }
        if setting(env, "tracing_mode") == "PassThrough":  # no X-Ray statement without active tracing
            expected_webhook.pop("*")
            expected_enricher.pop("*")
        # dynamodb:ListStreams accepts only Resource "*" (Service Authorization Reference).
        expected_enricher.setdefault("*", set()).add("dynamodb:ListStreams")
        assert policies["webhook"] == expected_webhook
        assert policies["enricher"] == expected_enricher

    def test_operator_policy_grants_the_tools_calls_on_exact_arns(self, roots, lambda_zips):
        """The operator's policy (redrive, smoke test, secret rotation; docs/operations.md): each
        statement's actions on this environment's ARNs; the key's ARN is known only after apply."""
        env = self.env
        plan = plan_env(roots, lambda_zips, env)
        assert plan.output("pipeline")["operator_policy_json"] is UNKNOWN
        # pipeline-secret prints the revocation bound from this output
        ttl = plan.output("pipeline")["webhook_secret_cache_ttl_seconds"]
        assert ttl == setting(env, "webhook", "secret_cache_ttl_seconds")
        (change,) = [
            c
            for c in plan.raw["resource_changes"]
            if c["address"] == "module.pipeline.data.aws_iam_policy_document.operator"
        ]
        document = _merge_unknown(change["change"]["after"], change["change"].get("after_unknown", {}))
        granted = {
            s["sid"]: (s.get("effect") or "Allow", sorted(s["actions"]), s["resources"])
            for s in document["statement"]
        }
        arn = f"arn:aws:{{}}:{config(env)['region']}:{config(env)['account_id']}:{{}}"
        table = arn.format("dynamodb", f"table/crypto-prices-{env}-ticks")
        prefix = f"crypto-prices-{env}"
        assert granted == {
            "RedriveOnFailureQueue": (
                "Allow",
                ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:ReceiveMessage"],
                [arn.format("sqs", f"{prefix}-enricher-on-failure")],
            ),
            "RedriveReadStream": (
                "Allow",
                ["dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                [f"{table}/stream/*"],
            ),
            "ReadTicks": ("Allow", ["dynamodb:GetItem", "dynamodb:Scan"], [table]),
            "RedriveInvokeEnricher": (
                "Allow",
                ["lambda:InvokeFunction"],
                [arn.format("lambda", f"function:{prefix}-enricher")],
            ),
            "SigningSecret": (
                "Allow",
                [
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:UpdateSecretVersionStage",
                ],
                [arn.format("secretsmanager", f"secret:crypto-prices/{env}/webhook-signing-secret-??????")],
            ),
            "SmokeSubscription": (
                "Allow",
                ["sns:Subscribe", "sns:Unsubscribe"],
                [arn.format("sns", f"{prefix}-enriched-ticks")],
            ),
            "SmokeQueue": (
                "Allow",
                ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:ReceiveMessage", "sqs:SetQueueAttributes"],
                [arn.format("sqs", f"{prefix}-smoke-*")],
            ),
            "UsePipelineKey": ("Allow", ["kms:Decrypt", "kms:GenerateDataKey"], [UNKNOWN]),
        }

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
        # null in the config: unreserved, which the provider plans as -1.
        expected = {fn: setting(self.env, fn, "reserved_concurrency") for fn in ("webhook", "enricher")}
        assert reserved == {fn: -1 if value is None else value for fn, value in expected.items()}

    def test_alarms_and_dashboard(self, roots, lambda_zips):
        plan = plan_env(roots, lambda_zips, self.env)
        alarms = plan.of_type("aws_cloudwatch_metric_alarm")
        assert bool(alarms) is setting(self.env, "alarms", "enabled")
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

    def test_stream_mapping_settings(self, roots, lambda_zips):
        env = self.env
        plan = plan_env(roots, lambda_zips, env)
        (esm,) = [v for _, v in plan.of_type("aws_lambda_event_source_mapping")]
        for name in (
            "batch_size",
            "maximum_batching_window_in_seconds",
            "parallelization_factor",
            "maximum_retry_attempts",
            "maximum_record_age_in_seconds",
            "starting_position",
        ):
            assert esm[name] == setting(env, "enricher", name), name
        patterns = [json.loads(f["pattern"]) for c in esm["filter_criteria"] for f in c["filter"]]
        # Tick INSERTs only (docs/design.md): not the enricher's MODIFYs, not event-id claims (sk e#...),
        # not tombstones (a tick key marked tombstone_for).
        tick_keys = {
            "Keys": {"sk": {"S": [{"prefix": "t#"}]}},
            "NewImage": {"tombstone_for": {"S": [{"exists": False}]}},
        }
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
        assert table["deletion_protection_enabled"] is setting(env, "table", "deletion_protection")
        assert key["deletion_window_in_days"] == setting(env, "kms_deletion_window_in_days")
        assert secret["recovery_window_in_days"] == setting(env, "webhook_secret", "recovery_window_in_days")
        # On whatever tick_ttl_days says: request claims expire with the signature window.
        assert table["ttl"] == [{"enabled": True, "attribute_name": "expires_at"}]
        retention = {v["retention_in_days"] for _, v in plan.of_type("aws_cloudwatch_log_group")}
        assert retention == {setting(env, "log_retention_days")}
        capacity = setting(env, "table", "capacity")
        targets = {v["scalable_dimension"]: v for _, v in plan.of_type("aws_appautoscaling_target")}
        if capacity.get("mode") == "provisioned":
            assert table["billing_mode"] == "PROVISIONED"
            assert (table["read_capacity"], table["write_capacity"]) == (
                capacity["read"]["min"],
                capacity["write"]["min"],
            )
            assert {d: (t["min_capacity"], t["max_capacity"]) for d, t in targets.items()} == {
                "dynamodb:table:ReadCapacityUnits": (capacity["read"]["min"], capacity["read"]["max"]),
                "dynamodb:table:WriteCapacityUnits": (capacity["write"]["min"], capacity["write"]["max"]),
            }
            policies = [v for _, v in plan.of_type("aws_appautoscaling_policy")]
            targets_set = {
                p["target_tracking_scaling_policy_configuration"][0]["target_value"] for p in policies
            }
            assert targets_set == {capacity["target_utilization"]}
        else:
            assert table["billing_mode"] == "PAY_PER_REQUEST"
            assert not targets

    def test_provider(self, roots, lambda_zips):
        plan = plan_env(roots, lambda_zips, self.env)
        provider = plan.raw["configuration"]["provider_config"]["aws"]["expressions"]
        if backend_type(REPO_ROOT / "envs" / self.env) == "local":
            # moto: every endpoint to the server, fake credentials, no account to guard.
            (endpoints,) = provider["endpoints"]
            assert endpoints, "no endpoints"
            for service, expression in endpoints.items():
                assert expression["references"] == ["var.moto_endpoint"], service
            for flag in (
                "skip_credentials_validation",
                "skip_requesting_account_id",
                "skip_metadata_api_check",
            ):
                assert provider[flag]["constant_value"] is True, flag
            assert "allowed_account_ids" not in provider
            assert plan.raw["variables"]["moto_endpoint"]["value"] == "http://127.0.0.1:5000"
        else:
            # The offline override written for this plan (scripts/plan.py's) turns the guard off and
            # skips the AWS calls; main.tf itself guards the account (test_s3_roots_guard_the_account).
            assert provider["allowed_account_ids"]["constant_value"] is None
            assert provider["skip_requesting_account_id"]["constant_value"] is True


for _env in ENVS:
    _name = "Test" + _env.title()
    globals()[_name] = type(_name, (EnvPlanChecks,), {"env": _env})


# --------------------------------------------------------------------------- the roots, read statically


def _roots() -> dict[str, dict[str, Any]]:
    return {env: hcl_file(REPO_ROOT / "envs" / env / "main.tf") for env in ENVS}


def _block(parsed: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    (body,) = [block[f'"{name}"'] for block in parsed.get(kind, []) if f'"{name}"' in block]
    return body


def test_no_links_no_shared_folder():
    links = [str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "envs").rglob("*") if p.is_symlink()]
    assert links == []
    assert not (REPO_ROOT / "envs" / "_shared").exists()


def test_each_root_is_main_tf_and_its_rendered_settings():
    for env in ENVS:
        files = sorted(p.name for p in (REPO_ROOT / "envs" / env).glob("*.tf"))
        assert files == ["main.tf", "settings.tf"], env


def test_roots_share_versions_module_call_and_output():
    """What must stay the same in every root, checked instead of linked."""
    roots = _roots()
    for env, parsed in roots.items():
        (terraform,) = parsed["terraform"]
        assert terraform["required_version"] == f'">= {tfversion.REQUIRED}"', env
        assert terraform["required_providers"] == [
            {"aws": {"source": '"hashicorp/aws"', "version": f'"{tfversion.ENV_AWS_PROVIDER}"'}}
        ]
        assert _block(parsed, "module", "pipeline")["source"] == '"../../modules/pipeline"', env
    first = ENVS[0]
    for env, parsed in roots.items():
        for kind, name in (("module", "pipeline"), ("output", "pipeline"), ("variable", "build_dir")):
            assert _block(parsed, kind, name) == _block(roots[first], kind, name), f"{env}: {kind} {name}"
        provider = _block(parsed, "provider", "aws")
        assert provider["region"] == "${local.settings.region}", env
        assert provider["default_tags"] == _block(roots[first], "provider", "aws")["default_tags"], env


def test_module_call_passes_every_setting_from_settings_tf():
    """Each pipeline variable is a setting taken from settings.tf, or one the root supplies itself."""
    call = _block(_roots()[ENVS[0]], "module", "pipeline")
    arguments = {name: value for name, value in call.items() if name != "source"}
    from_settings = {name for name, value in arguments.items() if "local.settings." in str(value)}
    for name in from_settings:
        variable = PIPELINE_VARIABLES[name]
        expected = (
            f"${{local.settings.{name}}}" if variable.required else f"${{try(local.settings.{name}, null)}}"
        )
        assert arguments[name] == expected, name
        # try(..., null) only gives the module's default when the variable turns null into it
        # (or when that default is null itself).
        assert variable.required or not variable.nullable or variable.default is None, (
            f"{name} must be nullable = false"
        )
    supplied = set(arguments) - from_settings
    assert supplied == {"webhook_zip", "enricher_zip"}
    # Never written to a file: the signing secret's first value is ephemeral.
    assert set(PIPELINE_VARIABLES) - set(arguments) == {"webhook_secret_initial_value"}
    schema = json.loads((REPO_ROOT / "config" / "schema.json").read_text())
    assert set(schema["properties"]) == from_settings


def test_backends():
    for env, parsed in _roots().items():
        (terraform,) = parsed["terraform"]
        ((kind, body),) = terraform["backend"][0].items()
        if kind == '"local"':
            continue
        assert kind == '"s3"', env
        # Partial configuration: where the state lives comes from -backend-config (envs/README.md).
        assert {k: v for k, v in body.items() if k != "__is_block__"} == {
            "encrypt": True,
            "use_lockfile": True,
        }, env


def test_s3_roots_guard_the_account_and_carry_no_offline_switch():
    for env, parsed in _roots().items():
        if backend_type(REPO_ROOT / "envs" / env) == "local":
            continue
        provider = _block(parsed, "provider", "aws")
        assert provider["allowed_account_ids"] == ["${local.settings.account_id}"], env
        assert not [key for key in provider if key.startswith("skip_")], env
        assert "offline" not in (REPO_ROOT / "envs" / env / "main.tf").read_text().lower(), env
        assert set(_block_names(parsed, "variable")) == {"build_dir"}, env


def _block_names(parsed: dict[str, Any], kind: str) -> list[str]:
    return [name.strip('"') for block in parsed.get(kind, []) for name in block]


# ------------------------------------------------------------------- the workflow, in a copy of the repo


def _repo_copy(dest: Path) -> Path:
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl", "__pycache__", "build")
    for part in ("scripts", "modules", "config", "envs"):
        shutil.copytree(REPO_ROOT / part, dest / part, ignore=ignore)
    return dest


def _run(copy: Path, module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m <module>`` of the copy's scripts (cwd first on sys.path), with the provider mirror
    config of this session (TF_CLI_CONFIG_FILE) and no AWS credentials: plans are offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=copy, env=env, capture_output=True, text=True, check=False
    )


def test_a_new_environment_is_two_files(tmp_path, lambda_zips, tf_env):
    copy = _repo_copy(tmp_path / "repo")
    (copy / "config" / "qa.yaml").write_text(
        (copy / "config" / "dev.yaml").read_text().replace("environment: dev", "environment: qa")
    )
    (copy / "envs" / "qa").mkdir()
    shutil.copy(copy / "envs" / "dev" / "main.tf", copy / "envs" / "qa" / "main.tf")

    rendered = _run(copy, "scripts.render_tfvars", "--env", "qa")
    assert rendered.returncode == 0, rendered.stderr
    assert "rendered envs/qa/settings.tf" in rendered.stdout
    assert 'environment                 = "qa"' in (copy / "envs" / "qa" / "settings.tf").read_text()

    planned = _run(
        copy, "scripts.plan", "--env", "qa", "--build", str(lambda_zips["webhook_processor"].parent)
    )
    assert planned.returncode == 0, planned.stdout[-3000:] + planned.stderr
    assert "Offline plan" in planned.stdout
    assert "crypto-prices-qa-webhook" in planned.stdout
    assert "Resources to change, by type (22 in all)" in planned.stdout


def test_a_limit_changed_in_the_module_is_refused_by_tfvars_and_plan_in_the_same_words(
    tmp_path, lambda_zips, tf_env
):
    copy = _repo_copy(tmp_path / "repo")
    dev = copy / "config" / "dev.yaml"
    dev.write_text(
        dev.read_text().replace(
            "  maximum_retry_attempts: 3\n", "  maximum_retry_attempts: 3\n  batch_size: 1000\n"
        )
    )
    first = _run(copy, "scripts.render_tfvars", "--env", "dev")
    assert first.returncode == 0, first.stderr  # 1000 is within the module's 1-10000
    settings_tf = (copy / "envs" / "dev" / "settings.tf").read_text()
    assert "batch_size                         = 1000" in settings_tf

    # The one place the limit lives: the pipeline's validation (its condition and its message).
    variables = copy / "modules" / "pipeline" / "variables.tf"
    text = variables.read_text()
    old = "var.enricher.batch_size >= 1 && var.enricher.batch_size <= 10000"
    assert text.count(old) == 1
    assert text.count("enricher.batch_size must be from 1 to 10000") == 1
    variables.write_text(
        text.replace(old, "var.enricher.batch_size >= 1 && var.enricher.batch_size <= 500").replace(
            "enricher.batch_size must be from 1 to 10000", "enricher.batch_size must be from 1 to 500"
        )
    )
    words = "enricher.batch_size must be from 1 to 500"

    refused = _run(copy, "scripts.render_tfvars", "--env", "dev")
    assert refused.returncode == 2
    assert words in refused.stderr, refused.stderr
    assert str(copy / "config" / "dev.yaml") in refused.stderr
    assert (copy / "envs" / "dev" / "settings.tf").read_text() == settings_tf  # nothing written

    planned = _run(
        copy, "scripts.plan", "--env", "dev", "--build", str(lambda_zips["webhook_processor"].parent)
    )
    assert planned.returncode != 0
    assert words in " ".join((planned.stdout + planned.stderr).split()), (
        planned.stdout[-3000:] + planned.stderr
    )


def _planned(copy: Path, env_name: str) -> dict[str, Any]:
    """``terraform show -json`` of the offline plan scripts/plan.py saved for ``env_name``."""
    shown = subprocess.run(
        ["terraform", "show", "-json", str(copy / "build" / "plan" / f"{env_name}.tfplan")],
        cwd=copy / "build" / "plan" / env_name / "envs" / env_name,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(shown.stdout)


def test_an_edited_yaml_reaches_the_plan_without_make_tfvars(tmp_path, lambda_zips, tf_env):
    copy = _repo_copy(tmp_path / "repo")
    config = copy / "config" / "dev.yaml"
    assert "\nlog_level: DEBUG\n" in config.read_text()
    config.write_text(config.read_text().replace("\nlog_level: DEBUG\n", "\nlog_level: INFO\n"))

    build = str(lambda_zips["webhook_processor"].parent)
    planned = _run(copy, "scripts.plan", "--env", "dev", "--no-summary", "--build", build)
    assert planned.returncode == 0, planned.stdout[-3000:] + planned.stderr
    assert "envs/dev/settings.tf differed from config/dev.yaml: rendering it" in planned.stdout
    assert 'log_level                   = "INFO"' in (copy / "envs" / "dev" / "settings.tf").read_text()
    changes = {c["address"]: c["change"]["after"] for c in _planned(copy, "dev")["resource_changes"]}
    # The webhook's variables hold the secret's ARN, unknown until apply; the enricher's are known.
    enricher = changes["module.pipeline.module.enricher.aws_lambda_function.this"]
    assert enricher["environment"][0]["variables"]["POWERTOOLS_LOG_LEVEL"] == "INFO"
    # The offline plan names the file the account id comes from.
    assert "the account_id of config/dev.yaml" in planned.stdout
    assert "terraform.tfvars" not in planned.stdout


def test_make_env_creates_an_environment_that_plans(tmp_path, lambda_zips, tf_env):
    copy = _repo_copy(tmp_path / "repo")
    created = _run(copy, "scripts.new_env", "--new", "qa", "--from", "staging")
    assert created.returncode == 0, created.stdout + created.stderr
    assert "rendered envs/qa/settings.tf from config/qa.yaml" in created.stdout
    assert "set account_id in config/qa.yaml and bucket in config/qa.backend.hcl" in created.stdout

    planned = _run(
        copy, "scripts.plan", "--env", "qa", "--build", str(lambda_zips["webhook_processor"].parent)
    )
    assert planned.returncode == 0, planned.stdout[-3000:] + planned.stderr
    assert "envs/qa/settings.tf is up to date with config/qa.yaml" in planned.stdout
    (table,) = [
        c["change"]["after"]
        for c in _planned(copy, "qa")["resource_changes"]
        if c["type"] == "aws_dynamodb_table"
    ]
    assert table["name"] == "crypto-prices-qa-ticks"
    assert table["tags"]["Environment"] == "qa"


def test_a_root_planned_before_its_settings_are_rendered_gets_them_rendered(tmp_path, lambda_zips, tf_env):
    """No "Reference to undeclared local value": the plan renders the missing settings.tf first."""
    copy = _repo_copy(tmp_path / "repo")
    (copy / "envs" / "staging" / "settings.tf").unlink()
    build = str(lambda_zips["webhook_processor"].parent)
    planned = _run(copy, "scripts.plan", "--env", "staging", "--no-summary", "--build", build)
    assert planned.returncode == 0, planned.stdout[-3000:] + planned.stderr
    assert (
        "envs/staging/settings.tf was not rendered from config/staging.yaml: rendering it" in planned.stdout
    )
    assert "undeclared local value" not in planned.stdout + planned.stderr
