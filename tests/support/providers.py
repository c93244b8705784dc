"""The suite's Terraform keeps its AWS provider processes: ``tests/support/bin/terraform`` starts them and
hands them to Terraform; this module puts that script on PATH for one pytest process and stops what it
kept when pytest ends."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import MutableMapping
from pathlib import Path

BIN = Path(__file__).resolve().parent / "bin"
#: Where the run's count of the kept providers' CPU time goes (clock ticks, a line per pytest process),
#: when set: a provider outlives the command that started it, so no process's CPU time holds it.
CPU_LOG = "TF_PROVIDER_REUSE_CPU_LOG"


def install(environ: MutableMapping[str, str]) -> Path | None:
    """Put the script first on ``environ``'s PATH with a new folder for its providers; return the
    folder (None with ``TF_PROVIDER_REUSE=off``, or where terraform, flock or setsid is missing)."""
    path = environ.get("PATH")
    if environ.get("TF_PROVIDER_REUSE") == "off" or not all(
        shutil.which(tool, path=path) for tool in ("terraform", "flock", "setsid")
    ):
        return None
    # The script leaves a command with a custom CA bundle to Terraform (the AWS provider cannot be
    # configured twice with one), and this machine's environment may set one for every program. The
    # suite reaches AWS only through moto over plain HTTP, where no CA is read.
    environ.pop("AWS_CA_BUNDLE", None)
    registry = Path(tempfile.mkdtemp(prefix="tf-providers-"))
    # The kept providers stop when this process is gone, however it ends.
    (registry / "owner").write_text(f"{identity(os.getpid())}\n")
    environ["TF_PROVIDER_REUSE_DIR"] = str(registry)
    entries = environ.get("PATH", "").split(os.pathsep)
    environ["PATH"] = os.pathsep.join([str(BIN), *(entry for entry in entries if entry != str(BIN))])
    return registry


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command's name (the first is field 3, the state)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def identity(pid: int) -> str | None:
    """``"<pid> <start time>"`` of a live process, what a slot's file ``pid`` holds: a pid alone may
    name a later, unrelated process (pids are reused)."""
    fields = _stat(pid)
    return None if fields is None else f"{pid} {fields[19]}"


def alive(slot: Path) -> int | None:
    """The pid of the provider kept in ``slot`` while it runs, else None."""
    try:
        named = (slot / "pid").read_text().strip()
    except OSError:
        return None
    pid = int(named.split()[0])
    return pid if (slot / "reattach").exists() and identity(pid) == named else None


def stop_all(registry: Path) -> int:
    """Stop every provider kept in ``registry`` and remove it; return their CPU time in clock ticks."""
    ticks, stopping = 0, []
    for slot in registry.iterdir():
        pid = alive(slot) if slot.is_dir() else None
        fields = None if pid is None else _stat(pid)
        if pid is not None and fields is not None:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
            os.kill(pid, signal.SIGTERM)
            stopping.append(slot)
    deadline = time.monotonic() + 10
    while any(alive(slot) for slot in stopping) and time.monotonic() < deadline:
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
