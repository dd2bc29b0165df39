"""A fresh process's first calls: its clients, and its first call to each table.

    .venv/bin/python bench/first_calls/run.py [--runs 7]

The clients a cold container's first requests make (DynamoDB's, then S3's, SQS's and the
websocket API's), in fresh interpreters: each from a botocore session of its own, as before,
or all from the process's one session (``core.clients.session``).

PynamoDB gives each model class a connection of its own, and each one builds a botocore
session and client the first time it is used: it loads and parses DynamoDB's service model
again. ``core.dynamodb.Model`` sends every table through the process's one client.
What that is worth is paid by a cold container's first requests (and by any process the
first time it touches a table), so it is measured in fresh interpreters, against the local
emulator (moto's server in a child process, the stack deployed):

- per model: PynamoDB's own ``Model._get_connection`` (a connection and client per table),
  as every model had before;
- shared: the models themselves (``Model._get_connection()``, the one client).

For the tables, each interpreter imports every context's models, then times one GetItem
(of a key that is not there) on the first 1, 6 and all of the tables, then the same calls
again (warm: the round trips alone). Medians over ``--runs`` interpreters; the ratios are
before / now.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY))

from local_cloud import harness  # noqa: E402

# Runs in each fresh interpreter: argv[1] is the mode, argv[2] how many tables.
PROBE = """
import importlib, json, pkgutil, sys, time
import chalicelib
import pynamodb.models
from chalicelib.core.dynamodb import Model

for module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
    if module.name.endswith(".models"):
        importlib.import_module(module.name)

def tables(base):
    for cls in base.__subclasses__():
        yield from ([cls] if hasattr(cls, "Meta") else []) + list(tables(cls))

models = sorted({m for m in tables(Model)}, key=lambda m: m.Meta.table_name)[: int(sys.argv[2])]

def table_of(model):
    if sys.argv[1] == "shared":
        return model._get_connection()
    return pynamodb.models.Model._get_connection.__func__(model)  # PynamoDB's own, unshared

def get_each(connections):
    for model, table in zip(models, connections):
        ranged = model._range_key_attribute() is not None
        table.get_item("bench-missing", "bench-missing" if ranged else None)

start = time.perf_counter()
connections = [table_of(model) for model in models]
get_each(connections)
cold = time.perf_counter() - start
start = time.perf_counter()
get_each(connections)
warm = time.perf_counter() - start
print(json.dumps({"tables": len(models), "cold": cold * 1000, "warm": warm * 1000}))
"""


# Runs in each fresh interpreter: argv[1] is the mode.
CLIENTS = """
import json, sys, time
import botocore.session
from chalicelib.core import clients, dynamodb
from chalicelib.core.settings import settings

services = ["s3", "sqs", "apigatewaymanagementapi"]
s = settings()
start = time.perf_counter()
if sys.argv[1] == "shared":
    dynamodb.connection()
    for service in services:
        clients.client(service)
else:
    for service in ["dynamodb", *services]:
        botocore.session.get_session().create_client(
            service, region_name=s.region, endpoint_url=s.endpoint_url
        )
print(json.dumps({"cold": (time.perf_counter() - start) * 1000}))
"""


def probe(mode: str, tables: int | None = None) -> dict:
    script, argv = (CLIENTS, [mode]) if tables is None else (PROBE, [mode, str(tables)])
    answer = subprocess.run(
        [sys.executable, "-c", script, *argv],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with harness.deployed_here("first-calls"):
        print(f"medians of {args.runs} fresh interpreters, ms")
        runs = {mode: [probe(mode)["cold"] for _ in range(args.runs)] for mode in MODES}
        own, one = (statistics.median(runs[mode]) for mode in MODES)
        print(
            f"4 clients (dynamodb, s3, sqs, websocket API): a session each {own:.1f}, "
            f"one session {one:.1f}, {own / one:.1f}x"
        )
        print(f"{'tables':>7}{'per model':>11}{'shared':>9}{'ratio':>8}{'warm':>8}")
        for tables in (1, 6, 1000):
            runs = {mode: [probe(mode, tables) for _ in range(args.runs)] for mode in MODES}
            per_model = statistics.median(r["cold"] for r in runs["per-model"])
            shared = statistics.median(r["cold"] for r in runs["shared"])
            warm = statistics.median(r["warm"] for r in runs["shared"])
            count = runs["shared"][0]["tables"]
            ratio = per_model / shared
            print(f"{count:>7}{per_model:>11.1f}{shared:>9.1f}{ratio:>7.1f}x{warm:>8.1f}")


MODES = ("per-model", "shared")

if __name__ == "__main__":
    main()
