"""Writing posts: creating one from uploads (with each item's alt text and people tags,
``posts.tags``), editing its caption, place and items' details, deleting it.

A post is ``processing`` until every image has its renditions (``posts.media``); what happens
once it is ready, edited or deleted follows through the posts stream (``posts.reactions`` and
the other contexts' reactions).
"""

from __future__ import annotations

from collections.abc import Mapping

from pynamodb.exceptions import UpdateError

from chalicelib.accounts.models import User
from chalicelib.core import uploads
from chalicelib.core.dynamodb import Transaction, TransactionCancelled
from chalicelib.core.errors import Conflict, Forbidden, ValidationError
from chalicelib.core.ids import new_id, now_ms
from chalicelib.core.uploads import Upload
from chalicelib.posts import captions, place, tags, visible
from chalicelib.posts.models import Place, Post, PostImage
from chalicelib.posts.status import READY

CAPTION_MAX = 2200
MAX_IMAGES = 20  # photos and videos together, as Instagram's carousel

# The filters functions/media implements (a test keeps the two lists equal).
FILTERS = (
    "normal",
    "clarendon",
    "gingham",
    "juno",
    "lark",
    "ludwig",
    "moon",
    "reyes",
    "valencia",
)


def create(
    author_id: str,
    upload_ids: object = None,
    caption: object = "",
    filter_name: object = "normal",
    place: object = None,
    media: object = None,
) -> Post:
    """A post from ``upload_ids`` (the older form) or ``media`` ``[{upload_id, alt_text,
    tags}]``: one of the two."""
    if (upload_ids is None) == (media is None):
        raise ValidationError("send either upload_ids or media", field="media")
    details = None
    if media is not None:
        details = tags.parse_items(media, with_upload=True)
        upload_ids = [item.upload_id for item in details]
    ids = _check_upload_ids(upload_ids, "upload_ids" if details is None else "media")
    caption = _check_caption(caption)
    if filter_name not in FILTERS:
        raise ValidationError(f"filter must be one of {', '.join(FILTERS)}", field="filter")
    checked_place = _check_place(place)
    tagged = tags.resolve(author_id, details or [])
    # What each item is, read before the transaction that takes the slots checks them.
    kinds = {
        upload.upload_id: "video" if uploads.is_video(upload.content_type) else "image"
        for upload in Upload.batch_get(ids)
    }
    post = Post(
        new_id(),
        author_id=author_id,
        created_at=now_ms(),
        caption=caption,
        filter=filter_name,
        place=checked_place,
        images=[
            _new_item(upload_id, kinds.get(upload_id, "image"), item, tagged)
            for upload_id, item in zip(ids, details or [None] * len(ids), strict=True)
        ],
        hashtags=captions.hashtags(caption),
        mentions=captions.mentions(caption),
    )
    # Taking the uploads and writing the post is one transaction: an upload is used once,
    # only by its owner (not by another post, not by a profile photo), and a refused post
    # leaves every upload free.
    try:
        with Transaction() as transaction:
            for index, upload_id in enumerate(ids):
                transaction.update(
                    Upload(upload_id),
                    actions=[Upload.post_id.set(post.post_id), Upload.image_index.set(index)],
                    condition=uploads.free_for(author_id),
                    label=upload_id,
                )
            transaction.save(post)
    except TransactionCancelled as cancelled:
        bad = ", ".join(upload_id for upload_id in ids if upload_id in cancelled.failed)
        raise ValidationError(
            f"Upload {bad} does not exist, is not yours, or is already used",
            code="invalid_upload",
            field="upload_ids" if details is None else "media",
        ) from None
    uploads.requeue_arrived(ids)
    return post


def update_caption(author_id: str, post_id: str, caption: object) -> Post:
    return edit(author_id, post_id, {"caption": caption})


def edit(author_id: str, post_id: str, changes: Mapping[str, object]) -> Post:
    """``PATCH /posts/{id}``: any of ``caption``, ``place`` (null: none) and ``media``, one
    object per item in the post's order, each with ``alt_text`` and/or ``tags`` (a field
    left out stays as it is; ``tags: []`` untags everyone). One conditional write; hashtag
    and place pages, mentions, the tagged lists and their activity follow through the
    posts stream (chalicelib/streams.py)."""
    if not any(name in changes for name in ("caption", "place", "media")):
        raise ValidationError("send caption, place or media to change", field="caption")
    actions: list = []
    if "caption" in changes:
        caption = _check_caption(changes["caption"])
        actions += [
            Post.caption.set(caption),
            Post.hashtags.set(captions.hashtags(caption)),
            Post.mentions.set(captions.mentions(caption)),
        ]
    if "place" in changes:
        checked = _check_place(changes["place"])
        actions.append(Post.place.remove() if checked is None else Post.place.set(checked))
    details = None
    if "media" in changes:
        details = tags.parse_items(changes["media"], with_upload=False)
    post = visible.get(author_id, post_id)
    if post.author_id != author_id:
        raise Forbidden("Only the author can edit a post", code="not_post_author")
    condition = Post.author_id == author_id
    if details is not None:
        if len(details) != len(post.images):
            raise ValidationError(
                f"media must have one object per media item of the post ({len(post.images)})",
                field="media",
            )
        tagged = tags.resolve(author_id, details)
        for index, (image, item) in enumerate(zip(post.images, details, strict=True)):
            item_actions = _detail_actions(index, item, tagged)
            if item_actions:
                actions += item_actions
                # The item is still the one read: a post's items never move, but say so.
                condition &= Post.images[index].upload_id == image.upload_id
    if actions:
        try:
            post.update(actions=actions, condition=condition)
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            raise Conflict(
                "The post changed while it was being edited; try again",
                code="concurrent_change",
            ) from None
    return post


def _new_item(
    upload_id: str, kind: str, item: tags.ItemDetails | None, tagged: dict[str, str]
) -> PostImage:
    image = PostImage(upload_id=upload_id, type=kind)
    if item is not None:
        if item.alt_text is not tags.UNSET:
            image.alt_text = item.alt_text
        if item.tags is not tags.UNSET:
            image.tags = tags.media_tags(item.tags, tagged)
    return image


def _detail_actions(index: int, item: tags.ItemDetails, tagged: dict[str, str]) -> list:
    actions = []
    path = Post.images[index]
    if item.alt_text is not tags.UNSET:
        actions.append(
            path.alt_text.remove() if item.alt_text is None else path.alt_text.set(item.alt_text)
        )
    if item.tags is not tags.UNSET:
        actions.append(path.tags.set(tags.media_tags(item.tags, tagged)))
    return actions


def delete(author_id: str, post_id: str) -> None:
    """Deletes the post; the posts stream then removes its traces (feeds, hashtag and place
    pages, counters, renditions, likes, comments, activity) in the background."""
    post = visible.get(author_id, post_id)
    if post.author_id != author_id:
        raise Forbidden("Only the author can delete a post", code="not_post_author")
    try:
        with Transaction() as write:
            # The status the count was decided on must still hold when the post goes.
            write.delete(
                post,
                condition=(Post.author_id == author_id) & (Post.status == post.status),
                label="post",
            )
            if post.status == READY:
                write.update(User(author_id), actions=[User.posts_count.add(-1)])
    except TransactionCancelled:
        raise Conflict(
            "The post changed while it was being deleted; try again", code="concurrent_change"
        ) from None


def _check_upload_ids(raw: object, field: str = "upload_ids") -> list[str]:
    if (
        not isinstance(raw, list)
        or not 1 <= len(raw) <= MAX_IMAGES
        or not all(isinstance(item, str) and 0 < len(item) <= 64 for item in raw)
    ):
        raise ValidationError(f"{field} must be a list of 1 to {MAX_IMAGES} uploads", field=field)
    if len(set(raw)) != len(raw):
        raise ValidationError(f"{field} must not repeat an upload", field=field)
    return list(raw)


def _check_caption(caption: object) -> str:
    if not isinstance(caption, str) or len(caption) > CAPTION_MAX:
        raise ValidationError(
            f"caption must be text of at most {CAPTION_MAX} characters", field="caption"
        )
    return caption


def _check_place(raw: object) -> Place | None:
    checked = place.check(raw)
    return None if checked is None else Place(**checked)
