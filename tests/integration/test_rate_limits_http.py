"""Rate limits against the real local server: a burst sent in parallel is held at the limit
exactly, with Retry-After; the websocket answers an error frame; others are not affected.
A cloud of this module's own, with the default limits (chalicelib/core/settings.py
RATE_LIMITS): the suite's shared cloud lifts them for its crowd of scripts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import websockets

from chalicelib.core.settings import RATE_LIMITS
from tests.conftest import RunningCloud, launch, shut_down
from tests.integration.conftest import Api, error_code, eventually

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    cloud = launch(tmp_path_factory.mktemp("limited-cloud"), limits_lifted=False)
    try:
        yield cloud
    finally:
        shut_down(cloud)


@pytest.fixture(scope="module")
def api(local_cloud: RunningCloud) -> Api:
    return Api(local_cloud.api_url)


def test_a_parallel_burst_of_comments_is_held_at_the_limit(api: Api, publish) -> None:
    author, chatty, other = api.register(), api.register(), api.register()
    post_id = publish(author, "comment away")
    limit, window = RATE_LIMITS["comment"]
    burst = limit + 20

    def comment(n: int) -> requests.Response:
        return api.send(
            "POST",
            f"{api.base_url}/posts/{post_id}/comments",
            json.dumps({"text": f"comment {n}"}).encode(),
            {"Content-Type": "application/json", "Authorization": f"Bearer {chatty.access_token}"},
        )

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(comment, range(burst)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * limit + [429] * 20
    refused = [answer for answer in answers if answer.status_code == 429]
    assert {error_code(answer) for answer in refused} == {"rate_limited"}
    assert all(1 <= int(answer.headers["Retry-After"]) <= window for answer in refused)
    # Nothing of a refused comment was kept: the post counts exactly the accepted ones.
    eventually(
        lambda: (
            api.call("GET", f"/posts/{post_id}", token=author.access_token).json()["comments_count"]
            == limit
        ),
        "the post's comment count",
    )
    # Another account's allowance is its own, and reading costs nothing.
    own = api.call(
        "POST", f"/posts/{post_id}/comments", {"text": "me too"}, token=other.access_token
    )
    assert own.status_code == 201, own.text
    assert api.call("GET", f"/posts/{post_id}", token=chatty.access_token).status_code == 200
    # Another kind of action has its own allowance too.
    liked = api.call("POST", f"/posts/{post_id}/like", token=chatty.access_token)
    assert liked.status_code == 200, liked.text


def test_websocket_sends_over_the_limit_get_an_error_frame(
    api: Api, local_cloud: RunningCloud
) -> None:
    alice, bob = api.register(), api.register()
    assert api.call("POST", f"/users/{alice.username}/follow", token=bob.access_token).ok
    limit, window = RATE_LIMITS["message"]

    async def scenario() -> tuple[list[dict], list[dict]]:
        url = f"{local_cloud.ws_url}?token={alice.access_token}"
        async with websockets.connect(url) as socket:
            for n in range(limit + 3):
                frame = {
                    "action": "send",
                    "to": bob.username,
                    "text": f"m{n}",
                    "client_id": f"c{n}",
                }
                await socket.send(json.dumps(frame))
            answers = []
            while len(answers) < limit + 3:
                event = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
                if event["type"] in ("message.ack", "error"):
                    answers.append(event)
            # The socket stays open: typing is a kind of its own and still goes through.
            conversation_id = answers[0]["message"]["conversation_id"]
            await socket.send(json.dumps({"action": "typing", "conversation_id": conversation_id}))
            await socket.send(json.dumps({"action": "nonsense"}))
            assert json.loads(await asyncio.wait_for(socket.recv(), timeout=10))["code"] == (
                "unknown_action"
            )
        return [a for a in answers if a["type"] == "message.ack"], [
            a for a in answers if a["type"] == "error"
        ]

    acks, errors = asyncio.run(scenario())
    assert (len(acks), len(errors)) == (limit, 3), errors[:5]
    assert {e["code"] for e in errors} == {"rate_limited"}, errors[:5]
    assert all(1 <= e["retry_after"] <= window and e["client_id"].startswith("c") for e in errors)
    # The REST route shares the allowance: the account's messages are one budget.
    conversation_id = acks[0]["message"]["conversation_id"]
    more = api.call(
        "POST",
        f"/conversations/{conversation_id}/messages",
        {"text": "one more"},
        token=alice.access_token,
    )
    assert more.status_code == 429 and error_code(more) == "rate_limited"
    # Bob, on the other side, still writes back.
    reply = api.call(
        "POST", f"/conversations/{conversation_id}/messages", {"text": "hi"}, token=bob.access_token
    )
    assert reply.status_code == 201, reply.text


def test_reports_have_an_allowance_of_their_own(api: Api, publish) -> None:
    # Mass reporting is how a brigade silences someone: reports are limited per hour, apart
    # from other writes.
    author, reporter = api.register(), api.register()
    post_id = publish(author, "report me")
    limit, window = RATE_LIMITS["report"]

    def report(n: int) -> requests.Response:
        body = {"target_type": "post", "target_id": post_id, "reason": "spam"}
        return api.call("POST", "/reports", body, token=reporter.access_token)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(report, range(limit + 5)))
    assert sorted(answer.status_code < 300 for answer in answers).count(True) == limit
    refused = [answer for answer in answers if answer.status_code == 429]
    assert len(refused) == 5 and {error_code(a) for a in refused} == {"rate_limited"}
    assert all(1 <= int(answer.headers["Retry-After"]) <= window for answer in refused)
    # Other writes are not held by it.
    liked = api.call("POST", f"/posts/{post_id}/like", token=reporter.access_token)
    assert liked.status_code == 200, liked.text
