"""The AWS emulator: moto's server mode in a child process, or a LocalStack someone started."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from local_cloud.processes import spawn, stop

HOST = "127.0.0.1"
REPOSITORY = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A port nobody listens on right now (the kernel picks it)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def port_in_use(port: int, host: str = HOST) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def wait_until_up(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Polls ``url`` until it answers anything at all (even an error status)."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url} exited with status {process.returncode} while starting")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout:.0f} s") from None
            time.sleep(0.1)


class MotoServer:
    """moto's server on 127.0.0.1: every AWS service on one port, state in memory."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self._process: subprocess.Popen | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        # moto logs every request; that belongs in a file, not in the developer's terminal.
        self._log = self.log_path.open("ab")
        # moto's server with cheaper transactions (local_cloud/moto_server.py says why).
        command = [sys.executable, "-m", "local_cloud.moto_server", "-H", HOST, "-p",
                   str(self.port)]  # fmt: skip
        self._process = spawn(command, stdout=self._log, stderr=subprocess.STDOUT,
                              cwd=str(REPOSITORY))  # fmt: skip
        wait_until_up(f"{self.endpoint_url}/moto-api/", timeout=30, process=self._process)

    def stop(self) -> None:
        if self._process is not None:
            stop(self._process)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None


class ExternalEmulator:
    """An emulator started by someone else (LocalStack from localstack-compose.yml)."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")

    def start(self) -> None:
        try:
            wait_until_up(f"{self.endpoint_url}/_localstack/health", timeout=5)
        except TimeoutError:
            raise RuntimeError(
                f"nothing answers on {self.endpoint_url}: start LocalStack first with "
                "`docker compose -f localstack-compose.yml up -d`"
            ) from None

    def stop(self) -> None:
        """Someone else's process: leave it running."""
