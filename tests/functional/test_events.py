"""Captured AWS events (tests/events/*.json) through the real handlers, in-process on moto.

The app's stream consumers (``app.on_post_change`` and the others: Chalice handlers, called
as Lambda calls them, with the event dict and a context), its post-deadline consumer, its
websocket handlers, the media function (``functions/media/handler.lambda_handler``) and the
recommender (``functions/recommender/handler.lambda_handler``) each get the payload AWS would
send for a change the test really made, and the test checks what a user would see of it.

Each stream record is checked against the table first: its images are the items as they are
stored (before and after the change), so a fixture cannot drift from the models silently.
The websocket API's ``@connections`` endpoint is moto's: what the app pushes to a connection
is read back from it. The settings the deployed functions get from the stack and
tests/conftest.py leaves out (the deadlines queue, the websocket endpoint) are set for this
module by ``stack_environment``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

from tests.functional.events import (
    EVENTS,
    context,
    function_handler,
    load,
    names,
    placeholders,
    stack_environment,
)

REGION, ACCOUNT = "us-east-1", "123456789012"
API_ID, STAGE = "g1mpse0ws1", "api"  # the websocket API Chalice deploys, and its stage
WEBSOCKET_ENDPOINT = f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/{STAGE}"
PHOTO = Path(__file__).parent / "media" / "data" / "sample.jpg"
NO_FAILURES = {"batchItemFailures": []}


@pytest.fixture(scope="module")
def glimpse(aws: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The app module (``app.py``), with the stack's settings for this module."""
    deadlines = boto3.client("sqs").get_queue_url(QueueName="glimpse-unit-post-deadlines")
    with stack_environment(
        POST_DEADLINE_QUEUE_URL=deadlines["QueueUrl"],
        WEBSOCKET_ENDPOINT_URL=WEBSOCKET_ENDPOINT,
        SEARCH_SQLITE_PATH=str(tmp_path_factory.mktemp("events") / "search.sqlite"),
    ):
        import app as glimpse

        # A websocket event configures app.websocket_api from its apiId and stage (Chalice's
        # configure_from_api_id); this process's next user finds it as it was.
        websocket_api = glimpse.app.websocket_api
        before = websocket_api._endpoint, websocket_api._client
        try:
            yield glimpse
        finally:
            websocket_api._endpoint, websocket_api._client = before


# -- what the test reads back ----------------------------------------------------------------


def stored(item: Any) -> dict[str, Any]:
    """An item as its stream's images carry it, deserialized."""
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in item.serialize().items()}


def image(event: dict[str, Any], which: str) -> dict[str, Any] | None:
    found = event["Records"][0]["dynamodb"].get(which)
    if found is None:
        return None
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in found.items()}


def assert_record_of(event: dict[str, Any], old: Any = None, new: Any = None) -> None:
    """The record's images are these items as stored (None: no such image)."""
    assert image(event, "OldImage") == (None if old is None else stored(old))
    assert image(event, "NewImage") == (None if new is None else stored(new))


def stream(handler: Any, event: dict[str, Any]) -> None:
    """A stream batch through a consumer, which must report no record failed."""
    assert handler(event, context("glimpse-unit-streams")) == NO_FAILURES


def pushed(connection_id: str) -> list[dict[str, Any]]:
    """What the app sent to a connection through the @connections API (moto's, which keeps
    the id as it is in the URL path: percent-encoded)."""
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

    connections = apigatewaymanagementapi_backends[ACCOUNT][REGION].connections
    sent = connections.get(quote(connection_id, safe=""))
    data = b"" if sent is None else sent.data
    frames, at, decoder = [], 0, json.JSONDecoder()
    while at < len(data):
        frame, at = decoder.raw_decode(data.decode(), at)
        frames.append(frame)
    return frames


def deadlines(post_id: str) -> list[dict[str, Any]]:
    """The deadline messages waiting for a post, delayed ones too (read off moto's queue: a
    deadline message is delayed by up to 15 minutes, past any receive)."""
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[ACCOUNT][REGION].get_queue("glimpse-unit-post-deadlines")
    bodies = [json.loads(message.body) for message in queue._messages]
    return [body for body in bodies if body.get("post_id") == post_id]


def new_connection_id() -> str:
    return secrets.token_urlsafe(11)[:15] + "="  # like API Gateway's: "BFHPhfCWIAMCKlQ="


def connected(user_id: str) -> str:
    """A device of the user with a live socket (registered as $connect would)."""
    from chalicelib.connections import registry

    connection_id = new_connection_id()
    registry.register(user_id, "session-of-the-device", connection_id)
    return connection_id


def ready_image(post_id: str, upload_id: str) -> Any:
    """The image the media function records for the fixture's ready post."""
    from chalicelib.posts.models import PostImage, Rendition

    return PostImage(
        upload_id=upload_id,
        status="ready",
        width=1080,
        height=810,
        placeholder="LKO2?U%2Tw=w",
        renditions=[
            Rendition(
                name="large",
                key=f"posts/{post_id}/0/large.jpg",
                width=1080,
                height=810,
                bytes=183204,
            ),
            Rendition(
                name="thumb", key=f"posts/{post_id}/0/thumb.jpg", width=150, height=150, bytes=6113
            ),
        ],
    )


def ready_post(author_id: str, caption: str = "") -> str:
    from chalicelib.core import uploads
    from chalicelib.posts import authoring, media

    upload_id = uploads.create(author_id, "image/jpeg", 65344)["upload_id"]
    post = authoring.create(author_id, [upload_id], caption)
    assert media.record_image(post.post_id, 0, ready_image(post.post_id, upload_id)) == "ready"
    return post.post_id


def feed_ids(user_id: str) -> list[str]:
    from chalicelib.feed import home

    return [card["post_id"] for card in home.read(user_id, 50, None).to_dict()["items"]]


def activity_of(user_id: str) -> list[tuple[str, str]]:
    """(kind, actor's username) of each activity item."""
    from chalicelib.feed import activity

    items = activity.listing(user_id, 50, None).to_dict()["items"]
    return [(item["kind"], item["actor"]["username"]) for item in items]


def sqs_body(body: str) -> dict[str, str]:
    return {"body": body, "md5_of_body": hashlib.md5(body.encode()).hexdigest()}


# -- the fixtures themselves -----------------------------------------------------------------

STREAM_FIXTURES = [name for name in names() if name.startswith("dynamodb_")]
IMAGES = {"INSERT": {"NewImage"}, "MODIFY": {"NewImage", "OldImage"}, "REMOVE": {"OldImage"}}


def model_of(table: str) -> Any:
    from chalicelib.accounts.models import User
    from chalicelib.graph.models import Follow
    from chalicelib.posts.models import Comment, Like, Post

    return {"users": User, "posts": Post, "follows": Follow, "likes": Like, "comments": Comment}[
        table
    ]


def test_there_is_an_event_for_each_source() -> None:
    assert names() == sorted(
        [
            "dynamodb_comments_insert",
            "dynamodb_comments_remove",
            "dynamodb_follows_insert",
            "dynamodb_follows_remove",
            "dynamodb_likes_insert",
            "dynamodb_likes_remove",
            "dynamodb_posts_insert",
            "dynamodb_posts_modify",
            "dynamodb_posts_remove",
            "dynamodb_users_modify",
            "eventbridge_mediaconvert_complete",
            "eventbridge_mediaconvert_error",
            "eventbridge_scheduled",
            "s3_object_created",
            "s3_test_event",
            "sqs_media",
            "sqs_post_deadline",
            "websocket_connect",
            "websocket_disconnect",
            "websocket_message",
        ]
    )


@pytest.mark.parametrize("name", STREAM_FIXTURES)
def test_a_stream_record_is_shaped_as_dynamodb_streams_sends_it(name: str) -> None:
    _, table, change = name.split("_")
    event = json.loads((EVENTS / f"{name}.json").read_text())
    (record,) = event["Records"]
    assert record["eventSource"] == "aws:dynamodb" and record["eventName"] == change.upper()
    assert f":table/glimpse-unit-{table}/stream/" in record["eventSourceARN"]
    change_record = record["dynamodb"]
    assert change_record["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert {"ApproximateCreationDateTime", "Keys", "SequenceNumber", "SizeBytes"} <= set(
        change_record
    )
    assert {"NewImage", "OldImage"} & set(change_record) == IMAGES[change.upper()]
    model = model_of(table)
    keys = {name for name, attribute in model.get_attributes().items() if attribute.is_hash_key}
    keys |= {name for name, attribute in model.get_attributes().items() if attribute.is_range_key}
    assert set(change_record["Keys"]) == keys
    for which in IMAGES[change.upper()]:
        attributes = set(change_record[which])
        assert attributes <= set(model.get_attributes()), f"{which}: not {model.__name__}'s"
        assert change_record["Keys"].items() <= change_record[which].items()


def test_a_placeholder_without_its_value_is_refused() -> None:
    with pytest.raises(KeyError, match=r"missing \['md5_of_body'\], unused \['due'\]"):
        load("sqs_post_deadline", body="{}", due=1)
    assert placeholders(json.loads((EVENTS / "eventbridge_scheduled.json").read_text())) == set()


# -- DynamoDB Streams ------------------------------------------------------------------------


def test_a_posts_life_through_the_posts_stream(glimpse: Any, make_user) -> None:
    from chalicelib.core import uploads
    from chalicelib.discovery import hashtags
    from chalicelib.graph import follows
    from chalicelib.posts import authoring, media
    from chalicelib.posts.models import Post
    from chalicelib.search import query

    author, follower = make_user().user, make_user().user
    follows.follow(follower.user_id, author.username)
    tag = "golden" + secrets.token_hex(3)
    upload_id = uploads.create(author.user_id, "image/jpeg", 65344)["upload_id"]
    post = authoring.create(author.user_id, [upload_id], f"golden hour #{tag}", "clarendon")
    ids = {
        "post_id": post.post_id,
        "author_id": author.user_id,
        "created_at": post.created_at,
        "upload_id": upload_id,
        "tag": tag,
    }

    # INSERT: the new post gets its media deadline, a message delayed until then
    insert = load("dynamodb_posts_insert", **ids)
    made = Post.get(post.post_id, consistent_read=True)
    assert_record_of(insert, new=made)
    stream(glimpse.on_post_change, insert)
    (deadline,) = deadlines(post.post_id)
    assert deadline["due"] == pytest.approx(post.created_at / 1000 + 30 * 60)
    assert post.post_id not in feed_ids(follower.user_id)  # not before it is ready

    # MODIFY to ready: in the follower's feed, on its hashtag's page, found by search
    assert media.record_image(post.post_id, 0, ready_image(post.post_id, upload_id)) == "ready"
    modify = load("dynamodb_posts_modify", **ids)
    ready = Post.get(post.post_id, consistent_read=True)
    assert_record_of(modify, old=made, new=ready)
    stream(glimpse.on_post_change, modify)
    assert post.post_id in feed_ids(follower.user_id)
    page = hashtags.page(follower.user_id, tag, 10, None)
    assert [card["post_id"] for card in page["items"]] == [post.post_id]
    assert page["post_count"] == 1
    found = query.search(follower.user_id, tag, "posts", 10, None)["items"]
    assert [hit["post"]["post_id"] for hit in found] == [post.post_id]

    # REMOVE: out of the feed, off the hashtag page, out of search
    authoring.delete(author.user_id, post.post_id)
    remove = load("dynamodb_posts_remove", **ids)
    assert_record_of(remove, old=ready)
    stream(glimpse.on_post_change, remove)
    assert post.post_id not in feed_ids(follower.user_id)
    page = hashtags.page(follower.user_id, tag, 10, None)
    assert (page["items"], page["post_count"]) == ([], 0)
    assert query.search(follower.user_id, tag, "posts", 10, None)["items"] == []


def test_a_follow_tells_the_followee_and_fills_the_feed_and_an_unfollow_undoes_it(
    glimpse: Any, make_user
) -> None:
    from chalicelib.graph import follows
    from chalicelib.graph.models import Follow

    followee, follower = make_user().user, make_user().user
    post_id = ready_post(followee.user_id, "an older post")
    assert follows.follow(follower.user_id, followee.username) == "following"
    edge = Follow.get(follower.user_id, followee.user_id, consistent_read=True)
    ids = {
        "follower_id": follower.user_id,
        "followee_id": followee.user_id,
        "created_at": edge.created_at,
    }

    insert = load("dynamodb_follows_insert", **ids)
    assert_record_of(insert, new=edge)
    stream(glimpse.on_follow_change, insert)
    assert activity_of(followee.user_id) == [("follow", follower.username)]
    assert feed_ids(follower.user_id) == [post_id]  # the followee's recent posts copied in

    follows.unfollow(follower.user_id, followee.username)
    remove = load("dynamodb_follows_remove", **ids)
    assert_record_of(remove, old=edge)
    stream(glimpse.on_follow_change, remove)
    assert activity_of(followee.user_id) == []
    assert feed_ids(follower.user_id) == []


def test_a_like_is_news_to_the_author_until_it_is_taken_back(glimpse: Any, make_user) -> None:
    from chalicelib.posts import likes
    from chalicelib.posts.models import Like

    author, fan = make_user().user, make_user().user
    post_id = ready_post(author.user_id)
    likes.like(fan.user_id, post_id)
    like = Like.get(post_id, fan.user_id, consistent_read=True)
    ids = {
        "post_id": post_id,
        "user_id": fan.user_id,
        "author_id": author.user_id,
        "created_at": like.created_at,
    }

    insert = load("dynamodb_likes_insert", **ids)
    assert_record_of(insert, new=like)
    stream(glimpse.on_like_change, insert)
    assert activity_of(author.user_id) == [("like", fan.username)]

    likes.unlike(fan.user_id, post_id)
    remove = load("dynamodb_likes_remove", **ids)
    assert_record_of(remove, old=like)
    stream(glimpse.on_like_change, remove)
    assert activity_of(author.user_id) == []


def test_a_comment_tells_the_author_and_whom_it_mentions_until_deleted(
    glimpse: Any, make_user
) -> None:
    from chalicelib.posts import comments
    from chalicelib.posts.models import Comment

    author, commenter, mentioned = make_user().user, make_user().user, make_user().user
    post_id = ready_post(author.user_id)
    text = f"lovely light, @{mentioned.username}"
    comment_id = comments.add(commenter.user_id, post_id, text)["comment_id"]
    comment = Comment.get(post_id, comment_id, consistent_read=True)
    ids = {
        "post_id": post_id,
        "comment_id": comment_id,
        "author_id": commenter.user_id,
        "post_author_id": author.user_id,
        "text": text,
        "created_at": comment.created_at,
    }

    insert = load("dynamodb_comments_insert", **ids)
    assert_record_of(insert, new=comment)
    stream(glimpse.on_comment_change, insert)
    assert activity_of(author.user_id) == [("comment", commenter.username)]
    assert activity_of(mentioned.user_id) == [("mention", commenter.username)]

    comments.remove(commenter.user_id, post_id, comment_id)
    remove = load("dynamodb_comments_remove", **ids)
    assert_record_of(remove, old=comment)
    stream(glimpse.on_comment_change, remove)
    assert activity_of(author.user_id) == []
    assert activity_of(mentioned.user_id) == []


def test_an_account_turning_public_lets_in_who_asked_to_follow(glimpse: Any, make_user) -> None:
    from chalicelib.accounts import profiles
    from chalicelib.accounts.models import User
    from chalicelib.graph import follows

    owner, asker = make_user(private=True).user, make_user().user
    assert follows.follow(asker.user_id, owner.username) == "requested"
    before = User.get(owner.user_id, consistent_read=True)
    profiles.update_me(owner.user_id, {"is_private": False})
    after = User.get(owner.user_id, consistent_read=True)
    modify = load(
        "dynamodb_users_modify",
        user_id=owner.user_id,
        username=owner.username,
        email=owner.email,
        password_hash=owner.password_hash,
        created_at=owner.created_at,
    )
    assert_record_of(modify, old=before, new=after)
    stream(glimpse.on_user_change, modify)
    followers = follows.followers(owner.user_id, owner.username, 10, None).to_dict()["items"]
    assert [user["username"] for user in followers] == [asker.username]
    assert follows.pending_requests(owner.user_id, 10, None).to_dict()["items"] == []


# -- SQS: the post deadlines and the media queue ---------------------------------------------


def deadline_event(post_id: str, due: float) -> dict[str, Any]:
    """What the post-deadlines queue delivers: the body posts.media sends."""
    return load("sqs_post_deadline", **sqs_body(json.dumps({"post_id": post_id, "due": due})))


def test_a_deadline_message_fails_a_post_still_processing_and_tells_its_author(
    glimpse: Any, make_user
) -> None:
    from chalicelib.core import uploads
    from chalicelib.posts import authoring
    from chalicelib.posts.media import MEDIA_NEVER_ARRIVED
    from chalicelib.posts.models import Post

    author = make_user().user
    device = connected(author.user_id)
    upload_id = uploads.create(author.user_id, "image/jpeg", 65344)["upload_id"]
    post = authoring.create(author.user_id, [upload_id], "the photo never comes")

    # Not due yet (further away than SQS can delay a message): sent on, nothing else.
    due_later = time.time() + 3600
    glimpse.on_post_deadline(deadline_event(post.post_id, due_later), context("api_handler"))
    assert deadlines(post.post_id) == [{"post_id": post.post_id, "due": due_later}]
    assert Post.get(post.post_id, consistent_read=True).status == "processing"

    glimpse.on_post_deadline(deadline_event(post.post_id, time.time() - 1), context("api_handler"))
    failed = Post.get(post.post_id, consistent_read=True)
    assert (failed.status, failed.failure_reason) == ("failed", MEDIA_NEVER_ARRIVED)
    assert failed.images[0].status == "failed"
    assert pushed(device) == [
        {"type": "post.failed", "post_id": post.post_id, "reason": MEDIA_NEVER_ARRIVED}
    ]
    # a redelivery, or the deadline of a post that is gone, changes nothing
    glimpse.on_post_deadline(deadline_event(post.post_id, time.time() - 1), context("api_handler"))
    glimpse.on_post_deadline(deadline_event("no-such-post", time.time() - 1), None)
    assert len(pushed(device)) == 1


@pytest.fixture(scope="module")
def media_function(glimpse: Any) -> Any:
    return function_handler("functions/media/handler.lambda_handler")


def media_event(bucket: str, key: str, etag: str) -> dict[str, Any]:
    """The media queue's delivery of S3's notification for an uploaded object."""
    notification = load("s3_object_created", bucket=bucket, key=key, etag=etag)
    return load("sqs_media", **sqs_body(json.dumps(notification)))


def test_an_uploaded_photo_becomes_renditions_and_its_post_turns_ready(
    media_function: Any, make_user
) -> None:
    from chalicelib.core import uploads
    from chalicelib.core.settings import settings
    from chalicelib.posts import authoring
    from chalicelib.posts.models import Post

    author = make_user().user
    device = connected(author.user_id)
    slot = uploads.create(author.user_id, "image/jpeg", PHOTO.stat().st_size)
    post = authoring.create(author.user_id, [slot["upload_id"]], "from the camera", "valencia")
    s3 = boto3.client("s3")
    bucket, key = settings().uploads_bucket, slot["fields"]["key"]
    etag = s3.put_object(Bucket=bucket, Key=key, Body=PHOTO.read_bytes())["ETag"].strip('"')
    event = media_event(bucket, key, etag)

    assert media_function(event, context("glimpse-unit-media")) == NO_FAILURES
    ready = Post.get(post.post_id, consistent_read=True)
    assert ready.status == "ready"
    (made,) = ready.images
    assert (made.status, made.width, made.height) == ("ready", 500, 375)
    listed = s3.list_objects_v2(Bucket=settings().media_bucket, Prefix=f"posts/{post.post_id}/")
    keys = sorted(item["Key"] for item in listed["Contents"])
    assert keys == sorted(rendition.key for rendition in made.renditions)
    assert {rendition.name for rendition in made.renditions} >= {"large", "thumb"}
    assert pushed(device) == [{"type": "post.ready", "post_id": post.post_id}]

    # The queue delivers at least once: the same message again changes nothing.
    assert media_function(event, context("glimpse-unit-media")) == NO_FAILURES
    assert len(pushed(device)) == 1
    again = s3.list_objects_v2(Bucket=settings().media_bucket, Prefix=f"posts/{post.post_id}/")
    assert again["KeyCount"] == listed["KeyCount"]


def test_a_photo_that_arrives_before_its_post_waits_and_goes_through_with_it(
    media_function: Any, make_user
) -> None:
    from chalicelib.core import uploads
    from chalicelib.core.settings import settings
    from chalicelib.core.uploads import Upload
    from chalicelib.posts import authoring
    from chalicelib.posts.models import Post

    author = make_user().user
    slot = uploads.create(author.user_id, "image/jpeg", PHOTO.stat().st_size)
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    bucket, key = settings().uploads_bucket, slot["fields"]["key"]
    etag = s3.put_object(Bucket=bucket, Key=key, Body=PHOTO.read_bytes())["ETag"].strip('"')

    # S3's notification comes first: the photo waits for its post (the filter is the post's)
    assert media_function(media_event(bucket, key, etag), context("glimpse-unit-media")) == (
        NO_FAILURES
    )
    assert Upload.get(slot["upload_id"], consistent_read=True).arrived_etag == etag

    # the post sends it on, in a message of its own making: the handler takes that one too
    post = authoring.create(author.user_id, [slot["upload_id"]], "posted after", "lark")
    resent = [
        message
        for message in sqs.receive_message(
            QueueUrl=settings().media_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", [])
        if key in message["Body"]
    ]
    assert len(resent) == 1
    event = load("sqs_media", **sqs_body(resent[0]["Body"]))
    assert media_function(event, context("glimpse-unit-media")) == NO_FAILURES
    # handled: off the queue, as Lambda's event source mapping would take it
    sqs.delete_message(
        QueueUrl=settings().media_queue_url, ReceiptHandle=resent[0]["ReceiptHandle"]
    )
    assert Post.get(post.post_id, consistent_read=True).status == "ready"


def test_s3s_test_event_on_the_media_queue_is_skipped(media_function: Any) -> None:
    from chalicelib.core.settings import settings

    test_event = json.dumps(load("s3_test_event", bucket=settings().uploads_bucket))
    event = load("sqs_media", **sqs_body(test_event))
    assert media_function(event, context("glimpse-unit-media")) == NO_FAILURES


# -- the websocket API -----------------------------------------------------------------------


def websocket(name: str, connection_id: str, **values: object) -> dict[str, Any]:
    return load(name, connection_id=connection_id, api_id=API_ID, stage=STAGE, **values)


def test_a_socket_connects_with_its_token_talks_and_disconnects(glimpse: Any, make_user) -> None:
    from chalicelib.connections import registry
    from chalicelib.messaging import conversations, messages

    alice, bob = make_user(), make_user()
    alice_id, bob_id = alice.user.user_id, bob.user.user_id
    conversation = conversations.start(alice_id, [bob.user.username])
    phone, laptop = new_connection_id(), new_connection_id()

    # $connect: ?token= of a live session registers the socket; without one it is refused
    for user, connection_id in ((alice, phone), (bob, laptop)):
        event = websocket("websocket_connect", connection_id, token=user.access_token.token)
        assert glimpse.ws_connect(event, context("api_handler"))["statusCode"] == 200
    assert registry.live([alice_id, bob_id]) == {alice_id: {phone}, bob_id: {laptop}}
    stranger = new_connection_id()
    garbage = websocket("websocket_connect", stranger, token="not-a-token")
    assert glimpse.ws_connect(garbage, context("api_handler"))["statusCode"] == 401
    no_query = websocket("websocket_connect", stranger, token="")
    del no_query["queryStringParameters"], no_query["multiValueQueryStringParameters"]
    assert glimpse.ws_connect(no_query, context("api_handler"))["statusCode"] == 401
    assert registry.owner_of(stranger) is None

    # a frame: stored, acknowledged on the socket it came from, pushed to the other member
    frame = {
        "action": "send",
        "conversation_id": conversation.conversation_id,
        "client_id": "c-1",
        "text": "hello over the socket",
    }
    event = websocket("websocket_message", phone, frame=json.dumps(frame))
    assert glimpse.ws_message(event, context("api_handler")) == {"statusCode": 200}
    (ack,) = pushed(phone)
    assert (ack["type"], ack["client_id"], ack["duplicate"]) == ("message.ack", "c-1", False)
    (new,) = pushed(laptop)
    assert new["type"] == "message.new"
    assert new["message"]["message_id"] == ack["message"]["message_id"]
    history = messages.history(bob_id, conversation.conversation_id, 10, None).to_dict()
    assert [message["text"] for message in history["items"]] == ["hello over the socket"]

    # a frame the app cannot take is answered on the socket, which stays
    event = websocket("websocket_message", phone, frame="not json")
    assert glimpse.ws_message(event, context("api_handler")) == {"statusCode": 200}
    assert pushed(phone)[-1]["type"] == "error" and pushed(phone)[-1]["code"] == "bad_frame"

    # $disconnect: forgotten
    disconnect = websocket("websocket_disconnect", phone)
    assert glimpse.ws_disconnect(disconnect, context("api_handler")) == {"statusCode": 200}
    assert registry.live([alice_id]) == {alice_id: set()}
    assert registry.owner_of(phone) is None


# -- EventBridge -----------------------------------------------------------------------------


def test_the_hourly_schedule_recomputes_suggestions(glimpse: Any, make_user) -> None:
    from chalicelib.graph import follows
    from chalicelib.recommendations import explore

    me, friend, friends_friend = make_user().user, make_user().user, make_user().user
    follows.follow(me.user_id, friend.username)
    follows.follow(friend.user_id, friends_friend.username)
    recommender = function_handler("functions/recommender/handler.lambda_handler")

    assert explore.suggested_accounts(me.user_id, 10) == {"items": []}
    summary = recommender(load("eventbridge_scheduled"), context("glimpse-unit-recommender"))
    assert {"users", "posts", "interactions", "explore_lists", "seconds"} <= set(summary)
    suggested = explore.suggested_accounts(me.user_id, 10)["items"]
    (suggestion,) = [item for item in suggested if item["username"] == friends_friend.username]
    assert suggestion["reason"] == f"followed by {friend.username}"


def test_the_state_machine_fits_once_then_each_shard_writes_its_users(
    glimpse: Any, make_user
) -> None:
    # RecommenderScale=distributed (infra/template.yaml): RecommenderStateMachine's Fit
    # state, then its distributed map passes each returned item back to the same function.
    from chalicelib.graph import follows
    from chalicelib.recommendations import explore

    me, friend, friends_friend = make_user().user, make_user().user, make_user().user
    follows.follow(me.user_id, friend.username)
    follows.follow(friend.user_id, friends_friend.username)
    recommender = function_handler("functions/recommender/handler.lambda_handler")

    fitted = recommender({"step": "fit", "shards": 3}, context("glimpse-unit-recommender"))
    assert fitted["shards"] == [{"shard": n, "shards": 3} for n in range(3)]
    assert explore.suggested_accounts(me.user_id, 10) == {"items": []}  # nothing scored yet
    for item in fitted["shards"]:
        recommender(item, context("glimpse-unit-recommender"))
    suggested = explore.suggested_accounts(me.user_id, 10)["items"]
    assert friends_friend.username in [item["username"] for item in suggested]


def test_a_message_that_is_no_deadline_does_not_hold_up_its_batch(glimpse: Any, make_user) -> None:
    from chalicelib.core import uploads
    from chalicelib.posts import authoring
    from chalicelib.posts.models import Post

    author = make_user().user
    upload_id = uploads.create(author.user_id, "image/jpeg", 65344)["upload_id"]
    post = authoring.create(author.user_id, [upload_id], "never comes either")
    event = deadline_event(post.post_id, time.time() - 1)
    bad = deadline_event("whatever", 0)["Records"][0]
    event["Records"] = [{**bad, "body": '{"post_id": "x"}'}, {**bad, "body": "not json"}] + event[
        "Records"
    ]
    glimpse.on_post_deadline(event, context("api_handler"))  # no exception: nothing to retry
    assert Post.get(post.post_id, consistent_read=True).status == "failed"
