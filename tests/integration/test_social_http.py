"""Likes, comments, saves, hashtags, mentions, places, the home feed and activity, over HTTP
against the local cloud with its stream handlers running (fan-out, pages, activity).

The test cloud treats accounts with more than 3 followers as large (FEED_FANOUT_MAX_FOLLOWERS
in tests/conftest.py), so the read-time merge is exercised with a handful of users."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from tests.conftest import RunningCloud
from tests.integration.conftest import Account, Api, error_code, eventually

pytestmark = pytest.mark.integration


def feed_ids(api: Api, account: Account, **params: Any) -> list[str]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    page = api.call("GET", f"/feed?{query}", token=account.access_token)
    assert page.status_code == 200, page.text
    return [item["post_id"] for item in page.json()["items"]]


def follow(api: Api, follower: Account, followee: Account) -> None:
    answer = api.call("POST", f"/users/{followee.username}/follow", token=follower.access_token)
    assert answer.status_code == 200, answer.text


# -- the home feed ---------------------------------------------------------------------------


def test_a_post_reaches_followers_feeds_and_not_strangers(api: Api, publish) -> None:
    author, fan, stranger = api.register(), api.register(), api.register()
    follow(api, fan, author)
    post_id = publish(author, "hello")
    eventually(lambda: post_id in feed_ids(api, fan), "the post in the follower's feed")
    # Your own posts are in your feed: a fan-out write of its own, in no set order with the
    # follower's (the LocalStack lane once read the author's feed first).
    eventually(lambda: post_id in feed_ids(api, author), "the post in the author's own feed")
    assert post_id not in feed_ids(api, stranger)
    item = api.call("GET", "/feed", token=fan.access_token).json()["items"][0]
    assert item["author"]["username"] == author.username
    assert item["images"][0]["renditions"]["small"]["url"].startswith("http")
    assert (item["likes_count"], item["liked"], item["saved"]) == (0, False, False)


def test_a_large_accounts_post_is_merged_at_read_time(
    api: Api, publish, local_cloud: RunningCloud
) -> None:
    star = api.register()
    fans = [api.register() for _ in range(4)]  # more than the test cloud's limit of 3
    for fan in fans:
        follow(api, fan, star)
    eventually(
        lambda: api.call("GET", "/me", token=star.access_token).json()["followers_count"] == 4,
        "the followers to count",
    )
    post_id = publish(star, "for everyone")
    for fan in fans:
        eventually(lambda fan=fan: post_id in feed_ids(api, fan), "the merged post")
    # Not copied into the fans' feed partitions: it was merged when the feed was read.
    feeds = local_cloud.client("dynamodb")
    stored = feeds.get_item(
        TableName="glimpse-local-feeds",
        Key={"user_id": {"S": fans[0].user_id}, "post_id": {"S": post_id}},
    )
    assert "Item" not in stored
    late_fan = api.register()  # a new follower of a large account gets the merge too
    follow(api, late_fan, star)
    eventually(lambda: post_id in feed_ids(api, late_fan), "the post for a new follower")


def test_pages_are_stable_while_new_posts_arrive(api: Api, publish) -> None:
    author, reader = api.register(), api.register()
    follow(api, reader, author)
    first = [publish(author, f"old {n}") for n in range(5)]
    eventually(lambda: set(first) <= set(feed_ids(api, reader, limit=10)), "the old posts")
    seen, cursor = [], None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        page = api.call("GET", f"/feed?limit=2{suffix}", token=reader.access_token).json()
        seen += [item["post_id"] for item in page["items"]]
        if len(seen) == 2:  # newer posts arrive while the reader scrolls
            newer = [publish(author, "new") for _ in range(2)]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(first, reverse=True)  # no duplicates, no gaps, newest first
    eventually(
        lambda: feed_ids(api, reader, limit=2) == sorted(newer, reverse=True),
        "the new posts on a fresh first page",
    )


def test_follow_backfills_unfollow_block_and_delete_remove(api: Api, publish) -> None:
    author, reader = api.register(), api.register()
    kept, gone = publish(author, "kept"), publish(author, "gone")
    follow(api, reader, author)
    eventually(lambda: {kept, gone} <= set(feed_ids(api, reader)), "the backfill")
    assert api.call("DELETE", f"/posts/{gone}", token=author.access_token).status_code == 204
    eventually(lambda: gone not in feed_ids(api, reader), "the deleted post to leave")
    assert api.call("GET", f"/posts/{gone}", token=author.access_token).status_code == 404
    api.call("DELETE", f"/users/{author.username}/follow", token=reader.access_token)
    eventually(lambda: kept not in feed_ids(api, reader), "the unfollowed author to leave")
    follow(api, reader, author)
    eventually(lambda: kept in feed_ids(api, reader), "the backfill after following again")
    api.call("POST", f"/users/{reader.username}/block", token=author.access_token)
    eventually(lambda: kept not in feed_ids(api, reader), "the blocker's posts to leave")


# -- likes, comments, saves ------------------------------------------------------------------


def test_likes_are_idempotent_counted_and_listed(api: Api, publish) -> None:
    author, alice, bob = api.register(), api.register(), api.register()
    post_id = publish(author)
    for _ in range(2):
        liked = api.call("POST", f"/posts/{post_id}/like", token=alice.access_token)
        assert liked.json() == {"liked": True, "likes_count": 1}
    api.call("POST", f"/posts/{post_id}/like", token=bob.access_token)
    likers = api.call("GET", f"/posts/{post_id}/likes", token=author.access_token).json()
    assert [user["username"] for user in likers["items"]] == [bob.username, alice.username]
    view = api.call("GET", f"/posts/{post_id}", token=alice.access_token).json()
    assert (view["likes_count"], view["liked"]) == (2, True)
    for _ in range(2):
        unliked = api.call("DELETE", f"/posts/{post_id}/like", token=alice.access_token)
        assert unliked.json() == {"liked": False, "likes_count": 1}


def test_comments_both_orders_and_who_may_delete(api: Api, publish) -> None:
    author, alice, bob = api.register(), api.register(), api.register()
    post_id = publish(author)
    ids = []
    for who, text in ((alice, "first"), (bob, "second #Nice"), (alice, "third")):
        added = api.call(
            "POST", f"/posts/{post_id}/comments", {"text": text}, token=who.access_token
        )
        assert added.status_code == 201, added.text
        ids.append(added.json()["comment_id"])
    newest = api.call("GET", f"/posts/{post_id}/comments", token=bob.access_token).json()
    assert [c["text"] for c in newest["items"]] == ["third", "second #Nice", "first"]
    assert newest["items"][1]["hashtags"] == ["nice"]
    oldest = api.call(
        "GET", f"/posts/{post_id}/comments?order=oldest&limit=2", token=bob.access_token
    ).json()
    assert [c["text"] for c in oldest["items"]] == ["first", "second #Nice"]
    assert oldest["next_cursor"]

    refused = api.call("DELETE", f"/posts/{post_id}/comments/{ids[0]}", token=bob.access_token)
    assert refused.status_code == 403 and error_code(refused) == "not_comment_author"
    for who, comment_id in ((alice, ids[0]), (author, ids[1])):  # its author; the post's owner
        gone = api.call("DELETE", f"/posts/{post_id}/comments/{comment_id}", token=who.access_token)
        assert gone.status_code == 204
    post = api.call("GET", f"/posts/{post_id}", token=author.access_token).json()
    assert post["comments_count"] == 1
    too_long = api.call(
        "POST", f"/posts/{post_id}/comments", {"text": "x" * 2201}, token=bob.access_token
    )
    assert too_long.status_code == 400 and error_code(too_long) == "validation_error"


def test_saves_are_private_bookmarks(api: Api, publish) -> None:
    author, reader = api.register(), api.register()
    older, newer = publish(author), publish(author)
    for post_id in (older, newer, newer):
        assert api.call("POST", f"/posts/{post_id}/save", token=reader.access_token).ok
    saved = api.call("GET", "/me/saved", token=reader.access_token).json()
    assert [item["post_id"] for item in saved["items"]] == [newer, older]
    assert all(item["saved"] for item in saved["items"])
    api.call("DELETE", f"/posts/{older}/save", token=reader.access_token)
    saved = api.call("GET", "/me/saved", token=reader.access_token).json()
    assert [item["post_id"] for item in saved["items"]] == [newer]
    assert api.call("GET", "/me/saved", token=author.access_token).json()["items"] == []


# -- hashtags, mentions, places --------------------------------------------------------------


def test_hashtags_are_unicode_and_case_folded(api: Api, publish) -> None:
    author = api.register()
    unique = author.username.replace("_", "")
    post_id = publish(author, f"Brunch #Café #서울 #NYC2026 #{unique}X")
    tag = f"{unique}x"

    def tag_page() -> dict | None:
        page = api.call("GET", f"/tags/{tag.upper()}/posts", token=author.access_token).json()
        return page if page["items"] else None

    page = eventually(tag_page, "the tag page")
    assert page["tag"] == tag and page["post_count"] == 1
    assert page["items"][0]["hashtags"] == ["café", "서울", "nyc2026", tag]
    cafe = api.call("GET", "/tags/CAF%C3%89/posts", token=author.access_token).json()
    assert cafe["tag"] == "café" and post_id in [item["post_id"] for item in cafe["items"]]
    api.call("PATCH", f"/posts/{post_id}", {"caption": "no tags now"}, token=author.access_token)
    eventually(
        lambda: (
            api.call("GET", f"/tags/{tag}/posts", token=author.access_token).json()["post_count"]
            == 0
        ),
        "the tag to be dropped",
    )


def test_places_are_matched_by_name_nearby(api: Api, publish) -> None:
    author, other = api.register(), api.register()
    name = f"Café {author.username}"
    first = publish(author, place={"name": name, "lat": 48.85661, "lng": 2.35222})
    second = publish(other, place={"name": name.upper(), "lat": 48.85659, "lng": 2.35218})
    elsewhere = publish(other, place={"name": name, "lat": 40.7128, "lng": -74.006})
    place_of = {
        post_id: api.call("GET", f"/posts/{post_id}", token=author.access_token).json()["place"][
            "place_id"
        ]
        for post_id in (first, second, elsewhere)
    }
    assert place_of[first] == place_of[second] != place_of[elsewhere]
    page = eventually(
        lambda: (
            (
                p := api.call(
                    "GET", f"/places/{place_of[first]}/posts", token=other.access_token
                ).json()
            )["place"]["post_count"]
            == 2
            and p
        ),
        "the place page",
    )
    assert [item["post_id"] for item in page["items"]] == [second, first]
    missing = api.call("GET", "/places/pl_nope/posts", token=other.access_token)
    assert missing.status_code == 404 and error_code(missing) == "place_not_found"


# -- activity --------------------------------------------------------------------------------


def activity_of(api: Api, account: Account) -> list[dict]:
    return api.call("GET", "/activity", token=account.access_token).json()["items"]


def test_activity_groups_likes_and_skips_your_own(api: Api, publish) -> None:
    author = api.register()
    fans = [api.register() for _ in range(3)]
    post_id = publish(author)
    api.call("POST", f"/posts/{post_id}/like", token=author.access_token)  # own: no news
    for fan in fans:
        api.call("POST", f"/posts/{post_id}/like", token=fan.access_token)
    item = eventually(
        lambda: next(
            (
                a
                for a in activity_of(api, author)
                if a["kind"] == "like" and a["actor"]["username"] == fans[-1].username
            ),
            None,
        ),
        "the grouped like",
    )
    likes = [a for a in activity_of(api, author) if a["kind"] == "like"]
    assert len(likes) == 1
    # The post has 4 likes (the author's own included in the counter, not in the news).
    assert item["text"] == f"{fans[-1].username} and 3 others liked your post"


def test_follows_requests_comments_and_mentions_make_activity(api: Api, publish) -> None:
    private, fan, friend = api.register(private=True), api.register(), api.register()
    follow(api, fan, private)
    eventually(
        lambda: any(a["kind"] == "follow_request" for a in activity_of(api, private)),
        "the follow request",
    )
    api.call("POST", f"/me/follow-requests/{fan.username}", token=private.access_token)
    eventually(
        lambda: [a["kind"] for a in activity_of(api, private)] == ["follow"],
        "the request to turn into a follow",
    )
    # The private account's follower hears of mentions in its posts and their comments; a
    # mentioned stranger, who may not see the post, hears nothing of either.
    caption = f"with @{fan.username}, @{friend.username} and @nobody_{fan.user_id[:6]}"
    post_id = publish(private, caption)
    api.call(
        "POST",
        f"/posts/{post_id}/comments",
        {"text": f"hi @{friend.username}!"},
        token=fan.access_token,
    )
    api.call(
        "POST",
        f"/posts/{post_id}/comments",
        {"text": f"me too @{fan.username}"},
        token=private.access_token,
    )
    kinds = eventually(
        lambda: (
            sorted(a["kind"] for a in activity_of(api, fan))
            if len(activity_of(api, fan)) == 2
            else None
        ),
        "two mentions",
    )
    assert kinds == ["mention", "mention"]
    eventually(lambda: "comment" in [a["kind"] for a in activity_of(api, private)], "the comment")
    assert activity_of(api, friend) == []


def test_activity_is_pushed_to_live_devices(api: Api, publish, local_cloud: RunningCloud) -> None:
    author, fan = api.register(), api.register()
    post_id = publish(author)

    async def listen() -> dict:
        async with websockets.connect(f"{local_cloud.ws_url}?token={author.access_token}") as ws:
            await asyncio.to_thread(
                api.call, "POST", f"/posts/{post_id}/like", token=fan.access_token
            )
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
                if event["type"] == "activity.new":
                    return event

    event = asyncio.run(listen())
    assert event["activity"]["kind"] == "like" and event["activity"]["post_id"] == post_id


# -- visibility ------------------------------------------------------------------------------


@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
def test_visibility_matrix(api: Api, publish, private: bool) -> None:
    """self / follower / stranger / blocked × every route that shows a post or hangs off one."""
    owner, follower, stranger, blocked = (api.register() for _ in range(4))
    tag = f"vis{owner.user_id[-8:]}"
    post_id = publish(owner, f"#{tag}", place={"name": f"p{owner.user_id}", "lat": 1, "lng": 2})
    follow(api, follower, owner)
    if private:
        api.call("PATCH", "/me", {"is_private": True}, token=owner.access_token)
    api.call("POST", f"/users/{blocked.username}/block", token=owner.access_token)
    place_id = api.call("GET", f"/posts/{post_id}", token=owner.access_token).json()["place"][
        "place_id"
    ]

    reads = [f"/posts/{post_id}", f"/posts/{post_id}/likes", f"/posts/{post_id}/comments"]
    writes = [
        (f"/posts/{post_id}/like", None),
        (f"/posts/{post_id}/save", None),
        (f"/posts/{post_id}/comments", {"text": "hi"}),
    ]
    for viewer, allowed in (
        (owner, True),
        (follower, True),
        (stranger, not private),
        (blocked, False),
    ):
        for path in reads:
            answer = api.call("GET", path, token=viewer.access_token)
            assert answer.status_code == (200 if allowed else 404), (viewer.username, path)
        for path, body in writes:
            answer = api.call("POST", path, body, token=viewer.access_token)
            assert answer.status_code in ((200, 201) if allowed else (404,)), (path, answer.text)
        grid = api.call("GET", f"/users/{owner.username}/posts", token=viewer.access_token)
        expected_grid = 200 if allowed else (404 if viewer is blocked else 403)
        assert grid.status_code == expected_grid, (viewer.username, grid.text)
        for listing in (f"/tags/{tag}/posts", f"/places/{place_id}/posts"):
            shown = eventually(
                lambda listing=listing: api.call("GET", listing, token=owner.access_token).json()[
                    "items"
                ],
                "the listing",
            )
            assert shown  # the owner always sees it
            page = api.call("GET", listing, token=viewer.access_token)
            if listing.startswith("/places") and not allowed:
                # A place only a private account posted from is that account's to show, and
                # one only an account across a block posted from is not there for the other.
                assert (page.status_code, error_code(page)) == (404, "place_not_found")
                continue
            items = page.json()["items"]
            assert (post_id in [i["post_id"] for i in items]) == allowed, (viewer.username, listing)
