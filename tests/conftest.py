"""The local cloud, as ``make run`` starts it, for the tests that drive it from outside.

One cloud per test session: ``python -m local_cloud run`` on free ports with its own state
directory, so tests never collide with a developer's ``make run`` or with each other.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]


@dataclass
class RunningCloud:
    process: subprocess.Popen
    state_dir: Path
    log_path: Path
    api_url: str
    ws_url: str
    websocket_endpoint_url: str
    endpoint_url: str
    env: dict[str, str]

    def boto3_session(self) -> Any:
        import boto3

        return boto3.Session(
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            region_name=self.env["AWS_DEFAULT_REGION"],
        )

    def client(self, service: str) -> Any:
        return self.boto3_session().client(service, endpoint_url=self.endpoint_url)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def launch(state_dir: Path, *extra: str, timeout: float = 90) -> RunningCloud:
    """Starts a local cloud and returns once it has written its endpoints."""
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "launcher.log"
    command = [sys.executable, "-m", "local_cloud", "run", "--state-dir", str(state_dir),
               "--api-port", "0", "--ws-port", "0", "--emulator-port", "0",
               "--no-autoreload", "--retry-delay", "1", *extra]  # fmt: skip
    # AWS_ENDPOINT_URL etc. of the unit tests must not leak into the cloud's own processes.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GLIMPSE_"))}
    # A "large account" (not fanned out, merged into feeds when read) from 4 followers, so
    # the tests reach that path with a handful of users.
    env.setdefault("FEED_FANOUT_MAX_FOLLOWERS", "3")
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPOSITORY, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)  # fmt: skip
    state_file = state_dir / "local-cloud.json"
    deadline = time.monotonic() + timeout
    while not state_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the local cloud did not start:\n" + log_path.read_text()[-4000:])
        time.sleep(0.2)
    state = json.loads(state_file.read_text())
    state.pop("pid")
    return RunningCloud(process=process, state_dir=state_dir, log_path=log_path, **state)


def shut_down(cloud: RunningCloud, timeout: float = 30) -> int:
    cloud.process.send_signal(signal.SIGINT)
    return cloud.process.wait(timeout=timeout)


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    cloud = launch(tmp_path_factory.mktemp("local-cloud"))
    try:
        yield cloud
    finally:
        shut_down(cloud)
