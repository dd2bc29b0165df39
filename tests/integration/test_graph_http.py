"""Profiles, follows, private accounts and blocks over HTTP, with the stream handlers live."""

from __future__ import annotations

import time

import pytest

from tests.integration.conftest import Api, error_code

pytestmark = pytest.mark.integration


def profile(api: Api, viewer: str, username: str) -> dict:
    response = api.call("GET", f"/users/{username}", token=viewer)
    assert response.status_code == 200, response.text
    return response.json()


def test_following_a_public_account(api: Api) -> None:
    alice, bob = api.register(), api.register()
    followed = api.call("POST", f"/users/{bob.username}/follow", token=alice.access_token)
    assert followed.json() == {"status": "following"}
    seen = profile(api, alice.access_token, bob.username)
    assert seen["followers_count"] == 1
    assert seen["relationship"] == {
        "following": True,
        "requested": False,
        "followed_by": False,
        "blocked": False,
    }
    assert profile(api, bob.access_token, alice.username)["relationship"]["followed_by"] is True
    for _ in range(2):  # unfollowing twice never takes a counter below zero
        gone = api.call("DELETE", f"/users/{bob.username}/follow", token=alice.access_token)
        assert gone.json() == {"status": "none"}
    assert profile(api, alice.access_token, bob.username)["followers_count"] == 0


def test_private_account_request_approve_and_lists(api: Api) -> None:
    owner, fan, stranger = api.register(private=True), api.register(), api.register()
    asked = api.call("POST", f"/users/{owner.username}/follow", token=fan.access_token)
    assert asked.json() == {"status": "requested"}
    assert profile(api, fan.access_token, owner.username)["relationship"]["requested"] is True
    hidden = api.call("GET", f"/users/{owner.username}/followers", token=fan.access_token)
    assert (hidden.status_code, error_code(hidden)) == (403, "private_account")

    pending = api.call("GET", "/me/follow-requests", token=owner.access_token).json()
    assert [row["username"] for row in pending["items"]] == [fan.username]
    approved = api.call("POST", f"/me/follow-requests/{fan.username}", token=owner.access_token)
    assert approved.status_code == 200

    followers = api.call("GET", f"/users/{owner.username}/followers", token=fan.access_token)
    assert [row["username"] for row in followers.json()["items"]] == [fan.username]
    strangers_view = api.call(
        "GET", f"/users/{owner.username}/following", token=stranger.access_token
    )
    assert strangers_view.status_code == 403
    again = api.call("POST", f"/me/follow-requests/{fan.username}", token=owner.access_token)
    assert (again.status_code, error_code(again)) == (404, "request_not_found")


def test_deny_and_cancel_requests(api: Api) -> None:
    owner, fan, other = api.register(private=True), api.register(), api.register()
    api.call("POST", f"/users/{owner.username}/follow", token=fan.access_token)
    api.call("POST", f"/users/{owner.username}/follow", token=other.access_token)
    denied = api.call("DELETE", f"/me/follow-requests/{fan.username}", token=owner.access_token)
    assert denied.status_code == 204
    cancelled = api.call("DELETE", f"/users/{owner.username}/follow", token=other.access_token)
    assert cancelled.json() == {"status": "none"}
    pending = api.call("GET", "/me/follow-requests", token=owner.access_token).json()
    assert pending["items"] == []


def test_block_cuts_ties_and_hides_both_ways(api: Api) -> None:
    alice, bob = api.register(), api.register()
    api.call("POST", f"/users/{bob.username}/follow", token=alice.access_token)
    api.call("POST", f"/users/{alice.username}/follow", token=bob.access_token)
    blocked = api.call("POST", f"/users/{bob.username}/block", token=alice.access_token)
    assert blocked.json() == {"status": "blocked"}

    hidden = api.call("GET", f"/users/{alice.username}", token=bob.access_token)
    assert (hidden.status_code, error_code(hidden)) == (404, "user_not_found")
    mine = profile(api, alice.access_token, bob.username)
    assert mine["relationship"]["blocked"] is True
    assert mine["followers_count"] == mine["following_count"] == 0
    follow_back = api.call("POST", f"/users/{alice.username}/follow", token=bob.access_token)
    assert follow_back.status_code == 404
    own_follow = api.call("POST", f"/users/{bob.username}/follow", token=alice.access_token)
    assert (own_follow.status_code, error_code(own_follow)) == (403, "user_blocked")
    lists = api.call("GET", f"/users/{alice.username}/followers", token=bob.access_token)
    assert lists.status_code == 404

    api.call("DELETE", f"/users/{bob.username}/block", token=alice.access_token)
    assert profile(api, bob.access_token, alice.username)["relationship"]["blocked"] is False


def test_followers_pages_are_stable(api: Api) -> None:
    star = api.register()
    fans = [api.register() for _ in range(5)]
    for fan in fans:
        api.call("POST", f"/users/{star.username}/follow", token=fan.access_token)
    names, cursor, cursors = [], None, []
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.call("GET", f"/users/{star.username}/followers{query}", token=star.access_token)
        assert page.status_code == 200, page.text
        names += [row["username"] for row in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
        cursors.append(cursor)
    assert names == [fan.username for fan in reversed(fans)]
    bad = api.call(
        "GET", f"/users/{star.username}/followers?cursor=nonsense", token=star.access_token
    )
    assert (bad.status_code, error_code(bad)) == (400, "invalid_cursor")
    other = api.register()
    replayed = api.call(
        "GET", f"/users/{other.username}/followers?cursor={cursors[0]}", token=star.access_token
    )
    assert (replayed.status_code, error_code(replayed)) == (400, "invalid_cursor")


def test_going_public_approves_pending_requests_through_the_stream(api: Api) -> None:
    owner = api.register(private=True)
    fans = [api.register() for _ in range(3)]
    for fan in fans:
        api.call("POST", f"/users/{owner.username}/follow", token=fan.access_token)
    api.call("PATCH", "/me", {"is_private": False}, token=owner.access_token)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        me = api.call("GET", "/me", token=owner.access_token).json()
        if me["followers_count"] == 3:
            break
        time.sleep(0.2)
    assert me["followers_count"] == 3
    pending = api.call("GET", "/me/follow-requests", token=owner.access_token).json()
    assert pending["items"] == []


def test_profile_edits_and_their_refusals(api: Api) -> None:
    me = api.register()
    ok = api.call("PATCH", "/me", {"full_name": "Me Myself", "bio": "hi"}, token=me.access_token)
    assert (ok.status_code, ok.json()["bio"]) == (200, "hi")
    for body in (
        {"bio": "x" * 151},
        {"is_private": "yes"},
        {"followers_count": 9},
        {"full_name": ["x"]},
    ):
        refused = api.call("PATCH", "/me", body, token=me.access_token)
        assert refused.status_code == 400, body
    missing = api.call("GET", "/users/nobody_at_all_here", token=me.access_token)
    assert (missing.status_code, error_code(missing)) == (404, "user_not_found")
    wrong_method = api.call("PUT", "/me", {}, token=me.access_token)
    assert wrong_method.status_code == 405
