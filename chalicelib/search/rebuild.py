"""Rebuild the search index from DynamoDB: ``python -m chalicelib.search.rebuild``.

Scans users, posts and the hashtag and place summaries (a Scan is fine here: this is an
operator's command, never a request path) and indexes them in batches of 500.
"""

from __future__ import annotations

from collections.abc import Iterator

from chalicelib.accounts.models import User
from chalicelib.discovery.models import SUMMARY_KEY, HashtagEntry, PlaceEntry
from chalicelib.posts.models import Post
from chalicelib.posts.status import READY
from chalicelib.search.documents import (
    PLACE,
    TAG,
    Document,
    listing_document,
    post_document,
    user_document,
)
from chalicelib.search.engines import engine


def documents() -> Iterator[Document]:
    for user in User.scan():
        yield user_document(user.attribute_values)
    for post in Post.scan(Post.status == READY):
        yield post_document(post.attribute_values)
    for tag in HashtagEntry.scan(HashtagEntry.post_id == SUMMARY_KEY):
        if document := listing_document(TAG, tag.tag, None, tag.public_count):
            yield document
    for place in PlaceEntry.scan(PlaceEntry.post_id == SUMMARY_KEY):
        if document := listing_document(PLACE, place.place_id, place.name, place.public_count):
            yield document


def rebuild(batch: int = 500) -> int:
    target = engine()
    target.clear()
    total, pending = 0, []
    for document in documents():
        pending.append(document)
        if len(pending) >= batch:
            total += target.index(pending)
            pending = []
    return total + (target.index(pending) if pending else 0)


if __name__ == "__main__":
    print(f"indexed {rebuild()} documents")
