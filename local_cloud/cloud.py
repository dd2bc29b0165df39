"""The whole local cloud in one process tree, started and stopped as one.

    launcher (this process)  ── event bus threads + websocket gateway (ws://127.0.0.1:8001)
      ├─ AWS emulator        ── moto server or LocalStack on 127.0.0.1:4566, from infra/
      └─ REST API            ── `chalice local --stage local` on http://127.0.0.1:8000

The launcher holds a lock in the state directory (``.local/``) while it runs, so a second
launch explains who is already running instead of failing on a busy port.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from local_cloud import mailbox, pushbox
from local_cloud.code_watch import CodeWatcher
from local_cloud.emulator import HOST, ExternalEmulator, MotoServer, port_in_use, wait_until_up
from local_cloud.localstack import LocalStack
from local_cloud.processes import spawn, stop

log = logging.getLogger("local_cloud")

REPOSITORY = Path(__file__).resolve().parents[1]
STAGE = "local"
REGION = "us-east-1"
# Every process of the local cloud uses these credentials; the emulator is told them too,
# because S3 verifies a presigned POST's signature with the secret.
ACCESS_KEY_ID = "local"
SECRET_ACCESS_KEY = "local"


class AlreadyRunning(RuntimeError):
    pass


@dataclass
class Options:
    emulator: str = "moto"  # or "localstack" (local_cloud/localstack.py)
    emulator_port: int = 4566
    # With "localstack": attach to this one (localstack-compose.yml's) instead of starting one.
    emulator_url: str | None = None
    api_port: int = 8000
    ws_port: int = 8001
    state_dir: Path = REPOSITORY / ".local"
    autoreload: bool = True
    # Seconds before a message a handler failed on is offered again (AWS: visibility timeout).
    retry_delay: int = 2
    # Seconds between passes of the TTL sweeper (local_cloud/ttl.py; AWS: within days).
    ttl_sweep_seconds: float = 60.0
    seed: bool = False  # create the demo users (local_cloud/seed.py) once the API is up
    extra_env: dict[str, str] = field(default_factory=dict)


@dataclass
class Endpoints:
    api_url: str
    ws_url: str
    websocket_endpoint_url: str
    endpoint_url: str
    env: dict[str, str]


class LocalCloud:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.options.state_dir.mkdir(parents=True, exist_ok=True)
        self._lock: IO[str] | None = None
        self._emulator: MotoServer | LocalStack | ExternalEmulator | None = None
        self._api: subprocess.Popen | None = None
        self._bus: Any = None
        self._gateway: Any = None
        self._code_watch: CodeWatcher | None = None
        self._mail: mailbox.LocalStackMail | None = None
        self._pushes: pushbox.LocalStackPushes | None = None
        self._ttl: Any = None
        self._restarting = False
        self.endpoints: Endpoints | None = None

    @property
    def state_file(self) -> Path:
        return self.options.state_dir / "local-cloud.json"

    # -- start -------------------------------------------------------------------------------

    def start(self) -> Endpoints:
        try:
            self._take_lock()
            self._check_ports()
            self._start_emulator()
            env = self._provision()
            self._start_api(env)
            self._start_workers(env)
            if self.options.seed:
                from local_cloud import seed

                seed.run(self.endpoints.api_url)
        except BaseException:
            self.stop()
            raise
        assert self.endpoints is not None
        # Written last: tests and tools take its existence to mean "ready". Renamed into
        # place so that nobody who sees the file can read it half written.
        partial = self.state_file.with_suffix(".json.partial")
        partial.write_text(json.dumps({"pid": os.getpid(), **vars(self.endpoints)}))
        partial.replace(self.state_file)
        return self.endpoints

    def _take_lock(self) -> None:
        self._lock = (self.options.state_dir / "local-cloud.lock").open("w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise AlreadyRunning(self._who_runs()) from None

    def _who_runs(self) -> str:
        with contextlib.suppress(OSError, ValueError):
            running = json.loads(self.state_file.read_text())
            return (
                f"the local cloud is already running (pid {running['pid']}), "
                f"API on {running['api_url']}; stop it with Ctrl-C in its terminal "
                f"or `kill -INT {running['pid']}`"
            )
        return "the local cloud is already starting in another terminal"

    def _check_ports(self) -> None:
        wanted = {"api_port": self.options.api_port, "ws_port": self.options.ws_port}
        if not self.options.emulator_url:
            wanted["emulator_port"] = self.options.emulator_port
        for name, port in wanted.items():
            if port_in_use(port):
                variable = name.upper()
                raise AlreadyRunning(
                    f"port {port} is taken by another program; free it or "
                    f"pick another with `make run {variable}=<port>`"
                )

    def _start_emulator(self) -> None:
        if self.options.emulator == "localstack" and self.options.emulator_url:
            self._emulator = ExternalEmulator(self.options.emulator_url)
        elif self.options.emulator == "localstack":
            self._emulator = LocalStack(
                self.options.emulator_port,
                self.options.state_dir / "localstack",
                venv=REPOSITORY / ".local" / "localstack-venv",
                log_path=self.options.state_dir / "emulator.log",
            )
        else:
            log_path = self.options.state_dir / "emulator.log"
            self._emulator = MotoServer(
                self.options.emulator_port,
                log_path,
                access_keys={ACCESS_KEY_ID: SECRET_ACCESS_KEY},
                mailbox=mailbox.folder(self.options.state_dir),
            )
        self._emulator.start()
        log.info("AWS emulator (%s) on %s", self.options.emulator, self._emulator.endpoint_url)
        if not isinstance(self._emulator, MotoServer):
            # LocalStack keeps sent mail and pushes behind endpoints; moto's writes them itself.
            self._mail = mailbox.LocalStackMail(
                self._emulator.endpoint_url, mailbox.folder(self.options.state_dir)
            )
            self._mail.start()
            self._pushes = pushbox.LocalStackPushes(
                self._emulator.endpoint_url,
                pushbox.folder(self.options.state_dir),
                REGION,
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
            )
            self._pushes.start()
        log.info("mail sent through SES: %s", mailbox.folder(self.options.state_dir))

    def _provision(self) -> dict[str, str]:
        assert self._emulator is not None
        endpoint_url = self._emulator.endpoint_url
        aws = {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
        os.environ.update(aws)  # boto3 in this process talks to the emulator too
        import boto3

        from local_cloud import provision

        stack = provision.deploy(boto3.Session(region_name=REGION), STAGE)
        self._stack = stack
        log.info("stack %s deployed from infra/template.yaml", stack.name)
        websocket_endpoint_url = f"http://{HOST}:{self.options.ws_port}/{STAGE}"
        env = {
            **aws,
            **stack.env(),
            "GLIMPSE_STAGE": STAGE,
            "JWT_SECRET": self._jwt_secret(),
            "WEBSOCKET_ENDPOINT_URL": websocket_endpoint_url,
            # The embedded search index: one file the API and the stream handlers share.
            "SEARCH_SQLITE_PATH": str(self.options.state_dir / "search.sqlite"),
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            **self.options.extra_env,
        }
        self.endpoints = Endpoints(
            api_url=f"http://{HOST}:{self.options.api_port}",
            ws_url=f"ws://{HOST}:{self.options.ws_port}/{STAGE}",
            websocket_endpoint_url=websocket_endpoint_url,
            endpoint_url=endpoint_url,
            env=env,
        )
        return env

    def _jwt_secret(self) -> str:
        # Generated once per checkout and kept, so a token outlives a restart of `make run`.
        path = self.options.state_dir / "jwt-secret"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def _start_api(self, env: dict[str, str]) -> None:
        self._spawn_api(env)
        if self.options.autoreload:
            # Our own watcher, not chalice's: local_cloud/code_watch.py says why.
            self._code_watch = CodeWatcher(REPOSITORY, lambda path: self._restart_api(env, path))
            self._code_watch.start()

    def _restart_api(self, env: dict[str, str], changed: Path) -> None:
        log.info("%s changed: restarting the REST API", changed.relative_to(REPOSITORY))
        self._restarting = True
        try:
            self._stop_api()
            self._spawn_api(env)
        except (RuntimeError, TimeoutError):
            # Most likely the edit does not import yet: wait for the next one, do not stop.
            self._stop_api()
            log.error(
                "the REST API did not start (its output is above); it restarts on the next change"
            )
        finally:
            self._restarting = False

    def _spawn_api(self, env: dict[str, str]) -> None:
        # `chalice local`, with a listen backlog that takes a burst (api_server.py says why).
        command = [
            sys.executable,
            "-m",
            "local_cloud.api_server",
            "--stage",
            STAGE,
            "--host",
            HOST,
            "--port",
            str(self.options.api_port),
            "--no-autoreload",
        ]
        self._api = spawn(
            command,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            cwd=str(REPOSITORY),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        _relay(self._api.stdout, logging.getLogger("api"))
        assert self.endpoints is not None
        wait_until_up(f"{self.endpoints.api_url}/health", timeout=60, process=self._api)
        log.info("REST API on %s", self.endpoints.api_url)

    def _start_workers(self, env: dict[str, str]) -> None:
        """The bus and the websocket gateway run the app's handlers in this process."""
        os.environ.update(env)
        if str(REPOSITORY) not in sys.path:
            sys.path.insert(0, str(REPOSITORY))
        from app import app
        from local_cloud.bus import EventBus
        from local_cloud.ttl import TtlSweeper
        from local_cloud.ws_gateway import WebsocketGateway

        self._bus = EventBus.wire(app, self._stack, STAGE, self.options.retry_delay)
        self._bus.start()
        self._ttl = TtlSweeper(self._stack.client("dynamodb"), self.options.ttl_sweep_seconds)
        self._ttl.start()
        self._gateway = WebsocketGateway(app, HOST, self.options.ws_port, STAGE, region=REGION)
        self._gateway.start()
        assert self.endpoints is not None
        log.info("websocket API on %s", self.endpoints.ws_url)

    # -- run and stop ------------------------------------------------------------------------

    def wait(self, stopping: threading.Event) -> int:
        """Blocks until ``stopping`` is set or the API dies; the exit status to report."""
        while not stopping.wait(0.5):
            if self._restarting:
                continue
            if self._api is not None and self._api.poll() is not None:
                log.error("the REST API exited with status %s", self._api.returncode)
                return 1
        return 0

    def stop(self) -> None:
        for step in (
            self._stop_code_watch,
            self._stop_gateway,
            self._stop_ttl,
            self._stop_bus,
            self._stop_api,
            self._stop_mail,
            self._stop_emulator,
        ):
            try:
                step()
            except Exception:
                log.exception("while stopping")
        if self._lock is not None:
            self.state_file.unlink(missing_ok=True)
            self._lock.close()
            self._lock = None

    def _stop_code_watch(self) -> None:
        if self._code_watch is not None:
            self._code_watch.stop()
            self._code_watch = None

    def _stop_gateway(self) -> None:
        if self._gateway is not None:
            self._gateway.stop()
            self._gateway = None

    def _stop_ttl(self) -> None:
        if self._ttl is not None:
            self._ttl.stop()
            self._ttl.join(timeout=5)
            self._ttl = None

    def _stop_bus(self) -> None:
        if self._bus is not None:
            self._bus.stop()
            self._bus = None

    def _stop_api(self) -> None:
        if self._api is not None:
            stop(self._api)
            self._api = None

    def _stop_mail(self) -> None:
        if self._mail is not None:
            self._mail.stop()
            self._mail.join(timeout=5)
            self._mail = None
        if self._pushes is not None:
            self._pushes.stop()
            self._pushes.join(timeout=5)
            self._pushes = None

    def _stop_emulator(self) -> None:
        if self._emulator is not None:
            self._emulator.stop()
            self._emulator = None


# Start-up chatter of botocore and PynamoDB that `chalice local` prints at INFO on every cold
# import; it says nothing a developer needs.
_NOISE = (
    "Found credentials in environment variables.",
    "Override settings for pynamo not available",
    "Using Default settings value",
)


def _relay(stream: IO[bytes] | None, logger: logging.Logger) -> None:
    """Copies a child's output into our log, line by line, under its own name."""
    if stream is None:
        return

    def pump() -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace").rstrip()
            if line and not line.startswith(_NOISE):
                logger.info(line)

    threading.Thread(target=pump, name=f"relay-{logger.name}", daemon=True).start()
