"""A counted listing of posts: one partition per hashtag or place, its posts under their
time-sorted ids and a summary item holding the counts.

The summary counts every listed post (``post_count``) and those of public accounts
(``public_count``): only the second is ever shown or searched, so a tag or place used only by
private accounts reveals nothing. Each entry remembers whether its author was public, and
``set_public`` moves it (and the count) when the account changes. The summary also keeps the
first two public authors it met (``public_authors``): while there is only one, the tag or
place is that account's alone, and someone it blocked (or who blocked it) must not find it
(``hidden_from``).

Adding, removing and flipping are idempotent (stream handlers may run twice): the entry and
the counts change together in one transaction, conditional on the entry's state.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.expressions.condition import size

from chalicelib.core.dynamodb import Model, Transaction, TransactionCancelled
from chalicelib.core.pagination import Page, decode_position, encode_position
from chalicelib.discovery.models import FIRST_POST_ID, SUMMARY_KEY
from chalicelib.graph import visibility
from chalicelib.posts import cards

_ATTEMPTS = 3


def add(
    model: type[Model], key: str, post_id: str, author_id: str, public: bool, **summary: Any
) -> bool:
    """List the post; ``summary`` attributes (a place's name…) are set on the summary item."""
    _, range_key = _key_attributes(model)
    entry = model(key, post_id, author_id=author_id, public=public)
    actions = [model.post_count.add(1), *(getattr(model, k).set(v) for k, v in summary.items())]
    if public:
        actions.append(model.public_count.add(1))
    try:
        with Transaction() as write:
            write.save(entry, condition=range_key.does_not_exist(), label="entry")
            write.update(model(key, SUMMARY_KEY), actions=actions)
    except TransactionCancelled:
        return False  # listed before
    if public:
        _note_public_author(model, key, author_id)
    return True


def remove(model: type[Model], key: str, post_id: str) -> bool:
    _, range_key = _key_attributes(model)
    for _ in range(_ATTEMPTS):
        entry = _entry(model, key, post_id)
        if entry is None:
            return False  # not listed
        actions = [model.post_count.add(-1)]
        if entry.public:
            actions.append(model.public_count.add(-1))
        try:
            with Transaction() as write:
                write.delete(
                    model(key, post_id),
                    condition=range_key.exists() & _public_is(model, bool(entry.public)),
                    label="entry",
                )
                write.update(model(key, SUMMARY_KEY), actions=actions)
        except TransactionCancelled:
            continue  # flipped or removed meanwhile: look again
        if entry.public:
            _forget_public_authors_if_none(model, key)
        _drop_if_empty(model, key)
        return True
    return False


def forget_author(model: type[Model], key: str, author_id: str) -> None:
    """An account's end: it is no longer one of the public authors the summary remembers
    (its entries leave through the posts stream, which does not touch this list)."""
    with contextlib.suppress(UpdateError):  # no such summary (any more): nothing to forget
        model(key, SUMMARY_KEY).update(
            actions=[model.public_authors.delete({author_id})],
            condition=_key_attributes(model)[1].exists(),
        )


def set_public(model: type[Model], key: str, post_id: str, public: bool) -> bool:
    """The author became public (or private): the entry follows, and the public count."""
    _, range_key = _key_attributes(model)
    try:
        with Transaction() as write:
            write.update(
                model(key, post_id),
                actions=[model.public.set(public)],
                condition=range_key.exists() & _public_is(model, not public),
                label="entry",
            )
            write.update(
                model(key, SUMMARY_KEY), actions=[model.public_count.add(1 if public else -1)]
            )
    except TransactionCancelled:
        return False  # not listed, or already so
    if public:
        entry = _entry(model, key, post_id)
        if entry is not None:
            _note_public_author(model, key, entry.author_id)
    else:
        _forget_public_authors_if_none(model, key)
    return True


def page(model: type[Model], key: str, viewer_id: str, limit: int, cursor: str | None) -> Page:
    """Newest first, as cards the viewer may see (others are left out of the page)."""
    _, range_key = _key_attributes(model)
    before = decode_position(cursor)
    condition = range_key < before if before else range_key >= FIRST_POST_ID
    entries = list(model.query(key, condition, scan_index_forward=False, limit=limit))
    refs = [(entry.post_id, entry.author_id) for entry in entries]
    more = len(refs) == limit
    return Page(
        items=cards.of(viewer_id, refs),
        next_cursor=encode_position(refs[-1][0]) if more else None,
    )


def summary(model: type[Model], key: str) -> Model | None:
    try:
        return model.get(key, SUMMARY_KEY)
    except model.DoesNotExist:
        return None


def public_count(summary: Model | None) -> int:
    """How many posts of public accounts are listed: the count anyone may see."""
    return max(0, int(summary.public_count or 0)) if summary is not None else 0


def sole_public_author(summary: Model | None) -> str | None:
    """The one account whose public posts are all there is, if only one account's are."""
    authors = (summary.public_authors or set()) if summary is not None else set()
    return next(iter(authors)) if len(authors) == 1 and public_count(summary) > 0 else None


def hidden_from(viewer_id: str, summaries: list[Model | None]) -> set[Model]:
    """Of these tag or place summaries, those the viewer must not find: no public post, or
    the public posts all one account's that is across a block from the viewer (one
    BatchGetItem for all of them)."""
    soles = {s: sole_public_author(s) for s in summaries if s is not None}
    blocked = visibility.blocked_among(viewer_id, [a for a in soles.values() if a])
    hidden = {s for s, sole in soles.items() if public_count(s) == 0 or sole in blocked}
    return hidden


def _entry(model: type[Model], key: str, post_id: str) -> Model | None:
    try:
        return model.get(key, post_id, consistent_read=True)
    except model.DoesNotExist:
        return None


def _note_public_author(model: type[Model], key: str, author_id: str) -> None:
    """Remember a public author, up to two: enough to tell "one account's" from "many"."""
    has_room = model.public_authors.does_not_exist() | (size(model.public_authors) < 2)
    with contextlib.suppress(UpdateError):  # two already: nothing more to learn
        model(key, SUMMARY_KEY).update(
            actions=[model.public_authors.add({author_id})], condition=has_room
        )


def _forget_public_authors_if_none(model: type[Model], key: str) -> None:
    """The last public post gone: the next public author starts the list again."""
    with contextlib.suppress(UpdateError):
        model(key, SUMMARY_KEY).update(
            actions=[model.public_authors.remove()], condition=model.public_count <= 0
        )


def _drop_if_empty(model: type[Model], key: str) -> None:
    """The last post gone, the summary goes too: a place's name and coordinates are its
    posters' own, and nothing shows a tag or place without posts. A post listed at the same
    moment writes the summary again (its update creates the item)."""
    with contextlib.suppress(DeleteError):
        model(key, SUMMARY_KEY).delete(condition=model.post_count <= 0)


def _public_is(model: type[Model], public: bool) -> Any:
    # Entries written before the flag existed count as not public. (== builds a condition.)
    if public:
        return model.public == True  # noqa: E712
    return model.public.does_not_exist() | (model.public == False)  # noqa: E712


def _key_attributes(model: type[Model]) -> tuple[Any, Any]:
    return model._hash_key_attribute(), model._range_key_attribute()
