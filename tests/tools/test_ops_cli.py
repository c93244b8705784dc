"""``pipeline-secret`` and ``pipeline-smoke``: every user mistake ends in one line saying what to do,
with a non-zero exit status and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from moto import mock_aws

from scripts.ops import secret, smoke, target

REPO = Path(__file__).resolve().parents[2]


def run(
    tool: str, *args: str, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """The console script, from another folder when asked, with ``env`` (default: no AWS credentials)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "ENV"}
    base.update(
        {
            "AWS_CONFIG_FILE": "/nonexistent/config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    command = [str(Path(sys.executable).parent / tool), *args]
    return subprocess.run(
        command, cwd=cwd, env={**base, **(env or {})}, capture_output=True, text=True, timeout=60
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("tool", "args", "words"),
    [
        ("pipeline-secret", ["rotate"], "--env <env> (make secret-rotate ENV=<env>) or --secret-id"),
        ("pipeline-smoke", [], "--env is required"),
        ("pipeline-secret", ["revoke", "--env", "nope"], "no environment 'nope'"),
        ("pipeline-smoke", ["--env", "nope"], "known environments: dev, local, prod, staging"),
        ("pipeline-secret", ["rotate", "--secret-id", "arn:x"], "no AWS credentials: configure a profile"),
        ("pipeline-smoke", ["--env", "local", "--timeout", "0"], "--timeout must be more than 0"),
    ],
)
def test_a_mistake_is_one_line_that_says_what_to_do(
    tool: str, args: list[str], words: str, tmp_path: Path
) -> None:
    assert words in one_line(run(tool, *args, cwd=tmp_path))


def test_an_environment_never_applied_has_no_outputs(tmp_path: Path) -> None:
    line = one_line(run("pipeline-smoke", "--env", "staging", cwd=tmp_path))
    assert "no terraform outputs for envs/staging" in line
    assert "run `make apply ENV=staging` first" in line


def test_no_running_local_deployment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(target, "SESSION_FILE", tmp_path / "session.json")
    for main, args in ((smoke.main, ["--env", "local"]), (secret.main, ["rotate", "--env", "local"])):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "no running local deployment" in err
        assert err.strip().endswith("start `make local ARGS=--serve`")


def write_session(path: Path, **outputs: object) -> None:
    target.write_local_session(path, "http://127.0.0.1:9", "http://127.0.0.1:9/", "s", outputs)


def test_a_missing_output_and_a_bad_url_are_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = tmp_path / "session.json"
    monkeypatch.setattr(target, "SESSION_FILE", session)
    write_session(session, table_name="t", webhook_secret_arn="s", name_prefix="p")
    assert smoke.main(["--env", "local"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: the local deployment has no output 'topic_arn': "
        "run `make apply ENV=local` with this version of the repository"
    )
    write_session(
        session, table_name="t", webhook_secret_arn="s", name_prefix="p", topic_arn="arn:aws:sns:r:1:t"
    )
    assert smoke.main(["--env", "local", "--url", "not-a-url"]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: smoke test failed at step 'outputs': the webhook URL 'not-a-url' is not an http(s) URL"
    )


def test_an_aws_refusal_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        assert secret.main(["revoke", "--secret-id", "no-such-secret"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: AWS refused DescribeSecret: ResourceNotFoundException")


@pytest.mark.parametrize("target_name", ["smoke", "secret-rotate", "secret-revoke"])
def test_make_targets_require_env(target_name: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(
        ["make", "-s", target_name], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert f"make {target_name} ENV=<env>" in done.stderr


@pytest.mark.parametrize(
    ("target_name", "command"),
    [
        ("smoke", "-m scripts.ops.smoke --env dev"),
        ("secret-rotate", "-m scripts.ops.secret rotate --env dev"),
        ("secret-revoke", "-m scripts.ops.secret revoke --env dev"),
    ],
)
def test_make_targets_run_the_command_for_env(target_name: str, command: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(
        ["make", "-s", "-n", target_name, "ENV=dev"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].endswith(command)


def test_a_deployed_environment_without_credentials_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outputs found (the environment was applied), but the shell has no AWS credentials."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    outputs = {
        "topic_arn": "arn:aws:sns:eu-west-1:1:t",
        "webhook_url": "https://x.lambda-url.eu-west-1.on.aws/",
    }
    with pytest.raises(target.OpsError, match=r"^no AWS credentials: configure a profile"):
        target.resolve("dev", outputs_of=lambda env: outputs)
