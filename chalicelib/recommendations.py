"""Reading what the recommender wrote: the explore feed and suggested accounts.

Each is one GetItem (the user's list, or the trending list for someone not scored yet), then
one BatchGetItem wave for the cards or the accounts, visibility re-checked at read time: a
post deleted, hidden or blocked since the job ran is left out.
"""

from __future__ import annotations

from typing import Any

from chalicelib import posts, profiles, relationships
from chalicelib.tables import Post, Recommendation, User, batch_get

TRENDING = "~trending"  # functions/recommender/handler.py writes it


def explore(viewer_id: str, limit: int) -> dict[str, Any]:
    found = batch_get([(Recommendation, viewer_id, "explore"), (Recommendation, TRENDING,
                                                                "explore")])  # fmt: skip
    mine = found.get((Recommendation, viewer_id, "explore"))
    chosen = mine or found.get((Recommendation, TRENDING, "explore"))
    items = list(chosen.items) if chosen else []
    refs = [(item["id"], item["author_id"]) for item in items if item.get("author_id")]
    because_ids = [item["because"] for item in items if item.get("because")]
    cards = {card["post_id"]: card for card in posts.cards(viewer_id, refs)}
    sources = batch_get([(Post, p, None) for p in set(because_ids)]) if because_ids else {}
    shown = []
    for item in items:
        card = cards.get(item["id"])
        if card is None or card["author"]["user_id"] == viewer_id:
            continue
        source = sources.get((Post, item.get("because"), None)) if item.get("because") else None
        reason = (f"liked by people who liked “{source.caption[:40]}”" if source is not None
                  else "trending now")  # fmt: skip
        shown.append({**card, "reason": reason})
        if len(shown) == limit:
            break
    return {"items": shown, "next_cursor": None, "personal": mine is not None}


def suggested_accounts(viewer_id: str, limit: int) -> dict[str, Any]:
    try:
        stored = Recommendation.get(viewer_id, "users")
    except Recommendation.DoesNotExist:
        return {"items": []}
    ids = [item["id"] for item in stored.items]
    keys: list[tuple] = [(User, i, None) for i in ids]
    for other in ids:
        keys += relationships.keys(viewer_id, other).values()
    found = batch_get(keys)
    shown = []
    for item in stored.items:
        user = found.get((User, item["id"], None))
        relationship = relationships.from_found(viewer_id, item["id"], found)
        if user is None or item["id"] == viewer_id or relationship.following or \
                relationship.requested or relationship.blocked or relationship.blocked_by:
            continue
        shown.append({**profiles.summary(user), "relationship": relationship.public(),
                      "reason": item["reason"]})  # fmt: skip
        if len(shown) == limit:
            break
    return {"items": shown}
