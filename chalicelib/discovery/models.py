"""Hashtag and place listings: one partition per tag or place, its posts and a summary item."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from chalicelib.core.dynamodb import Model, meta

# The sort key of a hashtag's or place's own item (its count, its name), below every post id,
# so "newest posts first" queries never meet it (they ask for post_id >= FIRST_POST_ID).
SUMMARY_KEY = "!"
FIRST_POST_ID = "0"


class HashtagEntry(Model):
    """A post under a hashtag, or (post_id == SUMMARY_KEY) the hashtag's post counts."""

    Meta = meta("hashtags")

    tag = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)
    author_id = UnicodeAttribute(null=True)
    # On an entry: whether its author's account is public (kept in step when it changes).
    public = BooleanAttribute(null=True)
    # On the summary: all posts, and those of public accounts (the count anyone may see),
    # and the first two public authors (listings.sole_public_author).
    post_count = NumberAttribute(null=True)
    public_count = NumberAttribute(null=True)
    public_authors = UnicodeSetAttribute(null=True)


class PlaceEntry(Model):
    """A post at a place, or (post_id == SUMMARY_KEY) the place itself with its post count."""

    Meta = meta("places")

    place_id = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)
    author_id = UnicodeAttribute(null=True)
    public = BooleanAttribute(null=True)  # as on HashtagEntry
    name = UnicodeAttribute(null=True)
    lat = NumberAttribute(null=True)
    lng = NumberAttribute(null=True)
    post_count = NumberAttribute(null=True)
    public_count = NumberAttribute(null=True)
    public_authors = UnicodeSetAttribute(null=True)
