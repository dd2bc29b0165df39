"""Deleting an account over HTTP, against the local cloud: a busy account asks, the job runs,
and afterwards every table of the stack, every object of every bucket and the search engine
hold nothing of it but the tombstones listed here (and in the README, "Deleting your
account"); other people's counts are right; its username and email register again; a second
delivery of the job changes nothing.

The busy account ("victim"): two posts with photos (one with a hashtag, a place and a
mention), likes and comments given and received, saves both ways, follows both ways, a
pending follow request, a block, a 1:1 and a group conversation (others' unread counts
include its messages), its searches and others' searches that opened it, a spare upload, an
export, an explore list from the recommender job, a live websocket, and mentions of it in
others' captions and comments.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
import websockets

from tests.conftest import RunningCloud
from tests.integration.conftest import PASSWORD, Account, Api, error_code, eventually
from tests.integration.test_recommender_http import interactions_count, run_job

pytestmark = pytest.mark.integration

STAGE_PREFIX = "glimpse-local-"

# What may still name the deleted account once the job is done, and why (README, "Deleting
# your account"): table → (a test of the item, why it stays and until when).
TOMBSTONES: dict[str, tuple[Callable[[dict[str, Any], str], bool], str]] = {
    "recommendations": (
        lambda item, user_id: item["user_id"]["S"] != user_id,
        "others' explore lists and suggested accounts name its posts and itself until the "
        "recommender's next hourly run rewrites them (their TTL is 2 days); both are read "
        "through the visibility policy, which shows a deleted account nowhere",
    ),
    "messages": (
        lambda item, user_id: (
            item.get("sender_id", {}).get("S") not in (None, user_id) and "post_id" in item
        ),
        "a message someone else sent sharing one of its posts keeps that post's id, shown as "
        "unavailable (as after any post's deletion), for as long as the message exists",
    ),
}
# Objects whose content (not key) may name it: the recommender's model lists post ids.
OBJECT_TOMBSTONES = {
    "recommender/posts.txt": "the recommender model's post order, rewritten by its next run",
}


def call(api: Api, who: Account, method: str, path: str, body: Any = None, ok: int = 200) -> Any:
    response = api.call(method, path, body, token=who.access_token)
    assert response.status_code == ok, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def traces(
    cloud: RunningCloud, needles: set[str], user_id: str, kept: dict | None = None
) -> dict[str, list[str]]:
    """Where any needle still appears: every item of every table of the stack, every object
    (key and content) of every bucket, every row of the search engine. Tombstones aside
    (counted in ``kept`` when given)."""
    found: dict[str, list[str]] = {}
    kept = {} if kept is None else kept
    dynamodb = cloud.client("dynamodb")
    tables = [
        name
        for page in dynamodb.get_paginator("list_tables").paginate()
        for name in page["TableNames"]
        if name.startswith(STAGE_PREFIX)
    ]
    assert len(tables) > 20, tables
    for table in tables:
        short = table.removeprefix(STAGE_PREFIX)
        allowed = TOMBSTONES.get(short, (lambda item, user_id: False, ""))[0]
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                text = json.dumps(item)
                hits = [n for n in needles if n in text]
                if hits and allowed(item, user_id):
                    kept[f"table {short}"] = kept.get(f"table {short}", 0) + 1
                elif hits:
                    found.setdefault(f"table {short}", []).append(text[:300])
    s3 = cloud.client("s3")
    for bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        if not bucket.startswith(STAGE_PREFIX):
            continue
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                key = entry["Key"]
                content = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                text = key + content.decode("latin-1")
                if key in OBJECT_TOMBSTONES:
                    if any(n in text for n in needles):
                        kept[f"object {key}"] = kept.get(f"object {key}", 0) + 1
                    text = key
                if any(n in text for n in needles):
                    found.setdefault(f"bucket {bucket}", []).append(key)
    with sqlite3.connect(f"file:{cloud.state_dir / 'search.sqlite'}?mode=ro", uri=True) as db:
        for table in ("docs", "tokens", "words", "grams"):
            for row in db.execute(f"SELECT * FROM {table}"):  # noqa: S608 - fixed names
                text = json.dumps(row, default=str)
                if any(n in text for n in needles):
                    found.setdefault(f"search {table}", []).append(text[:200])
    return found


def queue_drained(cloud: RunningCloud, name: str = "glimpse-local-account-jobs") -> bool:
    sqs = cloud.client("sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return all(int(value) == 0 for value in attributes.values())


def phone_endpoints(cloud: RunningCloud, token: str, user_id: str) -> list[dict]:
    """The SNS platform endpoints of this token or naming this account, on every platform
    application of the emulator."""
    sns = cloud.client("sns")
    found = []
    for app in sns.list_platform_applications()["PlatformApplications"]:
        listed = sns.list_endpoints_by_platform_application(
            PlatformApplicationArn=app["PlatformApplicationArn"]
        )["Endpoints"]
        found += [
            endpoint
            for endpoint in listed
            if endpoint["Attributes"].get("Token") == token
            or endpoint["Attributes"].get("CustomUserData") == user_id
        ]
    return found


def user_item(cloud: RunningCloud, user_id: str) -> dict | None:
    return (
        cloud.client("dynamodb")
        .get_item(TableName=f"{STAGE_PREFIX}users", Key={"user_id": {"S": user_id}})
        .get("Item")
    )


def profile(api: Api, viewer: Account, who: Account) -> dict:
    return call(api, viewer, "GET", f"/users/{who.username}")


def test_a_busy_account_is_deleted_everywhere(
    api: Api, publish, photo: bytes, local_cloud: RunningCloud
) -> None:
    started = time.monotonic()
    victim, alice, bob = api.register(), api.register(), api.register()
    private, blocked = api.register(private=True), api.register()
    word = "vw" + victim.user_id[-8:]
    tag = "vt" + victim.user_id[-8:]
    place = {"name": f"Victim place {word}", "lat": 12.345, "lng": 67.891}

    # The graph: the victim follows alice, alice and bob follow the victim, the victim asked
    # the private account, the victim blocked someone.
    call(api, victim, "POST", f"/users/{alice.username}/follow")
    call(api, alice, "POST", f"/users/{victim.username}/follow")
    call(api, bob, "POST", f"/users/{victim.username}/follow")
    assert call(api, victim, "POST", f"/users/{private.username}/follow")["status"] == "requested"
    call(api, victim, "POST", f"/users/{blocked.username}/block")
    call(api, victim, "POST", f"/users/{bob.username}/mute")  # mutes both ways
    call(api, alice, "POST", f"/users/{victim.username}/mute")
    call(api, victim, "POST", f"/users/{private.username}/restrict")  # both ways too
    call(api, private, "POST", f"/users/{victim.username}/restrict")
    call(api, victim, "PUT", "/me/hidden-words", {"words": [victim.username]})
    # Its phone (an SNS endpoint) and its push preferences.
    phone_token = f"{time.time_ns():064x}"
    call(api, victim, "POST", "/me/devices", {"platform": "apns", "token": phone_token}, 201)
    call(api, victim, "PATCH", "/me/notifications", {"like": False})
    assert phone_endpoints(local_cloud, phone_token, victim.user_id)

    # Stories: the victim's (in bob's tray, seen by him: alice muted it) and alice's (seen by
    # the victim);
    # close friends both ways.
    call(api, victim, "PUT", f"/me/close-friends/{alice.username}")
    call(api, alice, "PUT", f"/me/close-friends/{victim.username}")
    stories = {}
    for author in (victim, alice):
        made = call(
            api, author, "POST", "/uploads", {"content_type": "image/jpeg", "size": len(photo)}, 201
        )
        sent = requests.post(
            made["url"],
            data=made["fields"],
            files={"file": ("s.jpg", photo, "image/jpeg")},
            timeout=30,
        )
        assert sent.status_code in (200, 201, 204)
        stories[author.user_id] = call(
            api,
            author,
            "POST",
            "/stories",
            {"upload_id": made["upload_id"], "text": f"hi @{bob.username}"},
            201,
        )["story_id"]
    eventually(
        lambda: (
            [i["author"]["user_id"] for i in call(api, bob, "GET", "/stories")["items"]]
            == [victim.user_id]
        ),
        "the victim's story in bob's tray",
    )
    call(api, bob, "POST", f"/stories/{stories[victim.user_id]}/seen")
    eventually(
        lambda: call(api, victim, "GET", "/stories")["items"], "alice's story in the victim's tray"
    )
    call(api, victim, "POST", f"/stories/{stories[alice.user_id]}/seen")
    call(api, victim, "POST", "/me/highlights", {"story_id": stories[victim.user_id]}, 201)
    eventually(  # the victim's story mentions bob: an activity item the victim caused
        lambda: any(
            (i["kind"], i["actor"]["user_id"]) == ("mention", victim.user_id)
            for i in call(api, bob, "GET", "/activity")["items"]
        ),
        "bob's mention",
    )

    # Posts: two of the victim's, one of alice's that mentions it.
    mine = publish(victim, f"{word} #{tag} with @{alice.username}", place=place)
    second = publish(victim, f"{word} second")
    alices = publish(alice, f"sunny with @{victim.username}!")
    # People tags both ways: alice tags the victim on her post, the victim tags alice.
    for author, post_id, tagged in ((alice, alices, victim), (victim, mine, alice)):
        tags = [{"username": tagged.username, "x": 0.5, "y": 0.5}]
        call(api, author, "PATCH", f"/posts/{post_id}", {"media": [{"tags": tags}]})
    # Likes, comments (bob's mentions the victim) and saves, both ways.
    call(api, victim, "POST", f"/posts/{alices}/like")
    call(api, alice, "POST", f"/posts/{mine}/like")
    call(api, bob, "POST", f"/posts/{mine}/like")
    call(api, bob, "POST", f"/posts/{alices}/like")
    call(api, victim, "POST", f"/posts/{alices}/comments", {"text": f"nice @{alice.username}"}, 201)
    call(api, alice, "POST", f"/posts/{mine}/comments", {"text": "thanks"}, 201)
    call(api, bob, "POST", f"/posts/{alices}/comments", {"text": f"@{victim.username} look"}, 201)
    call(api, victim, "POST", f"/posts/{alices}/save")
    call(api, alice, "POST", f"/posts/{mine}/save")

    # Messages: a 1:1 and a group, alice with unread messages of the victim's in both; and
    # alice sharing the victim's post with bob.
    direct = call(api, victim, "POST", "/conversations", {"usernames": [alice.username]}, 201)
    group = call(
        api,
        victim,
        "POST",
        "/conversations",
        {"usernames": [alice.username, bob.username], "name": "trip"},
        201,
    )
    for conversation, sender, text in (
        (direct, alice, "hello"),
        (direct, victim, f"secret {word}"),
        (group, victim, f"group {word}"),
        (group, bob, "from bob"),
        (group, victim, "last word"),
    ):
        path = f"/conversations/{conversation['conversation_id']}/messages"
        call(api, sender, "POST", path, {"text": text, "client_id": f"c-{text}"}, 201)
    alice_bob = call(api, alice, "POST", "/conversations", {"usernames": [bob.username]}, 201)
    shared = f"/conversations/{alice_bob['conversation_id']}/messages"
    call(api, alice, "POST", shared, {"post_id": mine}, 201)

    # Reports both ways: the victim reports alice's post (the case stays, without it), bob
    # reports the victim's post (the case goes with the account).
    for who, post_id in ((victim, alices), (bob, mine)):
        body = {"target_type": "post", "target_id": post_id, "reason": "spam", "note": word}
        call(api, who, "POST", "/reports", body, 202)

    # Searches: the victim's own, and others' that opened the victim or its post.
    call(
        api,
        victim,
        "POST",
        "/search/recent",
        {"query": alice.username, "type": "user", "id": alice.user_id},
        201,
    )
    call(
        api,
        alice,
        "POST",
        "/search/recent",
        {"query": victim.username, "type": "user", "id": victim.user_id},
        201,
    )
    call(api, bob, "POST", "/search/recent", {"query": word, "type": "post", "id": mine}, 201)

    # A spare upload (its photo in the uploads bucket, no post) and an export.
    slot = call(
        api, victim, "POST", "/uploads", {"content_type": "image/jpeg", "size": len(photo)}, 201
    )
    sent = requests.post(
        slot["url"], data=slot["fields"], files={"file": ("p.jpg", photo, "image/jpeg")}, timeout=30
    )
    assert sent.status_code in (200, 201, 204)
    call(api, victim, "POST", "/me/export", ok=202)
    eventually(
        lambda: call(api, victim, "GET", "/me/export")["status"] == "ready",
        "the export",
        timeout=60,
    )

    # The explore lists: the recommender job, once the signals are in.
    eventually(lambda: interactions_count(local_cloud) > 0, "interactions")
    time.sleep(1)
    run_job(local_cloud)
    lists = local_cloud.client("dynamodb").get_item(
        TableName=f"{STAGE_PREFIX}recommendations",
        Key={"user_id": {"S": victim.user_id}, "kind": {"S": "explore"}},
    )
    assert "Item" in lists  # it has an explore list to lose

    # Wait for the activity the world caused, so there is something to take down.
    def activity_of(who: Account) -> list[dict]:
        return call(api, who, "GET", "/activity?limit=100")["items"]

    eventually(
        lambda: {"like", "comment", "follow", "tag"} <= {i["kind"] for i in activity_of(alice)},
        "alice's activity",
    )
    eventually(lambda: len(activity_of(private)) == 1, "the follow request's activity")
    eventually(
        lambda: (
            [
                p["post_id"]
                for p in call(api, bob, "GET", f"/users/{victim.username}/tagged")["items"]
            ]
            == [alices]
        ),
        "the victim's tagged list",
    )

    before = {
        "alice": profile(api, bob, alice),
        "bob": profile(api, alice, bob),
        "alices_post": call(api, alice, "GET", f"/posts/{alices}"),
    }
    inbox_before = {
        c["conversation_id"]: c["unread"]
        for c in call(api, alice, "GET", "/conversations?limit=100")["items"]
    }
    assert inbox_before[direct["conversation_id"]] == 1
    assert inbox_before[group["conversation_id"]] == 3
    built = time.monotonic()

    # -- the deletion --------------------------------------------------------------------
    wrong = api.call("DELETE", "/me", {"password": PASSWORD + "?"}, token=victim.access_token)
    assert wrong.status_code == 401 and error_code(wrong) == "invalid_credentials"
    missing = api.call("DELETE", "/me", {}, token=victim.access_token)
    assert missing.status_code == 400

    async def delete_with_a_device_online() -> tuple[requests.Response, dict]:
        socket = await websockets.connect(f"{local_cloud.ws_url}?token={victim.access_token}")
        # Where it is now (its device online too): the sweep below must find all of it gone.
        everywhere = await asyncio.to_thread(
            traces,
            local_cloud,
            {victim.user_id, victim.username, victim.email, mine, second},
            victim.user_id,
        )
        answer = await asyncio.to_thread(
            api.call, "DELETE", "/me", {"password": PASSWORD}, victim.access_token
        )
        assert json.loads(await asyncio.wait_for(socket.recv(), timeout=10)) == {
            "type": "session.revoked"
        }
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(socket.recv(), timeout=10)
        return answer, everywhere

    answer, everywhere = asyncio.run(delete_with_a_device_online())
    for place_ in (
        "users",
        "unique-keys",
        "sessions",
        "follows",
        "follow-requests",
        "blocks",
        "mutes",
        "restricts",
        "hidden-words",
        "devices",
        "notifications",
        "posts",
        "likes",
        "comments",
        "saves",
        "post-tags",
        "uploads",
        "feeds",
        "activity",
        "conversations",
        "inbox",
        "messages",
        "recent-searches",
        "interactions",
        "recommendations",
        "hashtags",
        "places",
        "presence",
        "rate-limits",
        "account-tokens",
        "reports",
        "stories",
        "story-trays",
        "story-views",
        "close-friends",
        "highlights",
    ):
        assert f"table {place_}" in everywhere, place_
    assert any(where.startswith("bucket") for where in everywhere)
    assert "search docs" in everywhere
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"status": "deleting"}
    requested = time.monotonic()
    # From that moment it can do nothing and shows nowhere.
    assert api.call("GET", "/me", token=victim.access_token).status_code == 401
    refresh = api.call("POST", "/auth/refresh", {"refresh_token": victim.refresh_token})
    assert refresh.status_code == 401
    login = api.call("POST", "/auth/login", {"login": victim.username, "password": PASSWORD})
    assert login.status_code == 401, login.text
    gone = api.call("GET", f"/users/{victim.username}", token=alice.access_token)
    assert gone.status_code == 404 and error_code(gone) == "user_not_found"
    assert api.call("GET", f"/posts/{mine}", token=alice.access_token).status_code == 404

    eventually(lambda: user_item(local_cloud, victim.user_id) is None, "the job", timeout=120)
    job_done = time.monotonic()
    needles = {victim.user_id, victim.username, victim.email, mine, second}
    # Streams finish what the job started (feeds, listings, activity): wait until clean.
    left: dict[str, list[str]] = {}

    def clean() -> bool:
        nonlocal left
        left = traces(local_cloud, needles, victim.user_id)
        return not left

    deadline = time.monotonic() + 60
    while not clean() and time.monotonic() < deadline:
        time.sleep(1)
    assert not left, f"still there: {json.dumps(left, indent=1)[:4000]}"
    # Nothing reaches its phone any more: the endpoint is gone from SNS too.
    assert phone_endpoints(local_cloud, phone_token, victim.user_id) == []
    swept = time.monotonic()

    # The search API knows nothing of it either (the engine was checked above).
    for query in (f"type=users&q={victim.username}", f"type=posts&q={word}", f"type=tags&q={tag}"):
        assert call(api, bob, "GET", f"/search?{query}")["items"] == [], query
    assert call(api, bob, "GET", f"/tags/{tag}/posts")["post_count"] == 0

    # Other people's counts are right.
    alice_now, bob_now = profile(api, bob, alice), profile(api, alice, bob)
    assert alice_now["followers_count"] == before["alice"]["followers_count"] - 1
    assert alice_now["following_count"] == before["alice"]["following_count"] - 1
    assert bob_now["following_count"] == before["bob"]["following_count"] - 1
    post_now = call(api, alice, "GET", f"/posts/{alices}")
    assert post_now["likes_count"] == before["alices_post"]["likes_count"] - 1 == 1
    assert post_now["comments_count"] == before["alices_post"]["comments_count"] - 1 == 1
    assert post_now["caption"] == "sunny with @[deleted]!"
    assert post_now["images"][0]["tags"] == []  # its tag on alice's post went
    assert post_now["mentions"] == []
    inbox_now = {
        c["conversation_id"]: c
        for c in call(api, alice, "GET", "/conversations?limit=100")["items"]
    }
    assert inbox_now[direct["conversation_id"]]["unread"] == 0  # its one unread message went
    assert inbox_now[group["conversation_id"]]["unread"] == 1  # bob's is left
    assert inbox_now[group["conversation_id"]]["last_message"]["preview"] == "from bob"
    members = {m["user_id"] for m in inbox_now[group["conversation_id"]]["members"]}
    assert members == {alice.user_id, bob.user_id}
    history = call(api, alice, "GET", f"/conversations/{direct['conversation_id']}/messages")
    assert [m["text"] for m in history["items"]] == ["hello"]
    refused = api.call(
        "POST",
        f"/conversations/{direct['conversation_id']}/messages",
        {"text": "anyone?"},
        token=alice.access_token,
    )
    assert refused.status_code == 403 and error_code(refused) == "cannot_message"
    kinds = [
        (i["kind"], i["actor"]["user_id"])
        for i in call(api, alice, "GET", "/activity?limit=100")["items"]
    ]
    assert all(actor != victim.user_id for _, actor in kinds), kinds
    assert ("like", bob.user_id) in kinds  # the grouped like item now names bob alone
    assert call(api, private, "GET", "/activity")["items"] == []
    feed = call(api, alice, "GET", "/feed?limit=100")["items"]
    assert [item["post_id"] for item in feed] == [alices]

    # The username and the email are free again.
    again = api.call(
        "POST",
        "/auth/register",
        {"username": victim.username, "email": victim.email, "password": PASSWORD},
    )
    assert again.status_code == 201, again.text
    newcomer = again.json()["user"]["user_id"]
    assert newcomer != victim.user_id
    for claim in (f"username#{victim.username}", f"email#{victim.email}"):
        owner = local_cloud.client("dynamodb").get_item(
            TableName=f"{STAGE_PREFIX}unique-keys", Key={"key": {"S": claim}}, ConsistentRead=True
        )
        assert owner["Item"]["user_id"]["S"] == newcomer, claim  # claimed by the newcomer
    needles -= {victim.username, victim.email}  # they are the new account's now

    # A second delivery of the job (as after a crash) finds nothing left to do.
    sqs = local_cloud.client("sqs")
    url = sqs.get_queue_url(QueueName="glimpse-local-account-jobs")["QueueUrl"]
    sqs.send_message(
        QueueUrl=url, MessageBody=json.dumps({"kind": "delete", "user_id": victim.user_id})
    )
    time.sleep(2)
    eventually(lambda: queue_drained(local_cloud), "the redelivered job", timeout=60)
    tombstones: dict[str, int] = {}
    assert traces(local_cloud, needles, victim.user_id, tombstones) == {}
    assert profile(api, bob, alice)["followers_count"] == alice_now["followers_count"]
    assert call(api, alice, "GET", f"/posts/{alices}")["likes_count"] == 1

    print(  # noqa: T201 - the figures the README quotes
        f"\nbefore: {sum(map(len, everywhere.values()))} items and objects naming it, in "
        f"{len(everywhere)} places: "
        + ", ".join(f"{where} {len(found)}" for where, found in sorted(everywhere.items()))
        + f"\nafter: nothing but the tombstones {tombstones}"
        + f"\nbuilt in {built - started:.1f} s; job done {job_done - requested:.1f} s after "
        f"the request; clean {swept - requested:.1f} s after it"
    )
