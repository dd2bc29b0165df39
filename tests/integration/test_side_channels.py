"""The sweep: nothing hidden leaks through any read of the API or any websocket frame.

Unique markers (``mk`` + hex) are planted where the redesign says they must stay hidden:

- the private owner's new post (its caption, hashtag, place name and coordinates), the
  owner's comment on it, a DM to its follower and a message in a group, with the caption and
  the comment mentioning the stranger (``@stranger``: a mention of someone who may not see
  the post must give them nothing);
- the blocker's post (caption, hashtag, place), comment and a DM: hidden from the two owners
  the blocker blocked;
- a group made by a third user (the follower) holding a blocked pair (the private owner and
  the account it blocked), where each side sends a marker message, types and (one side)
  reads: neither may see the other's messages, typing, read receipts or membership.

The observers then try to learn them: each one dwells on the posts it may not see
(``POST /events``) and records them as opened search results (``POST /search/recent``), the
recommender job runs (so explore and suggestions exist, with their reasons), and every GET
operation of docs/openapi.yaml is called, generated from the document: path parameters
filled with the hidden owner's username, post, tag, place and conversation ids and the
observer's own, query parameters with every value of their enums and ``q`` with every
marker. No response body and no websocket frame received during the planting may hold a
marker, a hidden post id, a hidden place's id or coordinates, or (for someone blocked) the
blocker's account.

Swept: 6 observers (stranger, requester, blocked, blocker, and the private and public owners
as observers of the blocker and of the blocked side of the group) × the 22 GET operations,
which the document's parameters expand to 66-93 requests per observer (462 in all when
written), plus one websocket per observer (every frame received while planting). Targeted
tests pin down what a string search cannot see (group members, unread counts, a mention's
activity, what /events and /search/recent record, shared-post previews). 40-55 s on 2
cores, the recommender job ~10 s of it.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
import yaml
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.conftest import RunningCloud
from tests.integration.conftest import Account, eventually
from tests.integration.test_recommender_http import run_job
from tests.integration.world import QuickApi, World, build_world, token

pytestmark = pytest.mark.integration

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        found: Any = SPEC
        for part in node["$ref"].lstrip("#/").split("/"):
            found = found[part]
        node = found
    return node


def get_operations() -> list[tuple[str, list[dict]]]:
    """Every GET of the document, with its parameters (the path's and the operation's)."""
    found = []
    for path, item in SPEC["paths"].items():
        if "get" in item:
            params = [
                _resolve(p) for p in item.get("parameters", []) + item["get"].get("parameters", [])
            ]
            found.append((path, params))
    return found


# -- listening ----------------------------------------------------------------------------------


class Listener(threading.Thread):
    """One device of an observer: every frame the socket receives, kept as text."""

    def __init__(self, cloud: RunningCloud, account: Account) -> None:
        super().__init__(daemon=True)
        self.socket: ClientConnection = connect(
            f"{cloud.ws_url}?token={account.access_token}", proxy=None, legacy=True
        )
        self.frames: list[str] = []
        self.stopping = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                frame = self.socket.recv(timeout=0.2)
            except TimeoutError:
                continue
            except ConnectionClosed:
                return
            self.frames.append(frame if isinstance(frame, str) else frame.decode())

    def send(self, frame: dict) -> None:
        self.socket.send(json.dumps(frame))

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        self.socket.close()

    def events(self) -> list[dict]:
        return [json.loads(frame) for frame in self.frames]


# -- the scene -----------------------------------------------------------------------------------


@dataclass
class Observer:
    name: str
    account: Account
    forbidden: dict[str, str]  # what → the string that must not appear
    usernames: list[str]
    post_ids: list[str]
    tags: list[str]
    place_ids: list[str]
    conversation_ids: list[str]
    queries: list[str]  # values of q
    listener: Listener | None = None
    report_ids: list[str] = field(default_factory=list)  # no observer is a moderator
    story_ids: list[str] = field(default_factory=list)  # stories of others (not theirs)


@dataclass
class Scene:
    api: QuickApi
    world: World
    cloud: RunningCloud
    marks: dict[str, str]
    posts: dict[str, str]  # "private" → the private owner's marker post, "blocker" → theirs
    places: dict[str, dict[str, Any]]  # same keys: {place_id, name, lat, lng}
    group_id: str = ""
    blocker_dm_id: str = ""  # the blocker's 1:1 with the follower
    share_id: str = ""  # the follower's 1:1 with the requester, where a post is shared
    report_id: str = ""  # the follower's report of the blocker's post
    report_note: str = ""  # its note: for moderators' eyes only
    story_id: str = ""  # the private owner's story (its viewers are the owner's only)
    observers: dict[str, Observer] = field(default_factory=dict)
    answers: dict[tuple[str, str], requests.Response] = field(default_factory=dict)
    unread: dict[str, tuple[int | None, int]] = field(default_factory=dict)  # (found, wanted)
    group_created: dict = field(default_factory=dict)


def _coordinate(low: int) -> float:
    """A latitude or longitude no other number of a response is likely to contain."""
    return float(f"{low + secrets.randbelow(20)}.{secrets.randbelow(9 * 10**6) + 10**6}")


@pytest.fixture(scope="module")
def scene(local_cloud: RunningCloud, publish: Callable[..., str]) -> Scene:
    api = QuickApi(local_cloud.api_url)
    world = build_world(api, publish, doomed=False)
    pub, priv = world.public.account, world.private.account
    follower, requester, stranger = world.follower, world.requester, world.stranger
    blocked, blocker = world.blocked, world.blocker

    def call(who: Account, method: str, path: str, body: Any = None) -> requests.Response:
        return api.call(method, path, body, token=who.access_token)

    def ok(who: Account, method: str, path: str, body: Any = None) -> dict:
        answer = call(who, method, path, body)
        assert answer.status_code < 300, f"{method} {path}: {answer.text[:300]}"
        return answer.json() if answer.content else {}

    # Everyone follows the follower: suggestions then have friends of friends to offer (the
    # follower follows both owners), and must leave out the accounts across a block.
    for who in (requester, stranger, blocked, blocker):
        ok(who, "POST", f"/users/{follower.username}/follow")

    names = (
        "private_caption",
        "private_comment",
        "private_place",
        "private_tag",
        "private_dm",
        "private_group",
        "blocker_caption",
        "blocker_comment",
        "blocker_place",
        "blocker_tag",
        "blocker_dm",
        "blocked_group",
    )
    marks = {name: token("mk") for name in names}
    places = {
        "private": {
            "name": f"Cafe {marks['private_place']}",
            "lat": _coordinate(40),
            "lng": _coordinate(100),
        },
        "blocker": {
            "name": f"Bar {marks['blocker_place']}",
            "lat": _coordinate(20),
            "lng": _coordinate(60),
        },
    }
    s = Scene(api, world, local_cloud, marks, {}, places)

    listeners = {
        name: Listener(local_cloud, account)
        for name, account in (
            ("stranger", stranger),
            ("requester", requester),
            ("blocked", blocked),
            ("blocker", blocker),
            ("private owner", priv),
            ("public owner", pub),
        )
    }
    try:
        _plant(s, publish, call, ok, listeners)
        _wait_for_streams(s, ok)
        time.sleep(1)  # the last pushes
    finally:
        for listener in listeners.values():
            listener.stop()
    run_job(local_cloud)
    _observers(s, listeners, ok)
    return s


def _plant(
    s: Scene,
    publish: Callable[..., str],
    call: Callable,
    ok: Callable,
    listeners: dict[str, Listener],
) -> None:
    w, m = s.world, s.marks
    pub, priv = w.public.account, w.private.account
    follower, requester, stranger = w.follower, w.requester, w.stranger
    blocked, blocker = w.blocked, w.blocker
    with ThreadPoolExecutor(max_workers=2) as pool:
        private_post = pool.submit(
            publish,
            priv,
            f"{m['private_caption']} for @{stranger.username} and "
            f"@{follower.username} #{m['private_tag']}",
            s.places["private"],
        )
        blocker_post = pool.submit(
            publish, blocker, f"{m['blocker_caption']} #{m['blocker_tag']}", s.places["blocker"]
        )
        s.posts = {"private": private_post.result(), "blocker": blocker_post.result()}
    for key, post_id in s.posts.items():
        s.places[key]["place_id"] = ok(
            priv if key == "private" else blocker, "GET", f"/posts/{post_id}"
        )["place"]["place_id"]
    ok(
        priv,
        "POST",
        f"/posts/{s.posts['private']}/comments",
        {"text": f"{m['private_comment']} @{stranger.username} @{follower.username}"},
    )
    ok(blocker, "POST", f"/posts/{s.posts['blocker']}/comments", {"text": m["blocker_comment"]})
    # The follower engages with what it sees: the recommender links the hidden posts to
    # others (a reason "liked by people who liked <caption>" could then quote them).
    for post_id in (s.posts["private"], s.posts["blocker"], w.public.post_id):
        ok(follower, "POST", f"/posts/{post_id}/like")
    # A report, with a note nobody but a moderator may read.
    s.report_note = "mk" + secrets.token_hex(6)
    s.report_id = ok(
        follower,
        "POST",
        "/reports",
        {
            "target_type": "post",
            "target_id": s.posts["blocker"],
            "reason": "spam",
            "note": s.report_note,
        },
    )["report_id"]

    # A story of the private owner's: who saw it is for the owner's eyes only.
    slot = ok(priv, "POST", "/uploads", {"content_type": "image/jpeg", "size": 1000})
    s.story_id = ok(priv, "POST", "/stories", {"upload_id": slot["upload_id"]})["story_id"]

    # DMs: the private owner and the blocker each write to the follower.
    ok(
        priv,
        "POST",
        f"/conversations/{w.private.conversation_id}/messages",
        {"text": m["private_dm"]},
    )
    s.blocker_dm_id = ok(blocker, "POST", "/conversations", {"usernames": [follower.username]})[
        "conversation_id"
    ]
    ok(blocker, "POST", f"/conversations/{s.blocker_dm_id}/messages", {"text": m["blocker_dm"]})
    # A group of the follower's with a blocked pair: the private owner blocked `blocked`.
    created = call(
        follower,
        "POST",
        "/conversations",
        {"usernames": [priv.username, blocked.username], "name": "weekend"},
    )
    s.group_created = {"status": created.status_code, "body": created.json()}
    assert created.status_code == 201, created.text
    s.group_id = created.json()["conversation_id"]
    # Each side's unread count is read right after the other side wrote (a member's own
    # message sets their count to 0): what the other side sent must not count.
    ok(priv, "POST", f"/conversations/{s.group_id}/messages", {"text": m["private_group"]})
    ok(follower, "POST", f"/conversations/{s.group_id}/messages", {"text": "hello group"})
    ok(blocked, "POST", f"/conversations/{s.group_id}/messages", {"text": m["blocked_group"]})
    listeners["blocked"].send({"action": "typing", "conversation_id": s.group_id})
    ok(blocked, "POST", f"/conversations/{s.group_id}/read")
    s.unread["private owner"] = _unread(call, priv, s.group_id), 1  # the follower's only
    ok(
        priv,
        "POST",
        f"/conversations/{s.group_id}/messages",
        {"text": f"{m['private_group']} again"},
    )
    listeners["private owner"].send({"action": "typing", "conversation_id": s.group_id})
    s.unread["blocked"] = _unread(call, blocked, s.group_id), 0  # read before; nothing since
    # A post the requester may not see, shared with them by the follower.
    s.share_id = ok(follower, "POST", "/conversations", {"usernames": [requester.username]})[
        "conversation_id"
    ]
    ok(follower, "POST", f"/conversations/{s.share_id}/messages", {"post_id": w.private.post_id})

    # The observers try: a long look at what they may not see, and a search "opening" it.
    for who, post_key, account_id in (
        (stranger, "private", None),
        (requester, "private", None),
        (blocked, "private", priv.user_id),
        (blocker, "private", None),
        (priv, "blocker", blocker.user_id),
        (pub, "blocker", blocker.user_id),
    ):
        post_id = s.posts[post_key]
        s.answers[(who.user_id, "events")] = call(
            who,
            "POST",
            "/events",
            {
                "events": [
                    {"kind": "dwell", "post_id": post_id, "dwell_ms": 30_000},
                    {"kind": "view", "post_id": post_id},
                ]
            },
        )
        s.answers[(who.user_id, "recent post")] = call(
            who, "POST", "/search/recent", {"query": "holiday", "type": "post", "id": post_id}
        )
        if account_id:
            s.answers[(who.user_id, "recent user")] = call(
                who,
                "POST",
                "/search/recent",
                {"query": "friends", "type": "user", "id": account_id},
            )


def _unread(call: Callable, who: Account, conversation_id: str) -> int | None:
    """A member's unread count of a conversation, from whichever folder holds it."""
    for folder in ("active", "request"):
        page = call(who, "GET", f"/conversations?limit=100&folder={folder}").json()
        for conversation in page.get("items", []):
            if conversation["conversation_id"] == conversation_id:
                return conversation["unread"]
    return None


def _wait_for_streams(s: Scene, ok: Callable) -> None:
    """Positive controls: what those allowed to see get, so the absence elsewhere means
    something (mentions, the index, the recommender's signals)."""
    w, m = s.world, s.marks

    def mentions() -> int:
        items = ok(w.follower, "GET", "/activity?limit=100")["items"]
        return sum(
            1
            for i in items
            if i["kind"] == "mention" and i["actor"]["user_id"] == w.private.user_id
        )

    eventually(lambda: mentions() >= 2, "the follower's two mentions (caption and comment)")

    def found(who: Account, q: str, kind: str) -> bool:
        items = ok(who, "GET", f"/search?type={kind}&q={quote(q)}")["items"]
        return bool(items)

    eventually(
        lambda: found(w.follower, m["private_caption"], "posts"),
        "the private post in the follower's search",
    )
    eventually(lambda: found(w.blocker, m["blocker_tag"], "tags"), "the blocker's hashtag")
    eventually(
        lambda: found(w.blocker, f"bar {m['blocker_place']}", "places"), "the blocker's place"
    )
    interactions = s.cloud.client("dynamodb")

    def liked_recorded() -> bool:
        stored = interactions.query(
            TableName="glimpse-local-interactions",
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues={":u": {"S": w.follower.user_id}},
        )["Items"]
        return {s.posts["private"], s.posts["blocker"]} <= {
            i["item_id"]["S"] for i in stored if i["kind"]["S"] == "like"
        }

    eventually(liked_recorded, "the follower's likes as recommender signals")


def _observers(s: Scene, listeners: dict[str, Listener], ok: Callable) -> None:
    w, m = s.world, s.marks
    pub, priv = w.public, w.private

    def private_side() -> dict[str, str]:
        """What of the private owner is hidden from non-followers and the blocked pair."""
        place = s.places["private"]
        return {
            **{k: v for k, v in m.items() if k.startswith("private_")},
            "the private marker post's id": s.posts["private"],
            "the private place's id": place["place_id"],
            "the private place's latitude": repr(place["lat"]),
            "the private place's longitude": repr(place["lng"]),
            "the private world post's id": priv.post_id,
            "the private world post's word": priv.word,
            "the private world post's hashtag": priv.tag,
            "the private world place's id": priv.place_id,
        }

    def blocker_side() -> dict[str, str]:
        place = s.places["blocker"]
        return {
            **{k: v for k, v in m.items() if k.startswith("blocker_")},
            "the blocker's post id": s.posts["blocker"],
            "the blocker's place id": place["place_id"],
            "the blocker's latitude": repr(place["lat"]),
            "the blocker's longitude": repr(place["lng"]),
            "the blocker's user id": w.blocker.user_id,
            "the blocker's username": w.blocker.username,
        }

    def own_conversations(who: Account) -> list[str]:
        ids = []
        for folder in ("active", "request"):
            page = ok(who, "GET", f"/conversations?limit=100&folder={folder}")
            ids += [c["conversation_id"] for c in page["items"]]
        return ids

    private_queries = [
        m["private_caption"],
        m["private_comment"],
        m["private_tag"],
        f"#{m['private_tag']}",
        m["private_place"],
        priv.word,
        priv.tag,
        priv.username,
    ]
    blocker_queries = [
        m["blocker_caption"],
        m["blocker_comment"],
        m["blocker_tag"],
        f"#{m['blocker_tag']}",
        m["blocker_place"],
        w.blocker.username,
        f"@{w.blocker.username}",
    ]

    def of_private(name: str, account: Account, **extra: Any) -> Observer:
        forbidden = {**private_side(), **extra.pop("forbidden", {})}
        for allowed in extra.pop("allowed", ()):
            forbidden.pop(allowed)
        return Observer(
            name,
            account,
            forbidden,
            usernames=[priv.username, account.username] + extra.pop("usernames", []),
            post_ids=[s.posts["private"], priv.post_id] + extra.pop("post_ids", []),
            tags=[m["private_tag"], priv.tag],
            place_ids=[s.places["private"]["place_id"], priv.place_id],
            conversation_ids=[priv.conversation_id, s.group_id] + own_conversations(account),
            queries=private_queries + extra.pop("queries", []),
        )

    def of_blocker(name: str, account: Account, **extra: Any) -> Observer:
        return Observer(
            name,
            account,
            {**blocker_side(), **extra.pop("forbidden", {})},
            usernames=[w.blocker.username, account.username],
            post_ids=[s.posts["blocker"]],
            tags=[m["blocker_tag"]],
            place_ids=[s.places["blocker"]["place_id"]],
            conversation_ids=[s.blocker_dm_id, s.group_id] + own_conversations(account),
            queries=blocker_queries + extra.pop("queries", []),
        )

    observers = [
        of_private("stranger", w.stranger),
        # The follower shared the private world post with the requester: its id (only) is
        # theirs to see, as {post_id, available: false}.
        of_private("requester", w.requester, allowed=["the private world post's id"]),
        # Blocked by both owners: neither exists for them.
        of_private(
            "blocked",
            w.blocked,
            usernames=[pub.username],
            post_ids=[pub.post_id],
            queries=[pub.username, f"@{priv.username}"],
            forbidden={
                "the private owner's user id": priv.user_id,
                "the private owner's username": priv.username,
                "the public owner's user id": pub.user_id,
                "the public owner's username": pub.username,
                "the public world post's id": pub.post_id,
            },
        ),
        # The blocker still sees the profiles of those it blocked, nothing else of theirs.
        of_private(
            "blocker",
            w.blocker,
            usernames=[pub.username],
            post_ids=[pub.post_id],
            forbidden={"the public world post's id": pub.post_id},
        ),
        # The private owner blocked `blocked`: their group message stays theirs.
        of_blocker(
            "private owner",
            priv.account,
            forbidden={"the blocked side's group message": m["blocked_group"]},
        ),
        of_blocker("public owner", pub.account),
    ]
    for observer in observers:
        observer.listener = listeners[observer.name]
        observer.report_ids = [s.report_id]
        observer.story_ids = [s.story_id] if observer.account is not priv.account else []
        observer.forbidden["the report's note"] = s.report_note
        s.observers[observer.name] = observer


# -- the sweep ----------------------------------------------------------------------------------


def requests_of(observer: Observer) -> list[str]:
    """Every GET of the document, for this observer: each path parameter from the world,
    each enumerated query value, q from the markers; lists at their largest page."""
    fill = {
        "username": observer.usernames,
        "post_id": observer.post_ids,
        "tag": observer.tags,
        "place_id": observer.place_ids,
        "conversation_id": observer.conversation_ids,
        "report_id": observer.report_ids,
        "story_id": observer.story_ids,
    }
    made = []
    for path, params in get_operations():
        in_path = [p["name"] for p in params if p["in"] == "path"]
        unknown = set(in_path) - set(fill)
        assert not unknown, f"GET {path}: no world values for {unknown}; add them to the sweep"
        queries: list[list[tuple[str, str]]] = []
        for param in (p for p in params if p["in"] == "query"):
            schema = param.get("schema", {})
            if param["name"] == "q":
                queries.append([("q", q) for q in observer.queries])
            elif "enum" in schema:
                queries.append([(param["name"], value) for value in schema["enum"]])
            elif param["name"] == "limit":
                queries.append([("limit", str(schema.get("maximum", 100)))])
            elif param.get("required"):
                raise AssertionError(f"GET {path}: no sweep values for {param['name']}")
        for values in itertools.product(*[fill[name] for name in in_path]):
            concrete = path
            for name, value in zip(in_path, values, strict=True):
                concrete = concrete.replace("{" + name + "}", quote(value, safe=""))
            for query in itertools.product(*queries):
                suffix = "&".join(f"{k}={quote(v, safe='')}" for k, v in query)
                made.append(concrete + (f"?{suffix}" if suffix else ""))
    return list(dict.fromkeys(made))


def _echo_removed(path: str, body: str) -> str:
    """What a response only repeats from its own request: a hashtag page names the tag
    asked for (whether or not it exists)."""
    if path.startswith("/tags/"):
        try:
            page = json.loads(body)
        except ValueError:
            return body
        page.pop("tag", None)
        return json.dumps(page)
    return body


def leaks(observer: Observer, text: str) -> list[str]:
    return [what for what, secret in observer.forbidden.items() if secret and secret in text]


OBSERVERS = ("stranger", "requester", "blocked", "blocker", "private owner", "public owner")


@pytest.mark.parametrize("name", OBSERVERS)
def test_no_get_of_the_api_leaks_to(scene: Scene, name: str) -> None:
    observer = scene.observers[name]
    found, errors = [], []
    for path in requests_of(observer):
        answer = scene.api.call("GET", path, token=observer.account.access_token)
        if answer.status_code >= 500:
            errors.append(f"GET {path}: {answer.status_code} {answer.text[:200]}")
        leaked = leaks(observer, _echo_removed(path.split("?")[0], answer.text))
        if leaked:
            found.append(
                f"GET {path} → {answer.status_code}: {', '.join(leaked)}\n      {answer.text[:600]}"
            )
    assert not found and not errors, f"{name} learns what is hidden from them:\n  " + "\n  ".join(
        found + errors
    )


@pytest.mark.parametrize("name", OBSERVERS)
def test_no_websocket_frame_leaks_to(scene: Scene, name: str) -> None:
    observer = scene.observers[name]
    assert observer.listener is not None
    found = [
        f"{', '.join(leaked)}: {frame[:500]}"
        for frame in observer.listener.frames
        if (leaked := leaks(observer, frame))
    ]
    assert not found, f"{name}'s websocket received:\n  " + "\n  ".join(found)


# -- what a string search cannot see ------------------------------------------------------------


def test_a_group_hides_the_blocked_pair_from_each_other(scene: Scene) -> None:
    w, s = scene.world, scene
    sides = {
        "private owner": (w.private.account, w.blocked),
        "blocked": (w.blocked, w.private.account),
    }
    problems = []
    # The follower made the group: it learns nothing of the block and sees everyone.
    made = {m["user_id"] for m in s.group_created["body"]["members"]}
    if made != {w.follower.user_id, w.private.user_id, w.blocked.user_id}:
        problems.append(f"the creator sees members {made}")
    for name, (me, other) in sides.items():
        group = s.api.call("GET", f"/conversations/{s.group_id}", token=me.access_token).json()
        if other.user_id in {m["user_id"] for m in group.get("members", [])}:
            problems.append(f"{name} sees the other side among the members")
        last = group.get("last_message") or {}
        if last.get("sender_id") == other.user_id:
            problems.append(f"{name}'s last_message is the other side's: {last}")
        history = s.api.call(
            "GET", f"/conversations/{s.group_id}/messages?limit=100", token=me.access_token
        ).json()["items"]
        theirs = [m["text"] for m in history if m["sender_id"] == other.user_id]
        if theirs:
            problems.append(f"{name}'s history holds the other side's messages: {theirs}")
        events = s.observers[name].listener.events()
        pushed = [
            (e["type"], (e.get("message") or {}).get("text"))
            for e in events
            if e.get("conversation_id", (e.get("message") or {}).get("conversation_id"))
            == s.group_id
            and other.user_id in (e.get("user_id"), (e.get("message") or {}).get("sender_id"))
        ]
        if pushed:
            problems.append(f"{name} got the other side's pushes: {pushed}")
    for name, (found, wanted) in s.unread.items():
        if found != wanted:
            problems.append(
                f"{name}'s unread count was {found} right after the other side "
                f"wrote, expected {wanted} (their messages do not count)"
            )
    assert not problems, "\n".join(problems)


def test_a_mention_by_a_private_account_gives_a_non_follower_nothing(scene: Scene) -> None:
    w = scene.world
    items = scene.api.call("GET", "/activity?limit=100", token=w.stranger.access_token).json()[
        "items"
    ]
    from_private = [
        (i["kind"], i.get("post_id"), i["text"])
        for i in items
        if i["actor"]["user_id"] == w.private.user_id
    ]
    assert not from_private, f"the stranger's activity: {from_private}"
    pushed = [
        e for e in scene.observers["stranger"].listener.events() if e["type"] == "activity.new"
    ]
    assert not pushed, f"pushed to the stranger: {pushed}"


def test_views_and_searches_of_hidden_posts_are_refused_and_not_recorded(scene: Scene) -> None:
    s = scene
    problems = []
    table = s.cloud.client("dynamodb")
    for (user_id, what), answer in s.answers.items():
        who = next(name for name, o in s.observers.items() if o.account.user_id == user_id)
        if what == "events":
            if answer.status_code == 202 and answer.json().get("accepted") != 0:
                problems.append(f"{who}: POST /events accepted {answer.json()}")
            elif answer.status_code not in (202, 404):
                problems.append(f"{who}: POST /events answered {answer.status_code}")
        elif what == "recent post" and (answer.status_code, _code(answer)) != (
            404,
            "post_not_found",
        ):
            problems.append(
                f"{who}: POST /search/recent of a hidden post answered "
                f"{answer.status_code} {answer.text[:200]}"
            )
        elif what == "recent user" and (answer.status_code, _code(answer)) != (
            404,
            "user_not_found",
        ):
            problems.append(
                f"{who}: POST /search/recent of an account that blocked them "
                f"answered {answer.status_code} {answer.text[:200]}"
            )
    # The marker posts were made after the blocks: no signal about them is an old one.
    planted = {s.posts["private"], s.posts["blocker"]}
    for name, observer in s.observers.items():
        stored = table.query(
            TableName="glimpse-local-interactions",
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues={":u": {"S": observer.account.user_id}},
        )["Items"]
        hidden = planted & set(observer.forbidden.values())
        recorded = sorted({i["kind"]["S"] for i in stored if i["item_id"]["S"] in hidden})
        if recorded:
            problems.append(f"{name}: recorded as recommender signals: {recorded}")
    assert not problems, "\n".join(problems)


def test_a_shared_post_is_only_an_id_for_who_may_not_see_it(scene: Scene) -> None:
    w, s = scene.world, scene
    history = s.api.call(
        "GET", f"/conversations/{s.share_id}/messages", token=w.requester.access_token
    ).json()["items"]
    shared = [m["post"] for m in history if m.get("post")]
    assert shared == [{"post_id": w.private.post_id, "available": False}], shared
    pushed = [
        e["message"]["post"]
        for e in s.observers["requester"].listener.events()
        if e["type"] == "message.new" and e["message"].get("post")
    ]
    assert pushed == [{"post_id": w.private.post_id, "available": False}], pushed


def _code(response: requests.Response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
