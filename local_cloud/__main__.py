"""``python -m local_cloud run``: what ``make run`` starts. ``--help`` lists the options."""

from __future__ import annotations

import argparse
import faulthandler
import logging
import signal
import sys
import threading
from pathlib import Path

from local_cloud.cloud import AlreadyRunning, LocalCloud, Options
from local_cloud.emulator import free_port


def _port(raw: str) -> int:
    """A port number; 0 picks a free one (tests run several clouds side by side)."""
    port = int(raw)
    return free_port() if port == 0 else port


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local_cloud")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the emulator, the API, the bus and websockets")
    run.add_argument("--seed", action="store_true", help="create the demo users and follows")
    run.add_argument("--emulator", choices=["moto", "localstack"], default="moto")
    run.add_argument("--emulator-port", type=_port, default=4566)
    run.add_argument("--api-port", type=_port, default=8000)
    run.add_argument("--ws-port", type=_port, default=8001)
    run.add_argument("--state-dir", type=Path, default=Options.state_dir)
    run.add_argument("--no-autoreload", dest="autoreload", action="store_false",
                     help="do not restart the API when a file changes")  # fmt: skip
    run.add_argument("--retry-delay", type=int, default=2,
                     help="seconds before a failed queue message is retried")  # fmt: skip
    invoke = commands.add_parser("invoke", help="run a template function once, against a "
                                 "running local cloud (e.g. RecommenderFunction)")  # fmt: skip
    invoke.add_argument("function", help="the function's logical id in infra/template.yaml")
    invoke.add_argument("--event", default="{}", help="the event, as JSON")
    invoke.add_argument("--state-dir", type=Path, default=Options.state_dir)
    return parser.parse_args(argv)


def invoke(arguments: argparse.Namespace) -> int:
    """Runs the handler in this process with the running cloud's settings."""
    import json
    import os

    state_file = arguments.state_dir / "local-cloud.json"
    if not state_file.exists():
        print(f"no local cloud is running (no {state_file}); start one with `make run`")
        return 2
    os.environ.update(json.loads(state_file.read_text())["env"])
    from local_cloud.bus import local_handler
    from local_cloud.lambda_context import LambdaContext
    from local_cloud.provision import load_template

    handler = local_handler(load_template(), arguments.function)
    context = LambdaContext(function_name=arguments.function, region="us-east-1")
    print(json.dumps(handler(json.loads(arguments.event), context), default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    arguments = parse(sys.argv[1:] if argv is None else argv)
    if arguments.command == "invoke":
        return invoke(arguments)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)-18.18s | %(message)s",
        datefmt="%H:%M:%S",
    )
    # botocore and the HTTP stack are chatty at INFO; the bus and the API are what matter.
    for noisy in ("botocore", "urllib3", "aiohttp.access", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    log = logging.getLogger("local_cloud")
    options = Options(
        emulator=arguments.emulator,
        emulator_port=arguments.emulator_port,
        api_port=arguments.api_port,
        ws_port=arguments.ws_port,
        state_dir=arguments.state_dir,
        autoreload=arguments.autoreload,
        retry_delay=arguments.retry_delay,
        seed=arguments.seed,
    )
    # `kill -USR1 <pid>` prints every thread's stack: the way to see what a stuck worker does.
    faulthandler.register(signal.SIGUSR1)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())

    cloud = LocalCloud(options)
    try:
        endpoints = cloud.start()
    except AlreadyRunning as refusal:
        log.error("%s", refusal)
        return 2
    try:
        log.info("ready: API %s, websockets %s, AWS %s — Ctrl-C stops everything",
                 endpoints.api_url, endpoints.ws_url, endpoints.endpoint_url)  # fmt: skip
        status = cloud.wait(stopping)
    finally:
        log.info("stopping")
        cloud.stop()
    log.info("stopped")
    return status


if __name__ == "__main__":
    sys.exit(main())
