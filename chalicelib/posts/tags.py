"""A post's media details: each item's alt text and the people tagged on it.

A client sends, per media item, ``alt_text`` (at most ``ALT_TEXT_MAX`` characters) and
``tags: [{username, x, y}]`` (at most ``TAGS_MAX``, x and y within 0..1 of the item, a
username once per item); photos and videos alike. A tag is stored by user id
(``MediaTag``), so a username given up and taken again does not inherit it.

Whom you may tag: an existing account that is not across a block from you, either way. The
answer to a blocked (or blocking) account is the one an unknown name gets (``invalid_tag``):
a block shows nowhere, so a tag must not be the way to learn of one.

The tagged account's list (``PostTag`` rows, ``GET /users/{username}/tagged``) and its
activity item follow through the posts stream (``posts.reactions``, ``feed.reactions``):
a post tags up to 400 people, too many for the post's own transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

from pynamodb.exceptions import UpdateError

from chalicelib.accounts import profiles
from chalicelib.accounts.auth import normalize_username, username_key
from chalicelib.accounts.models import UniqueKey
from chalicelib.core.dynamodb import batch_get
from chalicelib.core.errors import Conflict, GlimpseError, ValidationError
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.graph import relationships, visibility
from chalicelib.posts import cards, visible
from chalicelib.posts.models import MediaTag, Post, PostTag

ALT_TEXT_MAX = 1000
TAGS_MAX = 20  # per media item, as Instagram
UNSET: Any = object()  # a field the client did not send: left as it is


@dataclass
class ItemDetails:
    """What a client sent for one media item: each field, or ``UNSET``."""

    upload_id: str | None
    alt_text: Any  # str, None (cleared) or UNSET
    tags: Any  # list of (username, x, y), or UNSET


def parse_items(raw: object, field: str = "media", *, with_upload: bool) -> list[ItemDetails]:
    """The shape of ``media``: a list of objects ``{upload_id?, alt_text?, tags?}``. Names
    are resolved later (``resolve``), once, for the whole post."""
    if not isinstance(raw, list) or not raw:
        raise ValidationError(f"{field} must be a non-empty list of objects", field=field)
    return [_parse_item(item, f"{field}[{n}]", with_upload) for n, item in enumerate(raw)]


def _parse_item(raw: object, field: str, with_upload: bool) -> ItemDetails:
    if not isinstance(raw, dict):
        raise ValidationError(f"{field} must be an object", field=field)
    upload_id = None
    if with_upload:
        upload_id = raw.get("upload_id")
        if not isinstance(upload_id, str) or not 0 < len(upload_id) <= 64:
            raise ValidationError(f"{field}.upload_id must be an upload id", field=field)
    alt_text = raw.get("alt_text", UNSET)
    if alt_text is not UNSET and alt_text is not None:
        if not isinstance(alt_text, str) or len(alt_text) > ALT_TEXT_MAX:
            raise ValidationError(
                f"{field}.alt_text must be text of at most {ALT_TEXT_MAX} characters",
                field=f"{field}.alt_text",
            )
        alt_text = alt_text.strip() or None  # blank text describes nothing
    tags = raw.get("tags", UNSET)
    if tags is not UNSET:
        tags = _parse_tags(tags, f"{field}.tags")
    return ItemDetails(upload_id, alt_text, tags)


def _parse_tags(raw: object, field: str) -> list[tuple[str, float, float]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > TAGS_MAX:
        raise ValidationError(f"{field} must be a list of at most {TAGS_MAX} tags", field=field)
    parsed: list[tuple[str, float, float]] = []
    for n, tag in enumerate(raw):
        where = f"{field}[{n}]"
        if not isinstance(tag, dict):
            raise ValidationError(f"{where} must be an object {{username, x, y}}", field=where)
        username = tag.get("username")
        if not isinstance(username, str) or not username.strip():
            raise ValidationError(f"{where}.username must be a username", field=where)
        for axis in ("x", "y"):
            value = tag.get(axis)
            # bool is an int to Python, never a coordinate; NaN fails both comparisons.
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValidationError(f"{where}.{axis} must be a number within 0..1", field=where)
        name = username.strip().lower().removeprefix("@")
        if any(name == other for other, _, _ in parsed):
            raise ValidationError(f"{where}: @{name} is tagged twice on this item", field=where)
        parsed.append((name, float(tag["x"]), float(tag["y"])))
    return parsed


def resolve(author_id: str, items: list[ItemDetails], field: str = "media") -> dict[str, str]:
    """username → user id for every name tagged on these items, in two round trips for
    the whole post (the username claims, then the accounts with their block edges).
    An unknown name, an account whose deletion began, or one across a block from the
    author is ``invalid_tag``, with the same words for each."""
    # Each name, and where it was first sent (the field an error names).
    where: dict[str, str] = {}
    for n, item in enumerate(items):
        if item.tags is not UNSET:
            for m, (name, _, _) in enumerate(item.tags):
                where.setdefault(name, f"{field}[{n}].tags[{m}]")
    if not where:
        return {}
    valid = {}
    for name in where:
        try:
            valid[name] = normalize_username(name)
        except GlimpseError:
            _unknown(name, where[name])
    claims = batch_get([(UniqueKey, username_key(valid[name]), None) for name in where])
    ids: dict[str, str] = {}
    for name in where:
        claim = claims.get((UniqueKey, username_key(valid[name]), None))
        if claim is None:
            _unknown(name, where[name])
        ids[name] = claim.user_id  # type: ignore[attr-defined]
    sight = visibility.look(author_id, users=list(ids.values()))
    for name, user_id in ids.items():
        if user_id != author_id and sight.account(user_id) is None:
            _unknown(name, where[name])
    return ids


def _unknown(name: str, field: str) -> NoReturn:
    raise ValidationError(f"No account @{name} to tag", code="invalid_tag", field=field)


def media_tags(parsed: list[tuple[str, float, float]], ids: dict[str, str]) -> list[MediaTag]:
    return [MediaTag(user_id=ids[name], x=x, y=y) for name, x, y in parsed]


# -- the tagged account's list -------------------------------------------------------------


def tagged_ids(images: Iterable[Any]) -> set[str]:
    """Everyone tagged on a post, from its stream image's ``images`` (dicts) or its items."""
    found = set()
    for image in images or []:
        tags = image.get("tags") if isinstance(image, dict) else image.tags
        for tag in tags or []:
            found.add(tag["user_id"] if isinstance(tag, dict) else tag.user_id)
    return found


def sync_rows(old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
    """The posts stream keeps the ``PostTag`` rows equal to the post's tags: rows for the
    newly tagged, none for the untagged and for a deleted post. Writing a row twice (a
    redelivered batch) writes the same row."""
    before = tagged_ids((old or {}).get("images") or [])
    after = tagged_ids((new or {}).get("images") or [])
    post = new or old
    if post is None:
        return
    with PostTag.batch_write() as batch:
        for user_id in sorted(after - before):
            batch.save(PostTag(user_id, post["post_id"], author_id=post["author_id"]))
        for user_id in sorted(before - after):
            batch.delete(PostTag(user_id, post["post_id"]))


def tagged(viewer_id: str, username: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """``GET /users/{username}/tagged``: the ready posts the account is tagged on, newest
    first, that the viewer may see. The account's tagged list is its content: a private
    account's is for its approved followers, and nothing across a block."""
    user = profiles.by_username(username)
    visibility.require_content(viewer_id, user, relationships.between(viewer_id, user.user_id))
    start = decode_cursor(cursor, {"user_id", "post_id"}, ("user_id", user.user_id))
    result = PostTag.query(
        user.user_id, scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    refs = [(row.post_id, row.author_id) for row in result]
    next_cursor = encode_cursor(result.last_evaluated_key)
    return {"items": cards.of(viewer_id, refs), "next_cursor": next_cursor}


def remove_me(user_id: str, post_id: str) -> None:
    """``DELETE /posts/{id}/tags/me``: the caller's tags on every item of the post go. A
    tag names you, so it is yours to remove even on a post you can no longer see; on a post
    that does not tag you, this is a no-op for a visible post and 404 otherwise."""
    try:
        post = Post.get(post_id, consistent_read=True)
    except Post.DoesNotExist:
        raise visible.not_found() from None
    if user_id not in tagged_ids(post.images):
        visible.get(user_id, post_id)  # 404 for a post the caller may not see
        return
    if not remove_user(post, user_id):
        raise Conflict("The post changed meanwhile; try again", code="concurrent_change")


def remove_user(post: Post, user_id: str, retries: int = 3) -> bool:
    """Takes ``user_id`` off every item of the post, each item only if its tags are still
    those read (an author's edit at the same moment is not overwritten); read again and
    retried on a race. False if it kept losing the race."""
    for _ in range(retries):
        actions, conditions = [], []
        for index, image in enumerate(post.images):
            kept = [tag for tag in image.tags if tag.user_id != user_id]
            if len(kept) != len(image.tags):
                actions.append(Post.images[index].tags.set(kept))
                conditions.append(Post.images[index].upload_id == image.upload_id)
                conditions.append(Post.images[index].tags == list(image.tags))
        if not actions:
            return True
        condition = conditions[0]
        for more in conditions[1:]:
            condition &= more
        try:
            post.update(actions=actions, condition=condition)
            return True
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
        try:
            post = Post.get(post.post_id, consistent_read=True)
        except Post.DoesNotExist:
            return True  # deleted meanwhile: no tag is left
    return False


def untag_everywhere(user_id: str, tick: Callable[[], None]) -> int:
    """An account's deletion: its tags go from everyone's posts, and its tagged list with
    them. Returns how many posts it was tagged on."""
    rows = list(PostTag.query(user_id))
    for row in rows:
        tick()
        with contextlib.suppress(Post.DoesNotExist):
            remove_user(Post.get(row.post_id, consistent_read=True), user_id)
    with PostTag.batch_write() as batch:
        for row in rows:
            batch.delete(PostTag(user_id, row.post_id))
    return len(rows)
