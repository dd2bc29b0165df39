"""Who may do what to whom: every operation of docs/openapi.yaml × six actors × two owners.

The matrix: 52 operations × 6 actors × 2 owners = 624 cells (when written), plus two tests
that every operation and every cell has a rule. About 45 s on 2 cores, 15 s of it building
the world.

The operations are read from the document; an operation without a rule in ``RULES`` fails
``test_every_documented_operation_has_a_rule``, so a route cannot be added without its rows.
Each cell is one test, named like ``GET /posts/{post_id}[stranger-private]``: the actor
(tests/integration/world.py: self, follower, requester, stranger, blocked, blocker) calls
the operation aimed at that owner's object (their username, post, comment, tag, place, their
1:1 with the follower, an upload of theirs), and the rule says the status (and error code)
the actor must get, and what the body may and may not hold. Routes on the caller's own
things (/me…, /feed, /activity, /search…, /conversations, /uploads, /events, /auth/…) have
rules too: what each actor may reach there, and that nothing of a hidden owner comes back.

The expectations are the target privacy rules (the README, docs/openapi.yaml, and the
privacy redesign): blocks hide both ways (the blocked one gets 404 for everything of the
blocker, including block/unblock and follow requests aimed at them; the blocker still sees
the blocked user's profile); a private account shows its profile to anyone not blocked and
its lists and posts only to approved followers; shared counts and pages hold only what the
viewer may see.

Cells do not disturb each other: non-self actors run before self, a cell undoes what it did
(unfollow after a follow, re-follow after an unfollow, unlike after a like…), and the cells
that destroy (DELETE /posts/{post_id}, a comment) get a target of their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.conftest import RunningCloud
from tests.integration.conftest import PASSWORD, Account
from tests.integration.world import (
    ACTORS,
    OWNERS,
    PRIVATE,
    PUBLIC,
    Owner,
    QuickApi,
    World,
    build_world,
    settle,
)

pytestmark = pytest.mark.integration

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())
HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
OPERATIONS = [
    (method.upper(), path)
    for path, item in SPEC["paths"].items()
    for method in HTTP_METHODS
    if method in item
]


# -- expectations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """A status (or several) and, for errors, the codes accepted."""

    statuses: tuple[int, ...]
    codes: tuple[str, ...] = ()

    def matches(self, response: requests.Response) -> bool:
        if response.status_code not in self.statuses:
            return False
        if response.status_code >= 400 and self.codes:
            return _error_code(response) in self.codes
        return True

    def __str__(self) -> str:
        statuses = "/".join(map(str, self.statuses))
        return f"{statuses} {'|'.join(self.codes)}".strip()


def E(status: int | tuple[int, ...], *codes: str) -> Expect:  # noqa: N802 - reads as a table
    return Expect(status if isinstance(status, tuple) else (status,), codes)


OK, CREATED, ACCEPTED, GONE = E(200), E(201), E(202), E(204)
USER_NF = E(404, "user_not_found")
POST_NF = E(404, "post_not_found")
CONV_NF = E(404, "conversation_not_found")
PLACE_NF = E(404, "place_not_found")
PRIVATE_ACCOUNT = E(403, "private_account")
NOT_AUTHOR = E(403, "not_post_author")

Grid = dict[tuple[str, str], Expect]  # (owner kind, actor) → expectation


def grid(default: Expect | None = None, **cells: Expect) -> Grid:
    """Every (owner, actor) cell: ``actor=`` sets both owners, ``actor_public=`` /
    ``actor_private=`` one; ``default`` fills the rest."""
    result: Grid = {}
    for kind in OWNERS:
        for actor in ACTORS:
            chosen = cells.get(f"{actor}_{kind}", cells.get(actor, default))
            if chosen is not None:
                result[(kind, actor)] = chosen
    unknown = set(cells) - {f"{a}_{k}" for a in ACTORS for k in OWNERS} - set(ACTORS)
    assert not unknown, f"no such cells: {unknown}"
    return result


def seeing(ok: Expect, hidden: Expect = POST_NF, **cells: Expect) -> Grid:
    """By whether the actor may see the owner's posts: the owner and followers always,
    requesters and strangers on the public owner only, the blocked pair never."""
    base = grid(
        ok, requester_private=hidden, stranger_private=hidden, blocked=hidden, blocker=hidden
    )
    return {**base, **grid(**cells)}


def lists(ok: Expect) -> Grid:
    """A profile's lists and grid: 403 for non-followers of the private owner, 404 across a
    block (either way)."""
    return grid(
        ok,
        requester_private=PRIVATE_ACCOUNT,
        stranger_private=PRIVATE_ACCOUNT,
        blocked=USER_NF,
        blocker=USER_NF,
    )


def members(ok: Expect, **cells: Expect) -> Grid:
    """The owner's 1:1 with the follower: for its two members only."""
    return {**grid(CONV_NF, self=ok, follower=ok), **grid(**cells)}


# -- cells -------------------------------------------------------------------------------------


@dataclass
class Cell:
    """One (owner, actor) pair, with a client."""

    api: QuickApi
    world: World
    cloud: RunningCloud
    publish: Callable[..., str]
    kind: str
    actor: str
    fresh: dict[str, Any] = field(default_factory=dict)  # what a rule's setup built

    @property
    def owner(self) -> Owner:
        return self.world.owner(self.kind)

    @property
    def me(self) -> Account:
        return self.world.actor(self.actor, self.kind)

    @property
    def sees(self) -> bool:
        return self.world.can_see_posts(self.actor, self.kind)

    @property
    def hidden_from_me(self) -> set[str]:
        """User ids in a block relation with the caller."""
        return self.world.blocked_with(self.me.user_id)

    def call(
        self, method: str, path: str, body: Any = None, who: Account | None = None
    ) -> requests.Response:
        return self.api.call(method, path, body, token=(who or self.me).access_token)

    def json(self, method: str, path: str, body: Any = None, who: Account | None = None) -> Any:
        response = self.call(method, path, body, who)
        assert response.status_code < 300, f"{method} {path}: {response.text[:300]}"
        return response.json() if response.content else None


Check = Callable[[Cell, requests.Response], Iterable[str]]


@dataclass
class Probe:
    """One request of a cell: its path and body from the cell, the grid it must match, and
    what its body must (not) hold when it does."""

    request: Callable[[Cell], tuple[str, Any]]
    expect: Grid
    check: Check | None = None
    method: str | None = None  # the rule's own method when None
    settle: float = 0  # seconds to retry for what streams still write (feeds, activity...)
    check_errors: bool = False  # the check also runs on an expected error (else 2xx only)


@dataclass
class Rule:
    probes: list[Probe]
    setup: Callable[[Cell], None] | None = None  # builds fresh targets into cell.fresh
    undo: Callable[[Cell, list[requests.Response]], None] | None = None


def probe(
    request: Callable[[Cell], tuple[str, Any] | str],
    expect: Grid,
    check: Check | None = None,
    **options: Any,
) -> Probe:
    def built(cell: Cell) -> tuple[str, Any]:
        made = request(cell)
        return (made, None) if isinstance(made, str) else made

    return Probe(built, expect, check, **options)


def rule(
    request: Callable[[Cell], tuple[str, Any] | str],
    expect: Grid,
    check: Check | None = None,
    **options: Any,
) -> Rule:
    undo, setup = options.pop("undo", None), options.pop("setup", None)
    return Rule([probe(request, expect, check, **options)], setup=setup, undo=undo)


# -- what bodies must hold ---------------------------------------------------------------------


def _error_code(response: requests.Response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def _items(response: requests.Response) -> list[dict]:
    return response.json().get("items", [])


def _user_ids(items: Iterable[dict]) -> list[str]:
    return [
        item.get("user_id") or (item.get("author") or item.get("user") or {}).get("user_id")
        for item in items
    ]


def _post_ids(items: Iterable[dict]) -> list[str]:
    return [item.get("post_id") or (item.get("post") or {}).get("post_id") for item in items]


def names(cell: Cell, user_ids: Iterable[str]) -> list[str]:
    """Actor names of user ids, for readable failures."""
    world, found = cell.world, []
    for user_id in user_ids:
        label = next(
            (
                a
                for a in ("follower", "requester", "stranger", "blocked", "blocker")
                if getattr(world, a).user_id == user_id
            ),
            None,
        )
        if label is None:
            label = next(
                (f"{o.kind} owner" for o in (world.public, world.private) if o.user_id == user_id),
                user_id,
            )
        found.append(label)
    return found


def no_blocked_accounts(cell: Cell, response: requests.Response) -> Iterable[str]:
    shown = set(_user_ids(_items(response))) & cell.hidden_from_me
    if shown:
        yield f"lists accounts in a block relation with the caller: {names(cell, shown)}"


def only_visible_posts(cell: Cell, response: requests.Response) -> Iterable[str]:
    """No post of the owner the caller may not see, nor of an account across a block."""
    items = _items(response)
    owner_posts = {cell.owner.post_id, cell.owner.doomed_id}
    if not cell.sees and owner_posts & set(_post_ids(items)):
        yield f"shows a post of the {cell.kind} owner the caller may not see"
    across = {(item.get("author") or {}).get("user_id") for item in items} & cell.hidden_from_me
    if across:
        yield f"shows posts by accounts across a block: {names(cell, across)}"


def holds_post(cell: Cell, response: requests.Response, wanted: bool) -> Iterable[str]:
    present = cell.owner.post_id in _post_ids(_items(response))
    if present != wanted:
        yield (
            f"the {cell.kind} owner's post is {'missing' if wanted else 'shown'} "
            f"(items: {_post_ids(_items(response))})"
        )


def all_of(*checks: Check) -> Check:
    def combined(cell: Cell, response: requests.Response) -> Iterable[str]:
        for check in checks:
            yield from check(cell, response)

    return combined


def the_profile(cell: Cell, response: requests.Response) -> Iterable[str]:
    body = response.json()
    if body.get("user_id") != cell.owner.user_id:
        yield f"not the owner's profile: {body}"
        return
    wanted = dict.fromkeys(("following", "requested", "followed_by", "blocked"), False)
    if cell.actor == "follower":
        wanted["following"] = True
    elif cell.actor == "requester" and cell.kind == PRIVATE:
        wanted["requested"] = True
    elif cell.actor == "blocker":
        wanted["blocked"] = True  # and the owner's follow of them is gone with the block
    if body.get("relationship") != wanted:
        yield f"relationship {body.get('relationship')}, expected {wanted}"


def status_is(value: str) -> Check:
    def check(cell: Cell, response: requests.Response) -> Iterable[str]:
        if response.json().get("status") != value:
            yield f"status {response.json().get('status')!r}, expected {value!r}"

    return check


def follow_status(cell: Cell, response: requests.Response) -> Iterable[str]:
    if cell.actor == "follower":
        yield from status_is("following")(cell, response)
    elif cell.actor in ("requester", "stranger"):
        yield from status_is("following" if cell.kind == PUBLIC else "requested")(cell, response)


def users_are(expected: Callable[[Cell], set[str]]) -> Check:
    def check(cell: Cell, response: requests.Response) -> Iterable[str]:
        shown, wanted = set(_user_ids(_items(response))), expected(cell)
        if shown != wanted:
            yield f"lists {sorted(names(cell, shown))}, expected {sorted(names(cell, wanted))}"

    return check


def its_own(within: str | None = None) -> Check:
    """The body (or its ``within`` object) is the caller's own account."""

    def check(cell: Cell, response: requests.Response) -> Iterable[str]:
        body = response.json()
        found = (body.get(within) or {} if within else body).get("user_id")
        if found != cell.me.user_id:
            yield f"answers about {names(cell, [found])}, not the caller"

    return check


def the_post(cell: Cell, response: requests.Response) -> Iterable[str]:
    if response.json().get("post_id") != cell.owner.post_id:
        yield f"another post: {response.json().get('post_id')}"


def interacted_ids(cell: Cell, kept: set[tuple[str, str]]) -> Check:
    """A likes or comments list: everyone who acted (while building) and is not across a
    block from the caller or the owner is listed; no one across a block from the caller."""

    def check(cell: Cell, response: requests.Response) -> Iterable[str]:
        shown = set(_user_ids(_items(response)))
        acted = {user for user, post in kept if post == cell.owner.post_id}
        required = {
            u
            for u in acted
            if not cell.world.blocked_with(u) & {cell.me.user_id, cell.owner.user_id}
        }
        if required - shown:
            yield f"leaves out {names(cell, required - shown)}"
        if shown & cell.hidden_from_me:
            yield (
                f"shows accounts across a block from the caller: "
                f"{names(cell, shown & cell.hidden_from_me)}"
            )

    return check


def likers(cell: Cell, response: requests.Response) -> Iterable[str]:
    return interacted_ids(cell, cell.world.likes)(cell, response)


def commenters(cell: Cell, response: requests.Response) -> Iterable[str]:
    return interacted_ids(cell, cell.world.comments)(cell, response)


def my_saves(cell: Cell, response: requests.Response) -> Iterable[str]:
    yield from only_visible_posts(cell, response)
    shown = set(_post_ids(_items(response)))
    saved = {post for user, post in cell.world.saves if user == cell.me.user_id}
    if cell.owner.post_id in saved and cell.owner.post_id not in shown:
        yield "leaves out the caller's own save"
    foreign = shown & {cell.owner.post_id} - saved
    if foreign:
        yield "shows a post the caller did not save"


def the_feed(cell: Cell, response: requests.Response) -> Iterable[str]:
    yield from only_visible_posts(cell, response)
    yield from holds_post(cell, response, cell.actor in ("self", "follower"))


def the_activity(cell: Cell, response: requests.Response) -> Iterable[str]:
    items = _items(response)
    across = [
        (i["kind"], names(cell, [i["actor"]["user_id"]])[0])
        for i in items
        if i["actor"]["user_id"] in cell.hidden_from_me
    ]
    if across:
        yield f"items whose actor is across a block from the recipient: {across}"
    if not cell.sees:
        leaked = [
            i["kind"]
            for i in items
            if i.get("post_id") in (cell.owner.post_id, cell.owner.doomed_id)
            or cell.owner.word in i.get("text", "")
        ]
        if leaked:
            yield f"items about a post of the {cell.kind} owner the caller may not see: {leaked}"
    if cell.actor == "self" and ("follow", cell.world.follower.user_id) not in {
        (i["kind"], i["actor"]["user_id"]) for i in items
    }:
        yield "the follower's follow is missing"


def tag_page(cell: Cell, response: requests.Response) -> Iterable[str]:
    body = response.json()
    yield from holds_post(cell, response, cell.sees)
    yield from only_visible_posts(cell, response)
    count = 1 if cell.kind == PUBLIC else 0  # only public posts are counted
    if body.get("post_count") != count:
        yield f"post_count {body.get('post_count')}, expected {count} (public posts only)"


def place_page(cell: Cell, response: requests.Response) -> Iterable[str]:
    yield from holds_post(cell, response, cell.sees)
    yield from only_visible_posts(cell, response)


def the_inbox(cell: Cell, response: requests.Response) -> Iterable[str]:
    items = _items(response)
    folder = response.request.path_url.rsplit("folder=", 1)[-1]
    present = cell.owner.conversation_id in [c["conversation_id"] for c in items]
    wanted = folder == "active" and cell.actor in ("self", "follower")
    if present != wanted:
        yield f"the owner's 1:1 with the follower is {'missing' if wanted else 'listed'}"
    for conversation in items:
        across = {m["user_id"] for m in conversation["members"]} & cell.hidden_from_me
        if across:
            yield f"members across a block: {names(cell, across)}"


def the_conversation(cell: Cell, response: requests.Response) -> Iterable[str]:
    body = response.json()
    members = {m["user_id"] for m in body.get("members", [])}
    if body.get("conversation_id") != cell.owner.conversation_id:
        yield "another conversation"
    if members != {cell.owner.user_id, cell.world.follower.user_id}:
        yield f"members {names(cell, members)}"


def found_again(cell: Cell, response: requests.Response) -> Iterable[str]:
    body = response.json()
    if cell.actor == "follower" and body["conversation_id"] != cell.owner.conversation_id:
        yield "not the pair's one conversation"
    members = {m["user_id"] for m in body["members"]}
    if members != {cell.owner.user_id, cell.me.user_id}:
        yield f"members {names(cell, members)}"


def the_history(cell: Cell, response: requests.Response) -> Iterable[str]:
    texts = [m.get("text") for m in _items(response)]
    if f"hello {cell.owner.word}" not in texts:
        yield f"the owner's message is missing: {texts}"


def search_results(kind: str) -> Check:
    """What a search for the owner's things may return to the caller."""

    def check(cell: Cell, response: requests.Response) -> Iterable[str]:
        items, owner = _items(response), cell.owner
        users = {i["user"]["user_id"] for i in items if i["type"] == "user"}
        posts = {i["post"]["post_id"] for i in items if i["type"] == "post"}
        tags = {i["tag"] for i in items if i["type"] == "tag"}
        places = {i["place"].get("place_id") for i in items if i["type"] == "place"}
        if users & cell.hidden_from_me:
            yield f"finds accounts across a block: {names(cell, users & cell.hidden_from_me)}"
        if not cell.sees and owner.post_id in posts:
            yield f"finds the {cell.kind} owner's post the caller may not see"
        authors = {i["post"]["author"]["user_id"] for i in items if i["type"] == "post"}
        if authors & cell.hidden_from_me:
            yield "finds posts by accounts across a block"
        if not cell.sees and (cell.kind == PRIVATE or cell.actor in ("blocked", "blocker")):
            whose = "the private owner" if cell.kind == PRIVATE else "an account across a block"
            if owner.tag in tags:
                yield f"finds a hashtag only {whose} uses"
            if owner.place_id in places:
                yield f"finds a place only {whose} has posts at"
        # What a stranger must find (the index is fresh: the world waited for it).
        if cell.actor == "stranger" and cell.kind == PUBLIC:
            if kind == "users" and owner.user_id not in users:
                yield "the public owner is not found"
            if kind in ("posts", "all") and owner.post_id not in posts:
                yield "the public owner's post is not found"
            if kind == "tags" and owner.tag not in tags:
                yield "the public owner's hashtag is not found"

    return check


def my_recent(cell: Cell, response: requests.Response) -> Iterable[str]:
    ids = {item.get("id") for item in _items(response)}
    if not cell.sees and cell.owner.post_id in ids:
        yield "remembers a post the caller may not see"
    if cell.actor == "blocked" and cell.owner.user_id in ids:
        yield "remembers an account that blocked the caller"


def explore_items(cell: Cell, response: requests.Response) -> Iterable[str]:
    yield from only_visible_posts(cell, response)
    if not cell.sees:
        quoting = [
            i.get("reason") for i in _items(response) if cell.owner.word in (i.get("reason") or "")
        ]
        if quoting:
            yield f"reasons quote a post the caller may not see: {quoting}"


def suggestion_items(cell: Cell, response: requests.Response) -> Iterable[str]:
    yield from no_blocked_accounts(cell, response)
    hidden_names = {a.username for a in cell.world.accounts if a.user_id in cell.hidden_from_me}
    named = [
        i.get("reason")
        for i in _items(response)
        if any(n in (i.get("reason") or "") for n in hidden_names)
    ]
    if named:
        yield f"reasons name accounts across a block: {named}"


def events_not_recorded(cell: Cell, response: requests.Response) -> Iterable[str]:
    if cell.sees:
        if response.json().get("accepted") != 1:
            yield f"the view is not accepted: {response.json()}"
        return
    if response.status_code == 202 and response.json().get("accepted") != 0:
        yield f"accepted a view of a post the caller may not see: {response.json()}"
    stored = cell.cloud.client("dynamodb").query(
        TableName="glimpse-local-interactions",
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"S": cell.me.user_id}},
    )["Items"]
    if any(
        item.get("item_id", {}).get("S") == cell.owner.post_id
        and item.get("kind", {}).get("S") == "view"
        for item in stored
    ):
        yield "recorded a view of a post the caller may not see (a recommender signal)"


# -- undoing what a cell did -------------------------------------------------------------------


def refollow(cell: Cell) -> None:
    """The follower follows the owner again (approved by the private owner), and the feed
    has the owner's posts again before the next cell looks."""
    cell.call("POST", f"/users/{cell.owner.username}/follow")
    if cell.kind == PRIVATE:
        cell.call("POST", f"/me/follow-requests/{cell.me.username}", who=cell.owner.account)
    settle(lambda: cell.owner.post_id in _post_ids(cell.json("GET", "/feed?limit=100")["items"]))


def restore_follow(cell: Cell, responses: list[requests.Response]) -> None:
    """After an unfollow or a block: the ties the world had."""
    if cell.actor == "follower":
        refollow(cell)
    elif cell.actor == "requester" and cell.kind == PRIVATE:
        cell.call("POST", f"/users/{cell.owner.username}/follow")


def undo_follow(cell: Cell, responses: list[requests.Response]) -> None:
    if cell.actor in ("requester", "stranger") and not (
        cell.actor == "requester" and cell.kind == PRIVATE
    ):
        cell.call("DELETE", f"/users/{cell.owner.username}/follow")


def undo_block(cell: Cell, responses: list[requests.Response]) -> None:
    if cell.actor in ("follower", "requester", "stranger", "blocked"):
        cell.call("DELETE", f"/users/{cell.owner.username}/block")
        restore_follow(cell, responses)


def undo_unblock(cell: Cell, responses: list[requests.Response]) -> None:
    if cell.actor == "blocker":
        cell.call("POST", f"/users/{cell.owner.username}/block")


def undo_mute(cell: Cell, responses: list[requests.Response]) -> None:
    if responses[0].status_code == 200:
        cell.call("DELETE", f"/users/{cell.owner.username}/mute")


def undo_restrict(cell: Cell, responses: list[requests.Response]) -> None:
    if responses[0].status_code == 200:
        cell.call("DELETE", f"/users/{cell.owner.username}/restrict")
    if cell.actor == "follower":
        # Restricting moved the follower's 1:1 with the owner to its requests; lifting it moves
        # it back through the restricts stream: wait, so that the next cell finds the world whole.
        from tests.integration.conftest import eventually

        def back() -> bool:
            page = cell.json("GET", "/conversations?limit=100&folder=active")
            return cell.owner.conversation_id in [c["conversation_id"] for c in page["items"]]

        eventually(back, "the 1:1 back in the follower's active folder")


def undo_like(cell: Cell, responses: list[requests.Response]) -> None:
    if (
        responses[0].status_code == 200
        and (cell.me.user_id, cell.owner.post_id) not in cell.world.likes
    ):
        cell.call("DELETE", f"/posts/{cell.owner.post_id}/like")


def undo_unlike(cell: Cell, responses: list[requests.Response]) -> None:
    if (
        responses[0].status_code == 200
        and (cell.me.user_id, cell.owner.post_id) in cell.world.likes
    ):
        cell.call("POST", f"/posts/{cell.owner.post_id}/like")


def undo_save(cell: Cell, responses: list[requests.Response]) -> None:
    if (
        responses[0].status_code == 200
        and (cell.me.user_id, cell.owner.post_id) not in cell.world.saves
    ):
        cell.call("DELETE", f"/posts/{cell.owner.post_id}/save")


def undo_unsave(cell: Cell, responses: list[requests.Response]) -> None:
    if (cell.me.user_id, cell.owner.post_id) in cell.world.saves:
        cell.call("POST", f"/posts/{cell.owner.post_id}/save")


def undo_comment(cell: Cell, responses: list[requests.Response]) -> None:
    if responses[0].status_code == 201:
        comment_id = responses[0].json()["comment_id"]
        cell.call("DELETE", f"/posts/{cell.owner.post_id}/comments/{comment_id}")


def undo_post(cell: Cell, responses: list[requests.Response]) -> None:
    if responses[0].status_code == 201:
        cell.call("DELETE", f"/posts/{responses[0].json()['post_id']}", who=cell.owner.account)


def forget_searches(cell: Cell, responses: list[requests.Response]) -> None:
    cell.call("DELETE", "/search/recent")


def new_tokens(cell: Cell, responses: list[requests.Response]) -> None:
    """The refresh token was rotated: the world keeps the new pair."""
    if responses[0].status_code == 200:
        body = responses[0].json()
        cell.me.access_token, cell.me.refresh_token = body["access_token"], body["refresh_token"]


def a_device_of_the_owner(cell: Cell) -> None:
    token = f"{time.time_ns():064x}"  # an APNs-shaped token no other cell has
    body = {"platform": "apns", "token": token}
    cell.fresh["device_id"] = cell.json("POST", "/me/devices", body, who=cell.owner.account)[
        "device_id"
    ]


def a_device_id(cell: Cell, response: requests.Response) -> Iterable[str]:
    if not response.json().get("device_id"):
        yield "no device_id"


def a_fresh_session(cell: Cell) -> None:
    signed_in = cell.api.call(
        "POST", "/auth/login", {"login": cell.me.username, "password": PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    cell.fresh["refresh_token"] = signed_in.json()["refresh_token"]


def clear_tries(cell: Cell, responses: list[requests.Response]) -> None:
    """A wrong password counted toward the caller's lockout: a right one clears it."""
    signed_in = cell.api.call(
        "POST", "/auth/login", {"login": cell.me.username, "password": PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text


def own_export(*states: str) -> Check:
    """An export state of the caller's own: one of ``states``, a link (if any) to a zip
    under the caller's own prefix."""

    def check(cell: Cell, response: requests.Response) -> Iterable[str]:
        body = response.json()
        if body.get("status") not in states:
            yield f"status {body.get('status')!r}, expected one of {states}"
        url = body.get("url")
        if url is not None and f"exports/{cell.me.user_id}/" not in url:
            yield f"a link to someone else's export: {url}"

    return check


def an_owners_fresh_session(cell: Cell) -> None:
    signed_in = cell.api.call(
        "POST", "/auth/login", {"login": cell.owner.username, "password": PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    cell.fresh["session_id"] = signed_in.json()["refresh_token"].split(".", 1)[0]


def a_pending_second_factor(cell: Cell) -> None:
    assert cell.call("POST", "/me/2fa").status_code == 200


def one_current_session(cell: Cell, response: requests.Response) -> Iterable[str]:
    if [item["current"] for item in _items(response)].count(True) != 1:
        yield "not exactly one session of the caller's is the current one"


def a_fresh_slot(cell: Cell) -> None:
    """The owner's profile photo comes from a slot of its own (the spare one is for /posts)."""
    if cell.actor == "self":
        slot = cell.json("POST", "/uploads", {"content_type": "image/jpeg", "size": 1000})
        cell.fresh["upload_id"] = slot["upload_id"]


def undo_avatar(cell: Cell, responses: list[requests.Response]) -> None:
    if cell.actor == "self":
        cell.call("DELETE", "/me/avatar")


def a_fresh_comment(cell: Cell) -> None:
    if cell.actor == "self":
        cell.fresh["comment_id"] = cell.json(
            "POST", f"/posts/{cell.owner.post_id}/comments", {"text": "to be deleted"}
        )["comment_id"]


def an_owners_message(cell: Cell) -> None:
    """A message of the owner's in its 1:1 with the follower, for the report of a message."""
    cell.fresh["message_id"] = cell.json(
        "POST",
        f"/conversations/{cell.owner.conversation_id}/messages",
        {"text": "to be reported"},
        who=cell.owner.account,
    )["message_id"]


def report_of(target_type: str, target_id: Callable[[Cell], str], **more: Any) -> Callable:
    def request(cell: Cell) -> tuple[str, Any]:
        extra = {name: value(cell) for name, value in more.items()}
        body = {"target_type": target_type, "target_id": target_id(cell), "reason": "spam"}
        return "/reports", {**body, **extra}

    return request


OWN = E(400, "cannot_report_own")
NOT_MODERATOR = grid(E(403, "forbidden"))  # none of the actors is a moderator

# -- the rules ---------------------------------------------------------------------------------

EVERYONE = grid(OK)
# A request the owner never made: request_not_found, but user_not_found for the one the
# owner blocked (request_not_found would say the account exists behind the profile's 404).
REQUESTS_NF = grid(
    E(404, "request_not_found"),
    blocked=USER_NF,
    blocker=E(404, "user_not_found", "request_not_found"),
)
AUTHOR_ONLY = seeing(NOT_AUTHOR, self=OK)


def owner_path(suffix: str = "") -> Callable[[Cell], str]:
    return lambda cell: f"/users/{cell.owner.username}{suffix}"


def owner_path_at(prefix: str) -> Callable[[Cell], str]:
    """A path of the caller's own that names the owner (``/me/followers/{username}``)."""
    return lambda cell: f"{prefix}{cell.owner.username}"


def post_path(suffix: str = "") -> Callable[[Cell], str]:
    return lambda cell: f"/posts/{cell.owner.post_id}{suffix}"


def conversation_path(suffix: str = "") -> Callable[[Cell], str]:
    return lambda cell: f"/conversations/{cell.owner.conversation_id}{suffix}"


# Stories: the owner's ready story (made once per owner through the media pipeline, shared by
# the cells that only look at it or mark it seen), and fresh ones for the cells that post or
# delete one.
STORY_NF = E(404, "story_not_found")
_READY_STORIES: dict[str, str] = {}


def _story_photo() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (240, 320), (60, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def _new_story(cell: Cell, account: Account, land: bool) -> str:
    photo = _story_photo()
    slot = cell.json(
        "POST", "/uploads", {"content_type": "image/jpeg", "size": len(photo)}, who=account
    )
    if land:
        sent = requests.post(
            slot["url"],
            data=slot["fields"],
            files={"file": ("s.jpg", photo, "image/jpeg")},
            timeout=30,
        )
        assert sent.status_code in (200, 201, 204)
    return cell.json("POST", "/stories", {"upload_id": slot["upload_id"]}, who=account)["story_id"]


def an_owners_ready_story(cell: Cell) -> None:
    from tests.integration.conftest import eventually

    if cell.kind not in _READY_STORIES:
        owner = cell.owner.account
        story_id = _new_story(cell, owner, land=True)

        def ready() -> bool:
            items = cell.json("GET", f"/users/{owner.username}/stories", who=owner)["items"]
            return any(s["story_id"] == story_id and s["status"] == "ready" for s in items)

        eventually(ready, f"story {story_id} to be ready")
        _READY_STORIES[cell.kind] = story_id
    cell.fresh["story_id"] = _READY_STORIES[cell.kind]


def an_owners_new_story(cell: Cell) -> None:
    cell.fresh["story_id"] = _new_story(cell, cell.owner.account, land=False)


def a_story_slot(cell: Cell) -> None:
    slot = cell.json("POST", "/uploads", {"content_type": "image/jpeg", "size": 1000})
    cell.fresh["upload_id"] = slot["upload_id"]


def undo_story(cell: Cell, responses: list[requests.Response]) -> None:
    if responses[0].status_code == 201:
        cell.call("DELETE", f"/stories/{responses[0].json()['story_id']}")


def undo_owners_story(cell: Cell, responses: list[requests.Response]) -> None:
    cell.call("DELETE", f"/stories/{cell.fresh['story_id']}", who=cell.owner.account)


def undo_close_friend(cell: Cell, responses: list[requests.Response]) -> None:
    if responses[0].status_code == 200:
        cell.call("DELETE", f"/me/close-friends/{cell.owner.username}")


def its_own_highlights(cell: Cell, response: requests.Response) -> Iterable[str]:
    others = {(h.get("author") or {}).get("user_id") for h in _items(response)} - {cell.me.user_id}
    if others:
        yield f"someone else's highlights among the caller's: {names(cell, others)}"


def an_owners_highlight(cell: Cell) -> None:
    an_owners_ready_story(cell)
    story_id = cell.fresh["story_id"]
    cell.json("POST", "/me/highlights", {"story_id": story_id}, who=cell.owner.account)


def _owner_highlights(cell: Cell) -> list[str]:
    items = cell.json("GET", "/me/highlights", who=cell.owner.account)["items"]
    return [h["story_id"] for h in items]


def the_owners_highlight_kept_unless_theirs(
    cell: Cell, response: requests.Response
) -> Iterable[str]:
    kept = cell.fresh["story_id"] in _owner_highlights(cell)
    if kept == (cell.actor == "self"):
        yield f"the owner's highlight is {'still there' if kept else 'gone'} after the call"


def undo_highlight_removal(cell: Cell, responses: list[requests.Response]) -> None:
    if cell.fresh["story_id"] not in _owner_highlights(cell):
        cell.json(
            "POST", "/me/highlights", {"story_id": cell.fresh["story_id"]}, who=cell.owner.account
        )


def the_owners_stories(cell: Cell, response: requests.Response) -> Iterable[str]:
    others = {(s.get("author") or {}).get("user_id") for s in _items(response)} - {
        cell.owner.user_id
    }
    if others:
        yield f"stories of other accounts on the owner's profile: {names(cell, others)}"


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): rule(lambda c: "/health", EVERYONE),
    # Registering the owner's name is refused alike for everyone, blocked or not.
    ("POST", "/auth/register"): rule(
        lambda c: (
            "/auth/register",
            {
                "username": c.owner.username,
                "password": PASSWORD,
                "email": f"{c.owner.username}.again@example.com",
            },
        ),
        grid(E(409, "username_taken")),
    ),
    ("POST", "/auth/login"): rule(
        lambda c: ("/auth/login", {"login": c.me.username, "password": PASSWORD}),
        EVERYONE,
        its_own("user"),
    ),
    ("POST", "/auth/refresh"): rule(
        lambda c: ("/auth/refresh", {"refresh_token": c.me.refresh_token}),
        EVERYONE,
        undo=new_tokens,
    ),
    ("POST", "/auth/logout"): rule(
        lambda c: ("/auth/logout", {"refresh_token": c.fresh["refresh_token"]}),
        grid(GONE),
        setup=a_fresh_session,
    ),
    # Account mail: its links are public and answer everyone alike (a made-up token is
    # refused for all; a forgotten password is 202 whoever asks about whom); a resend is
    # always about the caller's own address.
    ("POST", "/auth/email/verify"): rule(
        lambda c: ("/auth/email/verify", {"token": "not-a-token-anyone-was-sent"}),
        grid(E(400, "invalid_email_token")),
    ),
    ("POST", "/auth/password/forgot"): rule(
        lambda c: ("/auth/password/forgot", {"login": c.owner.username}), grid(ACCEPTED)
    ),
    ("POST", "/auth/password/reset"): rule(
        lambda c: (
            "/auth/password/reset",
            {"token": "not-a-token-anyone-was-sent", "password": PASSWORD},
        ),
        grid(E(400, "invalid_reset_token")),
    ),
    ("POST", "/me/email/resend"): rule(lambda c: "/me/email/resend", grid(ACCEPTED)),
    # Only ever the caller's own sessions and second factor.
    ("POST", "/auth/login/2fa"): rule(
        lambda c: ("/auth/login/2fa", {"challenge": "not-a-challenge", "code": "000000"}),
        grid(E(401, "invalid_challenge")),
    ),
    ("GET", "/me/sessions"): rule(lambda c: "/me/sessions", EVERYONE, one_current_session),
    ("DELETE", "/me/sessions"): rule(lambda c: "/me/sessions", EVERYONE),
    # Someone else's session does not exist for you; the owner ends its own.
    ("DELETE", "/me/sessions/{session_id}"): rule(
        lambda c: f"/me/sessions/{c.fresh['session_id']}",
        grid(E(404, "session_not_found"), self=GONE),
        setup=an_owners_fresh_session,
    ),
    ("POST", "/me/password"): rule(
        lambda c: ("/me/password", {"current_password": "not-it-at-all", "new_password": PASSWORD}),
        grid(E(401, "invalid_credentials")),
    ),
    ("POST", "/me/2fa"): rule(lambda c: "/me/2fa", EVERYONE),
    ("POST", "/me/2fa/confirm"): rule(
        lambda c: ("/me/2fa/confirm", {"code": "000000"}),
        grid(E(401, "invalid_code")),
        setup=a_pending_second_factor,
    ),
    ("DELETE", "/me/2fa"): rule(
        lambda c: ("/me/2fa", {"code": "000000"}), grid(E(400, "two_factor_not_enabled"))
    ),
    ("GET", "/me"): rule(lambda c: "/me", EVERYONE, its_own()),
    ("PATCH", "/me"): rule(lambda c: ("/me", {"bio": ""}), EVERYONE, its_own()),
    # Only ever the caller's own account, and only with its password (a wrong one here:
    # the deletion itself is tests/integration/test_account_deletion_http.py).
    ("DELETE", "/me"): rule(
        lambda c: ("/me", {"password": "not-it-at-all"}),
        grid(E(401, "invalid_credentials")),
        undo=clear_tries,
    ),
    ("POST", "/me/export"): rule(
        lambda c: "/me/export", grid(ACCEPTED), own_export("building", "ready")
    ),
    ("GET", "/me/export"): rule(
        lambda c: "/me/export", EVERYONE, own_export("none", "building", "ready")
    ),
    # A profile photo from the owner's spare slot: it is nobody else's to take. The owner
    # takes a fresh slot of their own (its photo never comes) and removes the avatar again.
    ("PUT", "/me/avatar"): rule(
        lambda c: ("/me/avatar", {"upload_id": c.fresh.get("upload_id", c.owner.spare_upload_id)}),
        grid(E(400, "invalid_upload"), self=ACCEPTED),
        status_is("processing"),
        setup=a_fresh_slot,
        undo=undo_avatar,
    ),
    ("DELETE", "/me/avatar"): rule(lambda c: "/me/avatar", grid(GONE)),
    ("GET", "/me/follow-requests"): rule(
        lambda c: "/me/follow-requests?limit=100",
        EVERYONE,
        users_are(
            lambda c: (
                {c.world.requester.user_id} if (c.actor, c.kind) == ("self", PRIVATE) else set()
            )
        ),
    ),
    # Approving or denying a request the owner never made.
    ("POST", "/me/follow-requests/{username}"): rule(
        lambda c: f"/me/follow-requests/{c.owner.username}", REQUESTS_NF
    ),
    ("DELETE", "/me/follow-requests/{username}"): rule(
        lambda c: f"/me/follow-requests/{c.owner.username}", REQUESTS_NF
    ),
    # Only ever the caller's own list; setting it (to nothing) touches nobody else's.
    ("GET", "/me/hidden-words"): rule(lambda c: "/me/hidden-words", EVERYONE),
    ("PUT", "/me/hidden-words"): rule(
        lambda c: ("/me/hidden-words", {"words": [], "use_default": False}), EVERYONE
    ),
    # Only ever the caller's own blocks: the blocked one never learns of the block here.
    ("GET", "/me/blocked"): rule(
        lambda c: "/me/blocked?limit=100",
        EVERYONE,
        users_are(lambda c: {b for a, b in c.world.blocks if a == c.me.user_id}),
    ),
    # Removing the owner from the caller's followers (the owner follows nobody: a no-op that
    # answers alike, but not for the one the owner blocked, for whom the owner does not
    # exist; the owner's own removals are tests/integration/test_safety_http.py).
    ("POST", "/me/devices"): rule(
        lambda c: ("/me/devices", {"platform": "fcm", "token": f"fcm:{time.time_ns():040x}"}),
        grid(CREATED),
        a_device_id,
    ),
    # Only the owner may remove its device; to anyone else it does not exist.
    ("DELETE", "/me/devices/{device_id}"): rule(
        lambda c: f"/me/devices/{c.fresh['device_id']}",
        grid(E(404, "device_not_found"), self=GONE),
        setup=a_device_of_the_owner,
    ),
    ("GET", "/me/notifications"): rule(lambda c: "/me/notifications", EVERYONE),
    ("PATCH", "/me/notifications"): rule(lambda c: ("/me/notifications", {"like": True}), EVERYONE),
    ("DELETE", "/me/followers/{username}"): rule(
        owner_path_at("/me/followers/"),
        grid(GONE, self=E(400, "cannot_remove_self"), blocked=USER_NF),
    ),
    ("GET", "/users/{username}"): rule(owner_path(), grid(OK, blocked=USER_NF), the_profile),
    ("POST", "/users/{username}/follow"): rule(
        owner_path("/follow"),
        grid(
            OK, self=E(400, "cannot_follow_self"), blocked=USER_NF, blocker=E(403, "user_blocked")
        ),
        follow_status,
        undo=undo_follow,
    ),
    ("DELETE", "/users/{username}/follow"): rule(
        owner_path("/follow"), grid(OK, blocked=USER_NF), status_is("none"), undo=restore_follow
    ),
    ("GET", "/users/{username}/followers"): rule(
        owner_path("/followers?limit=100"),
        lists(OK),
        users_are(lambda c: {c.world.follower.user_id}),
    ),
    ("GET", "/users/{username}/following"): rule(
        owner_path("/following?limit=100"), lists(OK), users_are(lambda c: set())
    ),
    # The blocked one may not block or unblock the blocker back: a 200 there, beside the
    # profile's 404, would tell them they are blocked (the one thing a block never shows).
    ("POST", "/users/{username}/block"): rule(
        owner_path("/block"),
        grid(OK, self=E(400, "cannot_block_self"), blocked=USER_NF),
        undo=undo_block,
    ),
    ("DELETE", "/users/{username}/block"): rule(
        owner_path("/block"), grid(OK, blocked=USER_NF), undo=undo_unblock
    ),
    # Muting: anyone the caller may name (not the blocker of the caller), not oneself;
    # the cell undoes its mute so the feed cells still see the owner's posts.
    ("POST", "/users/{username}/mute"): rule(
        owner_path("/mute"),
        grid(OK, self=E(400, "cannot_mute_self"), blocked=USER_NF),
        status_is("muted"),
        undo=undo_mute,
    ),
    ("DELETE", "/users/{username}/mute"): rule(
        owner_path("/mute"), grid(OK, blocked=USER_NF), status_is("none")
    ),
    # Restricting: as muting (the cell undoes it: the comment cells must not wait).
    ("POST", "/users/{username}/restrict"): rule(
        owner_path("/restrict"),
        grid(OK, self=E(400, "cannot_restrict_self"), blocked=USER_NF),
        status_is("restricted"),
        undo=undo_restrict,
    ),
    ("DELETE", "/users/{username}/restrict"): rule(
        owner_path("/restrict"), grid(OK, blocked=USER_NF), status_is("none")
    ),
    ("POST", "/uploads"): rule(
        lambda c: ("/uploads", {"content_type": "image/jpeg", "size": 1000}), grid(CREATED)
    ),
    # A post from the owner's upload: only the owner may use it.
    ("POST", "/posts"): rule(
        lambda c: ("/posts", {"upload_ids": [c.owner.spare_upload_id]}),
        grid(E(400, "invalid_upload"), self=CREATED),
        undo=undo_post,
    ),
    ("GET", "/posts/{post_id}"): rule(post_path(), seeing(OK), the_post),
    ("PATCH", "/posts/{post_id}"): rule(
        lambda c: (f"/posts/{c.owner.post_id}", {"caption": c.owner.caption}), AUTHOR_ONLY
    ),
    ("DELETE", "/posts/{post_id}"): rule(
        lambda c: f"/posts/{c.owner.doomed_id}", seeing(NOT_AUTHOR, self=GONE)
    ),
    # Nobody is tagged on the owners' posts: a no-op for whoever may see the post, and no
    # such post for anyone else (the tagged person's own case is tests/integration/
    # test_post_tags_http.py).
    ("DELETE", "/posts/{post_id}/tags/me"): rule(post_path("/tags/me"), seeing(GONE)),
    ("POST", "/posts/{post_id}/like"): rule(post_path("/like"), seeing(OK), undo=undo_like),
    ("DELETE", "/posts/{post_id}/like"): rule(post_path("/like"), seeing(OK), undo=undo_unlike),
    ("GET", "/posts/{post_id}/likes"): rule(post_path("/likes?limit=100"), seeing(OK), likers),
    ("GET", "/posts/{post_id}/comments"): rule(
        post_path("/comments?limit=100"), seeing(OK), commenters
    ),
    ("POST", "/posts/{post_id}/comments"): rule(
        lambda c: (f"/posts/{c.owner.post_id}/comments", {"text": f"matrix {c.actor}"}),
        seeing(CREATED),
        undo=undo_comment,
    ),
    # The owner's own comment: others may not delete it; the owner deletes a fresh one.
    ("DELETE", "/posts/{post_id}/comments/{comment_id}"): rule(
        lambda c: (
            f"/posts/{c.owner.post_id}/comments/{c.fresh.get('comment_id', c.owner.comment_id)}"
        ),
        seeing(E(403, "not_comment_author"), self=GONE),
        setup=a_fresh_comment,
    ),
    # Approving the owner's own comment (never waiting: answered as it is): the post's
    # owner only; no such post for who may not see it.
    ("POST", "/posts/{post_id}/comments/{comment_id}/approve"): rule(
        lambda c: f"/posts/{c.owner.post_id}/comments/{c.owner.comment_id}/approve",
        seeing(NOT_AUTHOR, self=OK),
    ),
    ("POST", "/posts/{post_id}/save"): rule(post_path("/save"), seeing(OK), undo=undo_save),
    # Dropping a bookmark answers the same for any post id: it reveals nothing.
    ("DELETE", "/posts/{post_id}/save"): rule(post_path("/save"), EVERYONE, undo=undo_unsave),
    ("GET", "/me/saved"): rule(lambda c: "/me/saved?limit=100", EVERYONE, my_saves),
    ("GET", "/users/{username}/posts"): rule(
        owner_path("/posts?limit=100"), lists(OK), lambda c, r: holds_post(c, r, True)
    ),
    # An account's tagged list is its content, as its grid.
    ("GET", "/users/{username}/tagged"): rule(
        owner_path("/tagged?limit=100"), lists(OK), only_visible_posts
    ),
    ("GET", "/feed"): rule(lambda c: "/feed?limit=100", EVERYONE, the_feed, settle=3),
    ("GET", "/activity"): rule(lambda c: "/activity?limit=100", EVERYONE, the_activity, settle=3),
    ("POST", "/activity/seen"): rule(lambda c: "/activity/seen", grid(GONE)),
    # Hashtag pages are for everyone; they hold (and count) what the viewer may see.
    ("GET", "/tags/{tag}/posts"): rule(
        lambda c: f"/tags/{c.owner.tag}/posts?limit=100", EVERYONE, tag_page
    ),
    # A place does not exist for who may see none of its posts: the private owner's for
    # non-followers, and (the blocks hide everything) either owner's across a block. The
    # target names the first; the second is the same rule for a place only the other side
    # of a block uses, which the sweep (test_side_channels.py) needs too.
    ("GET", "/places/{place_id}/posts"): rule(
        lambda c: f"/places/{c.owner.place_id}/posts?limit=100",
        grid(
            OK,
            requester_private=PLACE_NF,
            stranger_private=PLACE_NF,
            blocked=PLACE_NF,
            blocker=PLACE_NF,
        ),
        place_page,
    ),
    ("GET", "/conversations"): Rule(
        [
            probe(lambda c: "/conversations?limit=100&folder=active", EVERYONE, the_inbox),
            probe(lambda c: "/conversations?limit=100&folder=request", EVERYONE, the_inbox),
        ]
    ),
    # A 1:1 with the owner: found again by the follower, started by others, refused across
    # a block (404 for the one blocked, 403 for the one who blocked).
    ("POST", "/conversations"): rule(
        lambda c: ("/conversations", {"usernames": [c.owner.username]}),
        grid(
            CREATED,
            self=E(400, "validation_error"),
            blocked=USER_NF,
            blocker=E(403, "cannot_message"),
        ),
        lambda c, r: found_again(c, r) if c.actor != "self" else (),
    ),
    ("GET", "/conversations/{conversation_id}"): rule(
        conversation_path(), members(OK), the_conversation
    ),
    ("POST", "/conversations/{conversation_id}/accept"): rule(
        conversation_path("/accept"), members(OK), the_conversation
    ),
    ("POST", "/conversations/{conversation_id}/members"): rule(
        lambda c: (
            f"/conversations/{c.owner.conversation_id}/members",
            {"usernames": [c.world.stranger.username]},
        ),
        members(E(400, "not_a_group")),
    ),
    ("DELETE", "/conversations/{conversation_id}/members/me"): rule(
        conversation_path("/members/me"), members(E(400, "not_a_group"))
    ),
    ("GET", "/conversations/{conversation_id}/messages"): rule(
        conversation_path("/messages?limit=100"), members(OK), the_history
    ),
    ("POST", "/conversations/{conversation_id}/messages"): rule(
        lambda c: (
            f"/conversations/{c.owner.conversation_id}/messages",
            {"text": f"matrix {c.actor}", "client_id": f"matrix-{c.actor}"},
        ),
        members(CREATED),
    ),
    ("POST", "/conversations/{conversation_id}/read"): rule(
        conversation_path("/read"), members(OK)
    ),
    ("GET", "/search"): Rule(
        [
            probe(
                lambda c: f"/search?type=users&q={c.owner.username}",
                EVERYONE,
                search_results("users"),
            ),
            probe(
                lambda c: f"/search?type=posts&q={c.owner.word}", EVERYONE, search_results("posts")
            ),
            probe(lambda c: f"/search?type=tags&q={c.owner.tag}", EVERYONE, search_results("tags")),
            probe(
                lambda c: f"/search?type=places&q=place%20{c.owner.word}",
                EVERYONE,
                search_results("places"),
            ),
            probe(lambda c: f"/search?type=all&q={c.owner.word}", EVERYONE, search_results("all")),
        ]
    ),
    ("GET", "/search/recent"): rule(lambda c: "/search/recent", EVERYONE, my_recent),
    # Remembering the owner's post or the owner as an opened result: refused for who may
    # not see them (and nothing is kept).
    ("POST", "/search/recent"): Rule(
        [
            probe(
                lambda c: (
                    "/search/recent",
                    {"query": c.owner.word, "type": "post", "id": c.owner.post_id},
                ),
                seeing(CREATED),
            ),
            probe(
                lambda c: (
                    "/search/recent",
                    {"query": c.owner.username, "type": "user", "id": c.owner.user_id},
                ),
                grid(CREATED, blocked=USER_NF, blocker=E((201, 404), "user_not_found")),
            ),
            probe(lambda c: "/search/recent", EVERYONE, my_recent, method="GET"),
        ],
        undo=forget_searches,
    ),
    ("DELETE", "/search/recent"): rule(lambda c: "/search/recent", grid(GONE)),
    ("GET", "/feed/explore"): rule(lambda c: "/feed/explore?limit=100", EVERYONE, explore_items),
    # "Not interested": only a post the caller may see; anything else is no such post.
    ("POST", "/feed/explore/{post_id}/hide"): rule(
        lambda c: f"/feed/explore/{c.owner.post_id}/hide", seeing(GONE)
    ),
    ("GET", "/suggestions/users"): rule(
        lambda c: "/suggestions/users?limit=100", EVERYONE, suggestion_items
    ),
    # A report only of what the caller can see (else the 404 reading it gets), never of
    # their own; the answer is the same for a first report and a repeated one.
    ("POST", "/reports"): Rule(
        [
            probe(report_of("post", lambda c: c.owner.post_id), seeing(ACCEPTED, self=OWN)),
            probe(
                report_of(
                    "comment", lambda c: c.owner.comment_id, post_id=lambda c: c.owner.post_id
                ),
                seeing(ACCEPTED, self=OWN),
            ),
            probe(
                report_of("user", lambda c: c.owner.username),
                grid(ACCEPTED, self=OWN, blocked=USER_NF),
            ),
            probe(
                report_of(
                    "message",
                    lambda c: c.fresh["message_id"],
                    conversation_id=lambda c: c.owner.conversation_id,
                ),
                members(ACCEPTED, self=OWN),
            ),
        ],
        setup=an_owners_message,
    ),
    # Moderators only: everyone else is refused, whatever the case.
    ("GET", "/moderation/reports"): rule(lambda c: "/moderation/reports", NOT_MODERATOR),
    ("GET", "/moderation/reports/{report_id}"): rule(
        lambda c: f"/moderation/reports/post-{c.owner.post_id}", NOT_MODERATOR
    ),
    ("POST", "/moderation/reports/{report_id}"): rule(
        lambda c: (
            f"/moderation/reports/post-{c.owner.post_id}",
            {"action": "remove", "reason": "matrix"},
        ),
        NOT_MODERATOR,
    ),
    # A view of a post the caller may not see is refused or ignored: never recorded.
    ("POST", "/events"): rule(
        lambda c: ("/events", {"events": [{"kind": "view", "post_id": c.owner.post_id}]}),
        seeing(ACCEPTED, hidden=E((202, 404), "post_not_found")),
        events_not_recorded,
        check_errors=True,
    ),
    # Stories: a story is its author's to delete and to ask who saw it (404 to anyone else,
    # as for no story); seeing one follows the posts' rule; close friends as mutes do.
    ("POST", "/stories"): rule(
        lambda c: ("/stories", {"upload_id": c.fresh["upload_id"]}),
        grid(CREATED),
        its_own("author"),
        setup=a_story_slot,
        undo=undo_story,
    ),
    ("GET", "/stories"): rule(lambda c: "/stories", grid(OK), no_blocked_accounts),
    ("DELETE", "/stories/{story_id}"): rule(
        lambda c: f"/stories/{c.fresh['story_id']}",
        grid(STORY_NF, self=GONE),
        setup=an_owners_new_story,
        undo=undo_owners_story,
    ),
    ("POST", "/stories/{story_id}/seen"): rule(
        lambda c: f"/stories/{c.fresh['story_id']}/seen",
        seeing(OK, hidden=STORY_NF),
        setup=an_owners_ready_story,
    ),
    ("GET", "/stories/{story_id}/viewers"): rule(
        lambda c: f"/stories/{c.fresh['story_id']}/viewers",
        grid(STORY_NF, self=OK),
        no_blocked_accounts,
        setup=an_owners_ready_story,
    ),
    # A reply is a DM to the story's author: for whoever may see the story.
    ("POST", "/stories/{story_id}/reply"): rule(
        lambda c: (f"/stories/{c.fresh['story_id']}/reply", {"text": "nice"}),
        seeing(CREATED, hidden=STORY_NF, self=E(400, "cannot_reply_to_self")),
        setup=an_owners_ready_story,
    ),
    ("GET", "/users/{username}/stories"): rule(
        owner_path("/stories"), lists(OK), the_owners_stories
    ),
    # Highlights: only one's own story may be kept; a profile's follow the posts' rule.
    ("POST", "/me/highlights"): rule(
        lambda c: ("/me/highlights", {"story_id": c.fresh["story_id"]}),
        grid(STORY_NF, self=CREATED),
        setup=an_owners_ready_story,
    ),
    ("GET", "/me/highlights"): rule(lambda c: "/me/highlights", grid(OK), its_own_highlights),
    # Anyone may call it; only the owner's own call takes the owner's highlight away.
    ("DELETE", "/me/highlights/{story_id}"): rule(
        lambda c: f"/me/highlights/{c.fresh['story_id']}",
        grid(GONE),
        the_owners_highlight_kept_unless_theirs,
        setup=an_owners_highlight,
        undo=undo_highlight_removal,
    ),
    ("GET", "/users/{username}/highlights"): rule(
        owner_path("/highlights"), lists(OK), the_owners_stories
    ),
    ("PUT", "/me/close-friends/{username}"): rule(
        owner_path_at("/me/close-friends/"),
        grid(OK, self=E(400, "cannot_close_friend_self"), blocked=USER_NF, blocker=USER_NF),
        undo=undo_close_friend,
    ),
    ("DELETE", "/me/close-friends/{username}"): rule(
        owner_path_at("/me/close-friends/"), grid(OK, blocked=USER_NF, blocker=USER_NF)
    ),
}

CELLS = [
    (method, path, kind, actor)
    for method, path in OPERATIONS
    if (method, path) in RULES
    for kind in OWNERS
    for actor in ACTORS
]


# -- the tests ---------------------------------------------------------------------------------


@dataclass
class Matrix:
    api: QuickApi
    world: World
    cloud: RunningCloud
    publish: Callable[..., str]


@pytest.fixture(scope="module")
def matrix(local_cloud: RunningCloud, publish: Callable[..., str]) -> Matrix:
    api = QuickApi(local_cloud.api_url)
    return Matrix(api, build_world(api, publish), local_cloud, publish)


def test_every_documented_operation_has_a_rule() -> None:
    missing = [f"{method} {path}" for method, path in OPERATIONS if (method, path) not in RULES]
    stale = [f"{method} {path}" for method, path in RULES if (method, path) not in OPERATIONS]
    assert not missing, f"operations of docs/openapi.yaml without a rule: {missing}"
    assert not stale, f"rules for operations docs/openapi.yaml no longer has: {stale}"


def test_every_rule_covers_every_cell() -> None:
    wanted = {(kind, actor) for kind in OWNERS for actor in ACTORS}
    incomplete = [
        f"{method} {path}"
        for (method, path), found in RULES.items()
        for each in found.probes
        if set(each.expect) != wanted
    ]
    assert not incomplete, f"rules without an expectation for every actor × owner: {incomplete}"


@pytest.mark.parametrize(
    ("method", "path", "kind", "actor"), CELLS, ids=[f"{m} {p}[{a}-{k}]" for m, p, k, a in CELLS]
)
def test_cell(matrix: Matrix, method: str, path: str, kind: str, actor: str) -> None:
    chosen = RULES[(method, path)]
    cell = Cell(matrix.api, matrix.world, matrix.cloud, matrix.publish, kind, actor)
    if chosen.setup:
        chosen.setup(cell)
    responses: list[requests.Response] = []
    problems: list[str] = []
    try:
        for each in chosen.probes:
            verb = each.method or method
            target, body = each.request(cell)
            expected = each.expect[(kind, actor)]
            deadline = time.monotonic() + each.settle
            while True:
                response = cell.call(verb, target, body)
                found = (
                    []
                    if expected.matches(response)
                    else [f"expected {expected}, got {response.status_code} {response.text[:400]}"]
                )
                if not found and each.check and (response.status_code < 300 or each.check_errors):
                    found = list(each.check(cell, response))
                if not found or time.monotonic() > deadline or verb != "GET":
                    break
                time.sleep(0.25)
            responses.append(response)
            problems += [f"{verb} {target}: {problem}" for problem in found]
    finally:
        if chosen.undo:
            chosen.undo(cell, responses)
    assert not problems, f"{actor} on the {kind} owner:\n  " + "\n  ".join(problems)
