"""Reading what the recommender wrote: the explore feed and suggested accounts.

Each is one GetItem (the user's list, or the trending list for someone not scored yet), then
one BatchGetItem wave for the cards or the accounts, visibility re-checked at read time: a
post deleted, hidden or blocked since the job ran is left out, and so are the posts of
accounts the viewer muted. The reasons go through the same policy: "liked by people who
liked “…”" quotes a post only if the viewer may see it, "followed by alice" names alice
only if the viewer may see whom she follows.
"""

from __future__ import annotations

from typing import Any

from chalicelib.accounts import profiles
from chalicelib.core.dynamodb import batch_get
from chalicelib.graph import visibility
from chalicelib.posts import cards, visible
from chalicelib.recommendations.models import TRENDING, Recommendation

GENERIC_REASON = "popular with people who like what you like"
GENERIC_ACCOUNT_REASON = "people like you engage with their posts"


def explore(viewer_id: str, limit: int) -> dict[str, Any]:
    found = batch_get(
        [(Recommendation, viewer_id, "explore"), (Recommendation, TRENDING, "explore")]
    )
    mine = found.get((Recommendation, viewer_id, "explore"))
    chosen = mine or found.get((Recommendation, TRENDING, "explore"))
    items = list(chosen.items) if chosen else []
    refs = [(item["id"], item["author_id"]) for item in items if item.get("author_id")]
    shown_cards = {card["post_id"]: card for card in cards.in_feed(viewer_id, refs)}
    sources = visible.look(
        viewer_id, posts=[(item["because"], None) for item in items if item.get("because")]
    )
    shown = []
    for item in items:
        card = shown_cards.get(item["id"])
        if card is None or card["author"]["user_id"] == viewer_id:
            continue
        shown.append({**card, "reason": _explore_reason(item, sources)})
        if len(shown) == limit:
            break
    return {"items": shown, "next_cursor": None, "personal": mine is not None}


def _explore_reason(item: dict[str, Any], sources: visible.PostSight) -> str:
    if item.get("source") == "fresh":
        return "new"
    if item.get("source") == "similar" and not item.get("because"):
        return GENERIC_REASON
    if not item.get("because"):
        return "trending now"
    source = sources.post(item["because"])
    if source is None:  # deleted, or not the viewer's to see: say why without quoting it
        return GENERIC_REASON
    return f"liked by people who liked “{source.caption[:40]}”"


def suggested_accounts(viewer_id: str, limit: int) -> dict[str, Any]:
    try:
        stored = Recommendation.get(viewer_id, "users")
    except Recommendation.DoesNotExist:
        return {"items": []}
    vias = [item["via"] for item in stored.items if item.get("via")]
    sight = visibility.look(viewer_id, users=[*(item["id"] for item in stored.items), *vias])
    shown = []
    for item in stored.items:
        user = sight.account(item["id"])
        relationship = sight.relationship(item["id"])
        if (
            user is None
            or item["id"] == viewer_id
            or relationship.following
            or relationship.requested
        ):
            continue
        shown.append(
            {
                **profiles.summary(user),
                "relationship": relationship.public(),
                "reason": _account_reason(item, sight),
            }
        )
        if len(shown) == limit:
            break
    return {"items": shown}


def _account_reason(item: dict[str, Any], sight: visibility.Sight) -> str:
    """Naming the friend ("followed by alice") tells whom the friend follows: said only to a
    viewer who may see that."""
    via = item.get("via")
    friend = sight.content_of(via) if via else None
    if friend is None or via == item["id"]:
        return GENERIC_ACCOUNT_REASON
    return f"followed by {friend.username}"
