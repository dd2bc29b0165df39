"""``POST /feed/explore/{post_id}/hide``: "not interested".

The post leaves the viewer's stored explore list now. The hide is also a signal in the
interaction log (kind "hide", a negative weight): the next run keeps the post out and
subtracts its neighbours' similarity from the viewer's scores, so posts like it sink too
(functions/recommender/ranking.py). Only a post the viewer may see can be hidden: anything
else is a 404, as if it did not exist, so hiding cannot probe for private posts.
"""

from __future__ import annotations

from chalicelib.interactions import feedback
from chalicelib.posts import visible
from chalicelib.recommendations.models import Recommendation


def hide(viewer_id: str, post_id: str) -> None:
    if visible.look(viewer_id, posts=[(post_id, None)]).post(post_id) is None:
        raise visible.not_found()
    feedback.record(viewer_id, "post", post_id, "hide")
    try:
        stored = Recommendation.get(viewer_id, "explore")
    except Recommendation.DoesNotExist:
        return
    kept = [item for item in stored.items if item.get("id") != post_id]
    if len(kept) != len(stored.items):
        stored.update(actions=[Recommendation.items.set(kept)])
