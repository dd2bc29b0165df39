"""Media items' alt text and people tags (chalicelib/posts/tags.py) in-process against moto:
the input rules, the tags surviving the media function, the posts stream's rows and activity,
the tagged list, the visibility policy on cards, edits, removing your tag, erasure."""

from __future__ import annotations

from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from chalicelib import streams
from chalicelib.core import uploads
from chalicelib.core.errors import Forbidden, NotFound, ValidationError
from chalicelib.discovery.models import PlaceEntry
from chalicelib.feed import activity
from chalicelib.feed.models import Activity
from chalicelib.graph import blocks, follows
from chalicelib.posts import authoring, cards, media, tags
from chalicelib.posts.models import Post, PostImage, PostTag, Rendition


def stream_image(post_id: str) -> dict[str, Any]:
    """The post as the posts stream carries it (NEW_AND_OLD_IMAGES), deserialized."""
    item = Post.get(post_id, consistent_read=True)
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in item.serialize().items()}


def new_upload(owner_id: str, content_type: str = "image/jpeg") -> str:
    return uploads.create(owner_id, content_type, 1000)["upload_id"]


def rendered(upload_id: str, post_id: str) -> PostImage:
    """What the media function records: it knows nothing of alt text or tags."""
    return PostImage(
        upload_id=upload_id,
        status="ready",
        width=1080,
        height=720,
        placeholder="LKO2?U%2Tw=w",
        renditions=[
            Rendition(name="large", key=f"posts/{post_id}/0/l.jpg", width=1080, height=720, bytes=9)
        ],
    )


def publish(author_id: str, media_items: list[dict[str, Any]], **kwargs: Any) -> str:
    """A post made from ``media`` (upload ids filled in), made ready as the media function
    and the posts stream would."""
    items = [{"upload_id": new_upload(author_id), **item} for item in media_items]
    post = authoring.create(author_id, media=items, **kwargs)
    before = stream_image(post.post_id)
    streams.react("posts", None, before)
    for index, item in enumerate(items):
        media.record_image(post.post_id, index, rendered(item["upload_id"], post.post_id))
    streams.react("posts", before, stream_image(post.post_id))
    return post.post_id


def edit(author_id: str, post_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    before = stream_image(post_id)
    authoring.edit(author_id, post_id, changes)
    streams.react("posts", before, stream_image(post_id))
    return cards.read(author_id, post_id)


def tagged_names(card: dict[str, Any]) -> list[list[str]]:
    return [[tag["user"]["username"] for tag in item["tags"]] for item in card["images"]]


def activity_keys(user_id: str) -> set[str]:
    return {item["activity_id"] for item in activity.listing(user_id, 50, None).items}


def test_alt_text_and_tags_are_stored_shown_and_survive_the_media_function(make_user) -> None:
    author, bob, carol = make_user().user, make_user().user, make_user().user
    post_id = publish(
        author.user_id,
        [
            {
                "alt_text": "  Two friends at the beach  ",
                "tags": [
                    {"username": bob.username, "x": 0.25, "y": 0.5},
                    {"username": "@" + carol.username.upper(), "x": 1, "y": 0},
                ],
            },
            {"alt_text": "x" * tags.ALT_TEXT_MAX},
        ],
    )
    card = cards.read(author.user_id, post_id)
    assert card["status"] == "ready"
    first, second = card["images"]
    assert first["alt_text"] == "Two friends at the beach"
    assert [(t["user"]["user_id"], t["x"], t["y"]) for t in first["tags"]] == [
        (bob.user_id, 0.25, 0.5),
        (carol.user_id, 1.0, 0.0),
    ]
    assert (second["alt_text"], second["tags"]) == ("x" * 1000, [])
    assert first["renditions"]["large"]["width"] == 1080  # the media function's fields too
    # The rows of the tagged lists, one per (account, post).
    assert PostTag.get(bob.user_id, post_id).author_id == author.user_id
    assert PostTag.get(carol.user_id, post_id).author_id == author.user_id


def _bad_cases(bob: str) -> list[tuple[Any, str, str]]:
    tag = {"username": bob, "x": 0.5, "y": 0.5}
    return [
        ({"alt_text": "x" * 1001}, "validation_error", "media[0].alt_text"),
        ({"alt_text": 7}, "validation_error", "media[0].alt_text"),
        ({"tags": [tag] * 21}, "validation_error", "media[0].tags"),
        ({"tags": {"username": bob}}, "validation_error", "media[0].tags"),
        ({"tags": [{**tag, "x": 1.01}]}, "validation_error", "media[0].tags[0]"),
        ({"tags": [{**tag, "y": -0.1}]}, "validation_error", "media[0].tags[0]"),
        ({"tags": [{**tag, "x": "0.5"}]}, "validation_error", "media[0].tags[0]"),
        ({"tags": [{**tag, "x": True}]}, "validation_error", "media[0].tags[0]"),
        ({"tags": [{**tag, "x": float("nan")}]}, "validation_error", "media[0].tags[0]"),
        ({"tags": [{"x": 0.5, "y": 0.5}]}, "validation_error", "media[0].tags[0]"),
        ({"tags": [{**tag, "username": 42}]}, "validation_error", "media[0].tags[0]"),
        ({"tags": [{**tag, "username": ["a"]}]}, "validation_error", "media[0].tags[0]"),
        ({"tags": [tag, {**tag, "username": bob.upper()}]}, "validation_error", "media[0].tags[1]"),
        ({"tags": ["bob"]}, "validation_error", "media[0].tags[0]"),
        ({"tags": [{**tag, "username": "nobody_" + bob}]}, "invalid_tag", "media[0].tags[0]"),
        ({"tags": [tag, {**tag, "username": "not a name!"}]}, "invalid_tag", "media[0].tags[1]"),
    ]


def test_bad_media_details_are_a_clear_400_and_take_no_upload(make_user) -> None:
    author, bob = make_user().user, make_user().user
    for details, code, field in _bad_cases(bob.username):
        upload_id = new_upload(author.user_id)
        with pytest.raises(ValidationError) as refused:
            authoring.create(author.user_id, media=[{"upload_id": upload_id, **details}])
        assert (refused.value.code, refused.value.details.get("field")) == (code, field), details
        assert uploads.Upload.get(upload_id).post_id is None
    upload_id = new_upload(author.user_id)
    for kwargs in (
        {"media": "abc"},
        {"media": []},
        {"media": [upload_id]},
        {"media": [{"alt_text": "no upload"}]},
        {"media": [{"upload_id": upload_id}], "upload_ids": [upload_id]},
        {},
    ):
        with pytest.raises(ValidationError):
            authoring.create(author.user_id, **kwargs)


def test_twenty_tags_on_an_item_and_tags_on_a_video_are_fine(make_user) -> None:
    author = make_user().user
    people = [make_user().user for _ in range(20)]
    items = [
        {
            "upload_id": new_upload(author.user_id, "video/mp4"),
            "tags": [{"username": p.username, "x": 0.5, "y": 0.5} for p in people],
        }
    ]
    post = authoring.create(author.user_id, media=items)
    shown = cards.view(post, author.user_id)["images"][0]
    assert shown["type"] == "video" and len(shown["tags"]) == 20


def test_a_block_either_way_refuses_the_tag_as_an_unknown_name(make_user) -> None:
    author, blocked, blocker = make_user().user, make_user().user, make_user().user
    blocks.block(author.user_id, blocked.username)
    blocks.block(blocker.user_id, author.username)
    for other in (blocked, blocker):
        items = [
            {
                "upload_id": new_upload(author.user_id),
                "tags": [{"username": other.username, "x": 0, "y": 0}],
            }
        ]
        with pytest.raises(ValidationError) as refused:
            authoring.create(author.user_id, media=items)
        assert refused.value.code == "invalid_tag"
        assert refused.value.message == f"No account @{other.username} to tag"


def test_the_tagged_get_activity_and_a_list_under_the_visibility_policy(make_user) -> None:
    author, tagged, stranger = make_user(private=True).user, make_user().user, make_user().user
    fan = make_user().user
    follows.follow(tagged.user_id, author.username)  # a request: the author is private
    follows.approve(author.user_id, tagged.username)
    follows.follow(fan.user_id, author.username)
    follows.approve(author.user_id, fan.username)
    tag = {"username": tagged.username, "x": 0.1, "y": 0.9}
    post_id = publish(author.user_id, [{"tags": [tag]}])
    assert f"tag#{post_id}" in activity_keys(tagged.user_id)
    item = next(i for i in activity.listing(tagged.user_id, 50, None).items if i["kind"] == "tag")
    assert (item["text"], item["post_id"]) == (f"{author.username} tagged you in a post", post_id)
    # The list: the tagged account's followers see it; the private author's post in it only
    # for the author's approved followers.
    for viewer in (tagged, author, fan):
        page = tags.tagged(viewer.user_id, tagged.username, 10, None)
        assert [card["post_id"] for card in page["items"]] == [post_id]
    assert tags.tagged(stranger.user_id, tagged.username, 10, None)["items"] == []


def test_a_private_or_blocked_tagged_account_is_left_out_of_a_card(make_user) -> None:
    author, hidden, shown = make_user().user, make_user(private=True).user, make_user().user
    viewer = make_user().user
    post_id = publish(
        author.user_id,
        [
            {
                "tags": [
                    {"username": hidden.username, "x": 0.2, "y": 0.2},
                    {"username": shown.username, "x": 0.3, "y": 0.3},
                ]
            }
        ],
    )
    # A private account the viewer does not follow is not shown as tagged…
    assert tagged_names(cards.read(viewer.user_id, post_id)) == [[shown.username]]
    assert tagged_names(cards.read(hidden.user_id, post_id)) == [[hidden.username, shown.username]]
    # …and nor is one across a block, either way; its tagged list is 404 to them.
    blocks.block(shown.user_id, viewer.username)
    assert tagged_names(cards.read(viewer.user_id, post_id)) == [[]]
    with pytest.raises(NotFound):
        tags.tagged(viewer.user_id, shown.username, 10, None)
    with pytest.raises(Forbidden):  # a private account's tagged list is for its followers
        tags.tagged(viewer.user_id, hidden.username, 10, None)


def test_an_edit_changes_alt_text_tags_and_place_and_what_follows(make_user) -> None:
    author, bob, carol = make_user().user, make_user().user, make_user().user
    old_place = {"name": "Old café", "lat": 10.0, "lng": 20.0}
    post_id = publish(
        author.user_id,
        [{"alt_text": "before", "tags": [{"username": bob.username, "x": 0.5, "y": 0.5}]}, {}],
        caption="hello",
        place=old_place,
    )
    old_place_id = cards.read(author.user_id, post_id)["place"]["place_id"]
    assert PlaceEntry.count(old_place_id, PlaceEntry.post_id == post_id) == 1
    card = edit(
        author.user_id,
        post_id,
        {
            "media": [
                {"tags": [{"username": carol.username, "x": 0.4, "y": 0.6}]},
                {"alt_text": "the second"},
            ],
            "place": {"name": "New bar", "lat": -5.0, "lng": 7.5},
        },
    )
    assert card["caption"] == "hello"  # left out: unchanged
    assert [i["alt_text"] for i in card["images"]] == ["before", "the second"]
    assert tagged_names(card) == [[carol.username], []]
    assert card["place"]["name"] == "New bar"
    # The place pages, the tagged lists and the activity moved with it.
    assert PlaceEntry.count(old_place_id, PlaceEntry.post_id == post_id) == 0
    assert PlaceEntry.count(card["place"]["place_id"], PlaceEntry.post_id == post_id) == 1
    assert tags.tagged(bob.user_id, bob.username, 10, None)["items"] == []
    carols = tags.tagged(carol.user_id, carol.username, 10, None)["items"]
    assert [c["post_id"] for c in carols] == [post_id]
    assert f"tag#{post_id}" not in activity_keys(bob.user_id)
    assert f"tag#{post_id}" in activity_keys(carol.user_id)
    # Clearing: null alt text, no tags, no place.
    card = edit(author.user_id, post_id, {"media": [{"alt_text": None, "tags": []}, {}]})
    card = edit(author.user_id, post_id, {"place": None})
    assert (card["images"][0]["alt_text"], tagged_names(card), card["place"]) == (
        None,
        [[], []],
        None,
    )
    with pytest.raises(PostTag.DoesNotExist):
        PostTag.get(carol.user_id, post_id)


def test_bad_edits_are_refused(make_user) -> None:
    author, other = make_user().user, make_user().user
    post_id = publish(author.user_id, [{}])
    for changes in (
        {},
        {"media": [{}, {}]},  # one object per item
        {"media": {"alt_text": "x"}},
        {"media": [{"alt_text": "x" * 1001}]},
        {"media": [{"tags": [{"username": "nobody_zz", "x": 0, "y": 0}]}]},
        {"place": "Paris"},
        {"caption": 5},
    ):
        with pytest.raises(ValidationError):
            authoring.edit(author.user_id, post_id, changes)
    with pytest.raises(Forbidden):
        authoring.edit(other.user_id, post_id, {"media": [{"alt_text": "mine now"}]})


def test_the_tagged_may_remove_their_tag_even_when_they_can_no_longer_see_it(make_user) -> None:
    author, bob, stranger = make_user().user, make_user().user, make_user().user
    post_id = publish(
        author.user_id, [{"tags": [{"username": bob.username, "x": 0.5, "y": 0.5}]}] * 2
    )
    before = stream_image(post_id)
    tags.remove_me(stranger.user_id, post_id)  # not tagged, may see it: nothing to do
    with pytest.raises(NotFound):
        tags.remove_me(stranger.user_id, "no-such-post")
    from chalicelib.accounts import profiles

    profiles.update_me(author.user_id, {"is_private": True})
    tags.remove_me(bob.user_id, post_id)  # bob may no longer see it: still his tag
    streams.react("posts", before, stream_image(post_id))
    assert tagged_names(cards.read(author.user_id, post_id)) == [[], []]
    assert f"tag#{post_id}" not in activity_keys(bob.user_id)
    with pytest.raises(NotFound):
        tags.remove_me(bob.user_id, post_id)  # not tagged any more, and may not see it
    with pytest.raises(PostTag.DoesNotExist):
        PostTag.get(bob.user_id, post_id)


def test_an_accounts_erasure_takes_its_tags_off_others_posts(make_user) -> None:
    from chalicelib.posts import erasure

    author, bob = make_user().user, make_user().user
    post_id = publish(author.user_id, [{"tags": [{"username": bob.username, "x": 0, "y": 1}]}])
    assert erasure.untag(bob.user_id, lambda: None) == 1
    assert Post.get(post_id).images[0].tags == []
    assert list(PostTag.query(bob.user_id)) == []


def test_a_deleted_post_takes_its_rows_and_activity(make_user) -> None:
    author, bob = make_user().user, make_user().user
    post_id = publish(author.user_id, [{"tags": [{"username": bob.username, "x": 0, "y": 1}]}])
    before = stream_image(post_id)
    authoring.delete(author.user_id, post_id)
    streams.react("posts", before, None)
    assert list(PostTag.query(bob.user_id)) == []
    with pytest.raises(Activity.DoesNotExist):
        Activity.get(bob.user_id, f"tag#{post_id}")


def test_a_page_of_cards_costs_one_more_batch_with_tags_whatever_its_length(
    make_user, monkeypatch
) -> None:
    from chalicelib.graph import visibility

    author = make_user().user
    people = [make_user().user for _ in range(6)]
    tagged_posts = [
        publish(
            author.user_id,
            [{"tags": [{"username": p.username, "x": 0.5, "y": 0.5} for p in people[n : n + 3]]}],
        )
        for n in range(4)
    ]
    plain = [publish(author.user_id, [{}]) for _ in range(2)]
    waves: list[int] = []
    real = visibility.batch_get

    def counted(keys: list) -> dict:
        waves.append(len(keys))
        return real(keys)

    monkeypatch.setattr(visibility, "batch_get", counted)
    viewer = make_user().user
    shown = cards.of(viewer.user_id, [(post_id, author.user_id) for post_id in tagged_posts])
    assert len(waves) == 2  # the page's batch, then the tagged accounts' (one for all cards)
    assert all(len(card["images"][0]["tags"]) == 3 for card in shown)
    waves.clear()
    cards.of(viewer.user_id, [(post_id, author.user_id) for post_id in plain])
    assert len(waves) == 1  # nobody tagged: no second batch
