"""Media items' alt text and people tags over HTTP against the local cloud, with the media
function and the stream handlers running: a post made with `media` (alt text, tags), the
tagged person's activity item and tagged list, a private account's tagged post hidden from a
stranger, PATCH editing alt text, tags and place (the place pages and the lists moving with
it), removing your own tag, and bad input answered 400 (never 500)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.clips import clip
from tests.integration.conftest import Account, Api, error_code, eventually, upload_photo
from tests.integration.test_media_http import encode, landscape, upload

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def post_media(api: Api, photo: bytes) -> Callable[..., str]:
    """``post_media(account, items, **fields)``: a post from ``media`` (each item's upload
    made here), returned once it is ready."""

    def make(account: Account, items: list[dict[str, Any]], **fields: Any) -> str:
        media = [{"upload_id": upload_photo(api, account, photo), **item} for item in items]
        created = api.call("POST", "/posts", {"media": media, **fields}, token=account.access_token)
        assert created.status_code == 201, created.text
        post_id = created.json()["post_id"]
        eventually(
            lambda: get(api, account, f"/posts/{post_id}").get("status") == "ready",
            f"post {post_id} to be ready",
        )
        return post_id

    return make


def get(api: Api, who: Account, path: str) -> Any:
    return api.call("GET", path, token=who.access_token).json()


def tagged_ids(api: Api, viewer: Account, username: str) -> list[str]:
    page = api.call("GET", f"/users/{username}/tagged?limit=50", token=viewer.access_token)
    assert page.status_code == 200, page.text
    return [item["post_id"] for item in page.json()["items"]]


def tag_items(api: Api, who: Account) -> list[dict[str, Any]]:
    items = get(api, who, "/activity?limit=50")["items"]
    return [item for item in items if item["kind"] == "tag"]


def names_on(card: dict[str, Any]) -> list[list[str]]:
    return [[tag["user"]["username"] for tag in item["tags"]] for item in card["images"]]


def test_a_tagged_person_hears_of_it_finds_it_and_may_remove_it(api: Api, post_media) -> None:
    author, bob, carol = api.register(), api.register(), api.register()
    post_id = post_media(
        author,
        [
            {
                "alt_text": "Bob and Carol on the pier",
                "tags": [
                    {"username": bob.username, "x": 0.25, "y": 0.5},
                    {"username": carol.username, "x": 0.75, "y": 0.5},
                ],
            },
            {"alt_text": "The sunset"},
        ],
        caption="pier day",
    )
    card = get(api, bob, f"/posts/{post_id}")
    # The media function made the renditions and kept the author's details.
    assert [item["alt_text"] for item in card["images"]] == [
        "Bob and Carol on the pier",
        "The sunset",
    ]
    assert card["images"][0]["renditions"]["small"]["url"].startswith("http")
    assert names_on(card) == [[bob.username, carol.username], []]
    assert card["images"][0]["tags"][0] | {"user": None} == {"user": None, "x": 0.25, "y": 0.5}
    # The activity item and the tagged list, from the posts stream.
    item = eventually(lambda: tag_items(api, bob), "bob's tag activity item")[0]
    assert (item["post_id"], item["actor"]["username"]) == (post_id, author.username)
    assert item["text"] == f"{author.username} tagged you in a post"
    eventually(lambda: tagged_ids(api, bob, bob.username) == [post_id], "bob's tagged list")
    eventually(lambda: tagged_ids(api, author, carol.username) == [post_id], "carol's tagged list")
    # Bob takes his tag off: the post, his list and his activity follow.
    removed = api.call("DELETE", f"/posts/{post_id}/tags/me", token=bob.access_token)
    assert removed.status_code == 204, removed.text
    assert names_on(get(api, carol, f"/posts/{post_id}")) == [[carol.username], []]
    eventually(lambda: tagged_ids(api, bob, bob.username) == [], "bob's list emptied")
    eventually(lambda: not tag_items(api, bob), "bob's tag activity withdrawn")
    assert tagged_ids(api, carol, carol.username) == [post_id]
    again = api.call("DELETE", f"/posts/{post_id}/tags/me", token=bob.access_token)
    assert again.status_code == 204  # nothing left to remove on a post he may see


def test_a_private_accounts_tagged_post_is_hidden_from_a_stranger(api: Api, post_media) -> None:
    private, friend, stranger = api.register(private=True), api.register(), api.register()
    # friend follows the private author (approved), so it may see the post it is tagged on.
    api.call("POST", f"/users/{private.username}/follow", token=friend.access_token)
    approved = api.call(
        "POST", f"/me/follow-requests/{friend.username}", token=private.access_token
    )
    assert approved.status_code in (200, 204), approved.text
    post_id = post_media(private, [{"tags": [{"username": friend.username, "x": 0, "y": 1}]}])
    eventually(lambda: tagged_ids(api, friend, friend.username) == [post_id], "friend's list")
    eventually(lambda: tag_items(api, friend), "friend's tag activity item")
    # friend's list is public, the post in it is not: a stranger sees an empty page.
    assert tagged_ids(api, stranger, friend.username) == []
    hidden = api.call("GET", f"/posts/{post_id}", token=stranger.access_token)
    assert (hidden.status_code, error_code(hidden)) == (404, "post_not_found")
    # A private account tagged on a public post is not shown as tagged to a stranger, and
    # its tagged list is its followers'.
    author = api.register()
    public_post = post_media(author, [{"tags": [{"username": private.username, "x": 0, "y": 0}]}])
    assert names_on(get(api, stranger, f"/posts/{public_post}")) == [[]]
    assert names_on(get(api, author, f"/posts/{public_post}")) == [[]]  # author doesn't follow
    assert names_on(get(api, private, f"/posts/{public_post}")) == [[private.username]]
    listed = api.call("GET", f"/users/{private.username}/tagged", token=stranger.access_token)
    assert (listed.status_code, error_code(listed)) == (403, "private_account")


def test_patch_edits_alt_text_tags_and_place(api: Api, post_media) -> None:
    author, bob, carol = api.register(), api.register(), api.register()
    old_place = {"name": "Tag Café Old", "lat": 12.345, "lng": 54.321}
    post_id = post_media(
        author,
        [{"alt_text": "first", "tags": [{"username": bob.username, "x": 0.5, "y": 0.5}]}],
        caption="edit me",
        place=old_place,
    )
    old_place_id = get(api, author, f"/posts/{post_id}")["place"]["place_id"]

    def place_posts(place_id: str) -> list[str]:
        page = api.call("GET", f"/places/{place_id}/posts", token=author.access_token)
        return [item["post_id"] for item in page.json().get("items", [])]

    eventually(lambda: place_posts(old_place_id) == [post_id], "the old place page")
    eventually(lambda: tagged_ids(api, bob, bob.username) == [post_id], "bob's list")
    change = {
        "media": [
            {"alt_text": "edited", "tags": [{"username": carol.username, "x": 0.1, "y": 0.2}]}
        ],
        "place": {"name": "Tag Bar New", "lat": -1.5, "lng": 2.5},
    }
    edited = api.call("PATCH", f"/posts/{post_id}", change, token=author.access_token)
    assert edited.status_code == 200, edited.text
    card = edited.json()
    assert (card["caption"], card["images"][0]["alt_text"]) == ("edit me", "edited")
    assert names_on(card) == [[carol.username]]
    assert card["place"]["name"] == "Tag Bar New"
    new_place_id = card["place"]["place_id"]
    eventually(lambda: place_posts(new_place_id) == [post_id], "the new place page")
    eventually(
        lambda: (
            api.call("GET", f"/places/{old_place_id}/posts", token=author.access_token).status_code
            == 404
        ),
        "the old place page gone (its only post moved)",
    )
    eventually(lambda: tagged_ids(api, carol, carol.username) == [post_id], "carol's list")
    eventually(lambda: tagged_ids(api, bob, bob.username) == [], "bob's list emptied")
    eventually(lambda: tag_items(api, carol), "carol's tag activity item")
    eventually(lambda: not tag_items(api, bob), "bob's tag activity withdrawn")
    # Somebody else may not edit it.
    other = api.call("PATCH", f"/posts/{post_id}", change, token=bob.access_token)
    assert (other.status_code, error_code(other)) == (403, "not_post_author")


def test_bad_media_details_are_400_with_a_code(api: Api, photo: bytes) -> None:
    author, bob = api.register(), api.register()
    blocker = api.register()
    api.call("POST", f"/users/{author.username}/block", token=blocker.access_token)
    slot = api.call(
        "POST", "/uploads", {"content_type": "image/jpeg", "size": 99}, token=author.access_token
    ).json()
    tag = {"username": bob.username, "x": 0.5, "y": 0.5}
    cases = [
        ({"alt_text": "x" * 1001}, "validation_error"),
        ({"tags": [tag] * 21}, "validation_error"),
        ({"tags": [{**tag, "x": 1.5}]}, "validation_error"),
        ({"tags": [tag, tag]}, "validation_error"),
        ({"tags": [{**tag, "username": 12}]}, "validation_error"),
        ({"tags": [{**tag, "username": "nobody_" + bob.username}]}, "invalid_tag"),
        ({"tags": [{**tag, "username": blocker.username}]}, "invalid_tag"),
    ]
    for details, code in cases:
        body = {"media": [{"upload_id": slot["upload_id"], **details}]}
        answer = api.call("POST", "/posts", body, token=author.access_token)
        assert (answer.status_code, error_code(answer)) == (400, code), (details, answer.text)
    # The upload was taken by none of them.
    body = {"media": [{"upload_id": slot["upload_id"], "tags": [tag]}]}
    assert api.call("POST", "/posts", body, token=author.access_token).status_code == 201


def test_a_videos_details_survive_the_media_function(api: Api) -> None:
    """A mixed carousel: the photo's and the video's alt text and tags, set at creation, are
    still there once the media function has written their renditions (and a poster)."""
    author, bob = api.register(), api.register()
    tag = {"username": bob.username, "x": 0.5, "y": 0.5}
    media = [
        {
            "upload_id": upload(api, author, encode(landscape(400, 300), "JPEG"), "image/jpeg"),
            "alt_text": "a photo",
            "tags": [tag],
        },
        {
            "upload_id": upload(api, author, clip(1.0, (160, 120)), "video/mp4"),
            "alt_text": "a video",
            "tags": [{**tag, "x": 0.25}],
        },
    ]
    created = api.call("POST", "/posts", {"media": media}, token=author.access_token)
    assert created.status_code == 201, created.text
    post_id = created.json()["post_id"]
    card = eventually(
        lambda: (shown := get(api, author, f"/posts/{post_id}"))["status"] == "ready" and shown,
        "the carousel to be ready",
        timeout=120,
    )
    photo, video = card["images"]
    assert (photo["type"], video["type"]) == ("image", "video")
    assert video["poster"] and "480p" in video["renditions"]
    assert (photo["alt_text"], video["alt_text"]) == ("a photo", "a video")
    assert [(t["user"]["username"], t["x"]) for t in video["tags"]] == [(bob.username, 0.25)]
    assert names_on(card) == [[bob.username], [bob.username]]
    # One tagged-list row and one activity item for the post, however many items tag bob.
    eventually(lambda: tagged_ids(api, bob, bob.username) == [post_id], "bob's tagged list")
    eventually(lambda: len(tag_items(api, bob)) == 1, "bob's one tag activity item")
