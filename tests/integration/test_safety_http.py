"""What users do for themselves (issue 19), over HTTP against the local cloud with its
stream handlers live: the blocked list, removing a follower, muting, restricting."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integration.conftest import Account, Api, error_code, eventually

pytestmark = pytest.mark.integration


def ok(api: Api, method: str, path: str, who: Account, body: object = None) -> dict:
    response = api.call(method, path, body, token=who.access_token)
    assert response.status_code < 300, f"{method} {path}: {response.text[:300]}"
    return response.json() if response.content else {}


def feed_ids(api: Api, who: Account) -> list[str]:
    return [item["post_id"] for item in ok(api, "GET", "/feed?limit=100", who)["items"]]


def test_the_blocked_list_holds_only_your_blocks(api: Api) -> None:
    me, pest, other = api.register(), api.register(), api.register()
    ok(api, "POST", f"/users/{pest.username}/block", me)
    ok(api, "POST", f"/users/{me.username}/block", other)  # blocked me: not mine to list
    page = ok(api, "GET", "/me/blocked", me)
    assert [row["username"] for row in page["items"]] == [pest.username]
    assert page["items"][0]["relationship"]["blocked"] is True
    assert ok(api, "GET", "/me/blocked", pest)["items"] == []
    ok(api, "DELETE", f"/users/{pest.username}/block", me)
    assert ok(api, "GET", "/me/blocked", me)["items"] == []


def test_a_removed_follower_loses_the_follow_the_counts_and_the_feed(
    api: Api, publish: Callable[..., str]
) -> None:
    me, fan = api.register(private=True), api.register()
    ok(api, "POST", f"/users/{me.username}/follow", fan)
    ok(api, "POST", f"/me/follow-requests/{fan.username}", me)
    post = publish(me, "for followers")
    eventually(lambda: post in feed_ids(api, fan), "the post in the follower's feed")

    gone = api.call("DELETE", f"/me/followers/{fan.username}", token=me.access_token)
    assert gone.status_code == 204
    mine = ok(api, "GET", f"/users/{me.username}", me)
    assert mine["followers_count"] == 0
    theirs = ok(api, "GET", f"/users/{fan.username}", fan)
    assert theirs["following_count"] == 0
    assert ok(api, "GET", f"/users/{me.username}/followers", me)["items"] == []
    eventually(lambda: post not in feed_ids(api, fan), "the post gone from their feed")
    hidden = api.call("GET", f"/posts/{post}", token=fan.access_token)
    assert hidden.status_code == 404
    # Not told, and the way back is a new request.
    assert ok(api, "POST", f"/users/{me.username}/follow", fan) == {"status": "requested"}
    again = api.call("DELETE", f"/me/followers/{fan.username}", token=me.access_token)
    assert again.status_code == 204  # idempotent
    self_removal = api.call("DELETE", f"/me/followers/{me.username}", token=me.access_token)
    assert (self_removal.status_code, error_code(self_removal)) == (400, "cannot_remove_self")
    nobody = api.call("DELETE", "/me/followers/no_such_user_here", token=me.access_token)
    assert (nobody.status_code, error_code(nobody)) == (404, "user_not_found")


def test_a_muted_accounts_new_post_stays_out_of_your_feed_only(
    api: Api, publish: Callable[..., str]
) -> None:
    me, loud, other = api.register(), api.register(), api.register()
    for reader in (me, other):
        ok(api, "POST", f"/users/{loud.username}/follow", reader)
    assert ok(api, "POST", f"/users/{loud.username}/mute", me) == {"status": "muted"}
    assert ok(api, "POST", f"/users/{loud.username}/mute", me) == {"status": "muted"}
    post = publish(loud, "muted words")
    eventually(lambda: post in feed_ids(api, other), "the post in a non-muter's feed")
    assert post not in feed_ids(api, me)
    # Still followed; the profile and the post opened directly still work; loud sees nothing.
    profile = ok(api, "GET", f"/users/{loud.username}", me)
    assert profile["relationship"]["following"] is True and profile["muted"] is True
    assert ok(api, "GET", f"/users/{me.username}", loud)["muted"] is False  # not told
    assert ok(api, "GET", f"/posts/{post}", me)["post_id"] == post
    assert ok(api, "GET", f"/users/{me.username}", loud)["relationship"]["followed_by"] is True
    assert ok(api, "DELETE", f"/users/{loud.username}/mute", me) == {"status": "none"}
    assert post in feed_ids(api, me)  # unmuting brings it back: nothing was deleted
    refused = api.call("POST", f"/users/{me.username}/mute", token=me.access_token)
    assert (refused.status_code, error_code(refused)) == (400, "cannot_mute_self")
    nobody = api.call("POST", "/users/no_such_user_here/mute", token=me.access_token)
    assert (nobody.status_code, error_code(nobody)) == (404, "user_not_found")


def comment_ids(api: Api, who: Account, post: str) -> list[str]:
    page = ok(api, "GET", f"/posts/{post}/comments?limit=100", who)
    return [comment["comment_id"] for comment in page["items"]]


def test_a_restricted_accounts_comments_wait_and_its_messages_are_requests(
    api: Api, publish: Callable[..., str]
) -> None:
    owner, pest, fan = api.register(), api.register(), api.register()
    ok(api, "POST", f"/users/{pest.username}/follow", owner)  # else its DMs are requests anyway
    assert ok(api, "POST", f"/users/{pest.username}/restrict", owner) == {"status": "restricted"}
    post = publish(owner, "comments welcome")
    waiting = api.call("POST", f"/posts/{post}/comments", {"text": "hm"}, token=pest.access_token)
    assert waiting.status_code == 201 and waiting.json()["pending"] is True
    comment_id = waiting.json()["comment_id"]
    # Seen by its author and the owner only, and not counted.
    assert comment_id in comment_ids(api, pest, post)
    assert comment_id in comment_ids(api, owner, post)
    assert comment_id not in comment_ids(api, fan, post)
    assert ok(api, "GET", f"/posts/{post}", fan)["comments_count"] == 0
    refused = api.call(
        "POST", f"/posts/{post}/comments/{comment_id}/approve", token=pest.access_token
    )
    assert (refused.status_code, error_code(refused)) == (403, "not_post_author")
    approved = ok(api, "POST", f"/posts/{post}/comments/{comment_id}/approve", owner)
    assert "pending" not in approved
    assert comment_id in comment_ids(api, fan, post)
    assert ok(api, "GET", f"/posts/{post}", fan)["comments_count"] == 1

    # Its new conversation with the owner lands in the owner's requests.
    started = ok(api, "POST", "/conversations", pest, {"usernames": [owner.username]})
    requests_ = ok(api, "GET", "/conversations?folder=request", owner)["items"]
    assert started["conversation_id"] in [c["conversation_id"] for c in requests_]
    assert ok(api, "DELETE", f"/users/{pest.username}/restrict", owner) == {"status": "none"}
    mine = api.call("POST", f"/users/{owner.username}/restrict", token=owner.access_token)
    assert (mine.status_code, error_code(mine)) == (400, "cannot_restrict_self")


def test_restricting_moves_the_chat_you_already_have_to_your_requests(api: Api) -> None:
    owner, pest = api.register(), api.register()
    ok(api, "POST", f"/users/{pest.username}/follow", owner)  # so the chat starts active
    chat = ok(api, "POST", "/conversations", pest, {"usernames": [owner.username]})
    ok(api, "POST", f"/conversations/{chat['conversation_id']}/messages", pest, {"text": "hi"})

    def folder_ids(who: Account, folder: str) -> list[str]:
        page = ok(api, "GET", f"/conversations?folder={folder}", who)
        return [c["conversation_id"] for c in page["items"]]

    assert chat["conversation_id"] in folder_ids(owner, "active")
    ok(api, "POST", f"/users/{pest.username}/restrict", owner)
    eventually(
        lambda: chat["conversation_id"] in folder_ids(owner, "request"),
        "the chat in the restricter's requests",
    )
    assert chat["conversation_id"] not in folder_ids(owner, "active")
    # The restricted account is not told: its side is where it was.
    assert chat["conversation_id"] in folder_ids(pest, "active")
    # Lifting the restriction moves it back, as it was.
    ok(api, "DELETE", f"/users/{pest.username}/restrict", owner)
    eventually(
        lambda: chat["conversation_id"] in folder_ids(owner, "active"),
        "the chat back in the restricter's inbox",
    )
    assert chat["conversation_id"] not in folder_ids(owner, "request")


def test_a_request_stays_a_request_when_a_restriction_comes_and_goes(api: Api) -> None:
    owner, stranger = api.register(), api.register()
    chat = ok(api, "POST", "/conversations", stranger, {"usernames": [owner.username]})

    def requests_of_owner() -> list[str]:
        page = ok(api, "GET", "/conversations?folder=request", owner)
        return [c["conversation_id"] for c in page["items"]]

    assert chat["conversation_id"] in requests_of_owner()  # the owner does not follow it
    ok(api, "POST", f"/users/{stranger.username}/restrict", owner)
    ok(api, "DELETE", f"/users/{stranger.username}/restrict", owner)
    # The stream delivers a table's changes in order: once a later restriction's move shows,
    # it has handled both of these, and the request, never the restriction's to move, stayed.
    friend = api.register()
    ok(api, "POST", f"/users/{friend.username}/follow", owner)
    theirs = ok(api, "POST", "/conversations", friend, {"usernames": [owner.username]})
    ok(api, "POST", f"/users/{friend.username}/restrict", owner)
    eventually(lambda: theirs["conversation_id"] in requests_of_owner(), "the later move")
    assert chat["conversation_id"] in requests_of_owner()


def test_hidden_words_hide_comments_and_requests_from_the_owner_only(
    api: Api, publish: Callable[..., str]
) -> None:
    owner, troll, fan = api.register(), api.register(), api.register()
    too_many = {"words": [f"w{i}" for i in range(101)]}
    for bad in (
        too_many,
        {"words": ["x" * 51]},
        {"words": "spoiler"},
        {"words": [], "use_default": 1},
    ):
        refused = api.call("PUT", "/me/hidden-words", bad, token=owner.access_token)
        assert (refused.status_code, error_code(refused)) == (400, "validation_error"), bad
    saved = ok(api, "PUT", "/me/hidden-words", owner, {"words": ["Spoiler"], "use_default": True})
    assert saved == {"words": ["Spoiler"], "use_default": True}
    assert ok(api, "GET", "/me/hidden-words", owner) == saved

    post = publish(owner, "the finale")
    said = {
        text: ok(api, "POST", f"/posts/{post}/comments", who, {"text": text})["comment_id"]
        for who, text in ((troll, "what an IDIOT"), (fan, "spoiler: he lives"), (fan, "nice"))
    }
    assert comment_ids(api, owner, post) == [said["nice"]]
    assert set(comment_ids(api, troll, post)) == set(said.values())  # authors still see theirs
    assert set(comment_ids(api, fan, post)) == set(said.values())

    ok(api, "POST", "/conversations", troll, {"usernames": [owner.username]})
    direct = ok(api, "POST", "/conversations", troll, {"usernames": [owner.username]})
    sent = f"/conversations/{direct['conversation_id']}/messages"
    ok(api, "POST", sent, troll, {"text": "you are stupid"})
    shown = ok(api, "GET", "/conversations?folder=request", owner)["items"]
    assert direct["conversation_id"] not in [c["conversation_id"] for c in shown]
    ok(api, "PUT", "/me/hidden-words", owner, {"words": []})
    shown = ok(api, "GET", "/conversations?folder=request", owner)["items"]
    assert direct["conversation_id"] in [c["conversation_id"] for c in shown]
