"""Direct messages with real websocket clients through the local gateway, and over REST."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import websockets

from tests.conftest import RunningCloud
from tests.integration.conftest import Account, Api, error_code

pytestmark = pytest.mark.integration


class Device:
    """One phone or tablet: a websocket and the events it received."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket

    async def send(self, frame: dict | str) -> None:
        await self.socket.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def next(self, kind: str, timeout: float = 1.0) -> dict:
        """The next event of this kind, within ``timeout`` seconds (others are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} within {timeout} s")
            event = json.loads(await asyncio.wait_for(self.socket.recv(), timeout=left))
            if event["type"] == kind:
                return event

    async def nothing(self, within: float = 0.3) -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(self.socket.recv(), timeout=within)


async def connect(cloud: RunningCloud, account: Account) -> Device:
    return Device(await websockets.connect(f"{cloud.ws_url}?token={account.access_token}"))


def follow(api: Api, follower: Account, followee: Account) -> None:
    assert api.call("POST", f"/users/{followee.username}/follow", token=follower.access_token).ok


def test_a_message_reaches_every_device_and_is_acknowledged_once(
    api: Api, local_cloud: RunningCloud
) -> None:
    alice, bob = api.register(), api.register()
    follow(api, bob, alice)

    async def scenario() -> None:
        a1, a2 = await connect(local_cloud, alice), await connect(local_cloud, alice)
        b1, b2 = await connect(local_cloud, bob), await connect(local_cloud, bob)
        # The first message of a fresh local cloud pays for cold clients and threads.
        await a1.send({"action": "send", "to": bob.username, "text": "warm-up"})
        await a1.next("message.ack", timeout=10)
        for device in (b1, b2, a2):
            await device.next("message.new", timeout=10)
        frame = {"action": "send", "to": bob.username, "text": "hi bob", "client_id": "c-1"}
        await a1.send(frame)
        ack = await a1.next("message.ack")
        assert ack["client_id"] == "c-1" and ack["duplicate"] is False
        for device in (b1, b2, a2):  # within a second: bob's two devices, alice's other one
            new = await device.next("message.new")
            assert new["message"]["message_id"] == ack["message"]["message_id"]
            assert new["message"]["text"] == "hi bob"
        await a1.send(frame)  # a retry after a lost ack: the same message, not a second one
        again = await a1.next("message.ack")
        assert again["duplicate"] is True
        assert again["message"]["message_id"] == ack["message"]["message_id"]
        await b1.nothing()
        await b1.send({"action": "typing", "conversation_id": ack["message"]["conversation_id"]})
        assert (await a1.next("typing"))["user_id"] == bob.user_id

    asyncio.run(scenario())


def test_offline_member_finds_history_and_unread_count_then_reads(
    api: Api, local_cloud: RunningCloud
) -> None:
    alice, bob = api.register(), api.register()
    follow(api, bob, alice)
    started = api.call(
        "POST", "/conversations", {"usernames": [bob.username]}, token=alice.access_token
    )
    assert started.status_code == 201, started.text
    conversation_id = started.json()["conversation_id"]
    for text in ("one", "two"):
        sent = api.call(
            "POST",
            f"/conversations/{conversation_id}/messages",
            {"text": text},
            token=alice.access_token,
        )
        assert sent.status_code == 201, sent.text
    inbox = api.call("GET", "/conversations", token=bob.access_token).json()["items"]
    assert [(c["conversation_id"], c["unread"], c["last_message"]["preview"]) for c in inbox] == [
        (conversation_id, 2, "two")
    ]
    history = api.call(
        "GET", f"/conversations/{conversation_id}/messages?limit=1", token=bob.access_token
    ).json()
    assert [m["text"] for m in history["items"]] == ["two"] and history["next_cursor"]
    older = api.call(
        "GET",
        f"/conversations/{conversation_id}/messages?limit=1&cursor={history['next_cursor']}",
        token=bob.access_token,
    ).json()
    assert [m["text"] for m in older["items"]] == ["one"]

    async def read_receipt() -> dict:
        phone = await connect(local_cloud, alice)
        await asyncio.to_thread(
            api.call, "POST", f"/conversations/{conversation_id}/read", token=bob.access_token
        )
        return await phone.next("read")

    receipt = asyncio.run(read_receipt())
    assert receipt["user_id"] == bob.user_id and receipt["conversation_id"] == conversation_id
    inbox = api.call("GET", "/conversations", token=bob.access_token).json()["items"]
    assert inbox[0]["unread"] == 0


def test_strangers_requests_blocks_and_groups(api: Api) -> None:
    alice, bob, carol, mallory = (api.register() for _ in range(4))
    follow(api, bob, alice)
    conversation = api.call(
        "POST", "/conversations", {"usernames": [bob.username]}, token=alice.access_token
    ).json()
    path = f"/conversations/{conversation['conversation_id']}"
    for method, suffix, body in (
        ("GET", "", None),
        ("GET", "/messages", None),
        ("POST", "/messages", {"text": "let me in"}),
    ):
        answer = api.call(method, path + suffix, body, token=mallory.access_token)
        assert answer.status_code == 404 and error_code(answer) == "conversation_not_found"
    # carol does not follow mallory: mallory's message waits in carol's requests.
    api.call("POST", "/conversations", {"usernames": [carol.username]}, token=mallory.access_token)
    requests_ = api.call("GET", "/conversations?folder=request", token=carol.access_token)
    (request,) = requests_.json()["items"]
    assert api.call("GET", "/conversations", token=carol.access_token).json()["items"] == []
    api.call(
        "POST", f"/conversations/{request['conversation_id']}/accept", token=carol.access_token
    )
    assert len(api.call("GET", "/conversations", token=carol.access_token).json()["items"]) == 1
    # A block ends a 1:1 both ways.
    api.call("POST", f"/users/{mallory.username}/block", token=carol.access_token)
    refused = api.call(
        "POST",
        f"/conversations/{request['conversation_id']}/messages",
        {"text": "hello?"},
        token=mallory.access_token,
    )
    assert refused.status_code == 403 and error_code(refused) == "cannot_message"
    blocked = api.call(
        "POST", "/conversations", {"usernames": [carol.username]}, token=mallory.access_token
    )
    assert blocked.status_code == 404
    # Groups: a name, up to 32 members, add and leave.
    group = api.call(
        "POST",
        "/conversations",
        {"usernames": [bob.username, carol.username], "name": "trip"},
        token=alice.access_token,
    ).json()
    assert group["kind"] == "group" and len(group["members"]) == 3
    repeated = api.call(
        "POST",
        "/conversations",
        {"usernames": [bob.username] * 40, "name": "x"},
        token=alice.access_token,
    )
    assert repeated.status_code == 201 and len(repeated.json()["members"]) == 2
    dave = api.register()
    added = api.call(
        "POST",
        f"/conversations/{group['conversation_id']}/members",
        {"usernames": [dave.username]},
        token=alice.access_token,
    )
    assert added.status_code == 200, added.text
    assert dave.username in [m["username"] for m in added.json()["members"]]
    invited = api.call("GET", "/conversations?folder=request", token=dave.access_token).json()
    assert group["conversation_id"] in [c["conversation_id"] for c in invited["items"]]
    left = api.call(
        "DELETE", f"/conversations/{group['conversation_id']}/members/me", token=carol.access_token
    )
    assert left.status_code == 204
    after = api.call(
        "GET", f"/conversations/{group['conversation_id']}", token=alice.access_token
    ).json()
    assert carol.username not in [m["username"] for m in after["members"]]


def test_bad_frames_get_error_events_and_the_socket_stays(
    api: Api, local_cloud: RunningCloud
) -> None:
    alice, bob = api.register(), api.register()

    async def scenario() -> None:
        phone = await connect(local_cloud, alice)
        for frame, code in (
            ("not json", "bad_frame"),
            ({"action": "fly"}, "unknown_action"),
            (
                {"action": "send", "to": bob.username, "text": "x" * 1001, "client_id": "big"},
                "validation_error",
            ),
            (
                {"action": "send", "conversation_id": "d_nope", "text": "hi"},
                "conversation_not_found",
            ),
        ):
            await phone.send(frame)
            error = await phone.next("error")
            assert error["code"] == code, error
        await phone.send({"action": "send", "to": bob.username, "text": "still here"})
        assert (await phone.next("message.ack"))["message"]["text"] == "still here"

    asyncio.run(scenario())

    async def bad_token() -> None:
        async with websockets.connect(f"{local_cloud.ws_url}?token=nope"):
            pass

    with pytest.raises(websockets.InvalidStatus):
        asyncio.run(bad_token())


def test_a_stale_connection_is_cleaned_up_on_push(api: Api, local_cloud: RunningCloud) -> None:
    alice, bob = api.register(), api.register()
    connections = local_cloud.client("dynamodb")
    stale = {
        "user_id": {"S": bob.user_id},
        "connection_id": {"S": "gone-long-ago="},
        "connected_at": {"N": "1"},
    }
    # A device that vanished without a $disconnect: still registered, long gone at the gateway.
    connections.put_item(TableName="glimpse-local-connections", Item=stale)
    connections.put_item(
        TableName="glimpse-local-presence",
        Item={"user_id": {"S": bob.user_id}, "live": {"SS": ["gone-long-ago="]}},
    )
    sent = api.call(
        "POST", "/conversations", {"usernames": [bob.username]}, token=alice.access_token
    ).json()
    api.call(
        "POST",
        f"/conversations/{sent['conversation_id']}/messages",
        {"text": "ping"},
        token=alice.access_token,
    )
    left = connections.get_item(
        TableName="glimpse-local-connections",
        Key={k: stale[k] for k in ("user_id", "connection_id")},
    )
    assert "Item" not in left
    presence = connections.get_item(
        TableName="glimpse-local-presence", Key={"user_id": {"S": bob.user_id}}
    )["Item"]
    assert "gone-long-ago=" not in presence.get("live", {}).get("SS", [])


def test_a_shared_post_arrives_with_a_preview_only_for_who_may_see_it(
    api: Api, local_cloud: RunningCloud, publish
) -> None:
    author, fan, friend = api.register(), api.register(), api.register()
    post_id = publish(author, "sunset")
    follow(api, friend, fan)

    async def scenario() -> dict:
        phone = await connect(local_cloud, friend)
        sent = await asyncio.to_thread(
            api.call,
            "POST",
            "/conversations",
            {"usernames": [friend.username]},
            token=fan.access_token,
        )
        path = f"/conversations/{sent.json()['conversation_id']}/messages"
        await asyncio.to_thread(
            api.call, "POST", path, {"post_id": post_id}, token=fan.access_token
        )
        return (await phone.next("message.new"))["message"], path

    message, path = asyncio.run(scenario())
    preview = message["post"]
    assert preview["available"] is True and preview["author"]["username"] == author.username
    assert preview["caption"] == "sunset" and preview["thumbnail_url"].startswith("http")
    # The author goes private: the friend, who does not follow them, no longer sees it.
    api.call("PATCH", "/me", {"is_private": True}, token=author.access_token)
    history = api.call("GET", path, token=friend.access_token).json()["items"]
    assert history[0]["post"] == {"post_id": post_id, "available": False}
