"""examples/consumer: a root of another repository that uses kms, dynamodb-stream and notifications
through their inputs and outputs only; validated and planned against the current modules."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from tfhelpers import _IGNORE, REPO_ROOT, UNKNOWN, Plan, Root, check_all, iter_statements

from scripts import tfdocs
from tests.e2e.releases import load_releases, version_key

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
        "module.table.aws_dynamodb_table.this[0]",
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


PINNING_DOC = REPO_ROOT / "docs" / "releases.md"
PLACEHOLDER_REPO = "git::https://<host>/<org>/<repo>.git"


def _pinned_example() -> str:
    """The HCL block of docs/releases.md that pins modules with a git source."""
    blocks = re.findall(r"```hcl\n(.*?)```", PINNING_DOC.read_text(), flags=re.DOTALL)
    (example,) = [block for block in blocks if "?ref=" in block]
    return example


def test_the_pinning_guide_pins_the_newest_release_by_its_commit() -> None:
    newest = max(load_releases(), key=lambda r: version_key(r.version))
    refs = re.findall(r'source = "([^"]+)"', _pinned_example())
    assert refs
    for ref in refs:
        assert ref.startswith(f"{PLACEHOLDER_REPO}//modules/"), ref
        assert ref.endswith(f"?ref={newest.commit}"), ref
    assert "commit of the release in releases.toml" in (REPO_ROOT / RELPATH / "main.tf").read_text()


def test_a_consumer_pinned_the_documented_way_validates_from_a_clone(
    tmp_path: Path, tf_env: dict[str, str]
) -> None:
    """A clone without tags, the guide's example with the clone as <repo>: init fetches the pinned
    commit, validate passes, and each module's README at that commit documents every argument."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-tags", str(REPO_ROOT), str(clone)], check=True)
    assert not subprocess.run(["git", "tag"], cwd=clone, capture_output=True, text=True).stdout.strip()
    example = _pinned_example()
    checked = []
    for module, source, body in re.findall(
        r'module "([^"]+)" \{\n\s*source = "([^"]+)"\n(.*?)\n\}', example, re.DOTALL
    ):
        path, commit = source.removeprefix(f"{PLACEHOLDER_REPO}//").split("?ref=")
        readme = subprocess.run(
            ["git", "show", f"{commit}:{path}/README.md"],
            cwd=clone,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        documented = set(re.findall(r'<a name="input_([a-z0-9_]+)">', readme))
        passed = set(re.findall(r"^\s*([a-z0-9_]+)\s*=", body, re.MULTILINE))
        assert passed, module
        assert passed <= documented, (module, passed - documented)
        checked.append(module)
    assert checked == ["kms", "table"]
    consumer = tmp_path / "consumer"
    consumer.mkdir()
    (consumer / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n\n'
        + example.replace(PLACEHOLDER_REPO, f"git::file://{clone}")
    )
    env = {**os.environ, **tf_env}
    init = subprocess.run(
        ["terraform", "init", "-input=false", "-no-color"],
        cwd=consumer,
        env=env,
        capture_output=True,
        text=True,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    validated = subprocess.run(
        ["terraform", "validate", "-json", "-no-color"], cwd=consumer, env=env, capture_output=True, text=True
    )
    result = json.loads(validated.stdout)
    assert result["valid"], result["diagnostics"]
