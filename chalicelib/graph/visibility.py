"""The one visibility policy: what a viewer may see of other accounts.

Every read model asks here before it shows anything of someone else: lists of people
(followers, likes, comments' authors, search, suggestions, group members), activity items,
the reasons explore and suggestions give; and through ``posts.visible``, which adds the rule
for posts on top of these, every post card and preview. So does every write that names an
object (view events, recent searches, mentions, group members, shared posts). The rules:

- blocks, either way, make two accounts invisible to each other: in lists, posts, comments,
  activity, search, suggestions and groups alike;
- a private account's content (its posts and everything hanging off them: likes, comments,
  its places and tags; its lists) is for the account itself and its approved followers;
- an account that no longer exists shows nowhere, nor, while it lasts, a suspended one
  (``accounts.standing``).

The facts the rules are decided on (the accounts and the follow and block edges between the
viewer and each of them) are fetched for a whole page in one BatchGetItem (``look``), so the
policy adds no round trip per item. ``Sight`` answers for one viewer from those facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from chalicelib.accounts import standing
from chalicelib.accounts.models import User
from chalicelib.core.dynamodb import Key, batch_get, existing_keys
from chalicelib.core.errors import Forbidden, NotFound
from chalicelib.graph.models import Block, Mute
from chalicelib.graph.relationships import Relationship, edge_keys, from_found

__all__ = ["Relationship", "Sight", "blocked_among", "look", "look_for", "may_see_account"]


def may_see_account(relationship: Relationship) -> bool:
    """Blocked accounts do not exist for each other."""
    return not (relationship.blocked or relationship.blocked_by)


def may_see_content(viewer_id: str, owner: User, relationship: Relationship) -> bool:
    """An account's posts and lists: the owner; not across a block; a private account's for
    its approved followers."""
    if owner.user_id == viewer_id:
        return True
    if not may_see_account(relationship):
        return False
    return not owner.is_private or relationship.following


def require_account(relationship: Relationship) -> None:
    if not may_see_account(relationship):
        raise NotFound("No such user", code="user_not_found")


def require_content(viewer_id: str, owner: User, relationship: Relationship) -> None:
    """A private account's followers, following and posts are for approved followers only."""
    require_account(relationship)
    if not may_see_content(viewer_id, owner, relationship):
        raise Forbidden(
            "This account is private; follow it to see its content", code="private_account"
        )


class Sight:
    """What one viewer may see, decided on facts fetched together (``look``)."""

    def __init__(self, viewer_id: str, found: Mapping[Key, object]) -> None:
        self.viewer_id = viewer_id
        self.found = found

    def relationship(self, user_id: str) -> Relationship:
        return from_found(self.viewer_id, user_id, self.found)

    def account(self, user_id: str) -> User | None:
        """The account, if it exists (its deletion has not begun), is not suspended, and
        neither of the two blocked the other."""
        user = self.found.get((User, user_id, None))
        if user is None or not standing.shown(user):  # type: ignore[arg-type]
            return None
        if not may_see_account(self.relationship(user_id)):
            return None
        return user  # type: ignore[return-value]

    def in_feeds(self, user_id: str) -> bool:
        """Whether this account's posts may fill the viewer's feeds (home, explore): not if
        the viewer muted it. Only for facts fetched with ``feed_keys``; a mute changes no
        other surface (the profile, a post opened directly, comments, messages)."""
        return (Mute, self.viewer_id, user_id) not in self.found

    def content_of(self, user_id: str) -> User | None:
        """The account, if the viewer may see its posts and lists."""
        user = self.account(user_id)
        if user is None or not may_see_content(self.viewer_id, user, self.relationship(user_id)):
            return None
        return user


def blocked_among(user_id: str, others: Iterable[str]) -> set[str]:
    """Which of these accounts are in a block relation with ``user_id``, either way: in a
    group they do not see each other (one BatchGetItem of two keys each)."""
    others = [other for other in dict.fromkeys(others) if other != user_id]
    if not others:
        return set()
    pairs = {other: ((Block, user_id, other), (Block, other, user_id)) for other in others}
    found = existing_keys([key for keys in pairs.values() for key in keys])
    return {other for other, keys in pairs.items() if found.intersection(keys)}


def unseen_senders(user_id: str, senders: Iterable[str]) -> set[str]:
    """Whose messages a member does not see in a conversation's history: a block either way,
    or an account that shows nowhere now (suspended: its messages return with it). One
    batch of the accounts and their edges."""
    senders = [sender for sender in dict.fromkeys(senders) if sender != user_id]
    if not senders:
        return set()
    sight = look(user_id, senders)
    return {sender for sender in senders if sight.account(sender) is None}


def keys(viewer_ids: Iterable[str], user_ids: Iterable[str]) -> list[Key]:
    """The items the policy decides on: the accounts, and every edge between each viewer and
    each account."""
    users = list(dict.fromkeys(user_ids))
    found: list[Key] = [(User, user_id, None) for user_id in users]
    for viewer_id in dict.fromkeys(viewer_ids):
        for user_id in users:
            if user_id != viewer_id:
                found += edge_keys(viewer_id, user_id).values()
    return found


def look(viewer_id: str, users: Iterable[str] = (), extra: Iterable[Key] = ()) -> Sight:
    """The facts for these accounts, and any ``extra`` keys the caller wants in the same
    batch."""
    return look_for([viewer_id], users, extra)[viewer_id]


def look_for(
    viewer_ids: Iterable[str],
    users: Iterable[str] = (),
    extra: Iterable[Key] = (),
    known: Mapping[Key, object] | None = None,
) -> dict[str, Sight]:
    """``look`` for several viewers at once; ``known`` items (fetched before) are not asked
    for again."""
    viewers = list(dict.fromkeys(viewer_ids))
    found: dict[Key, object] = dict(known or {})
    wanted = [*keys(viewers, users), *extra]
    found.update(batch_get([key for key in dict.fromkeys(wanted) if key not in found]))
    return {viewer_id: Sight(viewer_id, found) for viewer_id in viewers}


def feed_keys(viewer_id: str, user_ids: Iterable[str]) -> list[Key]:
    """The mute edges ``Sight.in_feeds`` decides on, to fetch with a feed page's batch."""
    return [
        (Mute, viewer_id, user_id) for user_id in dict.fromkeys(user_ids) if user_id != viewer_id
    ]
