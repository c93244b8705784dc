"""examples/consumer: a root of another repository that uses kms, dynamodb-stream and notifications
through their inputs and outputs only; validated and planned against the current modules."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from tfhelpers import _IGNORE, REPO_ROOT, UNKNOWN, Plan, Root, check_all, iter_statements

from scripts import tfdocs

pytestmark = pytest.mark.terraform

RELPATH = "examples/consumer"
MODULES = {"kms", "dynamodb-stream", "notifications"}


@pytest.fixture(scope="module")
def consumer(tmp_path_factory: pytest.TempPathFactory, tf_env: dict[str, str]) -> Root:
    workspace = tmp_path_factory.mktemp("consumer")
    shutil.copytree(REPO_ROOT / "modules", workspace / "modules", ignore=_IGNORE)
    shutil.copytree(REPO_ROOT / RELPATH, workspace / RELPATH, ignore=_IGNORE)
    return Root(workspace, RELPATH, tf_env)


@pytest.fixture(scope="module")
def plan(consumer: Root) -> Plan:
    return consumer.plan()


def test_validate(consumer: Root) -> None:
    result = consumer.validate()
    assert result["valid"], result["diagnostics"]
    assert result["warning_count"] == 0, result["diagnostics"]


def test_uses_only_the_public_interface(plan: Plan) -> None:
    calls = plan.raw["configuration"]["root_module"]["module_calls"]
    assert {name: call["source"] for name, call in calls.items()} == {
        "kms": "../../modules/kms",
        "table": "../../modules/dynamodb-stream",
        "events": "../../modules/notifications",
    }
    for name, call in calls.items():
        module = REPO_ROOT / "modules" / Path(call["source"]).name
        variables, _, _ = tfdocs.read_module(module)
        # Every argument is a documented input, every required input is given.
        assert set(call["expressions"]) <= {v.name for v in variables}, name
        assert {v.name for v in variables if v.default is None} <= set(call["expressions"]), name
    # Every module value the root reads is a documented output.
    published = {
        name: {o.name for o in tfdocs.read_module(REPO_ROOT / "modules" / Path(c["source"]).name)[1]}
        for name, c in calls.items()
    }
    text = (REPO_ROOT / RELPATH / "main.tf").read_text()
    used = re.findall(r"\bmodule\.([a-z_]+)\.([a-z_]+)", text)
    assert used
    for module, output in used:
        assert output in published[module], f"module.{module}.{output} is not an output"


def test_plan(plan: Plan) -> None:
    check_all(plan)
    assert sorted(plan.resources) == [
        "module.events.aws_sns_topic.this",
        "module.events.aws_sns_topic_policy.this",
        'module.events.aws_sns_topic_subscription.this["ops"]',
        "module.kms.aws_kms_alias.this",
        "module.kms.aws_kms_key.this",
        "module.table.aws_dynamodb_table.this",
    ]
    (table,) = [v for _, v in plan.of_type("aws_dynamodb_table")]
    assert table["stream_enabled"] is False
    assert [i["name"] for i in table["global_secondary_index"]] == ["by_customer"]
    assert table["point_in_time_recovery"] == [{"enabled": True, "recovery_period_in_days": 14}]
    assert table["on_demand_throughput"][0]["max_write_request_units"] == 500
    (key,) = [v for _, v in plan.of_type("aws_kms_key")]
    statements = {s["Sid"]: s for s in iter_statements(key["policy"])}
    assert statements["KeyUsers"]["Principal"] == {"AWS": "arn:aws:iam::123456789012:role/orders-service"}
    assert statements["KeyAdministrators"]["Principal"] == {
        "AWS": "arn:aws:iam::123456789012:role/platform-admin"
    }
    assert "SnsUsesDataKeys" in statements
    assert plan.outputs["stream_arn"]["value"] is None
    assert plan.outputs["table_name"]["value"] == "orders-example"
    assert plan.outputs["customer_index_arn"].get("value", UNKNOWN) is UNKNOWN


def test_readme_shows_the_pinned_source() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert 'source = "git::https://<host>/<org>/<repo>.git//modules/dynamodb-stream?ref=v0.1.0"' in readme
    assert (
        "git::https://<host>/<org>/<repo>.git//modules/kms?ref=v<version>"
        in (REPO_ROOT / RELPATH / "main.tf").read_text()
    )
