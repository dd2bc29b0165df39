"""``POST /events``: the views and dwell times the app reports, as recommender signals.

Ignoring events about posts the viewer may not see is why this lives here, above posts,
and not beside the interaction log: the log itself is written from every context.
"""

from __future__ import annotations

from chalicelib.core.errors import ValidationError
from chalicelib.interactions import feedback
from chalicelib.interactions.models import Interaction
from chalicelib.posts import visible

MAX_EVENTS = 100
MAX_DWELL_MS = 10 * 60 * 1000


def record_events(user_id: str, events: object) -> dict[str, int]:
    """``POST /events``: views and dwell times the app reports, at most 100 per call, each
    (post, kind) once per call. Events about posts the viewer may not see (deleted since, or
    never theirs to see) are ignored: they would plant signals about posts the viewer has no
    business with, and the explore reasons built on them would quote those posts."""
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        raise ValidationError(f"events must be a list of 1-{MAX_EVENTS} events", field="events")
    seen: dict[tuple[str, str], float] = {}
    for event in events:
        if not isinstance(event, dict) or event.get("kind") not in ("view", "dwell"):
            raise ValidationError('each event needs "kind": view or dwell', field="events")
        post_id = event.get("post_id")
        if not isinstance(post_id, str) or not 0 < len(post_id) <= 64:
            raise ValidationError("each event needs a post_id", field="events")
        weight = feedback.WEIGHTS["view"]
        if event["kind"] == "dwell":
            dwell = event.get("dwell_ms")
            valid = isinstance(dwell, int) and not isinstance(dwell, bool)
            if not valid or not 0 <= dwell <= MAX_DWELL_MS:
                raise ValidationError(f"dwell_ms must be 0-{MAX_DWELL_MS}", field="events")
            weight = min(2.0, dwell / 10_000)  # ten seconds on a post is worth a view more
        seen[(post_id, event["kind"])] = max(weight, seen.get((post_id, event["kind"]), 0))
    sight = visible.look(user_id, posts=[(post_id, None) for post_id, _ in seen])
    kept = {key: weight for key, weight in seen.items() if sight.post(key[0]) is not None}
    with Interaction.batch_write() as batch:
        for (post_id, kind), weight in kept.items():
            batch.save(feedback.item(user_id, "post", post_id, kind, weight))
    return {
        "accepted": len(kept),
        "duplicates": len(events) - len(seen),
        "ignored": len(seen) - len(kept),
    }
