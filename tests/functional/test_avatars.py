"""Profile photos in-process on moto: ``accounts.avatars`` (the PUT, the DELETE, what a summary
shows) and the media job (functions/media/jobs.py) for the orders things can happen in: the
photo before or after the PUT, a newer PUT or a DELETE while one is processing, a photo that
cannot be used."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.accounts import avatars, profiles
from chalicelib.accounts.models import User
from chalicelib.core import uploads
from chalicelib.core.errors import GlimpseError
from chalicelib.core.settings import settings
from chalicelib.core.uploads import Upload

REPOSITORY = Path(__file__).resolve().parents[2]
PHOTO = REPOSITORY / "tests" / "functional" / "media" / "data" / "sample.jpg"
# functions/media is the function's task root: its modules are imported from there.
sys.path.insert(0, str(REPOSITORY / "functions" / "media"))


@pytest.fixture
def jobs(aws: None) -> Any:
    import jobs

    return jobs


def slot(owner_id: str) -> dict[str, Any]:
    return uploads.create(owner_id, "image/jpeg", PHOTO.stat().st_size)


def land(jobs: Any, made: dict[str, Any], data: bytes | None = None) -> str:
    """The photo reaches S3 and the media function meets it (S3's notification)."""
    bucket, key = settings().uploads_bucket, made["fields"]["key"]
    body = PHOTO.read_bytes() if data is None else data
    etag = boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=body)["ETag"].strip('"')
    return jobs.handle_object(bucket, key, etag)


def media_keys(user_id: str) -> set[str]:
    listed = boto3.client("s3").list_objects_v2(
        Bucket=settings().media_bucket, Prefix=f"avatars/{user_id}/"
    )
    return {item["Key"] for item in listed.get("Contents", [])}


def avatar_of(user_id: str) -> Any:
    return User.get(user_id, consistent_read=True).avatar


def refused(call: Any) -> str:
    with pytest.raises(GlimpseError) as error:
        call()
    return error.value.code


def test_a_photo_set_then_uploaded_becomes_the_avatar(jobs, make_user) -> None:
    user = make_user().user
    made = slot(user.user_id)

    shown = avatars.set_photo(user.user_id, made["upload_id"])

    assert shown == {"status": "processing", "renditions": None, "placeholder": None}
    assert Upload.get(made["upload_id"], consistent_read=True).avatar_of == user.user_id
    assert land(jobs, made) == jobs.PROCESSED
    avatar = avatar_of(user.user_id)
    assert (avatar.status, avatar.upload_id) == ("ready", made["upload_id"])
    large, small = avatars.keys(user.user_id, made["upload_id"])
    assert media_keys(user.user_id) == {large, small}
    summary = profiles.summary(User.get(user.user_id))["avatar"]
    assert summary["status"] == "ready" and len(summary["placeholder"]) == 28
    assert {name: (r["width"], r["height"]) for name, r in summary["renditions"].items()} == {
        "large": (320, 320),
        "small": (110, 110),
    }
    assert large in summary["renditions"]["large"]["url"]


def test_a_photo_uploaded_before_the_put_waits_and_is_queued_again(jobs, make_user) -> None:
    user = make_user().user
    made = slot(user.user_id)
    assert land(jobs, made) == jobs.WAITING  # nothing took the slot yet

    avatars.set_photo(user.user_id, made["upload_id"])

    messages = boto3.client("sqs").receive_message(
        QueueUrl=settings().media_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
    )["Messages"]
    resent = [m for m in messages if made["fields"]["key"] in m["Body"]]
    assert len(resent) == 1
    record = json.loads(resent[0]["Body"])["Records"][0]["s3"]
    assert jobs.handle_object(
        record["bucket"]["name"], record["object"]["key"], record["object"]["eTag"]
    ) == (jobs.PROCESSED)
    assert avatar_of(user.user_id).status == "ready"
    boto3.client("sqs").delete_message(
        QueueUrl=settings().media_queue_url, ReceiptHandle=resent[0]["ReceiptHandle"]
    )


def test_only_a_free_slot_of_ones_own_can_be_taken(make_user) -> None:
    from chalicelib.posts import authoring

    me, other = make_user().user, make_user().user
    theirs, posted, mine = slot(other.user_id), slot(me.user_id), slot(me.user_id)
    authoring.create(me.user_id, [posted["upload_id"]], "a post")

    assert refused(lambda: avatars.set_photo(me.user_id, theirs["upload_id"])) == "invalid_upload"
    assert refused(lambda: avatars.set_photo(me.user_id, posted["upload_id"])) == "invalid_upload"
    assert refused(lambda: avatars.set_photo(me.user_id, "no-such-upload")) == "invalid_upload"
    assert refused(lambda: avatars.set_photo(me.user_id, 12)) == "validation_error"
    avatars.set_photo(me.user_id, mine["upload_id"])
    # taken by the avatar: neither a second PUT nor a post may use it
    assert refused(lambda: avatars.set_photo(me.user_id, mine["upload_id"])) == "invalid_upload"
    post = lambda: authoring.create(me.user_id, [mine["upload_id"]], "reused")  # noqa: E731
    assert refused(post) == "invalid_upload"
    # a refused PUT changed nothing
    assert Upload.get(theirs["upload_id"]).avatar_of is None
    assert avatar_of(other.user_id) is None


def test_a_newer_photo_wins_over_one_still_processing(jobs, make_user) -> None:
    user = make_user().user
    first, second = slot(user.user_id), slot(user.user_id)
    avatars.set_photo(user.user_id, first["upload_id"])
    avatars.set_photo(user.user_id, second["upload_id"])

    assert land(jobs, first) == jobs.SUPERSEDED  # its result is not recorded, nor kept
    assert media_keys(user.user_id) == set()
    assert (avatar_of(user.user_id).status, avatar_of(user.user_id).upload_id) == (
        "processing",
        second["upload_id"],
    )
    assert land(jobs, second) == jobs.PROCESSED
    assert media_keys(user.user_id) == set(avatars.keys(user.user_id, second["upload_id"]))


def test_the_previous_photo_shows_until_the_new_one_is_ready(jobs, make_user) -> None:
    user = make_user().user
    first, second = slot(user.user_id), slot(user.user_id)
    avatars.set_photo(user.user_id, first["upload_id"])
    land(jobs, first)
    old_keys = set(avatars.keys(user.user_id, first["upload_id"]))

    shown = avatars.set_photo(user.user_id, second["upload_id"])

    assert shown["status"] == "processing"
    assert first["upload_id"] in shown["renditions"]["large"]["url"]
    assert media_keys(user.user_id) == old_keys
    land(jobs, second)
    ready = profiles.summary(User.get(user.user_id))["avatar"]
    assert ready["status"] == "ready" and second["upload_id"] in ready["renditions"]["small"]["url"]
    # the replaced photo's renditions are gone
    assert media_keys(user.user_id) == set(avatars.keys(user.user_id, second["upload_id"]))


def test_a_photo_that_cannot_be_used_fails_and_the_previous_one_stays(jobs, make_user) -> None:
    user = make_user().user
    good, broken = slot(user.user_id), slot(user.user_id)
    avatars.set_photo(user.user_id, good["upload_id"])
    land(jobs, good)
    avatars.set_photo(user.user_id, broken["upload_id"])

    with pytest.raises(jobs.PhotoRejected):  # retried, then kept in the DLQ
        land(jobs, broken, PHOTO.read_bytes()[:3000])

    me = profiles.me(User.get(user.user_id))
    assert me["avatar"]["status"] == "failed"
    assert me["avatar_failure_reason"] == "file is truncated or corrupt"
    assert good["upload_id"] in me["avatar"]["renditions"]["large"]["url"]
    # the owner only: a summary has no reason
    assert set(profiles.summary(User.get(user.user_id))["avatar"]) == {
        "status",
        "renditions",
        "placeholder",
    }
    # a redelivery fails it again but tells nobody twice
    assert avatars.record_failure(user.user_id, broken["upload_id"], "again") is False


def test_delete_removes_the_avatar_and_its_objects(jobs, make_user) -> None:
    user = make_user().user
    made, late = slot(user.user_id), slot(user.user_id)
    avatars.set_photo(user.user_id, made["upload_id"])
    land(jobs, made)

    avatars.remove(user.user_id)

    assert avatar_of(user.user_id) is None
    assert profiles.summary(User.get(user.user_id))["avatar"] is None
    assert media_keys(user.user_id) == set()
    avatars.remove(user.user_id)  # nothing to remove: fine

    # a photo still in the pipeline when the avatar is removed leaves nothing behind
    avatars.set_photo(user.user_id, late["upload_id"])
    avatars.remove(user.user_id)
    assert land(jobs, late) == jobs.SUPERSEDED
    assert avatar_of(user.user_id) is None and media_keys(user.user_id) == set()


def test_a_photo_that_never_arrives_reads_as_failed(make_user, monkeypatch) -> None:
    user = make_user().user
    avatars.set_photo(user.user_id, slot(user.user_id)["upload_id"])
    later = avatars.now_ms() + settings().media_deadline_seconds * 1000 + 1
    monkeypatch.setattr(avatars, "now_ms", lambda: later)

    me = profiles.me(User.get(user.user_id))

    assert me["avatar"]["status"] == "failed"
    assert me["avatar_failure_reason"] == avatars.NEVER_ARRIVED
