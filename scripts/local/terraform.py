"""terraform init/apply/output/destroy of envs/local against a moto endpoint.

Every terraform process gets the project's CLI config (offline provider mirror,
``scripts.tfcli.terraform_env``), fake credentials and ``AWS_ENDPOINT_URL`` for the
moto server, and its own data directory and state file under ``work_dir``
(``TF_DATA_DIR``, and the local backend's ``path`` set at init, or ``-state`` when
the root module declares no backend), so a run never touches ``envs/local/.terraform``
or another run's state.

``apply`` and ``destroy`` run with ``-json`` (Terraform's machine-readable UI): each event
line is written to the log as its human message and counted by :class:`Progress` (resources
done of total), which a caller can show while Terraform works.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.local.aws import aws_env
from scripts.tfcli import terraform_env
from scripts.tfversion import TerraformVersionError, terraform_binary

log = logging.getLogger(__name__)
#: A delete's error that says the resource is already gone (the services' words).
GONE = re.compile(
    r"deleting [^\n]*?: operation error [^:\n]+: \w+, https response error StatusCode: 40[04]\b[^\n]*?"
    r"(ResourceNotFoundException|NotFoundException|NoSuchEntity|NotFound|No scalable target found)"
)

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_DIR = REPO_ROOT / "envs" / "local"

#: The function zips `make package` builds, by the function they hold.
ZIP_NAMES = {"webhook": "webhook_processor.zip", "enricher": "price_enricher.zip"}


class TerraformError(RuntimeError):
    pass


@dataclass
class Progress:
    """Resources done of total in one ``terraform apply -json`` / ``destroy -json`` run.

    The total is the set of resource addresses of ``planned_change`` events (their ``change``
    object; every action but no-op and read); a resource is done at its ``apply_complete``
    event and failed at its ``apply_errored`` event (their ``hook`` object). Data source
    reads are not resources to change and are not counted.
    """

    operation: str
    planned: set[str] = field(default_factory=set)
    completed: set[str] = field(default_factory=set)
    errored: set[str] = field(default_factory=set)
    current: str = ""

    @property
    def total(self) -> int:
        return len(self.planned)

    @property
    def done(self) -> int:
        return len(self.completed)

    def feed(self, event: Mapping[str, Any]) -> bool:
        """Count one event; True when the counts or the current resource changed."""
        kind = event.get("type")
        body = event.get("change" if kind == "planned_change" else "hook") or {}
        address = (body.get("resource") or {}).get("addr", "")
        if not address or body.get("action") in ("noop", "read"):
            return False
        if kind == "planned_change":
            self.planned.add(address)
        elif kind == "apply_start":
            self.current = address
        elif kind == "apply_complete":
            self.completed.add(address)
            self.planned.add(address)
        elif kind == "apply_errored":
            self.errored.add(address)
        else:
            return False
        return True

    def line(self) -> str:
        text = f"terraform {self.operation}: {self.done}/{self.total} resources"
        if self.errored:
            text += f", {len(self.errored)} failed"
        if self.current and self.current not in self.completed:
            text += f" (now {self.current})"
        return text


ProgressCallback = Callable[[Progress], None]


def event_text(event: Mapping[str, Any]) -> str:
    """The human text of one JSON UI event: its message, and a diagnostic's detail."""
    text = str(event.get("@message", ""))
    diagnostic = event.get("diagnostic") or {}
    if diagnostic.get("detail"):
        text += "\n  " + str(diagnostic["detail"]).replace("\n", "\n  ")
    return text


def _sources(tf_dir: Path) -> str:
    return "\n".join(path.read_text() for path in sorted(tf_dir.glob("*.tf")))


def declared_variables(tf_dir: Path) -> set[str]:
    """Names of the variables a root module declares (``variable "name"`` blocks)."""
    return set(re.findall(r'^\s*variable\s+"([^"]+)"', _sources(tf_dir), flags=re.MULTILINE))


def terraform_variables(tf_dir: Path, endpoint: str, zips: Path, extra: list[str]) -> dict[str, str]:
    """``moto_endpoint`` and the zip paths, for the variables envs/local declares."""
    declared = declared_variables(tf_dir)
    values: dict[str, str] = {}
    if "moto_endpoint" in declared:
        values["moto_endpoint"] = endpoint
    for name in declared:
        lowered = name.lower()
        if "zip" in lowered or "package" in lowered:
            if "webhook" in lowered:
                values[name] = str((zips / ZIP_NAMES["webhook"]).resolve())
            elif "enricher" in lowered:
                values[name] = str((zips / ZIP_NAMES["enricher"]).resolve())
        if lowered in ("build_dir", "package_dir", "artifacts_dir", "zip_dir"):
            values[name] = str(zips.resolve())
    for item in extra:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--var {item!r}: expected NAME=VALUE")
        values[name] = value
    return values


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
        try:
            self.binary = terraform_binary()
        except TerraformVersionError as exc:
            raise TerraformError(str(exc)) from exc
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

    def run_json(self, *args: str, progress: ProgressCallback | None = None) -> Progress:
        """Run ``terraform <args> -json``: human messages to the log, progress counted."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        command = [self.binary, f"-chdir={self.tf_dir}", *args, "-json"]
        log.debug("running %s", " ".join(command))
        counted = Progress(args[0])
        started = time.monotonic()
        with self.log_path.open("a") as out:
            out.write(f"\n$ {' '.join(command)}\n")
            out.flush()
            offset = out.tell()
            with subprocess.Popen(
                command,
                env=self.env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
            ) as process:
                assert process.stdout is not None
                for raw in process.stdout:
                    try:
                        event = json.loads(raw)
                    except ValueError:
                        out.write(raw)
                        continue
                    if not isinstance(event, dict):
                        out.write(raw)
                        continue
                    out.write(event_text(event) + "\n")
                    out.flush()
                    if counted.feed(event) and progress is not None:
                        progress(counted)
            returncode = process.wait()
        self.timings[args[0]] = self.timings.get(args[0], 0.0) + time.monotonic() - started
        if returncode != 0:
            raise TerraformError(
                f"terraform {args[0]} failed (exit {returncode}); its output "
                f"(full log {self.log_path}):\n" + self.log_since(offset)
            )
        return counted

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

    def apply(self, progress: ProgressCallback | None = None) -> dict[str, Any]:
        """Apply and return the outputs as plain values; ``progress`` sees every count change."""
        self.run_json(
            "apply",
            "-input=false",
            "-auto-approve",
            *self._state_args,
            *self._var_args(),
            progress=progress,
        )
        return self.outputs()

    def outputs(self) -> dict[str, Any]:
        """The root's outputs as plain values, read from the state file this class applies to (what
        ``terraform output -json`` prints, without loading Terraform). An env root has one output,
        ``pipeline`` (every output of modules/pipeline as an object): its attributes are returned as
        outputs of their own."""
        state = json.loads(self.state_path.read_text()) if self.state_path.is_file() else {}
        values = {name: entry.get("value") for name, entry in state.get("outputs", {}).items()}
        module_outputs = values.pop("pipeline", None)
        if isinstance(module_outputs, dict):
            values = {**module_outputs, **values}
        return values

    def destroy(self, progress: ProgressCallback | None = None) -> None:
        """Destroy what the state holds. A delete that the AWS SDK sent again after its first answer
        was lost (seen on the local moto server under load: ``amz-sdk-request: attempt=2`` after a
        logged 200) finds nothing and fails the destroy; the destroy then runs once more, refreshing,
        and finishes. Any other failure is raised as it is."""
        if not self.state_path.exists():
            return
        try:
            self._destroy(progress, refresh=False)
        except TerraformError as error:
            gone = GONE.search(str(error))
            if gone is None:
                raise
            log.warning("terraform destroy: a delete found nothing (%s); destroying again", gone[0])
            self._destroy(progress, refresh=True)

    def _destroy(self, progress: ProgressCallback | None, refresh: bool) -> None:
        # -refresh=false on the first run: the state is the one this class applied, so reading every
        # resource back first (a plan's worth of API calls) would find nothing new.
        self.run_json(
            "destroy",
            "-input=false",
            "-auto-approve",
            *([] if refresh else ["-refresh=false"]),
            *self._state_args,
            *self._var_args(),
            progress=progress,
        )
