"""An account deletion's table sweep at size: in one job, and across jobs too short for it.

    .venv/bin/python bench/sweep/run.py [--items 40000] [--job-seconds 4]

Against the local emulator (moto's server in a child process: every Scan page an HTTP round
trip), the interactions table filled with ``--items`` signals of many users, 1 in 100 naming
the deleted account. ``core.dynamodb.sweep`` reads it with the filter and projection the
deletion uses (``interactions.erasure.forget_about``), its fix noting what it is given and
saying it changed it (a job's clock ticks after each change) without writing, so every row
reads the same table:

- in one job, for Scan pages of 200 and 1,000 items and as large as DynamoDB makes them
  (1 MB, ``SWEEP_PAGE``'s default): the time and the Scan calls the page size costs;
- across jobs of ``--job-seconds`` each, a job handing its ``scans`` on to the next (as the
  deletion job does in its message): how many jobs, and whether each item is seen once;
- the same jobs starting each Scan again from the table's start (how the sweep handed over
  before it kept its place): a table that takes longer than a job is never finished.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY))

from local_cloud import harness  # noqa: E402


class OutOfTime(Exception):
    pass


class Job:
    def __init__(self, scans: dict, seconds: float) -> None:
        self.scans, self.deadline = scans, time.monotonic() + seconds

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise OutOfTime()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=40000)
    parser.add_argument("--job-seconds", type=float, default=4.0)
    args = parser.parse_args()

    with harness.deployed_here("sweep"):
        run(args)


def run(args: argparse.Namespace) -> None:
    from botocore.client import BaseClient

    from chalicelib.core import dynamodb
    from chalicelib.core.ids import new_id
    from chalicelib.interactions.models import Interaction

    deleted, rng = new_id(), random.Random(7)
    users = [new_id() for _ in range(max(1, args.items // 20))]
    started = time.perf_counter()
    with Interaction.batch_write() as batch:
        for n in range(args.items):
            batch.save(
                Interaction(
                    rng.choice(users),
                    f"{n:012d}",
                    item_type="user" if n % 100 == 0 else "post",
                    item_id=deleted if n % 100 == 0 else new_id(),
                    kind="follow" if n % 100 == 0 else "like",
                    weight=1,
                    at=n,
                    expires_at=timedelta(days=1),
                )
            )
    naming = len(range(0, args.items, 100))
    print(f"{args.items} interactions written in {time.perf_counter() - started:.1f} s;")
    print(f"{naming} name the deleted account\n")

    calls = {"Scan": 0}
    original = BaseClient._make_api_call

    def counted(client, operation, params):  # noqa: ANN001, ANN202
        calls[operation] = calls.get(operation, 0) + 1
        return original(client, operation, params)

    BaseClient._make_api_call = counted
    scan = {
        "filter_condition": Interaction.item_id.is_in(deleted),
        "attributes_to_get": ["user_id", "interaction_id", "item_id"],
    }

    def one_pass(page: int | None, job: Job) -> tuple[list, float, int]:
        seen: list = []
        dynamodb.SWEEP_PAGE = page
        calls["Scan"] = 0
        began = time.perf_counter()
        dynamodb.sweep(
            Interaction, lambda item: seen.append(item.interaction_id) or True, job, **scan
        )
        return seen, time.perf_counter() - began, calls["Scan"]

    print(f"{'one job':<36}{'seconds':>9}{'Scans':>8}{'seen':>7}")
    single = {}
    for page in (200, 1000, None):
        seen, took, scans = one_pass(page, Job({}, 3600))
        single[page] = took
        print(
            f"{'pages of ' + (str(page) if page else '1 MB'):<36}"
            f"{took:>9.2f}{scans:>8}{len(seen):>7}"
        )
    print(f"pages of 200 / of 1 MB: {single[200] / single[None]:.2f}x;", end=" ")
    print(f"of 1,000 / of 1 MB: {single[1000] / single[None]:.2f}x")

    dynamodb.SWEEP_PAGE = None
    print(f"\njobs of {args.job_seconds} s (pages of 1 MB)")
    print(f"{'':<36}{'jobs':>9}{'Scans':>8}{'seen':>7}{'distinct':>10}{'finished':>10}")
    for name, keeps_place in (
        ("going on from the last job's place", True),
        ("starting again each job", False),
    ):
        seen, scans, jobs, finished, passed_on = [], 0, 0, False, {}

        def note(item: Interaction, seen: list = seen) -> bool:
            seen.append(item.interaction_id)
            return True

        limit = max(20, int(3 * single[None] / args.job_seconds) + 10)
        while not finished and jobs < limit:
            job = Job(json.loads(json.dumps(passed_on)) if keeps_place else {}, args.job_seconds)
            jobs += 1
            calls["Scan"] = 0
            try:
                dynamodb.sweep(Interaction, note, job, **scan)
                finished = True
            except OutOfTime:
                passed_on = job.scans
            scans += calls["Scan"]
        print(
            f"{name:<36}{jobs:>9}{scans:>8}{len(seen):>7}{len(set(seen)):>10}"
            f"{'yes' if finished else 'no (gave up)':>10}"
        )
    BaseClient._make_api_call = original


if __name__ == "__main__":
    main()
