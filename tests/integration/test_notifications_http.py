"""Notifications over real HTTP and websockets against the local cloud: the activity
inbox's badge (``unseen_count``, ``POST /activity/seen``) and ``notification.new`` to live
devices."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

import pytest

from local_cloud import pushbox
from tests.conftest import EMULATOR, RunningCloud
from tests.integration.conftest import Account, Api, eventually
from tests.integration.test_dm_ws import connect, follow

pytestmark = pytest.mark.integration


def unseen(api: Api, token: str) -> int:
    response = api.call("GET", "/activity", token=token)
    assert response.status_code == 200, response.text
    return response.json()["unseen_count"]


def test_a_new_item_reaches_live_devices_with_the_badge_and_seen_clears_it(
    api: Api, local_cloud: RunningCloud
) -> None:
    alice, bob, carol = api.register(), api.register(), api.register()
    assert unseen(api, alice.access_token) == 0

    async def scenario() -> None:
        phone = await connect(local_cloud, alice)
        follow(api, bob, alice)  # the follows stream writes "started following you"
        event = await phone.next("notification.new", timeout=30)
        assert event["notification"]["kind"] == "follow"
        assert event["notification"]["actor"]["username"] == bob.username
        assert event["unseen_count"] == 1
        await phone.socket.close()

    asyncio.run(scenario())
    assert unseen(api, alice.access_token) == 1
    assert api.call("POST", "/activity/seen", token=alice.access_token).status_code == 204
    assert unseen(api, alice.access_token) == 0
    follow(api, carol, alice)
    eventually(lambda: unseen(api, alice.access_token) == 1, "carol's follow counted")


# -- pushes: what reaches a phone (local_cloud/pushbox.py) -----------------------------------


def a_phone(api: Api, who: Account) -> str:
    """Registers an APNs token for ``who``; returns the token the pushbox is read by."""
    token = secrets.token_hex(32)
    response = api.call(
        "POST", "/me/devices", {"platform": "apns", "token": token}, token=who.access_token
    )
    assert response.status_code == 201, response.text
    return token


def pushes(cloud: RunningCloud, token: str) -> list[dict[str, Any]]:
    folder = pushbox.folder(cloud.state_dir)
    if EMULATOR == "localstack":
        # The launcher copies LocalStack's pushes in every 0.2 s, where moto's emulator writes
        # each before answering: wait for the copy, so that "not pushed" means not pushed.
        pushbox.caught_up(cloud.endpoint_url, folder, cloud.env["AWS_DEFAULT_REGION"])
    return pushbox.read(folder, token=token)


def message(api: Api, sender: Account, to: Account, text: str) -> None:
    conversation = api.call(
        "POST", "/conversations", {"usernames": [to.username]}, token=sender.access_token
    ).json()["conversation_id"]
    sent = api.call(
        "POST",
        f"/conversations/{conversation}/messages",
        {"text": text, "client_id": secrets.token_hex(8)},
        token=sender.access_token,
    )
    assert sent.status_code == 201, sent.text


def test_a_message_is_pushed_to_an_offline_recipient_and_not_to_an_online_one(
    api: Api, local_cloud: RunningCloud
) -> None:
    alice, bob = api.register(), api.register()
    follow(api, alice, bob)
    phone = a_phone(api, alice)
    message(api, bob, alice, "are you there?")
    (pushed,) = pushes(local_cloud, phone)
    assert pushed["alert"] == f"{bob.username}: are you there?"
    assert pushed["payload"]["kind"] == "message" and pushed["payload"]["conversation_id"]
    assert pushed["badge"] == unseen(api, alice.access_token)
    assert pushed["user_data"] == alice.user_id

    async def online() -> None:
        socket = await connect(local_cloud, alice)
        message(api, bob, alice, "now you are")
        await socket.next("message.new", timeout=10)
        await socket.socket.close()

    asyncio.run(online())
    assert len(pushes(local_cloud, phone)) == 1  # the socket told it; the phone was not

    # A stranger's message is a request: it waits in the requests folder, not on the phone.
    stranger = api.register()
    message(api, stranger, alice, "hello from nowhere")
    folder = api.call("GET", "/conversations?folder=request", token=alice.access_token).json()
    assert folder["items"], folder
    assert len(pushes(local_cloud, phone)) == 1


def test_likes_of_one_post_are_one_push_and_preferences_are_honoured(
    api: Api, local_cloud: RunningCloud, publish: Callable[..., str]
) -> None:
    author = api.register()
    fans = [api.register() for _ in range(3)]
    phone = a_phone(api, author)
    post_id = publish(author, "grouped")
    for fan in fans:
        assert api.call("POST", f"/posts/{post_id}/like", token=fan.access_token).ok

    def about() -> list[dict[str, Any]]:
        return [p for p in pushes(local_cloud, phone) if p["payload"].get("post_id") == post_id]

    (first,) = eventually(about, "the push about the post")
    assert first["alert"].endswith("liked your post") and first["payload"]["kind"] == "like"

    def three_likes_listed() -> bool:
        items = api.call("GET", "/activity", token=author.access_token).json()["items"]
        return any(i["post_id"] == post_id and i["count"] == 3 for i in items)

    eventually(three_likes_listed, "the grouped like item with all three")
    assert len(about()) == 1  # the window holds the rest

    # Turned off: a like on another post reaches the inbox, not the phone.
    turned = api.call("PATCH", "/me/notifications", {"like": False}, token=author.access_token)
    assert turned.status_code == 200 and turned.json()["like"] is False
    other = publish(author, "quiet")
    assert api.call("POST", f"/posts/{other}/like", token=fans[0].access_token).ok

    def listed() -> bool:
        items = api.call("GET", "/activity", token=author.access_token).json()["items"]
        return any(i["post_id"] == other for i in items)

    eventually(listed, "the like of the quiet post in the inbox")
    assert not [p for p in pushes(local_cloud, phone) if p["payload"].get("post_id") == other]


def test_a_follow_request_and_its_approval_are_pushed(api: Api, local_cloud: RunningCloud) -> None:
    owner, asker = api.register(private=True), api.register()
    owner_phone, asker_phone = a_phone(api, owner), a_phone(api, asker)
    follow(api, asker, owner)
    (asked,) = eventually(lambda: pushes(local_cloud, owner_phone), "the request's push")
    assert asked["alert"] == f"{asker.username} asked to follow you"
    approved = api.call("POST", f"/me/follow-requests/{asker.username}", token=owner.access_token)
    assert approved.status_code < 300, approved.text
    (told,) = pushes(local_cloud, asker_phone)
    assert told["alert"] == f"{owner.username} accepted your follow request"
    assert told["payload"]["kind"] == "follow_accepted"


def test_devices_refuse_bad_tokens_and_belong_to_their_owner(api: Api) -> None:
    alice, bob = api.register(), api.register()
    for body in ({"platform": "apns", "token": "zz"}, {"platform": "sms", "token": "a" * 64}, []):
        refused = api.call("POST", "/me/devices", body, token=alice.access_token)
        assert refused.status_code == 400, refused.text
    token = secrets.token_hex(32)
    first = api.call(
        "POST", "/me/devices", {"platform": "apns", "token": token}, token=alice.access_token
    )
    again = api.call(
        "POST", "/me/devices", {"platform": "apns", "token": token}, token=alice.access_token
    )
    assert (first.status_code, again.status_code) == (201, 200)
    device_id = first.json()["device_id"]
    assert again.json()["device_id"] == device_id
    assert api.call("DELETE", f"/me/devices/{device_id}", token=bob.access_token).status_code == 404
    assert (
        api.call("DELETE", f"/me/devices/{device_id}", token=alice.access_token).status_code == 204
    )


def test_a_mention_and_a_comment_are_pushed(
    api: Api, local_cloud: RunningCloud, publish: Callable[..., str]
) -> None:
    author, commenter, named = api.register(), api.register(), api.register()
    author_phone, named_phone = a_phone(api, author), a_phone(api, named)
    post_id = publish(author, "talk to me")
    said = api.call(
        "POST",
        f"/posts/{post_id}/comments",
        {"text": f"look @{named.username}"},
        token=commenter.access_token,
    )
    assert said.status_code == 201, said.text
    (mentioned,) = eventually(lambda: pushes(local_cloud, named_phone), "the mention's push")
    assert mentioned["alert"] == f"{commenter.username} mentioned you: look @{named.username}"
    assert mentioned["payload"]["kind"] == "mention"
    (commented,) = eventually(lambda: pushes(local_cloud, author_phone), "the comment's push")
    assert commented["alert"].startswith(f"{commenter.username} commented")
    assert commented["payload"]["post_id"] == post_id
