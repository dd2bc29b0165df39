"""Counting uses of something in a time window, exactly, however many arrive at once.

A use is taken with a conditional atomic ADD before the thing is done (a password checked,
a mail sent), never read-then-written, so a burst sent in parallel is held exactly like one
sent in sequence. The counter's item expires with its window (DynamoDB TTL, and the
conditions check the expiry themselves since TTL deletes lazily).

``sliding`` windows end ``window_seconds`` after the latest use (the login lockout: five
wrong passwords lock for 15 minutes after the last one); fixed ones after the first.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.core.dynamodb import Model, meta


class Counter(Model):
    Meta = meta("rate-limits")

    key = UnicodeAttribute(hash_key=True)  # "<what>#<whose>", e.g. "login#<user id>"
    count = NumberAttribute(default=0)
    expires_at = TTLAttribute()  # the window's end


def take(key: str, limit: int, window_seconds: int, *, sliding: bool = False) -> int:
    """Take one use of ``key``: 0 if granted, else the seconds until the window ends."""
    now = time.time()
    window_end = datetime.fromtimestamp(now + window_seconds, UTC)
    live = Counter.expires_at > datetime.fromtimestamp(now, UTC)
    counter = Counter(key)
    room = live & (Counter.count < limit)
    add = [Counter.count.add(1)] + ([Counter.expires_at.set(window_end)] if sliding else [])
    for _ in range(2):
        if _update(counter, add, room):
            return 0
        # No window, or one TTL has not deleted yet: this use starts a new one. Should a
        # parallel use start it first, this fails and the loop adds to theirs.
        if _update(counter, [Counter.count.set(1), Counter.expires_at.set(window_end)], ~live):
            return 0
    return _seconds_left(key, window_seconds)


def reset(key: str) -> None:
    """Start counting again (a successful login clears its failures)."""
    Counter(key).delete()


def _update(counter: Counter, actions: list, condition: object) -> bool:
    try:
        counter.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _seconds_left(key: str, default: int) -> int:
    try:
        ends = Counter.get(key, consistent_read=True).expires_at
    except DoesNotExist:
        return default
    return max(1, int(ends.timestamp() - time.time()))
