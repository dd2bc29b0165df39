"""What the session check costs per request, and how long a token outlives its session.

    .venv/bin/python bench/sessions/run.py [--requests 2000]

Every authenticated request runs ``sessions.authenticate``: the JWT's signature and claims,
then ``require_live`` (is the session live, does the account exist). Side by side, against
the local emulator (moto's server in a child process: every DynamoDB call a real round trip):

- the JWT check alone (what the API did before sessions could be ended);
- the JWT check and a session check this process trusts (``SESSION_CHECK_SECONDS`` not over:
  no DynamoDB call);
- the JWT check and a session check that reads DynamoDB (one BatchGetItem of two keys).

Then the revocation bound: a session ended by another "container" (here: the same process
with its trust primed) is refused after how long, for ``SESSION_CHECK_SECONDS`` of 1 and 5.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY))

from local_cloud import harness  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()

    with harness.deployed_here("sessions"):
        run(args)


def timed(action, runs: int) -> list[float]:  # noqa: ANN001
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


def run(args: argparse.Namespace) -> None:
    from chalicelib.accounts import auth, sessions
    from chalicelib.accounts.tokens import verify_access_token

    signed_in = auth.register("bench_user", "bench@example.com", "correct horse battery")
    token = signed_in.access_token.token
    principal = verify_access_token(token)

    def uncached() -> None:
        sessions._checked.clear()
        sessions.authenticate(token)

    sessions.authenticate(token)  # warm the clients
    rows = [
        ("JWT only (before)", timed(lambda: verify_access_token(token), args.requests)),
        ("JWT + trusted check", timed(lambda: sessions.authenticate(token), args.requests)),
        ("JWT + DynamoDB check", timed(uncached, max(50, args.requests // 10))),
    ]
    base = statistics.median(rows[0][1])
    print(f"\nper request, median of {args.requests} (µs), emulator over HTTP")
    print(f"  {'check':24} {'median':>9} {'p99':>9} {'x JWT only':>11}")
    for name, samples in rows:
        median = statistics.median(samples)
        p99 = sorted(samples)[int(len(samples) * 0.99) - 1]
        print(f"  {name:24} {median:9.1f} {p99:9.1f} {median / base:10.1f}x")
    print(
        "  a process checks DynamoDB at most once per session per SESSION_CHECK_SECONDS;"
        " every other request of that session pays the trusted row"
    )

    print("\nrevocation: how long another process still accepts the ended session's token")
    for bound in (1, 5):
        os.environ["SESSION_CHECK_SECONDS"] = str(bound)
        from chalicelib.core import settings as settings_module

        settings_module.settings.cache_clear()
        again = auth.login("bench_user", "correct horse battery")
        other = verify_access_token(again.access_token.token)
        sessions.require_live(other)  # "the other container" trusts it now
        trusted_until = sessions._checked[other.session_id]
        # The session ends elsewhere: written to DynamoDB, this process's trust untouched.
        from chalicelib.accounts.models import Session

        Session(other.session_id).update(actions=[Session.revoked.set(True)])
        ended = time.monotonic()
        while True:
            try:
                sessions.require_live(other)
            except Exception:  # noqa: BLE001 - Unauthenticated: refused at last
                break
            time.sleep(0.01)
        waited = time.monotonic() - ended
        print(
            f"  SESSION_CHECK_SECONDS={bound}: refused {waited:.2f} s after the session ended"
            f" (bound {trusted_until - ended:.2f} s left of the trust)"
        )
    del principal


if __name__ == "__main__":
    main()
