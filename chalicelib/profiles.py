"""Profiles: finding users, showing them, and editing your own."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import relationships
from chalicelib.accounts import check_full_name, normalize_username, username_key
from chalicelib.errors import Conflict, GlimpseError, NotFound, ValidationError
from chalicelib.relationships import Relationship
from chalicelib.tables import Transaction, TransactionCancelled, UniqueKey, User

BIO_MAX = 150
EDITABLE = ("username", "full_name", "bio", "is_private")


def by_id(user_id: str) -> User:
    try:
        return User.get(user_id)
    except DoesNotExist:
        raise NotFound("No such user", code="user_not_found") from None


def by_username(username: str) -> User:
    try:
        name = normalize_username(username)
    except GlimpseError:
        # A name that could never be registered simply does not exist.
        raise NotFound("No such user", code="user_not_found") from None
    try:
        claim = UniqueKey.get(username_key(name))
    except DoesNotExist:
        raise NotFound("No such user", code="user_not_found") from None
    return by_id(claim.user_id)


def summary(user: User) -> dict[str, Any]:
    """The few fields a list row needs."""
    return {
        "user_id": user.user_id,
        "username": user.username,
        "full_name": user.full_name,
        "is_private": user.is_private,
    }


def profile(user: User, relationship: Relationship) -> dict[str, Any]:
    return {
        **summary(user),
        "bio": user.bio,
        "followers_count": int(user.followers_count),
        "following_count": int(user.following_count),
        "posts_count": int(user.posts_count),
        "relationship": relationship.public(),
    }


def me(user: User) -> dict[str, Any]:
    own = profile(user, relationships.SELF)
    del own["relationship"]  # nobody has a relationship with themselves
    return {**own, "email": user.email, "created_at": int(user.created_at)}


def view(viewer_id: str, username: str) -> dict[str, Any]:
    user = by_username(username)
    relationship = relationships.between(viewer_id, user.user_id)
    if relationship.blocked_by:
        raise NotFound("No such user", code="user_not_found")
    return profile(user, relationship)


def update_me(user_id: str, changes: dict[str, Any]) -> User:
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError(
            f"These fields cannot be changed here: {', '.join(unknown)}", fields=unknown
        )
    user = by_id(user_id)
    actions = []
    if "full_name" in changes:
        actions.append(User.full_name.set(check_full_name(changes["full_name"])))
    if "bio" in changes:
        actions.append(User.bio.set(_check_bio(changes["bio"])))
    if "is_private" in changes:
        if not isinstance(changes["is_private"], bool):
            raise ValidationError("is_private must be true or false", field="is_private")
        actions.append(User.is_private.set(changes["is_private"]))
    if "username" in changes:
        new_name = normalize_username(changes["username"])
        if new_name != user.username:
            _rename(user, new_name, actions)
            return by_id(user_id)
    if actions:
        user.update(actions=actions)
    return user


def _check_bio(raw: object) -> str:
    if not isinstance(raw, str):
        raise ValidationError("bio must be a string", field="bio")
    if len(raw) > BIO_MAX:
        raise ValidationError(f"bio must be at most {BIO_MAX} characters", field="bio")
    return raw


def _rename(user: User, new_name: str, other_actions: list) -> None:
    # Claim the new name, release the old one and change the user in one transaction, so a
    # name is never owned twice nor lost in between.
    try:
        with Transaction() as transaction:
            transaction.save(
                UniqueKey(username_key(new_name), user_id=user.user_id),
                condition=UniqueKey.key.does_not_exist(),
                label="new name",
            )
            transaction.delete(
                UniqueKey(username_key(user.username)),
                condition=UniqueKey.user_id == user.user_id,
                label="old name",
            )
            transaction.update(
                user,
                actions=[User.username.set(new_name), *other_actions],
                condition=User.username == user.username,
                label="user",
            )
    except TransactionCancelled as cancelled:
        if "new name" in cancelled.failed:
            raise Conflict(
                "This username is taken", code="username_taken", field="username"
            ) from None
        raise Conflict(
            "Your profile changed meanwhile; try again", code="concurrent_change"
        ) from None
