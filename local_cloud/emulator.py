"""The AWS emulator: moto's server mode in a child process, or a LocalStack someone started
(LocalStack started by the local cloud itself is local_cloud/localstack.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from local_cloud.processes import spawn, stop

HOST = "127.0.0.1"
REPOSITORY = Path(__file__).resolve().parents[1]
# The emulator's environment variable naming the access keys whose signed S3 POST uploads it
# accepts, as a JSON object {"access key id": "secret"} (local_cloud/s3_post_policy.py).
ACCESS_KEYS_VARIABLE = "LOCAL_CLOUD_ACCESS_KEYS"
# The folder the emulator keeps each mail its SES sends in (local_cloud/mailbox.py).
MAILBOX_VARIABLE = "LOCAL_CLOUD_MAILBOX"


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


class ChildEmulator:
    """An emulator in a child process on 127.0.0.1:``port``, its output in a log file: an
    emulator logs every request, which belongs in a file, not in the developer's terminal."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self._process: subprocess.Popen | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def _open_log(self) -> IO[bytes]:
        if self._log is None:
            self._log = self.log_path.open("ab")
        return self._log

    def _spawn(self, command: list[str], env: Mapping[str, str], cwd: Path) -> subprocess.Popen:
        self._process = spawn(
            command, env=dict(env), stdout=self._open_log(), stderr=subprocess.STDOUT, cwd=str(cwd)
        )
        return self._process

    def stop(self) -> None:
        if self._process is not None:
            stop(self._process)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None


class MotoServer(ChildEmulator):
    """moto's server on 127.0.0.1: every AWS service on one port, state in memory."""

    def __init__(
        self,
        port: int,
        log_path: Path,
        access_keys: Mapping[str, str] | None = None,
        mailbox: Path | None = None,
    ) -> None:
        """``access_keys``: the secret of each access key id the clients use; S3 checks
        a presigned POST's signature with it, so the emulator has to know it too.
        ``mailbox``: the folder each mail its SES sends is written into
        (local_cloud/mailbox.py)."""
        super().__init__(port, log_path)
        self.access_keys = dict(access_keys or {})
        self.mailbox = mailbox

    def start(self) -> None:
        # moto's server with S3's POST checks, atomic item writes and cheaper transactions
        # (local_cloud/moto_server.py says why).
        command = [
            sys.executable,
            "-m",
            "local_cloud.moto_server",
            "-H",
            HOST,
            "-p",
            str(self.port),
        ]
        env = {**os.environ, ACCESS_KEYS_VARIABLE: json.dumps(self.access_keys)}
        if self.mailbox is not None:
            env[MAILBOX_VARIABLE] = str(self.mailbox)
        process = self._spawn(command, env, REPOSITORY)
        wait_until_up(f"{self.endpoint_url}/moto-api/", timeout=30, process=process)


class ExternalEmulator:
    """A LocalStack started by someone else (localstack-compose.yml's). Only LocalStack's own
    health answer is accepted: anything else on that port (a moto server left on 4566) would
    have the app deploy into the wrong emulator without a word."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")

    def start(self) -> None:
        from local_cloud.localstack import NotLocalStack, wait_for_localstack

        try:
            wait_for_localstack(self.endpoint_url, timeout=5)
        except NotLocalStack:
            raise RuntimeError(
                f"LocalStack does not answer on {self.endpoint_url} (something else may): start "
                "it with `docker compose -f localstack-compose.yml up -d`, or leave EMULATOR_URL "
                "out and `make run EMULATOR=localstack` starts one"
            ) from None

    def stop(self) -> None:
        """Someone else's process: leave it running."""
