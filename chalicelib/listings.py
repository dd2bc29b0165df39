"""A counted listing of posts: one partition per hashtag or place, its posts under their
time-sorted ids and a summary item holding the count.

Adding and removing are idempotent (stream handlers may run twice): the entry and the count
change together in one transaction, conditional on the entry's absence or presence.
"""

from __future__ import annotations

from typing import Any

from pynamodb.models import Model

from chalicelib import posts
from chalicelib.pagination import Page, decode_position, encode_position
from chalicelib.tables import FIRST_POST_ID, SUMMARY_KEY, Transaction, TransactionCancelled


def add(model: type[Model], key: str, post_id: str, author_id: str,
        **summary: Any) -> bool:  # fmt: skip
    """List the post; ``summary`` attributes (a place's name…) are set on the summary item."""
    hash_key, range_key = _key_attributes(model)
    entry = model(key, post_id, author_id=author_id)
    actions = [model.post_count.add(1), *(getattr(model, k).set(v) for k, v in summary.items())]
    try:
        with Transaction() as write:
            write.save(entry, condition=range_key.does_not_exist(), label="entry")
            write.update(model(key, SUMMARY_KEY), actions=actions)
    except TransactionCancelled:
        return False  # listed before
    return True


def remove(model: type[Model], key: str, post_id: str) -> bool:
    _, range_key = _key_attributes(model)
    try:
        with Transaction() as write:
            write.delete(model(key, post_id), condition=range_key.exists(), label="entry")
            write.update(model(key, SUMMARY_KEY), actions=[model.post_count.add(-1)])
    except TransactionCancelled:
        return False  # not listed
    return True


def page(model: type[Model], key: str, viewer_id: str, limit: int,
         cursor: str | None) -> Page:  # fmt: skip
    """Newest first, as cards the viewer may see (others are left out of the page)."""
    _, range_key = _key_attributes(model)
    before = decode_position(cursor)
    condition = range_key < before if before else range_key >= FIRST_POST_ID
    entries = list(model.query(key, condition, scan_index_forward=False, limit=limit))
    refs = [(entry.post_id, entry.author_id) for entry in entries]
    more = len(refs) == limit
    return Page(items=posts.cards(viewer_id, refs),
                next_cursor=encode_position(refs[-1][0]) if more else None)  # fmt: skip


def summary(model: type[Model], key: str) -> Model | None:
    try:
        return model.get(key, SUMMARY_KEY)
    except model.DoesNotExist:
        return None


def _key_attributes(model: type[Model]) -> tuple[Any, Any]:
    return model._hash_key_attribute(), model._range_key_attribute()
