"""terraform init/apply/output/destroy of envs/local against a moto endpoint.

Every terraform process gets the project's CLI config (offline provider mirror,
``scripts.tfcli.terraform_env``), fake credentials and ``AWS_ENDPOINT_URL`` for the
moto server, and its own data directory and state file under ``work_dir``
(``TF_DATA_DIR``, and the local backend's ``path`` set at init, or ``-state`` when
the root module declares no backend), so a run never touches ``envs/local/.terraform``
or another run's state.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scripts.local.aws import aws_env
from scripts.tfcli import terraform_env

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_DIR = REPO_ROOT / "envs" / "local"


class TerraformError(RuntimeError):
    pass


def _sources(tf_dir: Path) -> str:
    return "\n".join(path.read_text() for path in sorted(tf_dir.glob("*.tf")))


def declared_variables(tf_dir: Path) -> set[str]:
    """Names of the variables a root module declares (``variable "name"`` blocks)."""
    return set(re.findall(r'^\s*variable\s+"([^"]+)"', _sources(tf_dir), flags=re.MULTILINE))


def has_backend(tf_dir: Path) -> bool:
    return re.search(r'^\s*backend\s+"', _sources(tf_dir), flags=re.MULTILINE) is not None


def has_local_backend(tf_dir: Path) -> bool:
    return re.search(r'^\s*backend\s+"local"', _sources(tf_dir), flags=re.MULTILINE) is not None


class LocalTerraform:
    """One deployment of ``tf_dir`` to one moto endpoint, with its state in ``work_dir``."""

    def __init__(
        self,
        endpoint: str,
        work_dir: Path,
        tf_dir: Path = ENV_DIR,
        variables: Mapping[str, str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.tf_dir = tf_dir
        self.work_dir = work_dir
        self.variables = dict(variables or {})
        self.state_path = work_dir / "terraform.tfstate"
        self.log_path = log_path or work_dir / "terraform.log"
        self.timings: dict[str, float] = {}
        binary = shutil.which("terraform")
        if binary is None:
            raise TerraformError("terraform is not on PATH (Terraform >= 1.5 is required)")
        self.binary = binary
        if has_backend(tf_dir) and not has_local_backend(tf_dir):
            raise TerraformError(f"{tf_dir} has a remote backend; the local runtime needs local state")
        # state location: the local backend's path (set at init), or -state without a backend block
        self._backend_path = has_local_backend(tf_dir)
        self._state_args = [] if self._backend_path else [f"-state={self.state_path}"]

    def env(self) -> dict[str, str]:
        env = {**os.environ, **terraform_env(), **aws_env(self.endpoint)}
        env["TF_DATA_DIR"] = str(self.work_dir / "tf-data")
        env["TF_IN_AUTOMATION"] = "1"
        env["TF_INPUT"] = "0"
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "TF_WORKSPACE"):
            env.pop(name, None)
        return env

    def _var_args(self) -> list[str]:
        return [f"-var={name}={value}" for name, value in sorted(self.variables.items())]

    def run(self, *args: str, capture: bool = False) -> str:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        command = [self.binary, f"-chdir={self.tf_dir}", *args]
        log.debug("running %s", " ".join(command))
        started = time.monotonic()
        with self.log_path.open("a") as out:
            out.write(f"\n$ {' '.join(command)}\n")
            out.flush()
            offset = out.tell()
            process = subprocess.run(
                command,
                env=self.env(),
                stdout=subprocess.PIPE if capture else out,
                stderr=out if capture else subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                check=False,
            )
        self.timings[args[0]] = self.timings.get(args[0], 0.0) + time.monotonic() - started
        if process.returncode != 0:
            raise TerraformError(
                f"terraform {args[0]} failed (exit {process.returncode}); its output "
                f"(full log {self.log_path}):\n"
                + self.log_since(offset)
                + ((process.stdout or "") if capture else "")
            )
        return process.stdout if capture else ""

    def log_since(self, offset: int, limit: int = 60) -> str:
        try:
            with self.log_path.open() as log_file:
                log_file.seek(offset)
                lines = log_file.read().splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-limit:])

    def init(self) -> None:
        args = ["init", "-input=false", "-no-color", "-reconfigure"]
        if self._backend_path:
            args.append(f"-backend-config=path={self.state_path}")
        self.run(*args)

    def apply(self) -> dict[str, Any]:
        """Apply and return the outputs as plain values."""
        self.run(
            "apply",
            "-input=false",
            "-no-color",
            "-auto-approve",
            *self._state_args,
            *self._var_args(),
        )
        return self.outputs()

    def outputs(self) -> dict[str, Any]:
        text = self.run("output", "-json", "-no-color", *self._state_args, capture=True)
        return {name: entry.get("value") for name, entry in json.loads(text or "{}").items()}

    def destroy(self) -> None:
        if not self.state_path.exists():
            return
        self.run(
            "destroy",
            "-input=false",
            "-no-color",
            "-auto-approve",
            *self._state_args,
            *self._var_args(),
        )
