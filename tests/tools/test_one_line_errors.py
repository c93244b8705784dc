"""Every operator-facing command fails in one line (scripts/errors.py): the message says what to
do, the exit status is not 0, and there is no traceback."""

from __future__ import annotations

import importlib
import os
import subprocess
from pathlib import Path

import botocore.exceptions
import pytest

from scripts import backend, plan, tf
from scripts.errors import UserError, one_line
from scripts.local import sign
from scripts.redrive import aws as redrive

REPO = Path(__file__).resolve().parents[2]
QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/pipeline-dev-enricher-on-failure"


@pytest.fixture
def no_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No credentials, no region, no profile: empty AWS files and no AWS_* variable."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    (tmp_path / "config").write_text("[profile ops]\nregion = us-east-1\n")
    (tmp_path / "credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0]


# ------------------------------------------------------------------------------ pipeline-redrive


@pytest.mark.parametrize(
    ("url", "region"),
    [
        (QUEUE, "eu-west-1"),
        ("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q", "cn-north-1"),
        ("https://ap-southeast-2.queue.amazonaws.com/123456789012/q.fifo", "ap-southeast-2"),
        ("https://queue.amazonaws.com/123456789012/q", "us-east-1"),
        ("https://vpce-0a1b.sqs.us-east-1.vpce.amazonaws.com/123456789012/q", None),
    ],
)
def test_redrive_takes_the_region_from_the_queue_url(url: str, region: str | None) -> None:
    assert redrive.queue_region(url) == region


def test_redrive_clients_use_the_queue_urls_region(no_aws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE000000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    redriver = redrive.aws_redriver(redrive.parse_args(["--queue-url", QUEUE, "--dry-run"]))
    assert redriver.sqs.meta.region_name == "eu-west-1"
    assert redriver.ddb.meta.region_name == "eu-west-1"
    given = redrive.aws_redriver(redrive.parse_args(["--queue-url", QUEUE, "--region", "us-west-2"]))
    assert given.sqs.meta.region_name == "us-west-2"  # --region wins


@pytest.mark.parametrize(
    "url", ["not-a-url", "http://sqs.us-east-1.amazonaws.com/123456789012/q", "https://x/q"]
)
def test_redrive_refuses_a_malformed_queue_url(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert redrive.main(["--queue-url", url]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"--queue-url {url!r} is not an SQS queue URL" in line
    assert "https://sqs.<region>.amazonaws.com/<account id>/<queue name>" in line


def test_redrive_without_credentials(no_aws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert redrive.main(["--queue-url", QUEUE, "--dry-run"]) == 1
    line = _one_line(capsys.readouterr().err)
    assert "no AWS credentials found" in line
    assert "AWS_PROFILE" in line


def test_redrive_with_a_profile_typo(
    no_aws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "opps")
    assert redrive.main(["--queue-url", QUEUE, "--dry-run"]) == 1
    line = _one_line(capsys.readouterr().err)
    assert "(opps) could not be found" in line
    assert "aws configure list-profiles" in line


def _make(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("ENV", "TF_ARGS", "MAKEFLAGS", "MAKELEVEL")}
    return subprocess.run(
        ["make", "-s", *args], cwd=REPO, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


def test_make_redrive_aws_with_a_malformed_url_fails_in_one_line() -> None:
    done = _make("redrive", "ARGS=--aws --queue-url not-a-url")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "error: --queue-url 'not-a-url' is not an SQS queue URL" in done.stderr


def test_make_redrive_aws_without_credentials_fails_in_one_line(no_aws: Path) -> None:
    done = _make("redrive", f"ARGS=--aws --queue-url {QUEUE} --dry-run")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "error: no AWS credentials found" in done.stderr


# ----------------------------------------------------------------------------------- pipeline-sign


def test_sign_names_the_missing_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "session.json"
    assert sign.main(["--body", "{}", "--secret", "X", "--curl", "--session", str(missing)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "pass --url" in line
    assert "--secret" not in line


def test_sign_without_a_secret_names_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    assert sign.main(["--body", "{}", "--session", str(tmp_path / "none.json")]) == 2
    assert "pass --secret" in _one_line(capsys.readouterr().err)


# ------------------------------------------------------------------- pipeline-plan and pipeline-tf


@pytest.fixture
def zips(tmp_path: Path) -> Path:
    for name in plan.ZIPS:
        (tmp_path / name).write_bytes(b"PK")
    return tmp_path


def test_plan_with_a_profile_typo_stops_before_terraform(
    no_aws: Path, zips: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "opps")
    assert plan.main(["--env", "dev", "--build", str(zips)]) == 2
    out, err = capsys.readouterr()
    line = _one_line(err)
    assert "(opps) could not be found" in line
    assert "profiles: ops" in line
    assert "+ terraform" not in out
    assert "credentials configured" not in out


def test_plan_with_credentials_names_the_missing_backend_setting(
    no_aws: Path, zips: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE000000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    assert plan.main(["--env", "dev", "--build", str(zips)]) == 2
    out, err = capsys.readouterr()
    line = _one_line(err)
    assert line.startswith("error: config/dev.backend.hcl: the S3 backend needs bucket: add `bucket = ")
    assert "make state-bucket ENV=dev" in line
    assert "+ terraform" not in out


def test_plan_with_credentials_inits_with_the_environments_backend_file(
    no_aws: Path, zips: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE000000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    (tmp_path / "state.hcl").write_text('bucket = "my-state"\n')
    monkeypatch.chdir(tmp_path)  # a relative -backend-config path is the user's, from here
    render_tfvars = importlib.import_module("scripts.render_tfvars")
    monkeypatch.setattr(render_tfvars, "sync_settings", lambda env: f"{env} settings checked")
    ran: list[list[str]] = []

    def fake_run(cmd: list[str], cwd: Path, env: dict[str, str], **kwargs: object) -> None:
        ran.append(cmd)
        raise subprocess.CalledProcessError(3, cmd)

    monkeypatch.setattr(plan, "_run", fake_run)
    assert plan.main(["--env", "dev", "--build", str(zips), "--", "-backend-config=state.hcl"]) == 3
    (init,) = ran
    assert init[1:3] == ["init", "-input=false"]
    assert init[3:] == [
        "-backend-config=key=envs/dev/terraform.tfstate",
        f"-backend-config={REPO / 'config' / 'dev.backend.hcl'}",
        f"-backend-config={tmp_path / 'state.hcl'}",
    ]


def test_apply_without_a_bucket_stops_before_terraform(capsys: pytest.CaptureFixture[str]) -> None:
    assert tf.main(["--env", "prod", "apply"]) == 2
    out, err = capsys.readouterr()
    assert "config/prod.backend.hcl: the S3 backend needs bucket" in _one_line(err)
    assert "+ terraform" not in out


# --------------------------------------------------------------------------------- the backend file


def test_backend_settings_merge_the_file_and_the_users_arguments(tmp_path: Path) -> None:
    given = backend.settings("staging", ["-backend-config=bucket=b", "-backend-config=key=x/y.tfstate"])
    assert given == {"key": "x/y.tfstate", "region": "us-east-1", "bucket": "b"}


def test_a_missing_backend_file_says_what_to_create(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    with pytest.raises(UserError) as raised:
        backend.settings("qa", [], root=tmp_path)
    text = str(raised.value)
    assert text.startswith("config/qa.backend.hcl: the S3 backend needs bucket and region: create the file")
    assert '`region = "<the bucket\'s region>"`' in text


def test_a_relative_backend_config_path_resolves_from_the_callers_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.hcl").write_text('bucket = "b"\n')
    assert backend.resolve_paths(["-backend-config", "mine.hcl", "-upgrade"], cwd=tmp_path) == [
        f"-backend-config={tmp_path / 'mine.hcl'}",
        "-upgrade",
    ]
    with pytest.raises(UserError, match=r"-backend-config=other.hcl: no such file"):
        backend.resolve_paths(["-backend-config=other.hcl"], cwd=tmp_path)


def test_every_s3_environment_states_its_backend_next_to_its_settings() -> None:
    from scripts.envs import backend_type, environments

    for env in environments():
        if backend_type(REPO / "envs" / env) == "s3":
            settings = backend.read_settings(backend.backend_file(env))
            assert settings.get("region"), env


# ------------------------------------------------------------------------------- the shared wrapper


def test_one_line_turns_an_aws_refusal_into_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    @one_line
    def main() -> int:
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "ReceiveMessage"
        )

    assert main() == 1
    assert _one_line(capsys.readouterr().err) == (
        "error: AWS refused ReceiveMessage: AccessDenied: not allowed: your role lacks a grant"
        " (the operator tools need the pipeline's operator_policy_json output)"
    )


def test_one_line_passes_other_refusals_without_the_grant_hint(capsys: pytest.CaptureFixture[str]) -> None:
    @one_line
    def main() -> int:
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "Scan"
        )

    assert main() == 1
    assert _one_line(capsys.readouterr().err) == "error: AWS refused Scan: ThrottlingException: slow down"


def test_one_line_leaves_a_bug_as_a_traceback() -> None:
    @one_line
    def main() -> int:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        main()
