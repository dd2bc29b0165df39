"""What the recommender job wrote: explore lists and suggested accounts."""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)

from chalicelib.core.dynamodb import Model, meta

# The list for someone not scored yet, under this "user id" (the job writes, the API reads).
TRENDING = "~trending"


class Recommendation(Model):
    """A user's explore list (``kind`` "explore") or suggested accounts ("users")."""

    Meta = meta("recommendations")

    user_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(range_key=True)
    items = ListAttribute(default=list)  # [{"id", "author_id"?, "reason", "score"}]
    computed_at = NumberAttribute()
    expires_at = TTLAttribute()
