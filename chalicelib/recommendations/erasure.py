"""An account's end in recommendations (``lifecycle.deletion``): its own explore list and
suggested accounts. Everyone else's lists may still name it or its posts until the job's
next run rewrites them (hourly; the items expire after 2 days anyway): a tombstone of ids
that resolve to nothing, since both lists are read through the visibility policy, which
shows a deleted account and its posts nowhere."""

from __future__ import annotations

from chalicelib.recommendations.models import Recommendation

KINDS = ("explore", "users")


def forget(user_id: str) -> int:
    with Recommendation.batch_write() as batch:
        for kind in KINDS:
            batch.delete(Recommendation(user_id, kind))
    return len(KINDS)
