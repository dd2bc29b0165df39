"""Direct messages through the local websocket gateway: send→receive latency, throughput.

    .venv/bin/python bench/dm/run.py [--messages 200]

Starts a local cloud (moto server, the API, the bus, the websocket gateway) in child
processes, registers users over HTTP and connects them with real websocket clients. Then:

- 1:1: alice sends, bob receives; the latency is from alice's send to bob's ``message.new``;
- group: a 32-member group; the latency is from the send to the *last* member's arrival;
- throughput: alice sends back to back, waiting only for each ack.

The DynamoDB writes per message are counted from the transaction the code sends (one
TransactWriteItems: message, client-id marker, conversation, one inbox row per member).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
import websockets

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY))

from local_cloud import harness  # noqa: E402


def register(api: str, name: str) -> dict:
    body = {"username": name, "email": f"{name}@example.com", "password": "bench-password-1"}
    answer = requests.post(f"{api}/auth/register", json=body, timeout=30)
    answer.raise_for_status()
    return answer.json()


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def next_of(socket, kind: str) -> dict:  # noqa: ANN001
    while True:
        event = json.loads(await socket.recv())
        if event["type"] == kind:
            return event


async def latencies(sender, receivers, target: dict, count: int) -> list[float]:  # noqa: ANN001
    samples = []
    for n in range(count):
        start = time.perf_counter()
        await sender.send(
            json.dumps({"action": "send", **target, "text": f"m{n}", "client_id": f"c{n}-{start}"})
        )
        await asyncio.gather(*(next_of(r, "message.new") for r in receivers))
        samples.append((time.perf_counter() - start) * 1000)
        await next_of(sender, "message.ack")
    return samples


async def run(cloud: harness.RunningCloud, messages: int) -> None:
    api, ws = cloud.api_url, cloud.ws_url
    stamp = str(int(time.time()))[-6:]
    users = [register(api, f"b{stamp}_{n}") for n in range(32)]
    sockets = [await websockets.connect(f"{ws}?token={u['access_token']}") for u in users]
    alice, bob = sockets[0], sockets[1]

    def start(usernames: list[str], name: str | None = None) -> dict:
        return requests.post(
            f"{api}/conversations",
            timeout=30,
            json={"usernames": usernames, "name": name},
            headers={"Authorization": f"Bearer {users[0]['access_token']}"},
        ).json()

    # Addressed by conversation id, as the app does once a conversation is open.
    one_to_one = {"conversation_id": start([users[1]["user"]["username"]])["conversation_id"]}
    in_group = {
        "conversation_id": start([u["user"]["username"] for u in users[1:]], "bench")[
            "conversation_id"
        ]
    }

    await latencies(alice, [bob], one_to_one, 5)  # warm-up: cold clients and threads
    await latencies(alice, sockets[1:], in_group, 3)
    direct = await latencies(alice, [bob], one_to_one, messages)
    # As many as 1:1: with fewer samples the "p99" would be the single slowest message.
    grouped = await latencies(alice, sockets[1:], in_group, messages)

    start = time.perf_counter()
    for n in range(messages):
        await alice.send(json.dumps({"action": "send", **one_to_one, "text": f"t{n}"}))
        await next_of(alice, "message.ack")
    rate = messages / (time.perf_counter() - start)
    for socket in sockets:
        await socket.close()

    print(f"\n{messages} messages each")
    print(f"{'':<22}{'p50 ms':>9}{'p99 ms':>9}{'target':>9}{'writes/msg':>12}")
    for name, samples, target, writes in (
        ("1:1", direct, "< 50", 5),
        ("group of 32", grouped, "< 150", 3 + 32),
    ):
        print(
            f"{name:<22}{statistics.median(samples):>9.1f}{percentile(samples, 0.99):>9.1f}"
            f"{target:>9}{writes:>12}"
        )
    print(f"group / 1:1 p50 ratio: {statistics.median(grouped) / statistics.median(direct):.1f}x")
    print(f"sustained 1:1, one sender waiting for each ack: {rate:.0f} messages/s")
    print("slowest 1:1 (ms):", [round(x) for x in sorted(direct)[-8:]])
    print("slowest group (ms):", [round(x) for x in sorted(grouped)[-8:]])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="bench-dm-"))
    cloud = harness.launch(state, env=os.environ)
    try:
        asyncio.run(run(cloud, args.messages))
    finally:
        harness.shut_down(cloud)


if __name__ == "__main__":
    main()
