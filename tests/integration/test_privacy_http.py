"""Hostile input and dead sessions, over HTTP and websockets against the local cloud: what
the privacy issue found, each as a user or an attacker would meet it.

The visibility rules themselves are covered route by route in test_authorization_matrix.py
and surface by surface in test_side_channels.py.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
import requests
import websockets

from tests.conftest import MEDIA_DEADLINE_SECONDS, RunningCloud
from tests.integration.conftest import PASSWORD, Account, Api, error_code, eventually

pytestmark = pytest.mark.integration

LOGIN_MAX_FAILURES = 5  # the default the test cloud runs with


# -- the login lockout -----------------------------------------------------------------------


def test_a_parallel_burst_of_guesses_evaluates_at_most_the_allowed_passwords(api: Api) -> None:
    account = api.register()

    def guess(n: int) -> int:
        # Each its own connection, as 30 phones would have (one shared pool would queue them).
        body = {"login": account.username, "password": f"wrong-guess-{n}"}
        return requests.post(f"{api.base_url}/auth/login", json=body, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(guess, range(30)))
    # A password is evaluated only for a request that got a try: those answer 401.
    assert answers.count(401) == LOGIN_MAX_FAILURES, answers
    assert answers.count(429) == 30 - LOGIN_MAX_FAILURES, answers
    right = api.call("POST", "/auth/login", {"login": account.username, "password": PASSWORD})
    assert (right.status_code, error_code(right)) == (429, "too_many_attempts")
    assert int(right.headers["Retry-After"]) > 0


def test_a_success_inside_the_window_starts_the_count_again(api: Api) -> None:
    account = api.register()
    for _ in range(LOGIN_MAX_FAILURES - 1):
        api.call("POST", "/auth/login", {"login": account.username, "password": "nope-nope"})
    ok = api.call("POST", "/auth/login", {"login": account.username, "password": PASSWORD})
    assert ok.status_code == 200, ok.text
    for _ in range(LOGIN_MAX_FAILURES - 1):
        wrong = {"login": account.username, "password": "nope-nope"}
        assert api.call("POST", "/auth/login", wrong).status_code == 401


# -- sessions and accounts that are gone -----------------------------------------------------


def _token(local_cloud: RunningCloud, sub: str, sid: str) -> str:
    """An access token signed with the cloud's own key: what a token of a deleted account,
    or one minted by someone who stole the key for a user who never existed, looks like."""
    now = int(time.time())
    claims = {
        "iss": "glimpse-local",
        "aud": "glimpse-app",
        "sub": sub,
        "sid": sid,
        "iat": now,
        "exp": now + 600,
        "jti": secrets.token_hex(6),
    }
    return jwt.encode(claims, local_cloud.env["JWT_SECRET"], algorithm="HS256")


def test_tokens_of_accounts_or_sessions_that_do_not_exist_are_refused(
    api: Api, local_cloud: RunningCloud
) -> None:
    real = api.register()
    claims = jwt.decode(real.access_token, options={"verify_signature": False})
    ghost = _token(local_cloud, "0" * 26, "1" * 26)  # no such user, no such session
    borrowed = _token(local_cloud, "0" * 26, claims["sid"])  # a real session, another sub
    writes = [
        ("POST", "/uploads", {"content_type": "image/jpeg", "size": 100}),
        ("POST", "/search/recent", {"query": "cats"}),
        ("POST", "/events", {"events": [{"kind": "view", "post_id": "x" * 26}]}),
        ("POST", "/conversations", {"usernames": [real.username]}),
        ("GET", "/me", None),
        ("GET", "/feed", None),
    ]
    for token in (ghost, borrowed):
        for method, path, body in writes:
            answer = api.call(method, path, body, token=token)
            assert (answer.status_code, error_code(answer)) == (401, "session_ended"), path

    async def connect() -> None:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(f"{local_cloud.ws_url}?token={ghost}")
        assert refused.value.response.status_code == 401

    asyncio.run(connect())
    assert api.call("GET", "/me", token=real.access_token).status_code == 200


def test_logout_closes_the_sessions_sockets_and_refuses_its_access_token(
    api: Api, local_cloud: RunningCloud
) -> None:
    account = api.register()
    other_device = api.call(
        "POST", "/auth/login", {"login": account.username, "password": PASSWORD}
    ).json()

    async def scenario() -> None:
        url = local_cloud.ws_url
        doomed = await websockets.connect(f"{url}?token={account.access_token}")
        kept = await websockets.connect(f"{url}?token={other_device['access_token']}")
        out = api.call("POST", "/auth/logout", {"refresh_token": account.refresh_token})
        assert out.status_code == 204
        event = json.loads(await asyncio.wait_for(doomed.recv(), timeout=10))
        assert event == {"type": "session.revoked"}
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(doomed.recv(), timeout=10)
        # The account's other session is untouched: its socket still works.
        await kept.send(json.dumps({"action": "typing", "conversation_id": "nope"}))
        answer = json.loads(await asyncio.wait_for(kept.recv(), timeout=10))
        assert answer["code"] == "conversation_not_found"
        await kept.close()

    asyncio.run(scenario())
    # Refused within the documented bound (SESSION_CHECK_SECONDS, 5 s by default); this
    # process ended the session itself, so it knows at once.
    eventually(
        lambda: api.call("GET", "/me", token=account.access_token).status_code == 401,
        "the logged-out access token to be refused",
        timeout=6,
    )
    gone = api.call("GET", "/me", token=account.access_token)
    assert error_code(gone) == "session_ended"
    assert api.call("GET", "/me", token=other_device["access_token"]).status_code == 200


# -- hostile input ---------------------------------------------------------------------------


def _raw(
    api: Api, method: str, path: str, raw: bytes, token: str | None = None
) -> requests.Response:
    return api.call(method, path, raw=raw, token=token)


def test_deeply_nested_json_is_a_400_everywhere(api: Api) -> None:
    account = api.register()
    deep = b'{"a": ' * 1000 + b"1" + b"}" * 1000
    for method, path, token in (
        ("POST", "/auth/login", None),
        ("POST", "/auth/register", None),
        ("PATCH", "/me", account.access_token),
        ("POST", "/posts", account.access_token),
    ):
        answer = _raw(api, method, path, deep, token)
        assert (answer.status_code, error_code(answer)) == (400, "invalid_json"), path
    shallow = json.dumps({"bio": "fine"}).encode()
    assert _raw(api, "PATCH", "/me", shallow, account.access_token).status_code == 200


@pytest.mark.parametrize(
    ("char", "what"),
    [
        ("\ud800", "lone surrogate"),
        ("\x00", "NUL"),
        ("\u202e", "right-to-left override"),
        ("\u2066", "left-to-right isolate"),
        ("\x1b", "escape"),
    ],
)
def test_text_that_cannot_be_stored_or_shown_honestly_is_refused(
    api: Api, publish, char: str, what: str
) -> None:
    author, friend = api.register(), api.register()
    post_id = publish(author, "a fine caption")
    conversation = api.call(
        "POST", "/conversations", {"usernames": [friend.username]}, token=author.access_token
    ).json()["conversation_id"]
    text = f"evil{char}text"
    attempts = [
        ("PATCH", "/me", {"bio": text}),
        ("PATCH", "/me", {"full_name": text}),
        ("PATCH", f"/posts/{post_id}", {"caption": text}),
        ("POST", f"/posts/{post_id}/comments", {"text": text}),
        ("POST", f"/conversations/{conversation}/messages", {"text": text}),
        ("POST", "/search/recent", {"query": text}),
        (
            "POST",
            "/auth/register",
            {
                "username": "x_" + secrets.token_hex(3),
                "email": "x@example.com",
                "password": PASSWORD,
                "full_name": text,
            },
        ),
    ]
    for method, path, body in attempts:
        # json.dumps escapes the character, so this is exactly what a client would send.
        answer = api.call(method, path, body, token=author.access_token)
        assert (answer.status_code, error_code(answer)) == (400, "invalid_text"), (what, path)
        assert "U+" in answer.json()["error"]["message"]
    # Nothing was changed by any of them.
    me = api.call("GET", "/me", token=author.access_token).json()
    assert (me["bio"], me["full_name"]) == ("", "")
    post = api.call("GET", f"/posts/{post_id}", token=author.access_token).json()
    assert post["caption"] == "a fine caption" and post["comments_count"] == 0
    # Text of right-to-left scripts, with the marks they need, and emoji, are fine.
    fine = "שלום \u200fעולם 👋 #café"
    assert api.call("PATCH", "/me", {"bio": fine}, token=author.access_token).json()["bio"] == fine


def test_approving_your_own_follow_request_is_a_404_not_a_500(api: Api) -> None:
    account = api.register(private=True)
    answer = api.call("POST", f"/me/follow-requests/{account.username}", token=account.access_token)
    assert (answer.status_code, error_code(answer)) == (404, "request_not_found")


def test_the_socket_survives_a_deeply_nested_frame(api: Api, local_cloud: RunningCloud) -> None:
    account = api.register()

    async def scenario() -> None:
        socket = await websockets.connect(f"{local_cloud.ws_url}?token={account.access_token}")
        await socket.send("[" * 5000 + "]" * 5000)
        first = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        assert (first["type"], first["code"]) == ("error", "bad_frame")
        await socket.send(
            json.dumps(
                {"action": "send", "to": "nobody_" + secrets.token_hex(3), "text": "still here?"}
            )
        )
        second = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        assert second["code"] == "user_not_found"  # answered: the socket and its worker live
        await socket.send(json.dumps({"action": "send", "to": "x", "text": "bad\ud800"}))
        third = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        assert third["code"] == "invalid_text"
        await socket.close()

    asyncio.run(scenario())


# -- posts whose media never arrive ----------------------------------------------------------


def test_a_post_whose_photo_never_arrives_fails_after_the_deadline(
    api: Api, local_cloud: RunningCloud
) -> None:
    author: Account = api.register()
    slot = api.call(
        "POST", "/uploads", {"content_type": "image/jpeg", "size": 1000}, token=author.access_token
    ).json()

    async def scenario() -> dict:
        socket = await websockets.connect(f"{local_cloud.ws_url}?token={author.access_token}")
        created = api.call(
            "POST", "/posts", {"upload_ids": [slot["upload_id"]]}, token=author.access_token
        )
        assert created.status_code == 201
        post_id = created.json()["post_id"]
        shown = api.call("GET", f"/posts/{post_id}", token=author.access_token).json()
        assert shown["status"] == "processing"
        # Nothing is uploaded: the deadline (15 s in the test cloud) fails the post.
        while True:
            event = json.loads(
                await asyncio.wait_for(socket.recv(), timeout=MEDIA_DEADLINE_SECONDS + 30)
            )
            if event["type"] == "post.failed":
                await socket.close()
                return {"event": event, "post_id": post_id}

    outcome = asyncio.run(scenario())
    assert outcome["event"]["post_id"] == outcome["post_id"]
    post = api.call("GET", f"/posts/{outcome['post_id']}", token=author.access_token).json()
    assert post["status"] == "failed"
    assert "never arrived" in post["failure_reason"]
    assert post["images"][0]["status"] == "failed"


# -- hashtags and places of accounts that turn private ---------------------------------------


def test_tags_and_places_count_and_show_public_posts_only(api: Api, publish) -> None:
    author, stranger = api.register(), api.register()
    tag = f"tg{secrets.token_hex(4)}"
    place = {"name": f"Spot {tag}", "lat": 48.8566, "lng": 2.3522}
    post_id = publish(author, f"#{tag}", place=place)
    place_id = api.call("GET", f"/posts/{post_id}", token=author.access_token).json()["place"][
        "place_id"
    ]

    def tag_count() -> int:
        return api.call("GET", f"/tags/{tag}/posts", token=stranger.access_token).json()[
            "post_count"
        ]

    def found(kind: str, q: str) -> bool:
        items = api.call("GET", f"/search?q={q}&type={kind}", token=stranger.access_token)
        return bool(items.json()["items"])

    eventually(
        lambda: tag_count() == 1 and found("tags", tag) and found("places", tag),
        "the public post's tag and place to be counted and found",
    )
    api.call("PATCH", "/me", {"is_private": True}, token=author.access_token)
    eventually(
        lambda: tag_count() == 0 and not found("tags", tag) and not found("places", tag),
        "the tag and place to be the private account's own",
    )
    page = api.call("GET", f"/places/{place_id}/posts", token=stranger.access_token)
    assert (page.status_code, error_code(page)) == (404, "place_not_found")
    mine = api.call("GET", f"/places/{place_id}/posts", token=author.access_token).json()
    assert [item["post_id"] for item in mine["items"]] == [post_id]
    assert mine["place"]["post_count"] == 0  # what anyone may count: public posts
    api.call("PATCH", "/me", {"is_private": False}, token=author.access_token)
    eventually(lambda: tag_count() == 1 and found("tags", tag), "the tag to be public again")
