"""tests/support/bin/terraform and tests/support/providers.py: the suite's Terraform reuses its AWS
provider processes, one per folder, provider binary and environment, and leaves to Terraform whatever
it cannot match."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import providers
from tests.support.terraform_env import terraform_test_env

pytestmark = pytest.mark.terraform

SHIM = providers.BIN / "terraform"
ROOT_TF = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

provider "aws" {
  region                      = var.region
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

data "aws_region" "current" {}

output "region" {
  value = data.aws_region.current.name
}
"""
SECOND_CONFIGURATION = """\
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
"""


def _base_env() -> dict[str, str]:
    env = {**os.environ, **terraform_test_env()}
    env.pop("AWS_CA_BUNDLE", None)  # what providers.install does for the suite
    return env


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny AWS root, initialised once (through the script: `init` is Terraform's own)."""
    folder = tmp_path_factory.mktemp("reuse-root")
    (folder / "main.tf").write_text(ROOT_TF)
    env = _base_env()
    env.pop("TF_PROVIDER_REUSE_DIR", None)
    subprocess.run(
        [str(SHIM), "init", "-input=false", "-no-color"],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return folder


@pytest.fixture(autouse=True)
def _no_cpu_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests' providers are not the run's: they stay out of its CPU count."""
    monkeypatch.delenv(providers.CPU_LOG, raising=False)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "providers"
    folder.mkdir()
    yield folder
    if folder.exists():
        providers.stop_all(folder)


def _terraform(registry: Path, cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**_base_env(), "TF_PROVIDER_REUSE_DIR": str(registry), **extra}
    return subprocess.run([str(SHIM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


def _slots(registry: Path) -> list[Path]:
    return sorted(slot for slot in registry.iterdir() if slot.is_dir())


def _alive(slot: Path) -> bool:
    return providers.alive(slot) is not None


def _plan_region(registry: Path, cwd: Path, region: str, *chdir: str) -> str:
    # The provider's own log (into its slot's log) says each time it is configured.
    result = _terraform(
        registry, cwd, *chdir, "plan", "-no-color", "-var", f"region={region}", TF_LOG_PROVIDER="debug"
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_commands_in_one_folder_share_one_provider_each_configured_anew(root: Path, registry: Path) -> None:
    first = _plan_region(registry, root, "eu-west-1")
    # From elsewhere with -chdir: the same folder, the same provider.
    second = _plan_region(registry, root.parent, "ap-south-1", f"-chdir={root.name}")
    [slot] = _slots(registry)
    assert _alive(slot)
    # Both commands attached to it: the one provider was configured twice.
    assert (slot / "log").read_text().count("Configuring Terraform AWS Provider") == 2
    # Each command configures the kept provider again: the second plan sees its own region.
    assert 'region = "eu-west-1"' in first
    assert 'region = "ap-south-1"' in second
    assert "eu-west-1" not in second


def test_another_environment_gets_its_own_provider_and_the_oldest_idle_one_stops(
    root: Path, registry: Path
) -> None:
    assert _terraform(registry, root, "validate", "-no-color").returncode == 0
    assert _terraform(registry, root, "validate", "-no-color", AWS_MAX_ATTEMPTS="2").returncode == 0
    first, second = sorted(_slots(registry), key=lambda slot: slot.stat().st_mtime)
    assert _alive(first)
    assert _alive(second)
    assert (
        _terraform(
            registry, root, "validate", "-no-color", AWS_MAX_ATTEMPTS="3", TF_PROVIDER_REUSE_IDLE="0"
        ).returncode
        == 0
    )
    assert not _alive(first)
    assert not _alive(second)
    assert len([slot for slot in _slots(registry) if _alive(slot)]) == 1
    assert int((registry / "cpu-ticks").read_text().split()[0]) > 0


def test_a_provider_in_use_is_never_stopped(root: Path, registry: Path) -> None:
    assert _terraform(registry, root, "validate", "-no-color").returncode == 0
    [held] = _slots(registry)
    with open(held / "lock") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # what a running command holds
        result = _terraform(
            registry, root, "validate", "-no-color", AWS_MAX_ATTEMPTS="2", TF_PROVIDER_REUSE_IDLE="0"
        )
        assert result.returncode == 0, result.stderr
        assert _alive(held)
    assert len(_slots(registry)) == 2


def test_a_provider_in_use_is_not_shared(root: Path, registry: Path) -> None:
    _plan_region(registry, root, "eu-west-1")
    [slot] = _slots(registry)
    with open(slot / "lock") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another command of this folder and environment, running
        # The same folder and environment meanwhile: Terraform starts its own provider.
        assert 'region = "ap-south-1"' in _plan_region(registry, root, "ap-south-1")
    assert (slot / "log").read_text().count("Configuring Terraform AWS Provider") == 1
    assert _slots(registry) == [slot]


def test_a_lock_file_that_disagrees_with_the_installed_provider_gets_terraforms_answer(
    root: Path, registry: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "stale-lock"
    shutil.copytree(root, copy, symlinks=True)
    lock = copy / ".terraform.lock.hcl"
    text = lock.read_text()
    stale, count = re.subn(r'(\n  version += )"[^"]+"', r'\1"0.0.1"', text, count=1)
    assert count == 1
    lock.write_text(stale)
    result = _terraform(registry, copy, "validate", "-no-color")
    assert result.returncode != 0
    assert "0.0.1" in result.stderr
    assert _slots(registry) == []


WEST_REGION = 'provider "aws" {\n  region = "us-west-2"\n}\n'
PLAN_RUN = 'run "plans" {\n  command = plan\n}\n'


@pytest.mark.parametrize(
    ("files", "args", "kept"),
    [
        pytest.param({"west.tf": SECOND_CONFIGURATION}, ("validate",), False, id="alias"),
        pytest.param(
            {"child.tf": 'module "child" {\n  source = "./child"\n}\n', "child/main.tf": WEST_REGION},
            ("validate",),
            False,
            id="module",
        ),
        pytest.param(
            {"checks/west.tftest.hcl": SECOND_CONFIGURATION + PLAN_RUN},
            ("test", "-test-directory=checks"),
            False,
            id="test-file",
        ),
        pytest.param({"main.tf.json": '{"locals": {"a": 1}}'}, ("validate",), False, id="json"),
        # An override file merges into the root's one configuration.
        pytest.param({"offline_override.tf": WEST_REGION}, ("validate",), True, id="override"),
    ],
)
def test_a_second_aws_configuration_is_left_to_terraform(
    root: Path, registry: Path, tmp_path: Path, files: dict[str, str], args: tuple[str, ...], kept: bool
) -> None:
    copy = tmp_path / "root"
    shutil.copytree(root, copy, symlinks=True)
    for name, text in files.items():
        (copy / name).parent.mkdir(exist_ok=True)
        (copy / name).write_text(text)
    if "module" in "".join(files.values()):  # the module call is recorded by init
        assert _terraform(registry, copy, "init", "-input=false", "-no-color").returncode == 0
    result = _terraform(registry, copy, *args, "-no-color")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(_slots(registry)) == (1 if kept else 0)


CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


@pytest.mark.parametrize("where", ["environment", "shared config file", "configuration"])
def test_a_custom_ca_bundle_is_left_to_terraform(
    root: Path, registry: Path, tmp_path: Path, where: str
) -> None:
    """The AWS provider fails its second configuration in one process with a CA bundle: every command
    with one runs Terraform's own provider, and each succeeds."""
    copy = tmp_path / "root"
    shutil.copytree(root, copy, symlinks=True)
    extra: dict[str, str] = {}
    if where == "environment":
        extra["AWS_CA_BUNDLE"] = CA_BUNDLE
    elif where == "shared config file":
        config = tmp_path / "aws-config"
        config.write_text(f"[default]\nca_bundle = {CA_BUNDLE}\n")
        extra["AWS_CONFIG_FILE"] = str(config)
    else:
        main = copy / "main.tf"
        main.write_text(
            main.read_text().replace("  region ", f'  custom_ca_bundle = "{CA_BUNDLE}"\n  region ', 1)
        )
    for region in ("eu-west-1", "ap-south-1"):
        result = _terraform(registry, copy, "plan", "-no-color", "-var", f"region={region}", **extra)
        assert result.returncode == 0, result.stderr
        assert f'region = "{region}"' in result.stdout
    assert _slots(registry) == []


def test_init_and_other_commands_are_terraforms_own(root: Path, registry: Path) -> None:
    for args in (("version",), ("fmt", "-check"), ("providers",)):
        assert _terraform(registry, root, *args).returncode == 0
    assert _slots(registry) == []


def test_stop_all_stops_every_provider_and_counts_its_cpu(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = tmp_path / "providers"
    registry.mkdir()
    assert _terraform(registry, root, "validate", "-no-color").returncode == 0
    [slot] = _slots(registry)
    named = (slot / "pid").read_text().strip()
    pid = int(named.split()[0])
    log = tmp_path / "cpu.log"
    monkeypatch.setenv(providers.CPU_LOG, str(log))
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw9")
    ticks = providers.stop_all(registry)
    assert ticks > 0
    assert providers.identity(pid) != named
    assert not registry.exists()
    assert log.read_text() == f"gw9 {ticks}\n"


def test_a_pid_now_held_by_another_process_names_no_provider(root: Path, registry: Path) -> None:
    """A slot names its provider by pid and start time: a later process with the same pid (pids are
    reused) is neither attached to nor stopped."""
    assert _terraform(registry, root, "validate", "-no-color").returncode == 0
    [slot] = _slots(registry)
    provider = providers.alive(slot)
    assert provider is not None
    os.kill(provider, signal.SIGKILL)
    other = subprocess.Popen(["sleep", "120"])
    try:
        # The provider's pid, as if reused by `other`: the same pid, another start time.
        (slot / "pid").write_text(f"{other.pid} 1\n")
        idle = registry / "0000000000000000"
        idle.mkdir()
        for name, text in {"pid": f"{other.pid} 1\n", "reattach": "{}", "lock": "", "start": ""}.items():
            (idle / name).write_text(text)
        # The slot's provider is started again, and the "idle" one is not stopped (IDLE=0 stops any).
        result = _terraform(registry, root, "validate", "-no-color", TF_PROVIDER_REUSE_IDLE="0")
        assert result.returncode == 0, result.stderr
        assert providers.alive(slot) not in (None, other.pid)
        providers.stop_all(registry)
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_a_provider_stops_when_the_folders_owner_is_gone(root: Path, registry: Path) -> None:
    owner = subprocess.Popen(["sleep", "120"])
    try:
        (registry / "owner").write_text(f"{providers.identity(owner.pid)}\n")
        assert _terraform(registry, root, "validate", "-no-color").returncode == 0
        [slot] = _slots(registry)
        assert _alive(slot)
    finally:
        owner.kill()
        owner.wait()
    deadline = time.monotonic() + 30
    while _alive(slot) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(slot)


def test_install_puts_the_script_first_and_drops_the_ca_bundle() -> None:
    environ = {"PATH": os.environ["PATH"], "AWS_CA_BUNDLE": "/etc/ssl/bundle.pem"}
    registry = providers.install(environ)
    assert registry is not None
    assert registry.is_dir()
    try:
        assert environ["PATH"].split(os.pathsep)[0] == str(providers.BIN)
        assert environ["TF_PROVIDER_REUSE_DIR"] == str(registry)
        assert "AWS_CA_BUNDLE" not in environ
        pid, started = (registry / "owner").read_text().split()
        assert pid == str(os.getpid())
        # Field 22 of /proc/<pid>/stat: clock ticks after boot, which came before this process.
        assert (
            0
            < int(started)
            <= int(float(Path("/proc/uptime").read_text().split()[0]) * os.sysconf("SC_CLK_TCK"))
        )
    finally:
        providers.stop_all(registry)


def test_install_is_off_on_request() -> None:
    environ = {"PATH": os.environ["PATH"], "TF_PROVIDER_REUSE": "off", "AWS_CA_BUNDLE": "/b.pem"}
    assert providers.install(environ) is None
    assert environ == {"PATH": os.environ["PATH"], "TF_PROVIDER_REUSE": "off", "AWS_CA_BUNDLE": "/b.pem"}
