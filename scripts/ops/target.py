"""Where an operator command acts: a deployed environment (its ``terraform output``, AWS credentials)
or ``make local``'s running deployment on moto (build/local/session.json).

A user's mistake (unknown environment, no credentials, no outputs, no running local deployment)
is an :class:`OpsError` whose message says what to do; :func:`run_command` prints it as one line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from scripts.envs import UnknownEnvironment, env_dir
from scripts.errors import USAGE_EXIT, UserError, describe_aws_error, one_line
from scripts.plan import FAKE_CREDENTIALS, find_credentials
from scripts.tfcli import terraform_env
from scripts.tfversion import TerraformVersionError, terraform_binary

REPO_ROOT = Path(__file__).resolve().parents[2]
SESSION_FILE = REPO_ROOT / "build" / "local" / "session.json"
#: The environment ``make local`` runs on moto: its outputs and endpoint are in the session file.
LOCAL_ENV = "local"


class OpsError(UserError):
    """A user's mistake or a failed step: printed as one line, exit status :attr:`status`."""

    def __init__(self, message: str, status: int = USAGE_EXIT) -> None:
        super().__init__(message, status)

    @property
    def status(self) -> int:
        """The command's exit status."""
        return self.exit_code


class AwsClients:
    """boto3 clients of one session (credentials from the default chain), created once each."""

    def __init__(
        self, session: boto3.session.Session, endpoint: str | None = None, config: Config | None = None
    ) -> None:
        self._session = session
        self.endpoint = endpoint
        self._config = config
        self._clients: dict[str, Any] = {}

    @property
    def events(self) -> Any:
        """The session's botocore events: the IAM-by-execution check records calls here."""
        return self._session.events

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service, endpoint_url=self.endpoint, config=self._config
            )
        return self._clients[service]


@dataclass
class Target:
    """One deployment: its name, the module's outputs, AWS clients and the webhook URL to POST to."""

    env: str
    outputs: dict[str, Any]
    clients: Callable[[str], Any]
    webhook_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def output(self, name: str) -> Any:
        """An output of modules/pipeline; :class:`OpsError` when the deployment has none."""
        value = self.outputs.get(name)
        if value in (None, ""):
            raise OpsError(
                f"the {self.env} deployment has no output {name!r}: "
                f"run `make apply ENV={self.env}` with this version of the repository"
            )
        return value


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """``--env`` and ``--region``, the same for every operator command."""
    parser.add_argument(
        "--env",
        help="the environment (make ... ENV=<env>): its `terraform output -json pipeline` in envs/<env>; "
        f"{LOCAL_ENV!r} is `make local ARGS=--serve`'s running deployment",
    )
    parser.add_argument(
        "--region", help="AWS region (default: the environment's config, else your AWS config)"
    )


def local_session(path: Path | None = None) -> dict[str, Any]:
    """The running local deployment: endpoint, webhook URL, secret ARN, terraform outputs."""
    path = path or SESSION_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise OpsError(
            f"no running local deployment ({path} is missing): start `make local ARGS=--serve`"
        ) from None
    except ValueError:
        raise OpsError(f"{path} is not JSON: restart `make local ARGS=--serve`") from None


def write_local_session(
    path: Path, endpoint: str, url: str, secret_arn: str, outputs: Mapping[str, Any]
) -> None:
    """What ``make local`` leaves for the commands run with ``--env local`` (and pipeline-sign)."""
    path.write_text(
        json.dumps({"endpoint": endpoint, "url": url, "secret_arn": secret_arn, "outputs": dict(outputs)})
    )


def local_target(session_file: Path | None = None) -> Target:
    """``make local``'s deployment on moto, from its session file."""
    session = local_session(session_file)
    outputs = dict(session.get("outputs") or {})
    outputs.setdefault("webhook_secret_arn", session.get("secret_arn"))
    # moto takes any key: the offline plan's fake ones
    fake = boto3.session.Session(
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=_region_of(outputs) or "us-east-1",
    )
    return Target(LOCAL_ENV, outputs, AwsClients(fake, session["endpoint"]), session.get("url", ""), session)


def terraform_outputs(
    env: str, runner: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run
) -> dict[str, Any]:
    """``terraform output -json pipeline`` of envs/<env> (initialised by ``make apply ENV=<env>``)."""
    try:
        folder = env_dir(env, REPO_ROOT)
        terraform = terraform_binary()
    except (UnknownEnvironment, TerraformVersionError) as exc:
        raise OpsError(str(exc)) from None
    done = runner(
        [terraform, f"-chdir={folder}", "output", "-json", "-no-color", "pipeline"],
        env={**os.environ, **terraform_env()},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        lines = [" ".join(line.split()) for line in (done.stderr or "").splitlines() if line.strip()]
        why = next((line for line in lines if line.startswith("Error")), lines[0] if lines else "no output")
        raise OpsError(
            f"no terraform outputs for envs/{env} ({why}): run `make apply ENV={env}` first (on another "
            f"machine: terraform init of envs/{env} with its backend, envs/README.md)"
        )
    try:
        outputs = json.loads(done.stdout)
    except ValueError:
        raise OpsError(f"terraform output of envs/{env} is not JSON: {done.stdout[:80]!r}") from None
    if not isinstance(outputs, dict):
        raise OpsError(
            f"terraform output pipeline of envs/{env} is not an object: rerun `make apply ENV={env}`"
        )
    return outputs


def aws_clients(region: str | None) -> AwsClients:
    """Clients of the default credential chain; :class:`OpsError` when it holds no credentials."""
    found = find_credentials()
    if not found.configured:
        raise OpsError(
            "no AWS credentials: configure a profile (aws configure / aws sso login) or export AWS_PROFILE"
        )
    if found.error:
        raise OpsError(f"AWS credentials ({found.method}) failed: {found.error}")
    return AwsClients(boto3.session.Session(region_name=region))


def resolve(
    env: str | None,
    region: str | None = None,
    outputs_of: Callable[[str], dict[str, Any]] = terraform_outputs,
    session_file: Path | None = None,
) -> Target:
    """The deployment named by ``--env``: local (moto) or a deployed environment."""
    if not env:
        raise OpsError("--env is required (make ... ENV=<env>): an environment under envs/, or local")
    if env == LOCAL_ENV:
        return local_target(session_file)
    outputs = outputs_of(env)
    return Target(
        env, outputs, aws_clients(region or _region_of(outputs)), str(outputs.get("webhook_url") or "")
    )


def _region_of(outputs: Mapping[str, Any]) -> str | None:
    """The region of the deployment, read from an output ARN (the environment's config says the same)."""
    arn = str(outputs.get("table_arn") or outputs.get("topic_arn") or "")
    parts = arn.split(":")
    return parts[3] if len(parts) > 4 and parts[3] else None


def aws_error(exc: Exception) -> str:
    """One line for an AWS failure: the code and what to check (scripts/errors.py's wording)."""
    return describe_aws_error(exc) or f"AWS call failed: {type(exc).__name__}: {exc}"


def run_command(body: Callable[[], int]) -> int:
    """Run a command's body: an :class:`OpsError` or an AWS failure is one line on stderr, no traceback."""
    return one_line(body)() or 0
