"""The path from a clone to a plan, run as a user runs it (``python -m scripts.plan``, the command
``make plan`` runs) in a copy of the repository: an edited YAML reaches the plan without
``make tfvars``, and ``make env`` makes an environment that plans at once."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tfhelpers import REPO_ROOT

pytestmark = pytest.mark.terraform

#: What a copy needs to render settings and plan: the scripts, the modules, the roots and their
#: configuration, and the handlers' shared code the scripts import.
PARTS = ("scripts", "modules", "envs", "config", "lambda_src")


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("deploy-path")
    ignore = shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl", "__pycache__")
    for part in PARTS:
        shutil.copytree(REPO_ROOT / part, root / part, ignore=ignore)
    return root


def _run(clone: Path, *args: str, tf_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m <args>`` in the copy, with no AWS credentials (an offline plan)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    # The provider mirror's CLI config of the test session (its plugin cache is shared).
    env.update({k: v for k, v in tf_env.items() if k.startswith(("TF_", "CHECKPOINT"))})
    env.update(
        {
            "PYTHONPATH": f"{clone}{os.pathsep}{clone / 'lambda_src'}",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=clone, env=env, capture_output=True, text=True, timeout=900
    )


def _planned(clone: Path, env_name: str, tf_env: dict[str, str]) -> dict:
    plan_file = clone / "build" / "plan" / f"{env_name}.tfplan"
    shown = subprocess.run(
        ["terraform", "show", "-json", str(plan_file)],
        cwd=clone / "build" / "plan" / env_name / "envs" / env_name,
        env={**os.environ, **tf_env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(shown.stdout)


def _functions(plan: dict) -> dict[str, dict]:
    """Each planned function's values, by address."""
    return {
        change["address"]: change["change"]["after"]
        for change in plan["resource_changes"]
        if change["type"] == "aws_lambda_function"
    }


def test_an_edited_yaml_reaches_the_plan_without_make_tfvars(
    clone: Path, lambda_zips: dict[str, Path], tf_env: dict[str, str]
) -> None:
    config = clone / "config" / "dev.yaml"
    text = config.read_text()
    assert "\nlog_level: DEBUG\n" in text
    config.write_text(text.replace("\nlog_level: DEBUG\n", "\nlog_level: INFO\n"))
    build = next(iter(lambda_zips.values())).parent
    done = _run(clone, "scripts.plan", "--env", "dev", "--no-summary", "--build", str(build), tf_env=tf_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "envs/dev/settings.tf differed from config/dev.yaml: rendering it" in done.stdout
    assert re.search(r"\blog_level\s+= \"INFO\"", (clone / "envs" / "dev" / "settings.tf").read_text())
    functions = _functions(_planned(clone, "dev", tf_env))
    # The webhook's variables hold the secret's ARN, unknown until apply; the enricher's are known.
    enricher = functions["module.pipeline.module.enricher.aws_lambda_function.this"]
    assert enricher["environment"][0]["variables"]["POWERTOOLS_LOG_LEVEL"] == "INFO"
    # The offline plan names the file the account id really comes from.
    assert "the account_id of config/dev.yaml" in done.stdout
    assert "terraform.tfvars" not in done.stdout


def test_make_env_creates_an_environment_that_plans(
    clone: Path, lambda_zips: dict[str, Path], tf_env: dict[str, str]
) -> None:
    created = _run(clone, "scripts.new_env", "--new", "qa", "--from", "staging", tf_env=tf_env)
    assert created.returncode == 0, created.stdout + created.stderr
    assert "rendered envs/qa/settings.tf from config/qa.yaml" in created.stdout
    assert "set account_id in config/qa.yaml and bucket in config/qa.backend.hcl" in created.stdout
    build = next(iter(lambda_zips.values())).parent
    done = _run(clone, "scripts.plan", "--env", "qa", "--build", str(build), tf_env=tf_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "undeclared local value" not in done.stdout + done.stderr
    plan = _planned(clone, "qa", tf_env)
    (table,) = [c["change"]["after"] for c in plan["resource_changes"] if c["type"] == "aws_dynamodb_table"]
    assert table["name"] == "crypto-prices-qa-ticks"
    assert table["tags"]["Environment"] == "qa"
