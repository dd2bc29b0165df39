"""The ``export`` job: the zip behind ``GET /me/export`` (``lifecycle.export`` is the API's
half), then a mail saying it is ready.

The zip (``exports/<user_id>/<export id>.zip``, kept 7 days by the bucket's lifecycle):
``profile.json`` (and ``profile/avatar.jpg``), ``posts.json`` (captions, places, filters,
alt texts, people tags, times: what the account gave) with each photo's largest rendition as
``posts/<post_id>/<n>.jpg``, ``comments.json``, ``likes.json``, ``saves.json``,
``followers.json``, ``following.json``, ``messages.json`` (every conversation it is in, as
its history shows them), ``searches.json`` and ``sessions.json`` (no secrets, no hashes).

It is streamed: the zip goes to S3 as a multipart upload in 8 MiB parts while the photos
come from the media bucket in 1 MiB chunks, so the job holds a part and a chunk, never the
whole archive or a whole set of photos.
"""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.accounts import profiles
from chalicelib.accounts.models import Session, User
from chalicelib.core.clients import client
from chalicelib.core.dynamodb import batch_get
from chalicelib.core.ids import now_ms
from chalicelib.core.observability import logger
from chalicelib.core.settings import settings
from chalicelib.graph import visibility
from chalicelib.graph.models import Follow
from chalicelib.lifecycle.export import KEEP_DAYS, READY
from chalicelib.mail import outbox
from chalicelib.messaging.models import Conversation, InboxEntry, Message
from chalicelib.posts.models import Comment, Like, Post, Save
from chalicelib.search.models import RecentSearch

PART_BYTES = 8 * 1024 * 1024  # S3 takes parts of 5 MiB at least (the last one aside)
CHUNK_BYTES = 1024 * 1024
_MESSAGES_END = "~"  # the client-id markers sort after every message id


def build(job: dict[str, Any]) -> dict[str, Any] | None:
    """The ``export`` job: the zip for ``job["key"]``, if that is still the account's latest
    export; then the account is told by mail. Returns what it wrote (also logged)."""
    user_id, key = str(job["user_id"]), str(job["key"])
    try:
        user = User.get(user_id, consistent_read=True)
    except User.DoesNotExist:
        return None
    if user.deleted_at is not None or user.export is None or user.export.key != key:
        return None  # the account is going, or a newer export replaced this one
    if user.export.status == READY:
        return None  # a redelivery: built already
    started = time.monotonic()
    bucket = settings().exports_bucket
    with S3Stream(bucket, key) as sink, zipfile.ZipFile(sink, "w") as archive:
        counts = _write(archive, user)
    try:
        user.update(
            actions=[User.export.status.set(READY), User.export.ready_at.set(now_ms())],
            condition=(User.export.key == key) & User.deleted_at.does_not_exist(),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        client("s3").delete_object(Bucket=bucket, Key=key)  # replaced, or the account went
        return None
    outbox.send(
        user.email,
        "Your Glimpse data is ready",
        f"Hello {user.username},\n\nthe copy of your Glimpse data you asked for is ready. "
        f"Download it in the app (Settings, Your data) within {KEEP_DAYS} days; after that "
        "it is deleted.\n\nIf you did not ask for it, change your password.\n",
    )
    report = {**counts, "bytes": sink.size, "seconds": round(time.monotonic() - started, 2)}
    logger.info("export ready", extra={"user_id": user_id, **report})
    return report


def _write(archive: zipfile.ZipFile, user: User) -> dict[str, int]:
    user_id = user.user_id
    counts = {"photos": 0}
    profile = {**profiles.me(user), "email_verified": bool(user.email_verified)}
    avatar = getattr(user, "avatar", None)
    if avatar is not None and getattr(avatar, "large_key", None):
        profile["avatar"] = "profile/avatar.jpg"
        counts["photos"] += _copy(archive, "profile/avatar.jpg", avatar.large_key)
    _json(archive, "profile.json", profile)

    own_posts = _posts(user_id)
    # The people its posts tag, by the names they have now (a tag keeps the account's id);
    # an account since deleted is left out.
    tagged = _usernames(
        tag.user_id for post in own_posts for image in post.images for tag in image.tags
    )
    shown_posts = []
    for post in own_posts:
        images = []
        for index, image in enumerate(post.images):
            largest = max(image.renditions or [], key=lambda r: r.width * r.height, default=None)
            # A video's largest rendition is its 720p MP4: the file keeps its own extension.
            extension = largest.key.rsplit(".", 1)[-1] if largest else ""
            name = f"posts/{post.post_id}/{index}.{extension}" if largest else None
            if largest is not None:
                counts["photos"] += _copy(archive, name, largest.key)
            images.append(
                {
                    "type": image.type,
                    "file": name,
                    "width": int(largest.width) if largest else None,
                    "height": int(largest.height) if largest else None,
                    "alt_text": image.alt_text,
                    "tags": [
                        {"username": tagged[tag.user_id], "x": float(tag.x), "y": float(tag.y)}
                        for tag in image.tags
                        if tag.user_id in tagged
                    ],
                    "status": image.status,
                }
            )
        shown_posts.append(
            {
                "post_id": post.post_id,
                "created_at": int(post.created_at),
                "status": post.status,
                "caption": post.caption,
                "hashtags": list(post.hashtags),
                "mentions": list(post.mentions),
                "filter": post.filter,
                "place": None
                if post.place is None
                else {
                    "name": post.place.name,
                    "lat": float(post.place.lat),
                    "lng": float(post.place.lng),
                },
                "images": images,
                "likes_count": int(post.likes_count),
                "comments_count": int(post.comments_count),
            }
        )
    _json(archive, "posts.json", shown_posts)
    counts["posts"] = len(shown_posts)

    comment_keys = [(Comment, c.post_id, c.comment_id) for c in Comment.by_author.query(user_id)]
    comments = sorted(
        (found for found in batch_get(comment_keys).values()), key=lambda c: c.comment_id
    )
    _json(
        archive,
        "comments.json",
        [
            {
                "comment_id": c.comment_id,
                "post_id": c.post_id,
                "text": c.text,
                "created_at": int(c.created_at),
            }
            for c in comments
        ],
    )
    like_keys = [(Like, like.post_id, user_id) for like in Like.by_user.query(user_id)]
    liked = sorted(batch_get(like_keys).values(), key=lambda like: like.created_at)
    _json(
        archive,
        "likes.json",
        [{"post_id": like.post_id, "liked_at": int(like.created_at)} for like in liked],
    )
    saves = list(Save.by_time.query(user_id))
    _json(
        archive,
        "saves.json",
        [{"post_id": s.post_id, "saved_at": int(s.saved_at)} for s in saves],
    )
    following = [(e.followee_id, e.created_at) for e in Follow.following_by_time.query(user_id)]
    followers = [(e.follower_id, e.created_at) for e in Follow.followers_by_time.query(user_id)]
    names = _usernames([other for other, _ in following + followers])
    for name, edges in (("following.json", following), ("followers.json", followers)):
        _json(
            archive,
            name,
            [
                {"user_id": other, "username": names[other], "followed_at": int(at)}
                for other, at in edges
                if other in names
            ],
        )
    conversations = _conversations(user_id)
    _json(archive, "messages.json", conversations)
    searches = list(RecentSearch.query(user_id, scan_index_forward=False))
    _json(
        archive,
        "searches.json",
        [
            {"search_id": s.search_id, "query": s.text, "type": s.kind, "id": s.target_id}
            for s in searches
        ],
    )
    _json(archive, "sessions.json", _sessions(user_id))
    counts.update(
        comments=len(comments),
        likes=len(liked),
        saves=len(saves),
        following=len(following),
        followers=len(followers),
        conversations=len(conversations),
        messages=sum(len(c["messages"]) for c in conversations),
        searches=len(searches),
    )
    return counts


def _posts(user_id: str) -> list[Post]:
    ids = [p.post_id for p in Post.by_author.query(user_id)]
    found = batch_get([(Post, post_id, None) for post_id in ids])
    return sorted(found.values(), key=lambda post: post.post_id)


def _usernames(user_ids: Iterable[str]) -> dict[str, str]:
    """The usernames of these accounts, those that still exist."""
    found = batch_get([(User, user_id, None) for user_id in set(user_ids)])
    return {key[1]: user.username for key, user in found.items() if user.deleted_at is None}


def _conversations(user_id: str) -> list[dict[str, Any]]:
    """Every conversation it is in, as its history shows them: messages across a block from
    it are not there (``messages.history``'s rule)."""
    entries = list(InboxEntry.query(user_id))
    found = batch_get([(Conversation, e.conversation_id, None) for e in entries])
    shown = []
    for (_, conversation_id, _), conversation in sorted(found.items(), key=lambda kv: kv[0][1]):
        history = list(Message.query(conversation_id, Message.message_id < _MESSAGES_END))
        hidden = visibility.blocked_among(user_id, {m.sender_id for m in history if m.sender_id})
        names = _usernames([*conversation.member_ids, *(m.sender_id for m in history)])
        shown.append(
            {
                "conversation_id": conversation_id,
                "kind": conversation.kind,
                "name": conversation.name,
                "members": [names[m] for m in conversation.member_ids if m in names],
                "messages": [
                    {
                        "message_id": m.message_id,
                        "from": names.get(m.sender_id, "a deleted account"),
                        "text": m.text,
                        "shared_post_id": m.post_id,
                        "sent_at": int(m.created_at),
                    }
                    for m in history
                    if m.sender_id not in hidden
                ],
            }
        )
    return shown


def _sessions(user_id: str) -> list[dict[str, Any]]:
    return [
        {
            "session_id": s.session_id,
            "created_at": int(s.created_at),
            "last_used_at": int(s.last_used_at) if s.last_used_at else None,
            "user_agent": s.user_agent,
            "expires_at": int(s.expires_at.timestamp() * 1000),
            "ended": bool(s.revoked) or s.expires_at < datetime.now(UTC),
        }
        for s in Session.by_user.query(user_id)
    ]


def _json(archive: zipfile.ZipFile, name: str, value: Any) -> None:
    archive.writestr(
        name,
        json.dumps(value, ensure_ascii=False, indent=2),
        compress_type=zipfile.ZIP_DEFLATED,
    )


def _copy(archive: zipfile.ZipFile, name: str, media_key: str) -> int:
    """One photo from the media bucket into the zip, chunk by chunk (JPEG: stored, as it
    does not compress). 0 if it is not there."""
    s3 = client("s3")
    try:
        body = s3.get_object(Bucket=settings().media_bucket, Key=media_key)["Body"]
    except s3.exceptions.NoSuchKey:
        return 0
    with archive.open(zipfile.ZipInfo(name, date_time=time.gmtime()[:6]), "w") as out:
        for chunk in body.iter_chunks(CHUNK_BYTES):
            out.write(chunk)
    return 1


class S3Stream:
    """A write-only file that is an S3 multipart upload: ``zipfile`` writes into it (it has
    no ``seek``, so zipfile streams, with data descriptors), each 8 MiB becomes a part, and
    leaving the ``with`` completes the upload (or aborts it on an error)."""

    def __init__(self, bucket: str, key: str) -> None:
        self.bucket, self.key = bucket, key
        self.s3 = client("s3")
        self.upload_id = self.s3.create_multipart_upload(
            Bucket=bucket, Key=key, ContentType="application/zip"
        )["UploadId"]
        self.parts: list[dict[str, Any]] = []
        self.buffer = bytearray()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.buffer += data
        self.size += len(data)
        while len(self.buffer) >= PART_BYTES:
            self._send(bytes(self.buffer[:PART_BYTES]))
            del self.buffer[:PART_BYTES]
        return len(data)

    def flush(self) -> None:
        pass

    def _send(self, data: bytes) -> None:
        number = len(self.parts) + 1
        answer = self.s3.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=data
        )
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def __enter__(self) -> S3Stream:
        return self

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        if exc_type is not None:
            self.s3.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id
            )
            return
        if self.buffer or not self.parts:
            self._send(bytes(self.buffer))
            self.buffer.clear()
        self.s3.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )
