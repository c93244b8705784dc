"""scripts/render_tfvars.py: validated config in, stable fmt-clean tfvars out, nothing written on error."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from scripts import render_tfvars

REPO = Path(__file__).resolve().parents[2]
ENVS = ("local", "dev", "staging", "prod")
# Root variables that are not per-environment settings: paths, switches set by tooling, secrets.
NOT_CONFIGURED = {"webhook_zip", "enricher_zip", "offline_plan", "webhook_secret_initial_value"}


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of config/ and empty env folders; the module renders there."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    for env in ENVS:
        (tmp_path / "envs" / env).mkdir(parents=True)
    monkeypatch.setattr(render_tfvars, "CONFIG_DIR", tmp_path / "config")
    monkeypatch.setattr(render_tfvars, "ENVS_DIR", tmp_path / "envs")
    monkeypatch.setattr(render_tfvars, "REPO_ROOT", tmp_path)
    return tmp_path


def _edit(sandbox: Path, env: str, change) -> None:
    path = sandbox / "config" / f"{env}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize("env", ENVS)
def test_committed_tfvars_match_a_fresh_render(env: str) -> None:
    committed = (REPO / "envs" / env / "terraform.tfvars").read_text()
    assert committed == render_tfvars.render(env), f"run `make tfvars ENV={env}`"


def test_render_is_stable_and_fmt_clean(tmp_path: Path) -> None:
    for env in ENVS:
        first, second = render_tfvars.render(env), render_tfvars.render(env)
        assert first == second
        (tmp_path / f"{env}.tfvars").write_text(first)
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-list=true", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_check_mode_reports_a_stale_file(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert render_tfvars.main(["--all"]) == 0
    (sandbox / "envs" / "dev" / "terraform.tfvars").write_text("# edited by hand\n")
    assert render_tfvars.main(["--all", "--check"]) == 1
    assert "envs/dev/terraform.tfvars" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(colour="blue"), r"key 'colour': unknown key"),
        (lambda d: d["enricher"].update(batch_sise=10), r"key 'enricher\.batch_sise': unknown key"),
        (
            lambda d: d["enricher"].update(batch_size="ten"),
            r"key 'enricher\.batch_size': 'ten' is not of type",
        ),
        (
            lambda d: d["enricher"].update(batch_size=20000),
            r"key 'enricher\.batch_size': 20000 is greater than",
        ),
        (lambda d: d["webhook"].update(memory_size=64), r"key 'webhook\.memory_size': 64 is less than"),
        (lambda d: d.update(log_retention_days=10), r"key 'log_retention_days': 10 is not one of"),
        (lambda d: d.update(kms_deletion_window_in_days=3), r"key 'kms_deletion_window_in_days'"),
        (lambda d: d["table"].update(point_in_time_recovery="yes"), r"key 'table\.point_in_time_recovery'"),
        (lambda d: d.update(environment="prod"), r"key 'environment': must be 'dev'"),
        (lambda d: d.pop("aws_region"), r"'aws_region' is a required property"),
        # Without an account id the provider's allowed_account_ids cannot guard the apply.
        (lambda d: d.pop("account_id"), r"'account_id' is a required property"),
        (lambda d: d.update(account_id="12345"), r"key 'account_id': '12345' does not match"),
        # Reserving 0 would disable the function; null (unreserved) is the way to reserve nothing.
        (lambda d: d["webhook"].update(reserved_concurrency=0), r"key 'webhook\.reserved_concurrency'"),
        (
            lambda d: d["alarms"].update(queue_age_seconds_threshold=10),
            r"key 'alarms\.queue_age_seconds_threshold'",
        ),
    ],
)
def test_invalid_config_names_file_and_key_and_writes_nothing(
    sandbox: Path, capsys: pytest.CaptureFixture[str], change, expected: str
) -> None:
    _edit(sandbox, "dev", change)
    assert render_tfvars.main(["--all"]) == 2
    err = capsys.readouterr().err
    assert re.search(expected, err), err
    assert str(sandbox / "config" / "dev.yaml") in err
    # --all validates everything first: not even the valid environments were written.
    assert not list((sandbox / "envs").rglob("terraform.tfvars"))


def test_a_key_given_twice_is_refused(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = sandbox / "config" / "dev.yaml"
    path.write_text(path.read_text() + "\nlog_level: INFO\n")
    assert render_tfvars.main(["--env", "dev"]) == 2
    assert "key 'log_level' is given twice" in capsys.readouterr().err
    assert not (sandbox / "envs" / "dev" / "terraform.tfvars").exists()


def test_unknown_environment_is_refused(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert render_tfvars.main(["--env", "qa"]) == 2
    assert "known environments: dev, local, prod, staging" in capsys.readouterr().err


def test_strings_are_escaped_for_hcl() -> None:
    assert render_tfvars.hcl('a "quoted" ${interp} %{dir}') == r'"a \"quoted\" $${interp} %%{dir}"'
    assert (
        render_tfvars.hcl({"Cost Center": "x", "Team": True})
        == '{\n  "Cost Center" = "x"\n  Team          = true\n}'
    )


def test_unreserved_concurrency_renders_as_null() -> None:
    rendered = render_tfvars.render("dev")
    assert "reserved_concurrency = null" in rendered
    assert 'account_id                  = "' in rendered


def test_schema_covers_every_environment_variable() -> None:
    """config/schema.json and the env roots' variables must not drift apart."""
    text = (REPO / "envs" / "_shared" / "pipeline.tf").read_text()
    variables = set(re.findall(r'^variable "([a-z_0-9]+)"', text, flags=re.MULTILINE))
    schema = json.loads((REPO / "config" / "schema.json").read_text())
    assert set(schema["properties"]) == variables - NOT_CONFIGURED
