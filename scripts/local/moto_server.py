"""Start and stop a moto server on 127.0.0.1 (a child process in its own process group)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


REPO_ROOT = Path(__file__).resolve().parents[2]


def moto_server_command(port: int) -> list[str]:
    """moto_server from this interpreter's environment, via the stream patch in moto_main."""
    return [sys.executable, "-m", "scripts.local.moto_main", "-H", HOST, "-p", str(port)]


class MotoServer:
    """A moto server child process; use as a context manager or call start()/stop()."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: object | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 30.0) -> MotoServer:
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            out = self.log_path.open("ab")
        else:
            out = open(os.devnull, "wb")  # noqa: SIM115 - closed in stop()
        self._log_file = out
        self.process = subprocess.Popen(
            moto_server_command(self.port),
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: stop() kills it whole
        )
        log.debug("moto_server pid %s on port %s", self.process.pid, self.port)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = f"{self.endpoint}/moto-api/"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"moto_server exited with code {self.process.returncode} before it was ready"
                    + (f" (log: {self.log_path})" if self.log_path else "")
                )
            try:
                with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback http
                    if response.status < 500:
                        return
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"moto_server on {self.endpoint} not ready after {timeout:.0f} s")

    def stop(self, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=timeout)
        elif process is not None:
            process.wait()
        out, self._log_file = self._log_file, None
        if out is not None:
            with contextlib.suppress(Exception):
                out.close()  # type: ignore[attr-defined]

    def reset(self) -> None:
        """Drop every resource the server holds (moto's reset API)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback http
            pass

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
