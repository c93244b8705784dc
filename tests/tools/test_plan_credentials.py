"""scripts/plan.py: the offline-plan switch asks botocore's own credential chain."""

from __future__ import annotations

import sys
from pathlib import Path

import botocore.session
import pytest

from scripts import plan

CHAIN_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


@pytest.fixture
def aws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty AWS configuration: no variables, empty config and credentials files, no IMDS."""
    for name in CHAIN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "config").write_text("")
    (tmp_path / "credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return tmp_path


def check() -> plan.CredentialCheck:
    return plan.find_credentials(botocore.session.Session())


def test_nothing_configured_plans_offline(aws_home: Path) -> None:
    found = check()
    assert not found.configured
    assert found.method is None


def test_environment_keys(aws_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert check().method == "env"


def test_shared_credentials_file(aws_home: Path) -> None:
    (aws_home / "credentials").write_text("[default]\naws_access_key_id = A\naws_secret_access_key = B\n")
    assert check().method == "shared-credentials-file"


def test_profile_with_credential_process(aws_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = aws_home / "creds.py"
    script.write_text(
        "import json\nprint(json.dumps({'Version': 1, 'AccessKeyId': 'AKIAPROCESS', "
        "'SecretAccessKey': 's', 'SessionToken': 't'}))\n"
    )
    (aws_home / "config").write_text(f"[profile tool]\ncredential_process = {sys.executable} {script}\n")
    monkeypatch.setenv("AWS_PROFILE", "tool")
    found = check()
    assert found.configured
    assert found.method == "custom-process"
    assert found.error is None


def test_profile_with_sso(aws_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (aws_home / "config").write_text(
        "[profile work]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n"
        "region = us-east-1\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n"
    )
    monkeypatch.setenv("AWS_PROFILE", "work")
    found = check()
    assert found.configured
    assert found.method == "sso"


def test_failing_credential_process_counts_as_configured(
    aws_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (aws_home / "config").write_text(
        f"[profile broken]\ncredential_process = {sys.executable} -c 'exit(3)'\n"
    )
    monkeypatch.setenv("AWS_PROFILE", "broken")
    found = check()
    assert found.configured  # a normal plan shows the error, not a fake-credential plan
    assert found.error


def test_unknown_profile_counts_as_configured(aws_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nope")
    found = check()
    assert found.configured
    assert "nope" in (found.error or "")
