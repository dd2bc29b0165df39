"""Does ``POST /auth/password/forgot`` take longer when the login has an account?

    .venv/bin/python bench/recovery/run.py [--pairs 200]

Starts a local cloud in child processes and registers one account. Then, over HTTP, pairs of
requests back to back: one for the account's username, one for an unknown username (and, in
a second series, its email beside an unknown address), each pair's order alternating. The
request only enqueues a job (tests/functional/test_account_mail.py proves it makes the same
single SQS call whatever the login), so a difference is a leak; the paired median cancels
what the machine does to both of a pair. A pause between pairs lets the local cloud run the
previous pair's jobs (the reset mail), as a real queue consumer would, off the request path.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY))

from local_cloud import harness  # noqa: E402


def timed(session: requests.Session, api: str, login: str) -> float:
    started = time.perf_counter()
    answer = session.post(f"{api}/auth/password/forgot", json={"login": login}, timeout=30)
    took = (time.perf_counter() - started) * 1000
    assert answer.status_code == 202, answer.text
    return took


def series(session: requests.Session, api: str, known: str, unknown: str, pairs: int) -> dict:
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    for login in (known, unknown):
        timed(session, api, login)  # warm-up
    for n in range(pairs):
        time.sleep(0.1)
        for kind in ("known", "unknown") if n % 2 else ("unknown", "known"):
            times[kind].append(timed(session, api, known if kind == "known" else unknown))
    return {
        "known": statistics.median(times["known"]),
        "unknown": statistics.median(times["unknown"]),
        "paired": statistics.median(
            k - u for k, u in zip(times["known"], times["unknown"], strict=True)
        ),
        "p90 known": statistics.quantiles(times["known"], n=10)[-1],
        "p90 unknown": statistics.quantiles(times["unknown"], n=10)[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=200)
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="bench-recovery-"))
    # The per-address sign-in limit (300 a minute) would stop the bench, not a person.
    cloud = harness.launch(state, env={**os.environ, "RATE_LIMITS": "signin=100000/60"})
    try:
        api, stamp = cloud.api_url, secrets.token_hex(4)
        user = {"username": f"r{stamp}", "email": f"r{stamp}@example.com"}
        requests.post(
            f"{api}/auth/register", json={**user, "password": "bench-password-1"}, timeout=30
        ).raise_for_status()
        rows = {
            "username": series(
                requests.Session(), api, user["username"], f"nobody_{stamp}", args.pairs
            ),
            "email": series(
                requests.Session(), api, user["email"], f"nobody_{stamp}@example.com", args.pairs
            ),
        }
    finally:
        harness.shut_down(cloud)

    print(f"\nPOST /auth/password/forgot, {args.pairs} interleaved pairs per row (ms)")
    print(
        f"{'login':<10}{'known p50':>11}{'unknown p50':>13}{'known p90':>11}{'unknown p90':>13}"
        f"{'paired p50':>12}{'known/unknown':>15}"
    )
    for name, row in rows.items():
        print(
            f"{name:<10}{row['known']:>11.2f}{row['unknown']:>13.2f}{row['p90 known']:>11.2f}"
            f"{row['p90 unknown']:>13.2f}{row['paired']:>12.2f}"
            f"{row['known'] / row['unknown']:>14.2f}x"
        )


if __name__ == "__main__":
    main()
