"""A small social world built over HTTP, for the privacy tests (the authorization matrix and
the side-channel sweep).

Two owners, one public and one private, each with a ready post (a caption, a hashtag, a
place ``{name, lat, lng}``), the owner's own comment on it and a 1:1 conversation with their
follower; and, around each owner, six actors:

| actor     | towards the public owner                | towards the private owner           |
| --------- | --------------------------------------- | ----------------------------------- |
| self      | the owner                               | the owner                           |
| follower  | follows                                 | follows (request approved)          |
| requester | no relationship (following a public     | a pending follow request            |
|           | account is immediate: a stranger)       |                                     |
| stranger  | no relationship                         | no relationship                     |
| blocked   | the owner blocked them                  | the owner blocked them              |
| blocker   | they blocked the owner                  | they blocked the owner              |

Accounts are shared between the two owners where the two relationships do not interfere:
seven accounts in all (registration costs ~50 ms of scrypt, a photo post ~1 s, so posts are
published side by side).

Before the blocks, the blocked and the blocking accounts were tied to both owners, so that a
block has something to cut and something to hide: they followed the public owner and were
followed back; ``blocked`` was an approved follower of the private owner, ``blocker`` had a
pending request; both commented on the posts they could see, and liked them (``blocked``
last, so the owners' grouped like items name them; the follower likes the private post).
The builder waits for those activity items before blocking, so "existing items are hidden
once a block exists" is tested on items that exist.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.integration.conftest import Account, Api, eventually

PUBLIC, PRIVATE = "public", "private"
OWNERS = (PUBLIC, PRIVATE)
# Non-self actors first: a cell of the owner never runs before the others' cells of a route.
ACTORS = ("follower", "requester", "stranger", "blocked", "blocker", "self")


class QuickApi(Api):
    """The conftest client with a new connection per request, so that it is safe to use
    from several threads (a requests.Session is not)."""

    def send(
        self, method: str, url: str, data: bytes | None, headers: dict[str, str]
    ) -> requests.Response:
        with requests.Session() as session:
            return session.request(method, url, data=data, headers=headers, timeout=30)


def token(prefix: str = "mk") -> str:
    """A unique, searchable word (letters and digits only: one search token, one hashtag)."""
    return prefix + secrets.token_hex(5)


@dataclass
class Owner:
    kind: str  # PUBLIC or PRIVATE
    account: Account
    word: str  # unique to this owner: in the caption, the hashtag and the place's name
    caption: str
    tag: str
    place: dict[str, Any]  # {name, lat, lng} as sent
    post_id: str = ""
    place_id: str = ""
    doomed_id: str = ""  # a second ready post, for the one cell that deletes a post
    comment_id: str = ""  # the owner's own comment on post_id
    comment_text: str = ""
    conversation_id: str = ""  # the owner's 1:1 with the follower
    spare_upload_id: str = ""  # an upload slot of the owner no post uses

    @property
    def username(self) -> str:
        return self.account.username

    @property
    def user_id(self) -> str:
        return self.account.user_id


@dataclass
class World:
    public: Owner
    private: Owner
    follower: Account
    requester: Account
    stranger: Account
    blocked: Account
    blocker: Account
    # (blocker, blocked) user ids: every block of the world.
    blocks: set[tuple[str, str]] = field(default_factory=set)
    # (user id, post id) of the likes, saves and comments made while building (a test that
    # likes or saves undoes it only when it was not there before).
    likes: set[tuple[str, str]] = field(default_factory=set)
    saves: set[tuple[str, str]] = field(default_factory=set)
    comments: set[tuple[str, str]] = field(default_factory=set)

    def owner(self, kind: str) -> Owner:
        return self.public if kind == PUBLIC else self.private

    def actor(self, name: str, kind: str) -> Account:
        return self.owner(kind).account if name == "self" else getattr(self, name)

    @property
    def accounts(self) -> list[Account]:
        return [
            self.public.account,
            self.private.account,
            self.follower,
            self.requester,
            self.stranger,
            self.blocked,
            self.blocker,
        ]

    def by_id(self, user_id: str) -> Account | None:
        return next((a for a in self.accounts if a.user_id == user_id), None)

    def in_block(self, one: str, other: str) -> bool:
        """Whether either of the two (user ids) blocked the other."""
        return (one, other) in self.blocks or (other, one) in self.blocks

    def blocked_with(self, user_id: str) -> set[str]:
        """User ids in a block relation with this one, either direction."""
        return {b for a, b in self.blocks if a == user_id} | {
            a for a, b in self.blocks if b == user_id
        }

    def can_see_posts(self, actor: str, kind: str) -> bool:
        """The target rule: the owner and approved followers see everything; blocks hide
        both ways; a public owner's posts are for everyone else."""
        if actor in ("self", "follower"):
            return True
        if actor in ("blocked", "blocker"):
            return False
        return kind == PUBLIC


def _ok(response: Any, *expected: int) -> Any:
    assert response.status_code in (expected or (200,)), (
        f"world set-up: {response.request.method} {response.request.path_url} answered "
        f"{response.status_code} {response.text[:300]}"
    )
    return response


def settle(check: Callable[[], Any], timeout: float = 10) -> bool:
    """Like ``eventually`` for what the server may get wrong: waits, never fails (the test
    that depends on it reports the failure, with what the server answered)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return True
        except Exception:  # noqa: BLE001 - a transient error while streams catch up
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)


def build_world(api: Api, publish: Callable[..., str], *, doomed: bool = True) -> World:
    """Builds the world described in the module docstring (a few seconds)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        registered = list(
            pool.map(
                lambda private: api.register(private=private),
                [False, True, False, False, False, False, False],
            )
        )
    pub, priv, follower, requester, stranger, blocked, blocker = registered

    def owner(kind: str, account: Account, lat: float, lng: float) -> Owner:
        word = token("w")
        tag = token("t")
        return Owner(
            kind,
            account,
            word,
            caption=f"{kind} caption {word} #{tag}",
            tag=tag,
            place={"name": f"Place {word}", "lat": lat, "lng": lng},
        )

    world = World(
        public=owner(PUBLIC, pub, 10.5 + secrets.randbelow(1000) / 1000, 20.25),
        private=owner(PRIVATE, priv, -30.5 - secrets.randbelow(1000) / 1000, 40.75),
        follower=follower,
        requester=requester,
        stranger=stranger,
        blocked=blocked,
        blocker=blocker,
    )

    def call(who: Account, method: str, path: str, body: Any = None, *ok: int) -> Any:
        response = _ok(api.call(method, path, body, token=who.access_token), *ok)
        return response.json() if response.content else None

    with ThreadPoolExecutor(max_workers=4) as pool:
        # The photos go through the media pipeline while the graph is drawn.
        posts = {
            (o.kind, "post"): pool.submit(publish, o.account, o.caption, o.place)
            for o in (world.public, world.private)
        }
        if doomed:  # no hashtag, no place: deleting it changes no page the tests count
            posts |= {
                (o.kind, "doomed"): pool.submit(publish, o.account, "to be deleted")
                for o in (world.public, world.private)
            }
        for o in (world.public, world.private):
            for who in (follower, blocked, blocker):
                call(who, "POST", f"/users/{o.username}/follow")
            for who in (blocked, blocker):  # followed back: the block must cut both ways
                call(o.account, "POST", f"/users/{who.username}/follow")
        call(requester, "POST", f"/users/{priv.username}/follow")
        for who in (follower, blocked):  # blocker's request stays pending
            call(priv, "POST", f"/me/follow-requests/{who.username}")
        for (kind, name), future in posts.items():
            setattr(
                world.owner(kind), "post_id" if name == "post" else "doomed_id", future.result()
            )

    for o in (world.public, world.private):
        o.place_id = call(o.account, "GET", f"/posts/{o.post_id}")["place"]["place_id"]
        o.comment_text = f"comment {o.word}"
        o.comment_id = call(
            o.account, "POST", f"/posts/{o.post_id}/comments", {"text": o.comment_text}, 201
        )["comment_id"]
        world.comments.add((o.user_id, o.post_id))
        call(follower, "POST", f"/posts/{o.post_id}/save")
        world.saves.add((follower.user_id, o.post_id))
        # Ties the blocks below will have to hide; the private owner's post is seen by
        # blocked only (a follower then).
        for who in (blocker, blocked) if o.kind == PUBLIC else (blocked,):
            call(who, "POST", f"/posts/{o.post_id}/comments", {"text": f"hi {o.word}"}, 201)
            world.comments.add((who.user_id, o.post_id))
        # The first like; blocked's comes once its activity item exists (below).
        first = blocker if o.kind == PUBLIC else follower
        call(first, "POST", f"/posts/{o.post_id}/like")
        world.likes.add((first.user_id, o.post_id))
        o.conversation_id = call(
            o.account, "POST", "/conversations", {"usernames": [follower.username]}, 201
        )["conversation_id"]
        call(
            o.account,
            "POST",
            f"/conversations/{o.conversation_id}/messages",
            {"text": f"hello {o.word}"},
            201,
        )
        if doomed:
            o.spare_upload_id = call(
                o.account, "POST", "/uploads", {"content_type": "image/jpeg", "size": 1000}, 201
            )["upload_id"]

    def activity_actors(o: Owner) -> set[tuple[str, str]]:
        items = call(o.account, "GET", "/activity?limit=100")["items"]
        return {(item["kind"], item["actor"]["user_id"]) for item in items}

    # Likes of one post share one activity item naming the latest liker, and the streams of
    # two likes may be handled in any order: blocked likes once the first like has landed.
    for o in (world.public, world.private):
        eventually(
            lambda o=o: "like" in {kind for kind, _ in activity_actors(o)},
            f"the {o.kind} owner's like item",
        )
        call(blocked, "POST", f"/posts/{o.post_id}/like")
        world.likes.add((blocked.user_id, o.post_id))

    wanted = {
        PUBLIC: {
            ("comment", blocked.user_id),
            ("comment", blocker.user_id),
            ("like", blocked.user_id),
        },
        PRIVATE: {
            ("comment", blocked.user_id),
            ("like", blocked.user_id),
            ("follow_request", blocker.user_id),
            ("follow_request", requester.user_id),
        },
    }
    for o in (world.public, world.private):
        eventually(
            lambda o=o: wanted[o.kind] <= activity_actors(o),
            f"the {o.kind} owner's activity before the blocks",
        )

    for o in (world.public, world.private):
        call(o.account, "POST", f"/users/{blocked.username}/block")
        call(blocker, "POST", f"/users/{o.username}/block")
        world.blocks |= {(o.user_id, blocked.user_id), (blocker.user_id, o.user_id)}

    _wait_for_streams(api, world)
    return world


def _wait_for_streams(api: Api, world: World) -> None:
    """What the streams do after the set-up: the follower's feed, tag, place and search
    pages for the owner. The owner always sees its own post, so these waits may fail hard;
    what the blocks should take away is only settled (the tests report it)."""

    def get(who: Account, path: str) -> dict:
        return _ok(api.call("GET", path, token=who.access_token)).json()

    def ids(page: dict) -> list[str]:
        return [
            item.get("post_id") or item.get("post", {}).get("post_id")
            for item in page.get("items", [])
        ]

    for o in (world.public, world.private):
        eventually(
            lambda o=o: o.post_id in ids(get(world.follower, "/feed?limit=100")),
            f"the {o.kind} post in the follower's feed",
        )
        eventually(
            lambda o=o: o.post_id in ids(get(o.account, f"/tags/{o.tag}/posts")),
            f"the {o.kind} tag page",
        )
        eventually(
            lambda o=o: o.post_id in ids(get(o.account, f"/places/{o.place_id}/posts")),
            f"the {o.kind} place page",
        )
        eventually(
            lambda o=o: o.post_id in ids(get(o.account, f"/search?type=posts&q={o.word}")),
            f"the {o.kind} post in search",
        )
    # The hashtag and the place in search (the private owner's may rightly be left out).
    public = world.public
    for path, what in (
        (f"/search?type=tags&q={public.tag}", "tag"),
        (f"/search?type=places&q=place%20{public.word}", "place"),
    ):
        eventually(
            lambda path=path, what=what: any(
                item["type"] == what for item in get(world.stranger, path)["items"]
            ),
            f"the public {what} in search",
        )
    for who in (world.blocked, world.blocker):
        settle(
            lambda who=who: (
                not {world.public.post_id, world.private.post_id}
                & set(ids(get(who, "/feed?limit=100")))
            )
        )
