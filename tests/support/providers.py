"""The suite's Terraform keeps its AWS provider processes: ``tests/support/bin/terraform`` starts them and
hands them to Terraform; this module puts that script on PATH for one pytest process and stops what it
kept when pytest ends."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

BIN = Path(__file__).resolve().parent / "bin"
#: Where the run's count of the kept providers' CPU time goes (clock ticks, a line per pytest process),
#: when set: a provider outlives the command that started it, so no process's CPU time holds it.
CPU_LOG = "TF_PROVIDER_REUSE_CPU_LOG"


def install(environ: os._Environ[str] | dict[str, str]) -> Path | None:
    """Put the script first on ``environ``'s PATH with a new folder for its providers; return the
    folder (None with ``TF_PROVIDER_REUSE=off``, or where terraform, flock or setsid is missing)."""
    path = environ.get("PATH")
    if environ.get("TF_PROVIDER_REUSE") == "off" or not all(
        shutil.which(tool, path=path) for tool in ("terraform", "flock", "setsid")
    ):
        return None
    # A reused provider is configured again by every command, and the AWS provider fails its second
    # configuration in one process when AWS_CA_BUNDLE is set ("unable to add custom RootCAs
    # HTTPClient"). The suite reaches AWS only through moto over plain HTTP, where no CA is read.
    environ.pop("AWS_CA_BUNDLE", None)
    registry = Path(tempfile.mkdtemp(prefix="tf-providers-"))
    # The kept providers stop when this process is gone, however it ends.
    (registry / "owner").write_text(f"{os.getpid()}\n")
    environ["TF_PROVIDER_REUSE_DIR"] = str(registry)
    environ["PATH"] = os.pathsep.join([str(BIN), environ.get("PATH", "")])
    return registry


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def stop_all(registry: Path) -> int:
    """Stop every provider kept in ``registry`` and remove it; return their CPU time in clock ticks."""
    ticks, pids = 0, []
    for slot in registry.iterdir():
        pid_file = slot / "pid"
        if slot.is_dir() and pid_file.exists() and (slot / "reattach").exists():
            pid = int(pid_file.read_text())
            if _alive(pid):
                ticks += _ticks(pid)
                os.kill(pid, signal.SIGTERM)
                pids.append(pid)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    stopped = registry / "cpu-ticks"
    if stopped.exists():
        ticks += sum(int(line) for line in stopped.read_text().split())
    shutil.rmtree(registry, ignore_errors=True)
    log = os.environ.get(CPU_LOG)
    if log:
        with open(log, "a") as out:
            out.write(f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')} {ticks}\n")
    return ticks
