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

# The settings of every test that runs the code in this process (tests/unit, tests/media),
# set before any test module imports chalicelib: settings are read once per process and the
# table models name their tables at import. The local cloud launched below gets none of this
# (launch() leaves all of it out).
IN_PROCESS_ENV = dict(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    GLIMPSE_STAGE="unit",
    JWT_SECRET="unit-test-secret-" + "x" * 32,
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_METRICS_DISABLED="true",
    UPLOADS_BUCKET="glimpse-unit-uploads-123456789012",
    MEDIA_BUCKET="glimpse-unit-media-123456789012",
    MEDIA_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/glimpse-unit-media",
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.update(IN_PROCESS_ENV)



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
    # The in-process tests' settings must not leak into the cloud's own processes.
    env = {k: v for k, v in os.environ.items()
           if k not in IN_PROCESS_ENV and not k.startswith(("AWS_", "GLIMPSE_"))}  # fmt: skip
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
