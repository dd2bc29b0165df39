"""A local cloud in a child process, for tests and benchmarks: started on free ports with its
own state directory, so it never collides with a developer's `make run` or with another."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def launch(
    state_dir: Path,
    *extra: str,
    timeout: float = 90,
    env: Mapping[str, str],
    leave_out: Iterable[str] = (),
    autoreload: bool = False,
) -> RunningCloud:
    """Starts a local cloud with ``env`` (minus ``leave_out`` and any AWS_*/GLIMPSE_*
    setting of the caller's) and returns once it has written its endpoints."""
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "launcher.log"
    command = [
        sys.executable,
        "-m",
        "local_cloud",
        "run",
        "--state-dir",
        str(state_dir),
        "--api-port",
        "0",
        "--ws-port",
        "0",
        "--emulator-port",
        "0",
        "--retry-delay",
        "1",
        *extra,
    ]
    if not autoreload:
        command.append("--no-autoreload")
    excluded = set(leave_out)
    env = {
        k: v for k, v in env.items() if k not in excluded and not k.startswith(("AWS_", "GLIMPSE_"))
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPOSITORY, env=env, stdout=log, stderr=subprocess.STDOUT
        )
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


@contextmanager
def deployed_here(name: str, **env: str) -> Iterator[Any]:
    """The emulator in a child process with the stack deployed and this process's
    environment pointed at it, the stack's outputs included (plus ``env``): for benchmarks
    that call ``chalicelib`` in-process, with no API between them and the tables. Yields
    the deployed stack."""
    from infra.template import env_name
    from local_cloud import provision
    from local_cloud.emulator import MotoServer, free_port

    state = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    emulator = MotoServer(free_port(), state / "emulator.log")
    emulator.start()
    try:
        os.environ.update(
            AWS_ENDPOINT_URL=emulator.endpoint_url,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
            GLIMPSE_STAGE="bench",
            JWT_SECRET="bench-" + "x" * 40,
            POWERTOOLS_TRACE_DISABLED="true",
            POWERTOOLS_METRICS_DISABLED="true",
            POWERTOOLS_LOG_LEVEL="WARNING",
            **env,
        )
        import boto3

        stack = provision.deploy(boto3.Session(region_name="us-east-1"), "bench")
        os.environ.update({env_name(key): value for key, value in stack.outputs.items()})
        yield stack
    finally:
        emulator.stop()
