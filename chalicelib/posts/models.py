"""Posts and what hangs off them: the post with its images, likes, comments, saves. (The
upload slots a post takes are ``chalicelib.core.uploads``: profile photos take them too.)"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, LocalSecondaryIndex

from chalicelib.core.dynamodb import Model, meta


class Rendition(MapAttribute):
    """One stored size of an image (``name`` large, medium, small or thumb: a JPEG) or of a
    video (720p or 480p: an MP4)."""

    name = UnicodeAttribute()
    key = UnicodeAttribute()
    width = NumberAttribute()
    height = NumberAttribute()
    bytes = NumberAttribute()


class FaceBox(MapAttribute):
    """A detected face, normalised to 0..1 of the oriented image."""

    x = NumberAttribute()
    y = NumberAttribute()
    w = NumberAttribute()
    h = NumberAttribute()


class MediaTag(MapAttribute):
    """A person tagged on a media item: the account (by id: a username may change hands) and
    where on the item, normalised to 0..1 like the face boxes."""

    user_id = UnicodeAttribute()
    x = NumberAttribute()
    y = NumberAttribute()


class PostImage(MapAttribute):
    """One media item of a post, a photo or a video (the name is from when posts had only
    photos; the API keeps calling the list ``images``). ``alt_text`` and ``tags`` are the
    author's (``posts.tags``); the rest is the media function's (``posts.media``)."""

    upload_id = UnicodeAttribute()
    alt_text = UnicodeAttribute(null=True)
    tags = ListAttribute(of=MediaTag, default=list)
    # image | video; set when the post is created, from the upload's content type.
    type = UnicodeAttribute(default="image")
    status = UnicodeAttribute(default="processing")
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    placeholder = UnicodeAttribute(null=True)
    renditions = ListAttribute(of=Rendition, default=list)
    # A video's: its length, and its poster frame's image renditions (as a photo's).
    duration_ms = NumberAttribute(null=True)
    poster = ListAttribute(of=Rendition, null=True)
    faces = ListAttribute(of=FaceBox, default=list)
    failure_reason = UnicodeAttribute(null=True)
    # A photo's perceptual hash (16 hex digits, the media function's): kept so that, if the
    # moderators remove the post, the photo is refused when uploaded again.
    phash = UnicodeAttribute(null=True)


class Place(MapAttribute):
    place_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute()
    lat = NumberAttribute()
    lng = NumberAttribute()


class PostsByAuthor(GlobalSecondaryIndex):
    Meta = meta("posts", index="posts_by_author")

    author_id = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)


class Post(Model):
    Meta = meta("posts")

    post_id = UnicodeAttribute(hash_key=True)
    author_id = UnicodeAttribute()
    created_at = NumberAttribute()
    status = UnicodeAttribute(default="processing")  # processing | ready | failed
    failure_reason = UnicodeAttribute(null=True)
    caption = UnicodeAttribute(default="")
    filter = UnicodeAttribute(default="normal")
    place = Place(null=True)
    images = ListAttribute(of=PostImage, default=list)
    likes_count = NumberAttribute(default=0)
    comments_count = NumberAttribute(default=0)
    # Parsed from the caption when it is written (chalicelib/captions.py).
    hashtags = ListAttribute(of=UnicodeAttribute, default=list)
    mentions = ListAttribute(of=UnicodeAttribute, default=list)

    by_author = PostsByAuthor()


class LikesByTime(LocalSecondaryIndex):
    Meta = meta("likes", index="likes_by_time")

    post_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class LikesByUser(GlobalSecondaryIndex):
    Meta = meta("likes", index="likes_by_user")

    user_id = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)


class Like(Model):
    Meta = meta("likes")

    post_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    author_id = UnicodeAttribute()  # the post's author: whom the activity item is for
    created_at = NumberAttribute()

    by_time = LikesByTime()
    by_user = LikesByUser()


class CommentsByAuthor(GlobalSecondaryIndex):
    Meta = meta("comments", index="comments_by_author")

    author_id = UnicodeAttribute(hash_key=True)
    comment_id = UnicodeAttribute(range_key=True)


class Comment(Model):
    Meta = meta("comments")

    post_id = UnicodeAttribute(hash_key=True)
    comment_id = UnicodeAttribute(range_key=True)  # time-sorted: oldest or newest first
    author_id = UnicodeAttribute()
    post_author_id = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = NumberAttribute()
    # A restricted account's comment waiting for the post's owner to approve it: seen only
    # by the two, not counted; absent once approved (and on every other comment).
    pending = BooleanAttribute(null=True)

    by_author = CommentsByAuthor()


class PostTag(Model):
    """An account tagged on a post (on one or more of its media items): its "tagged" list,
    newest post first (post ids sort by time). Written by the posts stream
    (``posts.reactions``), not by the post's own write: a post may tag 400 people."""

    Meta = meta("post-tags")

    user_id = UnicodeAttribute(hash_key=True)  # the tagged account
    post_id = UnicodeAttribute(range_key=True)
    author_id = UnicodeAttribute()  # the post's: a page's cards in one batch


class SavesByTime(LocalSecondaryIndex):
    # Projects everything (the author too): a page of saves needs no second read.
    Meta = meta("saves", index="saves_by_time", projection=AllProjection())

    user_id = UnicodeAttribute(hash_key=True)
    saved_at = NumberAttribute(range_key=True)
    post_id = UnicodeAttribute()
    author_id = UnicodeAttribute()


class Save(Model):
    Meta = meta("saves")

    user_id = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)
    author_id = UnicodeAttribute()
    saved_at = NumberAttribute()

    by_time = SavesByTime()


class RemovedImage(Model):
    """A photo the moderators removed, by its perceptual hash, once per band of the hash
    (``posts.media.BANDS``): any hash within ``REMOVED_DISTANCE`` bits of it shares at least
    one band with it exactly, so a near-duplicate is found with one Query per band."""

    Meta = meta("removed-images")

    band = UnicodeAttribute(hash_key=True)  # "<band index>:<its bits, hex>"
    phash = UnicodeAttribute(range_key=True)  # the whole hash, 16 hex digits
    removed_at = NumberAttribute()
