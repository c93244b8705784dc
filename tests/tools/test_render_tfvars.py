"""scripts/render_tfvars.py: keys and types checked against the schema derived from the module, values
checked by Terraform, stable fmt-clean settings.tf out, nothing written on error."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest
import yaml

from scripts import render_tfvars, settings_docs
from scripts.envs import environments

REPO = Path(__file__).resolve().parents[2]
ENVS = environments()


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of config/ and empty env folders; the module renders there (terraform validate runs on
    a throwaway copy of the real env root with the sandbox's settings)."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    for env in ENVS:
        (tmp_path / "envs" / env).mkdir(parents=True)
    monkeypatch.setattr(render_tfvars, "CONFIG_DIR", tmp_path / "config")
    monkeypatch.setattr(render_tfvars, "ENVS_DIR", tmp_path / "envs")
    monkeypatch.setattr(render_tfvars, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(render_tfvars, "CHECK_DIR", tmp_path / "build" / "tfvars-check")
    return tmp_path


def _edit(sandbox: Path, env: str, change) -> None:
    path = sandbox / "config" / f"{env}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_the_environments_are_discovered() -> None:
    assert set(ENVS) >= {"dev", "staging", "prod", "local"}
    for env in ENVS:
        assert (REPO / "config" / f"{env}.yaml").is_file()
        assert (REPO / "envs" / env / "main.tf").is_file()


@pytest.mark.parametrize("env", ENVS)
def test_committed_settings_match_a_fresh_render(env: str) -> None:
    committed = (REPO / "envs" / env / "settings.tf").read_text()
    assert committed == render_tfvars.render(env), f"run `make tfvars ENV={env}`"


def test_render_is_stable_and_fmt_clean(tmp_path: Path) -> None:
    for env in ENVS:
        first, second = render_tfvars.render(env), render_tfvars.render(env)
        assert first == second
        (tmp_path / f"{env}.tf").write_text(first)
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-list=true", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_settings_hold_what_the_yaml_says(tmp_path: Path) -> None:
    for env in ENVS:
        path = tmp_path / f"{env}.tf"
        path.write_text(render_tfvars.render(env))
        with path.open() as handle:
            (locals_block,) = hcl2.load(handle)["locals"]
        settings = locals_block["settings"]
        config = yaml.safe_load((REPO / "config" / f"{env}.yaml").read_text())
        assert [k for k in settings if not k.startswith("__")] == list(config), env
        assert settings["account_id"] == json.dumps(config["account_id"]), env


def test_check_mode_reports_a_stale_file(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert render_tfvars.main(["--all", "--no-terraform"]) == 0
    (sandbox / "envs" / "dev" / "settings.tf").write_text("# edited by hand\n")
    assert render_tfvars.main(["--all", "--check", "--no-terraform"]) == 1
    assert "envs/dev/settings.tf" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(colour="blue"), r"key 'colour': unknown key"),
        (lambda d: d["enricher"].update(batch_sise=10), r"key 'enricher\.batch_sise': unknown key"),
        (
            lambda d: d["enricher"].update(batch_size="ten"),
            r"key 'enricher\.batch_size': 'ten' is not of type",
        ),
        (lambda d: d["table"].update(point_in_time_recovery="yes"), r"key 'table\.point_in_time_recovery'"),
        (lambda d: d.update(environment="prod"), r"key 'environment': must be 'dev'"),
        (lambda d: d.pop("region"), r"'region' is a required property"),
        # Without an account id the provider's allowed_account_ids cannot guard the apply.
        (lambda d: d.pop("account_id"), r"'account_id' is a required property"),
    ],
)
def test_a_wrong_key_or_type_names_file_and_key_and_writes_nothing(
    sandbox: Path, capsys: pytest.CaptureFixture[str], change, expected: str
) -> None:
    _edit(sandbox, "dev", change)
    assert render_tfvars.main(["--all", "--no-terraform"]) == 2
    err = capsys.readouterr().err
    assert re.search(expected, err), err
    assert str(sandbox / "config" / "dev.yaml") in err
    # --all validates everything first: not even the valid environments were written.
    assert not list((sandbox / "envs").rglob("settings.tf"))


@pytest.mark.terraform
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # The words of the validation blocks: the pipeline's own, or the module it passes a setting to.
        (
            lambda d: d["enricher"].update(batch_size=20000),
            "enricher.batch_size must be from 1 to 10000",
        ),
        (lambda d: d["webhook"].update(memory_size=64), "memory_size must be from 128 to 10240 MB."),
        (lambda d: d.update(log_retention_days=10), "log_retention_days must be one of 1, 3, 5"),
        (lambda d: d.update(account_id="12345"), "account_id must be 12 digits."),
        # Reserving 0 would disable the function; null (unreserved) is the way to reserve nothing.
        (
            lambda d: d["webhook"].update(reserved_concurrency=0),
            "reserved_concurrency must be null (unreserved) or a whole number from 1 to 1000.",
        ),
        (
            lambda d: d["alarms"].update(period_seconds=120),
            "alarms.period_seconds must be 60, 300, 900 or 3600",
        ),
    ],
)
def test_an_out_of_range_value_is_refused_in_terraforms_words(
    sandbox: Path, capsys: pytest.CaptureFixture[str], change, expected: str
) -> None:
    _edit(sandbox, "dev", change)
    assert render_tfvars.main(["--env", "dev"]) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert f"{sandbox / 'config' / 'dev.yaml'}: Invalid value for variable" in err
    assert not (sandbox / "envs" / "dev" / "settings.tf").exists()


@pytest.mark.terraform
def test_a_valid_config_passes_the_terraform_check_and_is_written(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert render_tfvars.main(["--env", "prod"]) == 0
    assert "(checked by terraform)" in capsys.readouterr().out
    assert (sandbox / "envs" / "prod" / "settings.tf").read_text() == render_tfvars.render("prod")


def test_a_key_given_twice_is_refused(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = sandbox / "config" / "dev.yaml"
    path.write_text(path.read_text() + "\nlog_level: INFO\n")
    assert render_tfvars.main(["--env", "dev", "--no-terraform"]) == 2
    assert "key 'log_level' is given twice" in capsys.readouterr().err
    assert not (sandbox / "envs" / "dev" / "settings.tf").exists()


def test_unknown_environment_is_refused(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert render_tfvars.main(["--env", "qa"]) == 2
    err = capsys.readouterr().err
    assert "config/qa.yaml and envs/qa missing" in err
    assert "known environments: " + ", ".join(ENVS) in err


def test_an_environment_needs_its_root_folder(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(sandbox / "config" / "dev.yaml", sandbox / "config" / "qa.yaml")
    assert render_tfvars.main(["--env", "qa"]) == 2
    assert "no environment 'qa': envs/qa missing" in capsys.readouterr().err


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


def test_generated_schema_and_readme_table_are_current() -> None:
    """config/schema.json and the envs/README.md settings table: python -m scripts.settings_docs."""
    for path, text in settings_docs.generated().items():
        assert path.read_text() == text, f"{path} is out of date: run `make settings-docs`"


def test_settings_docs_check_mode_reports_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# envs\n\n{settings_docs.BEGIN}\n| stale |\n{settings_docs.END}\n")
    schema = tmp_path / "schema.json"
    schema.write_text("{}\n")
    monkeypatch.setattr(settings_docs, "README_PATH", readme)
    monkeypatch.setattr(settings_docs, "SCHEMA_PATH", schema)
    monkeypatch.setattr(settings_docs, "REPO_ROOT", tmp_path)
    assert settings_docs.main(["--check"]) == 1
    assert settings_docs.main([]) == 0
    assert settings_docs.main(["--check"]) == 0
    # Read from the module: a default and a limit of the pipeline's variables.tf.
    assert "| `enricher.batch_size` | number | `100` | enricher.batch_size must be from 1 to 10000" in (
        readme.read_text()
    )
    assert (
        json.loads(schema.read_text())["properties"]["enricher"]["properties"]["batch_size"]["default"] == 100
    )


def test_batch_size_is_stated_once() -> None:
    """The enricher's batch size: one default, in modules/pipeline; no config or root restates it."""
    for path in [*(REPO / "config").glob("*.yaml"), *(REPO / "envs").rglob("*.tf")]:
        assert "batch_size" not in path.read_text(), path
