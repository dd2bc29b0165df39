"""Implicit feedback, the recommender's input."""

from __future__ import annotations

from pynamodb.attributes import (
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)

from chalicelib.core.dynamodb import Model, meta


class Interaction(Model):
    """One piece of implicit feedback: a user did something to a post or an account."""

    Meta = meta("interactions")

    user_id = UnicodeAttribute(hash_key=True)
    interaction_id = UnicodeAttribute(range_key=True)  # time-sorted
    item_type = UnicodeAttribute()  # post | user
    item_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # like, comment, save, share, follow, search, view
    weight = NumberAttribute()
    at = NumberAttribute()  # milliseconds
    expires_at = TTLAttribute()
