"""Recent searches (the search documents live in the search engine, not DynamoDB)."""

from __future__ import annotations

from pynamodb.attributes import (
    TTLAttribute,
    UnicodeAttribute,
)

from chalicelib.core.dynamodb import Model, meta


class RecentSearch(Model):
    """A search someone made and the result they opened (time-sorted ``search_id``)."""

    Meta = meta("recent-searches")

    user_id = UnicodeAttribute(hash_key=True)
    search_id = UnicodeAttribute(range_key=True)
    text = UnicodeAttribute()  # not "query": that name is Model.query
    kind = UnicodeAttribute(null=True)
    target_id = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()
