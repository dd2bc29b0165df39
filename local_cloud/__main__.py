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
    run.add_argument(
        "--emulator-url",
        default=None,
        help="with --emulator localstack: attach to this LocalStack instead of starting one",
    )
    run.add_argument("--api-port", type=_port, default=8000)
    run.add_argument("--ws-port", type=_port, default=8001)
    run.add_argument("--state-dir", type=Path, default=Options.state_dir)
    run.add_argument(
        "--no-autoreload",
        dest="autoreload",
        action="store_false",
        help="do not restart the API when a file changes",
    )
    run.add_argument(
        "--retry-delay",
        type=int,
        default=2,
        help="seconds before a failed queue message is retried",
    )
    run.add_argument(
        "--ttl-sweep-seconds",
        type=float,
        default=60.0,
        help="seconds between deletions of expired DynamoDB items (AWS: within days)",
    )
    invoke = commands.add_parser(
        "invoke",
        help="run a template function once, against a "
        "running local cloud (e.g. RecommenderFunction)",
    )
    invoke.add_argument("function", help="the function's logical id in infra/template.yaml")
    invoke.add_argument("--event", default="{}", help="the event, as JSON")
    invoke.add_argument("--state-dir", type=Path, default=Options.state_dir)
    sweep = commands.add_parser(
        "ttl-sweep",
        help="delete the expired DynamoDB items now, as TTL would (local_cloud/ttl.py)",
    )
    sweep.add_argument("--state-dir", type=Path, default=Options.state_dir)
    mail = commands.add_parser(
        "mail", help="print the mail the local cloud sent (its mailbox, local_cloud/mailbox.py)"
    )
    mail.add_argument("--to", help="only the mail to this address")
    mail.add_argument("--last", type=int, default=None, help="only the last N mails")
    mail.add_argument("--state-dir", type=Path, default=Options.state_dir)
    mail.add_argument("--json", action="store_true", help="one JSON object per line")
    pushes = commands.add_parser(
        "pushes",
        help="print the pushes the local cloud sent to phones (local_cloud/pushbox.py)",
    )
    pushes.add_argument("--user", help="only the pushes to this account id")
    pushes.add_argument("--token", help="only the pushes to this device token")
    pushes.add_argument("--last", type=int, default=None, help="only the last N pushes")
    pushes.add_argument("--state-dir", type=Path, default=Options.state_dir)
    pushes.add_argument("--json", action="store_true", help="one JSON object per line")
    return parser.parse_args(argv)


def print_mail(arguments: argparse.Namespace) -> int:
    """Works with or without a running cloud: the mailbox is a folder of files."""
    import json

    from local_cloud import mailbox

    folder = mailbox.folder(arguments.state_dir)
    mails = mailbox.read(folder, to=arguments.to, last=arguments.last)
    if not mails:
        print(f"no mail in {folder}" + (f" to {arguments.to}" if arguments.to else ""))
        return 0
    for number, mail in enumerate(mails):
        if arguments.json:
            print(json.dumps(mail, ensure_ascii=False))
            continue
        if number:
            print("\n" + "-" * 72)
        print(mailbox.render(mail))
    return 0


def print_pushes(arguments: argparse.Namespace) -> int:
    """Works with or without a running cloud: the pushbox is a folder of files."""
    import json

    from local_cloud import pushbox

    folder = pushbox.folder(arguments.state_dir)
    found = pushbox.read(folder, token=arguments.token, user=arguments.user, last=arguments.last)
    if not found:
        print(f"no pushes in {folder}")
        return 0
    for number, entry in enumerate(found):
        if arguments.json:
            print(json.dumps(entry, ensure_ascii=False))
            continue
        if number:
            print("\n" + "-" * 72)
        print(pushbox.render(entry))
    return 0


def invoke(arguments: argparse.Namespace) -> int:
    """Runs the handler in this process with the running cloud's settings."""
    import json
    import os

    state_file = arguments.state_dir / "local-cloud.json"
    if not state_file.exists():
        print(f"no local cloud is running (no {state_file}); start one with `make run`")
        return 2
    os.environ.update(json.loads(state_file.read_text())["env"])
    from infra.template import load_template
    from local_cloud.bus import local_handler
    from local_cloud.lambda_context import LambdaContext

    handler = local_handler(load_template(), arguments.function)
    context = LambdaContext(function_name=arguments.function, region="us-east-1")
    print(json.dumps(handler(json.loads(arguments.event), context), default=str))
    return 0


def ttl_sweep(arguments: argparse.Namespace) -> int:
    """One pass of the running cloud's TTL sweeper, at once."""
    import json

    import boto3

    from local_cloud.ttl import TtlSweeper

    state_file = arguments.state_dir / "local-cloud.json"
    if not state_file.exists():
        print(f"no local cloud is running (no {state_file}); start one with `make run`")
        return 2
    env = json.loads(state_file.read_text())["env"]
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    print(f"{TtlSweeper(dynamodb).sweep()} expired items deleted")
    return 0


def main(argv: list[str] | None = None) -> int:
    arguments = parse(sys.argv[1:] if argv is None else argv)
    if arguments.command == "invoke":
        return invoke(arguments)
    if arguments.command == "ttl-sweep":
        return ttl_sweep(arguments)
    if arguments.command == "mail":
        return print_mail(arguments)
    if arguments.command == "pushes":
        return print_pushes(arguments)
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
        emulator_url=arguments.emulator_url or None,
        api_port=arguments.api_port,
        ws_port=arguments.ws_port,
        state_dir=arguments.state_dir,
        autoreload=arguments.autoreload,
        retry_delay=arguments.retry_delay,
        ttl_sweep_seconds=arguments.ttl_sweep_seconds,
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
        log.info(
            "ready: API %s, websockets %s, AWS %s — Ctrl-C stops everything",
            endpoints.api_url,
            endpoints.ws_url,
            endpoints.endpoint_url,
        )
        status = cloud.wait(stopping)
    finally:
        log.info("stopping")
        cloud.stop()
    log.info("stopped")
    return status


if __name__ == "__main__":
    sys.exit(main())
