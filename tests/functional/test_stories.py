"""Stories in-process on moto: posting one through the media job (its 9:16 renditions), the
tray fanned out by the stories stream and read in a constant number of round trips, who may
see a story (followers, close friends, blocks, mutes, a private account), expiry at read
time, seen and viewers, deletion."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib import streams
from chalicelib.accounts.models import User
from chalicelib.core import uploads
from chalicelib.core.errors import GlimpseError
from chalicelib.core.settings import settings
from chalicelib.graph import blocks, follows, mutes
from chalicelib.stories import authoring, close_friends, erasure, reading, seen, tray
from chalicelib.stories.models import CloseFriend, Story, StoryView, TrayEntry

REPOSITORY = Path(__file__).resolve().parents[2]
PHOTO = REPOSITORY / "tests" / "functional" / "media" / "data" / "sample.jpg"
sys.path.insert(0, str(REPOSITORY / "functions" / "media"))


@pytest.fixture
def jobs(aws: None) -> Any:
    import jobs

    return jobs


def post_story(jobs: Any, author_id: str, audience: str = "everyone") -> Story:
    """A story through the whole pipeline: slot, POST, the photo landing, the stream."""
    made = uploads.create(author_id, "image/jpeg", PHOTO.stat().st_size)
    story = authoring.create(author_id, made["upload_id"], audience)
    bucket, key = settings().uploads_bucket, made["fields"]["key"]
    etag = boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=PHOTO.read_bytes())["ETag"]
    assert jobs.handle_object(bucket, key, etag.strip('"')) == jobs.PROCESSED
    ready = Story.get(story.story_id, consistent_read=True)
    streams.react("stories", {"author_id": author_id, "status": "processing"}, _image(ready))
    return ready


def _image(story: Story) -> dict[str, Any]:
    return {
        "story_id": story.story_id,
        "author_id": story.author_id,
        "status": story.status,
        "renditions": [{"key": r.key} for r in story.renditions or []],
    }


def tray_of(user_id: str) -> list[str]:
    return [item["author"]["user_id"] for item in tray.read(user_id, 50, None)["items"]]


def code(call: Any) -> str:
    with pytest.raises(GlimpseError) as error:
        call()
    return error.value.code


def test_a_story_is_rendered_9_16_and_reaches_followers_trays(jobs, make_user) -> None:
    author, fan, stranger = make_user().user, make_user().user, make_user().user
    follows.follow(fan.user_id, author.username)

    story = post_story(jobs, author.user_id)

    assert story.status == "ready" and story.placeholder
    sizes = {r.name: (int(r.width), int(r.height)) for r in story.renditions}
    assert set(sizes) == {"story", "preview"}
    for width, height in sizes.values():
        assert abs(width / height - 9 / 16) < 0.01
    assert sizes["preview"][0] <= 360 and sizes["story"][0] <= 1080
    assert tray_of(fan.user_id) == [author.user_id]
    assert tray_of(stranger.user_id) == []
    shown = reading.of_author(fan.user_id, author.username)["items"]
    assert [s["story_id"] for s in shown] == [story.story_id]
    assert "audience" not in shown[0] and shown[0]["renditions"]["story"]["url"]
    # A public account's stories are on its profile for anyone; its tray is for followers.
    assert len(reading.of_author(stranger.user_id, author.username)["items"]) == 1


def test_a_profiles_stories_play_oldest_first_and_expire_at_read_time(jobs, make_user) -> None:
    author, fan = make_user().user, make_user().user
    follows.follow(fan.user_id, author.username)
    first, second = post_story(jobs, author.user_id), post_story(jobs, author.user_id)

    shown = reading.of_author(fan.user_id, author.username)["items"]
    assert [s["story_id"] for s in shown] == [first.story_id, second.story_id]
    assert tray.read(fan.user_id, 50, None)["items"][0]["latest_story_id"] == second.story_id

    # Time moves on: both expire (TTL would remove them later; reads hide them at once).
    past = datetime.now(UTC) - timedelta(seconds=1)
    for story in (first, second):
        Story(story.story_id).update(actions=[Story.expires_at.set(past)])
    TrayEntry(fan.user_id, author.user_id).update(actions=[TrayEntry.expires_at.set(past)])
    assert reading.of_author(fan.user_id, author.username)["items"] == []
    assert tray_of(fan.user_id) == []


def test_close_friends_stories_reach_close_friends_only(jobs, make_user) -> None:
    author, friend, fan = make_user().user, make_user().user, make_user().user
    for user in (friend, fan):
        follows.follow(user.user_id, author.username)
    close_friends.add(author.user_id, friend.username)

    story = post_story(jobs, author.user_id, "close_friends")

    assert tray_of(friend.user_id) == [author.user_id]
    assert tray_of(fan.user_id) == []
    assert [s["story_id"] for s in reading.of_author(fan.user_id, author.username)["items"]] == []
    assert code(lambda: seen.mark(fan.user_id, story.story_id)) == "story_not_found"
    own = reading.of_author(author.user_id, author.username)["items"]
    assert own[0]["audience"] == "close_friends"
    # Off the list: out of the tray at once, and the story with it.
    close_friends.remove(author.user_id, friend.username)
    assert tray_of(friend.user_id) == []
    assert reading.of_author(friend.user_id, author.username)["items"] == []
    assert (
        code(lambda: close_friends.add(author.user_id, author.username))
        == "cannot_close_friend_self"
    )


def test_private_blocked_and_muted_accounts_stories(jobs, make_user) -> None:
    private = make_user(private=True).user
    fan, stranger, muter = make_user().user, make_user().user, make_user().user
    follows.follow(fan.user_id, private.username)
    follows.approve(private.user_id, fan.username)
    follows.follow(muter.user_id, private.username)
    follows.approve(private.user_id, muter.username)
    post_story(jobs, private.user_id)

    assert tray_of(fan.user_id) == [private.user_id]
    assert code(lambda: reading.of_author(stranger.user_id, private.username)) == (
        "private_account"
    )
    mutes.mute(muter.user_id, private.username)
    assert tray_of(muter.user_id) == []  # muted: out of the tray...
    assert len(reading.of_author(muter.user_id, private.username)["items"]) == 1  # not the profile
    blocks.block(private.user_id, fan.username)
    assert tray_of(fan.user_id) == []
    assert code(lambda: reading.of_author(fan.user_id, private.username)) == "user_not_found"


def test_seen_is_idempotent_puts_unseen_first_and_viewers_are_the_owners(jobs, make_user) -> None:
    viewer, older, newer = make_user().user, make_user().user, make_user().user
    for author in (older, newer):
        follows.follow(viewer.user_id, author.username)
    old_story = post_story(jobs, older.user_id)
    new_story = post_story(jobs, newer.user_id)
    assert tray_of(viewer.user_id) == [newer.user_id, older.user_id]

    for _ in range(2):
        assert seen.mark(viewer.user_id, new_story.story_id)["seen"] is True
    items = tray.read(viewer.user_id, 50, None)["items"]
    assert [(i["author"]["user_id"], i["seen"]) for i in items] == [
        (older.user_id, False),
        (newer.user_id, True),
    ]
    listed = seen.viewers(newer.user_id, new_story.story_id, 20, None)["items"]
    assert [v["user"]["user_id"] for v in listed] == [viewer.user_id]
    assert code(lambda: seen.viewers(viewer.user_id, new_story.story_id, 20, None)) == (
        "story_not_found"
    )
    assert reading.of_author(viewer.user_id, newer.username)["items"][0]["seen"] is True
    _ = old_story


def tray_calls(aws_calls: Any, reader_id: str) -> tuple[int, list[str]]:
    """The items of one tray page read now, and the AWS calls it made, in order."""
    with aws_calls() as calls:
        shown = len(tray.read(reader_id, 20, None)["items"])
    return shown, calls


def test_the_tray_costs_the_same_round_trips_for_5_or_40_accounts(
    jobs, make_user, aws_calls
) -> None:
    def cost(count: int) -> tuple[int, list[str]]:
        reader = make_user().user
        for _ in range(count):
            author = make_user().user
            follows.follow(reader.user_id, author.username)
            story = authoring.create(
                author.user_id,
                uploads.create(author.user_id, "image/jpeg", 10)["upload_id"],
            )
            Story(story.story_id).update(actions=[Story.status.set("ready")])
            tray.refresh(author.user_id)
        return tray_calls(aws_calls, reader.user_id)

    small, large = cost(5), cost(40)
    assert small[0] == 5 and large[0] == 20  # a page of 20
    # The tray partition and, beside it, the large accounts followed (the feed's markers).
    assert small[1].count("Query") == large[1].count("Query") == 2
    assert len(large[1]) <= 2 + 3  # two Queries, one BatchGetItem in at most 3 chunks of 100


def test_bad_input_and_others_stories(jobs, make_user) -> None:
    author, other = make_user().user, make_user().user
    story = post_story(jobs, author.user_id)
    used = story.upload_id

    assert code(lambda: authoring.create(author.user_id, used)) == "invalid_upload"
    assert code(lambda: authoring.create(author.user_id, 12)) == "validation_error"
    made = uploads.create(author.user_id, "image/jpeg", 10)
    assert code(lambda: authoring.create(author.user_id, made["upload_id"], "friends")) == (
        "validation_error"
    )
    # A video is taken (the media function makes its 9:16 MP4s), and says so from the start.
    video = uploads.create(author.user_id, "video/mp4", 10)
    assert authoring.create(author.user_id, video["upload_id"]).type == "video"
    assert code(lambda: authoring.create(author.user_id, video["upload_id"])) == "invalid_upload"
    assert code(lambda: authoring.delete(other.user_id, story.story_id)) == "story_not_found"
    assert code(lambda: authoring.delete(author.user_id, "x" * 500)) == "story_not_found"
    assert code(lambda: seen.mark(other.user_id, "nope")) == "story_not_found"


def test_a_deleted_story_leaves_trays_and_its_files(jobs, make_user) -> None:
    author, fan = make_user().user, make_user().user
    follows.follow(fan.user_id, author.username)
    story = post_story(jobs, author.user_id)
    keys = [r.key for r in story.renditions]

    authoring.delete(author.user_id, story.story_id)
    streams.react("stories", _image(story), None)

    assert tray_of(fan.user_id) == []
    listed = boto3.client("s3").list_objects_v2(
        Bucket=settings().media_bucket, Prefix=f"stories/{author.user_id}/"
    )
    assert not [o for o in listed.get("Contents", []) if o["Key"] in keys]


def test_an_accounts_erasure_takes_its_stories_views_close_friends_and_trays(
    jobs, make_user
) -> None:
    user, other = make_user().user, make_user().user
    follows.follow(other.user_id, user.username)
    follows.follow(user.user_id, other.username)
    mine, theirs = post_story(jobs, user.user_id), post_story(jobs, other.user_id)
    seen.mark(other.user_id, mine.story_id)
    seen.mark(user.user_id, theirs.story_id)
    close_friends.add(user.user_id, other.username)
    close_friends.add(other.user_id, user.username)

    erasure.forget(user.user_id, lambda: None)

    assert list(Story.by_author.query(user.user_id)) == []
    assert list(StoryView.by_viewer.query(user.user_id)) == []
    assert list(StoryView.query(mine.story_id)) == []
    assert list(CloseFriend.query(user.user_id)) == []
    assert list(CloseFriend.of_friend.query(user.user_id)) == []
    assert list(TrayEntry.query(user.user_id)) == []
    assert list(TrayEntry.by_author.query(user.user_id)) == []


def test_a_reply_is_a_dm_to_the_author_carrying_the_storys_preview(jobs, make_user) -> None:
    from chalicelib.messaging import messages
    from chalicelib.stories import reply

    author, fan, stranger = make_user().user, make_user().user, make_user(private=False).user
    follows.follow(fan.user_id, author.username)
    story = post_story(jobs, author.user_id)

    sent = reply.reply(fan.user_id, story.story_id, "love this")

    assert sent["text"] == "love this"
    assert sent["story"]["story_id"] == story.story_id and sent["story"]["available"] is True
    assert "/preview.jpg" in sent["story"]["preview_url"]
    page = messages.history(author.user_id, sent["conversation_id"], 20, None)
    (received,) = page.items
    assert received["story"]["story_id"] == story.story_id and received["text"] == "love this"
    assert code(lambda: reply.reply(author.user_id, story.story_id, "me")) == (
        "cannot_reply_to_self"
    )
    assert code(lambda: reply.reply(fan.user_id, story.story_id, 5)) == "validation_error"
    blocks.block(author.user_id, stranger.username)
    assert code(lambda: reply.reply(stranger.user_id, story.story_id, "hi")) == ("story_not_found")
    # Once the story is gone, the message stays and says its story is no longer available.
    past = datetime.now(UTC) - timedelta(seconds=1)
    from chalicelib.messaging.models import Message

    stored = Message.get(sent["conversation_id"], sent["message_id"])
    stored.update(actions=[Message.story.expires_at.set(int(past.timestamp() * 1000))])
    again = messages.history(author.user_id, sent["conversation_id"], 20, None).items[0]
    assert again["story"] == {"story_id": story.story_id, "available": False}


def test_a_highlight_keeps_a_story_past_its_24_hours(jobs, make_user) -> None:
    from chalicelib.stories import highlights

    author, fan, friend = make_user().user, make_user().user, make_user().user
    follows.follow(fan.user_id, author.username)
    close_friends.add(author.user_id, friend.username)
    story = post_story(jobs, author.user_id)
    secret = post_story(jobs, author.user_id, "close_friends")
    for kept in (story, secret):
        highlights.add(author.user_id, kept.story_id)
    assert highlights.add(author.user_id, story.story_id)["story_id"] == story.story_id  # again

    # The stories expire and TTL removes them: the stream sees them go, the files stay.
    for gone in (story, secret):
        Story(gone.story_id).delete()
        streams.react("stories", _image(gone), None)
    assert reading.of_author(fan.user_id, author.username)["items"] == []
    shown = highlights.of_user(fan.user_id, author.username)["items"]
    assert [h["story_id"] for h in shown] == [story.story_id]  # not the close friends' one
    assert [
        h["story_id"] for h in highlights.of_user(friend.user_id, author.username)["items"]
    ] == [
        story.story_id,
        secret.story_id,
    ]
    assert len(highlights.mine(author.user_id)["items"]) == 2
    listed = boto3.client("s3").list_objects_v2(
        Bucket=settings().media_bucket, Prefix=f"stories/{author.user_id}/{story.story_id}/"
    )
    assert len(listed.get("Contents", [])) == 2
    assert code(lambda: highlights.add(fan.user_id, story.story_id)) == "story_not_found"
    assert code(lambda: highlights.add(author.user_id, story.story_id)) == "story_not_found"

    erasure.forget(author.user_id, lambda: None)
    assert highlights.mine(author.user_id)["items"] == []
    listed = boto3.client("s3").list_objects_v2(
        Bucket=settings().media_bucket, Prefix=f"stories/{author.user_id}/"
    )
    assert listed.get("KeyCount", 0) == 0


def test_mentions_in_a_storys_text_reach_who_may_see_it(jobs, make_user) -> None:
    from chalicelib.feed import activity

    author = make_user(private=True).user
    fan, stranger = make_user().user, make_user().user
    follows.follow(fan.user_id, author.username)
    follows.approve(author.user_id, fan.username)
    made = uploads.create(author.user_id, "image/jpeg", PHOTO.stat().st_size)
    text = f"with @{fan.username} and @{stranger.username} @nobody_here"
    story = authoring.create(author.user_id, made["upload_id"], "everyone", text)
    bucket, key = settings().uploads_bucket, made["fields"]["key"]
    etag = boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=PHOTO.read_bytes())["ETag"]
    jobs.handle_object(bucket, key, etag.strip('"'))
    ready = Story.get(story.story_id, consistent_read=True)
    streams.react("stories", {"author_id": author.user_id, "status": "processing"}, _image(ready))

    items = activity.listing(fan.user_id, 20, None).items
    assert [(i["kind"], i["actor"]["user_id"]) for i in items] == [("mention", author.user_id)]
    assert items[0]["text"] == f"{author.username} mentioned you: {text}"
    assert activity.listing(stranger.user_id, 20, None).items == []  # private: not a follower
    assert reading.of_author(fan.user_id, author.username)["items"][0]["text"] == text
    assert code(lambda: authoring.create(author.user_id, "x", "everyone", "y" * 201)) == (
        "validation_error"
    )

    erasure.forget(author.user_id, lambda: None)
    assert activity.listing(fan.user_id, 20, None).items == []


def test_a_photo_the_moderators_removed_is_refused_as_a_story(jobs, make_user) -> None:
    import io
    import random

    from PIL import Image

    from chalicelib.posts import authoring as posting
    from chalicelib.posts import media
    from chalicelib.posts.models import Post

    # A photo of its own: the removed list is the session's, other tests post PHOTO.
    noise = random.Random(7).randbytes(64 * 48 * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (64, 48), noise).resize((640, 480)).save(buffer, "JPEG")
    author = make_user().user
    data = buffer.getvalue()
    made = uploads.create(author.user_id, "image/jpeg", len(data))
    post = posting.create(author.user_id, [made["upload_id"]], "a photo")
    bucket, key = settings().uploads_bucket, made["fields"]["key"]
    etag = boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=data)["ETag"].strip('"')
    jobs.handle_object(bucket, key, etag)
    assert media.remember_removed(Post.get(post.post_id, consistent_read=True)) >= 1

    slot = uploads.create(author.user_id, "image/jpeg", len(data))
    story = authoring.create(author.user_id, slot["upload_id"])
    key = slot["fields"]["key"]
    etag = boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=data)["ETag"].strip('"')
    with pytest.raises(jobs.PhotoRejected):
        jobs.handle_object(bucket, key, etag)
    failed = Story.get(story.story_id, consistent_read=True)
    assert (failed.status, failed.failure_reason) == ("failed", media.REFUSED)


def test_following_brings_a_live_story_into_the_tray_and_unfollowing_takes_it_out(
    jobs, make_user
) -> None:
    author, late = make_user().user, make_user().user
    story = post_story(jobs, author.user_id)
    assert tray_of(late.user_id) == []

    follows.follow(late.user_id, author.username)
    edge = {"follower_id": late.user_id, "followee_id": author.user_id}
    streams.react("follows", None, edge)
    items = tray.read(late.user_id, 20, None)["items"]
    assert [(i["author"]["user_id"], i["latest_story_id"]) for i in items] == [
        (author.user_id, story.story_id)
    ]
    follows.unfollow(late.user_id, author.username)
    streams.react("follows", edge, None)
    assert list(TrayEntry.query(late.user_id)) == []


def test_a_reported_story_removed_by_a_moderator_goes_with_its_highlight(jobs, make_user) -> None:
    from chalicelib.moderation import actions, moderators, reports
    from chalicelib.stories import highlights

    author, fan, stranger = make_user().user, make_user().user, make_user().user
    mod = make_user().user
    moderators.set_role(mod.username)
    follows.follow(fan.user_id, author.username)
    secret = post_story(jobs, author.user_id, "close_friends")
    story = post_story(jobs, author.user_id)
    highlights.add(author.user_id, story.story_id)
    body = {"target_type": "story", "reason": "hate"}
    # Only a story you may see can be reported: not one for close friends you are not among.
    assert code(lambda: reports.report(fan.user_id, {**body, "target_id": secret.story_id})) == (
        "story_not_found"
    )
    assert code(lambda: reports.report(stranger.user_id, {**body, "target_id": "nope"})) == (
        "story_not_found"
    )
    report_id = reports.report(fan.user_id, {**body, "target_id": story.story_id})["report_id"]

    actions.act(mod.user_id, report_id, {"action": "remove", "reason": "Hate speech"})
    streams.react("stories", _image(story), None)  # the stories stream sees it go
    assert tray_of(fan.user_id) == []  # its close-friends story is not for the fan
    assert [s["story_id"] for s in reading.of_author(fan.user_id, author.username)["items"]] == []
    assert highlights.of_user(fan.user_id, author.username)["items"] == []
    listed = boto3.client("s3").list_objects_v2(
        Bucket=settings().media_bucket, Prefix=story.renditions[0].key.rsplit("/", 1)[0]
    )
    assert listed["KeyCount"] == 0  # its files went: no highlight keeps them


def _land_photo(author_id: str) -> tuple[Story, str, str, str]:
    """A story whose photo has landed in the uploads bucket, not yet through the job."""
    made = uploads.create(author_id, "image/jpeg", PHOTO.stat().st_size)
    story = authoring.create(author_id, made["upload_id"])
    bucket, key = settings().uploads_bucket, made["fields"]["key"]
    etag = boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=PHOTO.read_bytes())["ETag"]
    return story, bucket, key, etag.strip('"')


def _story_files(author_id: str, story_id: str) -> set[str]:
    listed = boto3.client("s3").list_objects_v2(
        Bucket=settings().media_bucket, Prefix=f"stories/{author_id}/{story_id}/"
    )
    return {item["Key"] for item in listed.get("Contents", [])}


def test_a_story_deleted_while_its_photo_is_made_leaves_no_files(jobs, make_user) -> None:
    author = make_user().user
    story, bucket, key, etag = _land_photo(author.user_id)
    authoring.delete(author.user_id, story.story_id)  # its stream record names no files yet
    assert jobs.handle_object(bucket, key, etag) == jobs.SUPERSEDED
    assert _story_files(author.user_id, story.story_id) == set()


def test_a_redelivered_photo_keeps_the_ready_storys_files(jobs, make_user) -> None:
    author = make_user().user
    story, bucket, key, etag = _land_photo(author.user_id)
    assert jobs.handle_object(bucket, key, etag) == jobs.PROCESSED
    assert jobs.handle_object(bucket, key, etag) == jobs.SUPERSEDED
    ready = Story.get(story.story_id, consistent_read=True)
    assert _story_files(author.user_id, story.story_id) == {r.key for r in ready.renditions}


# Large accounts: more followers than FEED_FANOUT_MAX_FOLLOWERS (3 here, as in the test
# cloud) are not fanned out; a reader's tray merges their live stories in when it is read.


@pytest.fixture
def small_fanout() -> Any:
    from tests.functional.events import stack_environment

    with stack_environment(FEED_FANOUT_MAX_FOLLOWERS="3"):
        yield


def large_account(make_user, *readers: Any, private: bool = False) -> Any:
    """An account followed by ``readers`` and by fillers up to 4 followers: a large one."""
    author = make_user(private=private).user
    fillers = [make_user().user for _ in range(max(0, 4 - len(readers)))]
    for reader in [*readers, *fillers]:
        follows.follow(reader.user_id, author.username)
        if private:
            follows.approve(author.user_id, reader.username)
    return author


def rows_of(author_id: str) -> list[TrayEntry]:
    return [e for e in TrayEntry.by_author.query(author_id) if not e.entry_key.startswith("~")]


def test_a_large_accounts_story_reaches_trays_with_no_rows_written(
    jobs, make_user, small_fanout
) -> None:
    fan, late, stranger = make_user().user, make_user().user, make_user().user
    author = large_account(make_user, fan)

    story = post_story(jobs, author.user_id)

    assert rows_of(author.user_id) == []  # no fan-out: not a write per follower
    assert tray.refresh(author.user_id) == {}  # so no story.new pushes either
    items = tray.read(fan.user_id, 20, None)["items"]
    assert [(i["author"]["user_id"], i["latest_story_id"], i["seen"]) for i in items] == [
        (author.user_id, story.story_id, False)
    ]
    assert tray_of(stranger.user_id) == []
    # A follow after it grew: the feed's follow reaction writes the marker, the tray no row.
    follows.follow(late.user_id, author.username)
    edge = {"follower_id": late.user_id, "followee_id": author.user_id}
    streams.react("follows", None, edge)
    assert tray_of(late.user_id) == [author.user_id] and rows_of(author.user_id) == []
    follows.unfollow(late.user_id, author.username)
    streams.react("follows", edge, None)
    assert tray_of(late.user_id) == []
    # Its story goes: out of the tray at once.
    authoring.delete(author.user_id, story.story_id)
    assert tray_of(fan.user_id) == []


def test_an_account_crossing_the_threshold_moves_from_rows_to_the_merge(
    jobs, make_user, small_fanout
) -> None:
    fan = make_user().user
    author = make_user().user
    follows.follow(fan.user_id, author.username)
    first = post_story(jobs, author.user_id)
    assert [r.user_id for r in rows_of(author.user_id)] == [fan.user_id]  # small: fanned out

    fillers = [make_user().user for _ in range(3)]
    for filler in fillers:
        follows.follow(filler.user_id, author.username)  # 4 followers: large
    second = post_story(jobs, author.user_id)

    # The row written before stays until it expires (TTL), untouched: the merge replaces it.
    assert TrayEntry.get(fan.user_id, author.user_id).story_id == first.story_id
    items = tray.read(fan.user_id, 20, None)["items"]
    assert [(i["author"]["user_id"], i["latest_story_id"]) for i in items] == [
        (author.user_id, second.story_id)
    ]
    # Shrinking again keeps it merged (sticky, as the home feed): the same tray both ways.
    follows.unfollow(fillers[0].user_id, author.username)
    assert int(User.get(author.user_id).followers_count) == 3
    assert tray.refresh(author.user_id) == {} and len(rows_of(author.user_id)) == 1
    assert tray_of(fan.user_id) == [author.user_id]


def test_a_large_accounts_close_friends_blocks_mutes_and_privacy(
    jobs, make_user, small_fanout
) -> None:
    friend, fan, muter, blocked = (make_user().user for _ in range(4))
    requester, stranger = make_user().user, make_user().user
    author = large_account(make_user, friend, fan, muter, blocked, private=True)
    follows.follow(requester.user_id, author.username)  # a request, not approved
    close_friends.add(author.user_id, friend.username)
    public = post_story(jobs, author.user_id)
    secret = post_story(jobs, author.user_id, "close_friends")
    assert rows_of(author.user_id) == []

    def latest(user: Any) -> list[str]:
        return [i["latest_story_id"] for i in tray.read(user.user_id, 20, None)["items"]]

    assert latest(friend) == [secret.story_id]  # a close friend: the newer close-friends one
    assert latest(fan) == latest(muter) == latest(blocked) == [public.story_id]
    assert latest(requester) == latest(stranger) == []  # private: approved followers only
    mutes.mute(muter.user_id, author.username)
    blocks.block(author.user_id, blocked.username)
    assert latest(muter) == latest(blocked) == []
    close_friends.remove(author.user_id, friend.username)  # at once: decided at read time
    assert latest(friend) == [public.story_id]


def test_large_and_fanned_out_accounts_order_together_unseen_first(
    jobs, make_user, small_fanout
) -> None:
    viewer = make_user().user
    older, newer = large_account(make_user, viewer), large_account(make_user, viewer)
    small = make_user().user
    follows.follow(viewer.user_id, small.username)
    old_story = post_story(jobs, older.user_id)
    small_story = post_story(jobs, small.user_id)
    new_story = post_story(jobs, newer.user_id)
    assert tray_of(viewer.user_id) == [newer.user_id, small.user_id, older.user_id]

    seen.mark(viewer.user_id, new_story.story_id)
    seen.mark(viewer.user_id, small_story.story_id)
    items = tray.read(viewer.user_id, 50, None)["items"]
    assert [(i["author"]["user_id"], i["seen"]) for i in items] == [
        (older.user_id, False),
        (newer.user_id, True),
        (small.user_id, True),
    ]
    # A newer story makes it unseen again; pages of one walk the same order.
    newest = post_story(jobs, newer.user_id)
    page = tray.read(viewer.user_id, 1, None)
    assert [i["latest_story_id"] for i in page["items"]] == [newest.story_id]
    second = tray.read(viewer.user_id, 1, page["next_cursor"])["items"]
    assert [i["author"]["user_id"] for i in second] == [older.user_id]
    _ = old_story


def test_the_tray_with_large_accounts_costs_one_query_per_large_account_more(
    jobs, make_user, small_fanout, aws_calls
) -> None:
    reader = make_user().user
    fillers = [make_user().user for _ in range(3)]

    def cost() -> tuple[int, list[str]]:
        return tray_calls(aws_calls, reader.user_id)

    for _ in range(5):  # fanned out
        author = make_user().user
        follows.follow(reader.user_id, author.username)
        post_story(jobs, author.user_id)
    assert cost() == (5, ["Query", "Query", "BatchGetItem"])  # tray partition, markers, page
    for _ in range(3):
        author = large_account(make_user, reader, *fillers)
        post_story(jobs, author.user_id)
    shown, large = cost()
    assert shown == 8 and rows_of(author.user_id) == []
    # Wave 1: 2 Queries; then 1 Query per large account + 1 BatchGetItem (close friends);
    # wave 2: the page's BatchGetItem.
    assert sorted(large) == ["BatchGetItem"] * 2 + ["Query"] * (2 + 3)
