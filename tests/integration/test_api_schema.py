"""docs/openapi.yaml against the running API: schemathesis generates requests for every
operation of the document (valid and invalid ones) and checks each answer against it.

Every answer must be no server error, with a documented status code and content type, and a
body (and headers) the document's schema for that status allows; the response schemas are
closed, so a field the server sends without the document naming it fails too. The caller is a
freshly registered user with a small world around it (a private account with a follower and a
pending request, followed and blocked accounts, ready posts with a place, a hashtag, likes,
comments and a save, a post still processing, a direct and two group conversations). Generated
path parameters, search words and the references in bodies (upload ids, usernames, post ids,
refresh tokens) are mixed with that world's, so the success answers are checked as well as the
4xx ones. The /auth operations act on another account, so the caller's session stays live;
so does DELETE /me (an account of its own, deleted by the first example with its password).

Examples per operation: SCHEMATHESIS_MAX_EXAMPLES (default 20); the run is derandomized and
keeps no example database, so CI sees the same inputs every time. Run more locally with
``SCHEMATHESIS_MAX_EXAMPLES=500 .venv/bin/pytest tests/integration/test_api_schema.py``.
"""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import RunningCloud
from tests.integration.conftest import PASSWORD, Account, Api, eventually, token_in, wait_for_mail

pytestmark = pytest.mark.integration

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
FACES = Path(__file__).resolve().parents[1] / "functional" / "media" / "data" / "sample.jpg"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "20"))

CONFIG = schemathesis.Config.from_dict(
    {
        # A slow 2-core machine trips Hypothesis' timing and data-size health checks.
        "suppress-health-check": ["all"],
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,  # the same inputs on every run
            "database": "none",  # nothing written into the working tree
        },
        # The coverage phase also sends the methods an operation does not have. Not TRACE nor
        # QUERY: Chalice's local server (Python's http.server) answers those 501 itself, before
        # the app sees them, and API Gateway never routes them to the app either.
        "phases": {
            "coverage": {"unexpected-methods": ["get", "put", "post", "delete", "options", "patch"]}
        },
    }
)
schema = schemathesis.openapi.from_path(SPEC, config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

# The world the caller lives in, filled by the `world` fixture before the first example is
# drawn (the hooks below read it while Hypothesis generates).
WORLD: dict[str, Any] = {}


@pytest.fixture(scope="module")
def world(
    api: Api, publish: Callable[..., str], local_cloud: RunningCloud
) -> Iterator[dict[str, Any]]:
    me = api.register(private=True)
    bob, dave = api.register(), api.register()
    erin, carol = api.register(private=True), api.register(private=True)
    token = me.access_token
    # The /auth operations sign in, refresh and log out someone else: reusing a rotated
    # refresh token revokes its session, and the caller's must stay live.
    ghost = api.register()
    ghost_logout = api.call("POST", "/auth/login", {"login": ghost.username, "password": PASSWORD})
    # DELETE /me deletes whoever calls it: it is called as an account of its own, with
    # generated passwords and the right one (after which its token is refused: 401).
    leaver = api.register()
    # The links of account mail, read from the mailbox: a verification token, and a reset
    # token of an account of its own (a reset ends every session of its account).
    verifier, resetter = api.register(), api.register()
    api.call("POST", "/auth/password/forgot", {"login": resetter.username})
    verify_token = token_in(wait_for_mail(local_cloud, verifier.email, "Confirm your email"))
    reset_token = token_in(wait_for_mail(local_cloud, resetter.email, "Reset"))

    def call(
        account: Account, method: str, path: str, body: Any = None, expect: int = 200
    ) -> dict[str, Any]:
        response = api.call(method, path, body, token=account.access_token)
        assert response.status_code == expect, f"{method} {path}: {response.text}"
        return response.json() if response.content else {}

    # The graph: bob follows me (approved), erin waits for approval, I follow bob, I asked
    # carol (private), I blocked dave.
    call(bob, "POST", f"/users/{me.username}/follow")
    call(me, "POST", f"/me/follow-requests/{bob.username}")
    call(erin, "POST", f"/users/{me.username}/follow")
    call(me, "POST", f"/users/{bob.username}/follow")
    call(me, "POST", f"/users/{carol.username}/follow")
    call(me, "POST", f"/users/{dave.username}/block")

    # Posts: one each for me and bob, ready, with a place and a hashtag; one of mine that
    # stays processing (its photo never arrives), for DELETE to take.
    tag = "glimpse" + secrets.token_hex(3)
    place = {"name": "Café de la Gare", "lat": 48.8443, "lng": 2.3735}
    my_post = publish(me, f"sunset #{tag} with @{bob.username}", place=place)
    bob_post = publish(bob, f"#{tag} morning", place=place)
    slot = call(me, "POST", "/uploads", {"content_type": "image/jpeg", "size": 1000}, 201)
    doomed_post = call(me, "POST", "/posts", {"upload_ids": [slot["upload_id"]]}, 201)["post_id"]
    # Upload slots for generated POST /posts bodies (each makes one post, then is used up).
    slots = [
        call(me, "POST", "/uploads", {"content_type": "image/png", "size": 10}, 201)["upload_id"]
        for _ in range(3)
    ]
    place_id = call(me, "GET", f"/posts/{my_post}")["place"]["place_id"]
    # Bob has a profile photo (ready: every summary of him carries its renditions); slots for
    # generated PUT /me/avatar bodies.
    photo = FACES.read_bytes()
    bob_photo = call(
        bob, "POST", "/uploads", {"content_type": "image/jpeg", "size": len(photo)}, 201
    )
    sent = requests.post(
        bob_photo["url"],
        data=bob_photo["fields"],
        files={"file": ("bob.jpg", photo, "image/jpeg")},
        timeout=30,
    )
    assert sent.status_code in (200, 201, 204), sent.text
    call(bob, "PUT", "/me/avatar", {"upload_id": bob_photo["upload_id"]}, 202)
    eventually(
        lambda: (call(bob, "GET", "/me")["avatar"] or {}).get("status") == "ready",
        "bob's profile photo",
        timeout=90,
    )
    avatar_slots = [
        call(me, "POST", "/uploads", {"content_type": "image/jpeg", "size": 10}, 201)["upload_id"]
        for _ in range(2)
    ]

    # Interactions both ways.
    call(me, "POST", f"/posts/{bob_post}/like")
    call(me, "POST", f"/posts/{bob_post}/save")
    call(bob, "POST", f"/posts/{my_post}/like")
    bob_on_mine = call(
        bob, "POST", f"/posts/{my_post}/comments", {"text": f"lovely #{tag} @{me.username}"}, 201
    )["comment_id"]
    bob_on_his = call(bob, "POST", f"/posts/{bob_post}/comments", {"text": "mine"}, 201)
    call(me, "POST", f"/posts/{bob_post}/comments", {"text": "nice"}, 201)

    # Conversations: a direct one with a text and a shared post, a group, and a group to leave.
    direct = call(me, "POST", "/conversations", {"usernames": [bob.username]}, 201)
    call(
        me,
        "POST",
        f"/conversations/{direct['conversation_id']}/messages",
        {"text": "hi", "client_id": "c1"},
        201,
    )
    call(
        me,
        "POST",
        f"/conversations/{direct['conversation_id']}/messages",
        {"post_id": bob_post},
        201,
    )
    call(bob, "POST", f"/conversations/{direct['conversation_id']}/messages", {"text": "yo"}, 201)
    group = call(
        me,
        "POST",
        "/conversations",
        {"usernames": [bob.username, erin.username], "name": "trip"},
        201,
    )
    call(me, "POST", f"/conversations/{group['conversation_id']}/messages", {"text": "go"}, 201)
    to_leave = call(me, "POST", "/conversations", {"usernames": [bob.username], "name": "x"}, 201)
    call(
        me,
        "POST",
        "/search/recent",
        {"query": bob.username, "type": "user", "id": bob.user_id},
        201,
    )

    WORLD.update(
        api=api,
        base_url=local_cloud.api_url,
        token=token,
        erin_token=erin.access_token,
        prepared=set(),
        me=me.username,
        bob=bob.username,
        bob_id=bob.user_id,
        erin=erin.username,
        carol=carol.username,
        dave=dave.username,
        tag=tag,
        place_id=place_id,
        my_post=my_post,
        bob_post=bob_post,
        doomed_post=doomed_post,
        comments=[(my_post, bob_on_mine), (bob_post, bob_on_his["comment_id"])],
        direct=direct["conversation_id"],
        group=group["conversation_id"],
        to_leave=to_leave["conversation_id"],
        slots=slots,
        avatar_slots=avatar_slots,
        ghost=ghost.username,
        ghost_email=ghost.email,
        ghost_refresh=ghost.refresh_token,
        ghost_logout=ghost_logout.json()["refresh_token"],
        leaver_token=leaver.access_token,
        verify_token=verify_token,
        reset_token=reset_token,
    )
    yield WORLD
    WORLD.clear()


def _known_path_parameters(method: str, path: str) -> list[dict[str, str]]:
    """Path parameters naming things that exist, for one operation."""
    w = WORLD
    people = [w["me"], w["bob"], w["erin"], w["carol"], w["dave"]]
    if path == "/me/follow-requests/{username}":
        people = [w["erin"], w["bob"], w["me"]]
    elif path == "/users/{username}/block":
        people = [w["dave"], w["me"]]  # blocking bob would hide most of the world
    elif path == "/users/{username}/follow" and method == "DELETE":
        people = [w["carol"], w["dave"], w["me"]]
    posts = [w["my_post"], w["bob_post"]]
    if path == "/posts/{post_id}" and method == "DELETE":
        posts = [w["doomed_post"], w["bob_post"]]
    conversations = [w["direct"], w["group"]]
    if path.endswith("/members/me"):
        conversations = [w["to_leave"], w["direct"]]
    if "{comment_id}" in path:
        return [{"post_id": p, "comment_id": c} for p, c in w["comments"]]
    for name, values in (
        ("username", people),
        ("post_id", posts),
        ("tag", [w["tag"]]),
        ("place_id", [w["place_id"]]),
        ("conversation_id", conversations),
    ):
        if "{" + name + "}" in path:
            return [{name: value} for value in values]
    return []


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy:
    operation = context.operation
    known = _known_path_parameters(operation.method.upper(), operation.path) if WORLD else []
    return st.sampled_from([path_parameters, *known])


@schema.hook
def flatmap_query(
    context: schemathesis.HookContext, query: dict[str, Any] | None
) -> st.SearchStrategy:
    if context.operation.path != "/search" or not WORLD or not query:
        return st.just(query)
    words = [WORLD["bob"][:4], f"#{WORLD['tag']}", "cafe gare", "sunset", "@" + WORLD["me"]]
    return st.sampled_from([query, *({**query, "q": word} for word in words)])


def _known_bodies(method: str, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Generated bodies with their references replaced by things that exist."""
    w = WORLD
    if (method, path) == ("POST", "/auth/login"):
        return [
            {**body, "login": w["ghost"], "password": PASSWORD},
            {**body, "login": w["ghost_email"], "password": PASSWORD + "?"},
        ]
    if (method, path) == ("POST", "/auth/refresh"):
        return [{**body, "refresh_token": w["ghost_refresh"]}]
    if (method, path) == ("POST", "/auth/logout"):
        return [{**body, "refresh_token": w["ghost_logout"]}]
    if (method, path) == ("DELETE", "/me"):
        return [{**body, "password": PASSWORD}]
    if (method, path) == ("POST", "/auth/email/verify"):
        return [{**body, "token": w["verify_token"]}]
    if (method, path) == ("POST", "/auth/password/forgot"):
        return [{**body, "login": w["ghost"]}, {**body, "login": w["ghost_email"]}]
    if (method, path) == ("POST", "/auth/password/reset"):
        return [{**body, "token": w["reset_token"], "password": PASSWORD}]
    if (method, path) == ("POST", "/posts"):
        tag = {"username": w["bob"], "x": 0.5, "y": 0.5}
        without = {k: v for k, v in body.items() if k != "upload_ids"}
        return [{**body, "upload_ids": [slot]} for slot in w["slots"]] + [
            {**without, "media": [{"upload_id": slot, "alt_text": "alt", "tags": [tag]}]}
            for slot in w["slots"]
        ]
    if (method, path) == ("PATCH", "/posts/{post_id}"):
        tag = {"username": w["bob"], "x": 0.25, "y": 0.75}
        return [{**body, "media": [{"alt_text": "edited", "tags": [tag]}]}]
    if (method, path) == ("PUT", "/me/avatar"):
        return [{**body, "upload_id": slot} for slot in w["avatar_slots"]]
    if (method, path) == ("POST", "/conversations"):
        return [{**body, "usernames": [w["bob"]]}, {**body, "usernames": [w["bob"], w["carol"]]}]
    if path == "/conversations/{conversation_id}/members":
        return [{**body, "usernames": [w["carol"]]}, {**body, "usernames": [w["dave"]]}]
    if (method, path) == ("POST", "/search/recent"):
        return [
            {**body, "type": kind, "id": target}
            for kind, target in (
                ("user", w["bob_id"]),
                ("post", w["bob_post"]),
                ("tag", w["tag"]),
                ("place", w["place_id"]),
            )
        ]
    if path == "/conversations/{conversation_id}/messages" and "post_id" in body:
        return [{**body, "post_id": w["bob_post"]}, {**body, "post_id": w["my_post"]}]
    return []


_NAMES = st.text(string.ascii_lowercase + string.digits, min_size=12, max_size=12)


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy:
    operation = context.operation
    if not WORLD or not isinstance(body, dict):
        return st.just(body)
    method, path = operation.method.upper(), operation.path
    if (method, path) == ("POST", "/auth/register"):
        fresh = _NAMES.map(
            lambda name: {
                **body,
                "username": "s" + name,
                "password": PASSWORD,
                "email": f"s{name}@example.com",
            }
        )
        return st.one_of(st.just(body), fresh)
    return st.sampled_from([body, *_known_bodies(method, path, body)])


def _ask_again(w: dict[str, Any]) -> None:
    """A pending request from erin again: the generated PATCH /me cases that make the caller
    public let everyone who asked in (the users stream)."""
    api, me = w["api"], w["me"]
    assert api.call("PATCH", "/me", {"is_private": True}, token=w["token"]).status_code == 200
    api.call("DELETE", f"/users/{me}/follow", token=w["erin_token"])
    asked = api.call("POST", f"/users/{me}/follow", token=w["erin_token"])
    assert asked.json() == {"status": "requested"}, asked.text


# Done once before an operation's first example.
PREPARE = {
    ("POST", "/me/follow-requests/{username}"): _ask_again,
    ("DELETE", "/me/follow-requests/{username}"): _ask_again,
}


@schema.parametrize()
def test_the_api_answers_as_documented(case: schemathesis.Case, world: dict[str, Any]) -> None:
    key = (case.method, case.operation.path)
    if key in PREPARE and key not in world["prepared"]:
        world["prepared"].add(key)
        PREPARE[key](world)
    token = world["leaver_token"] if key == ("DELETE", "/me") else world["token"]
    response = case.call_and_validate(
        base_url=world["base_url"],
        headers={"Authorization": f"Bearer {token}"},
        checks=CHECKS,
    )
    if key == ("PATCH", "/me") and response.status_code == 200:
        world["me"] = response.json()["username"]  # a generated rename is a real rename
