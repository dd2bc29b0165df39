"""Profiles: finding accounts by id or name, what a list row or your own account shows,
and editing your own. How one account is shown to another is ``graph.people``."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.accounts import avatars, verification
from chalicelib.accounts.auth import (
    check_full_name,
    normalize_email,
    normalize_username,
    username_key,
)
from chalicelib.accounts.models import UniqueKey, User
from chalicelib.core.dynamodb import Transaction, TransactionCancelled
from chalicelib.core.errors import Conflict, GlimpseError, NotFound, ValidationError

BIO_MAX = 150
EDITABLE = ("username", "email", "full_name", "bio", "is_private")


def by_id(user_id: str) -> User:
    """The account; an account whose deletion has begun is no longer one."""
    try:
        user = User.get(user_id)
    except DoesNotExist:
        raise NotFound("No such user", code="user_not_found") from None
    if user.deleted_at is not None:
        raise NotFound("No such user", code="user_not_found")
    return user


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
    """The few fields a list row needs, the profile photo included: it is on the User item
    the row already read, and its URLs are signed locally, so no row costs a round trip."""
    return {
        "user_id": user.user_id,
        "username": user.username,
        "full_name": user.full_name,
        "is_private": user.is_private,
        "avatar": avatars.view(user.avatar),
    }


def details(user: User) -> dict[str, Any]:
    """What a profile page shows of anyone: the summary, the bio and the counts."""
    return {
        **summary(user),
        "bio": user.bio,
        "followers_count": int(user.followers_count),
        "following_count": int(user.following_count),
        "posts_count": int(user.posts_count),
    }


def me(user: User) -> dict[str, Any]:
    """The caller's own account: the profile, and what only they see."""
    return {
        **details(user),
        "email": user.email,
        "email_verified": bool(user.email_verified),
        "created_at": int(user.created_at),
        "avatar_failure_reason": avatars.failure_reason(user.avatar),
    }


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
    new_name = normalize_username(changes["username"]) if "username" in changes else None
    new_email = normalize_email(changes["email"]) if "email" in changes else None
    if new_name == user.username:
        new_name = None
    if new_email == user.email:
        new_email = None
    if new_name or new_email:
        _reclaim(user, new_name, new_email, actions)
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


def _reclaim(user: User, new_name: str | None, new_email: str | None, other_actions: list) -> None:
    """A new username and/or address. Claim the new ones, release the old ones and change
    the user in one transaction, so a name is never owned twice nor lost in between. A new
    address another account holds is taken quietly (``verification``: recorded, not
    claimed, its owner told), so this answer says nothing about it either."""
    for attempt in range(2):
        move = verification.plan_move(user, new_email) if new_email else None
        try:
            with Transaction() as transaction:
                actions = list(other_actions)
                if new_name:
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
                    actions.append(User.username.set(new_name))
                if move:
                    actions += verification.add_move(transaction, user, move)
                transaction.update(
                    user,
                    actions=actions,
                    condition=(User.username == user.username) & (User.email == user.email),
                    label="user",
                )
        except TransactionCancelled as cancelled:
            if "new name" in cancelled.failed:
                raise Conflict(
                    "This username is taken", code="username_taken", field="username"
                ) from None
            if cancelled.failed & {"new email", "old email"} and attempt == 0:
                continue  # an address changed hands since it was read: read it again
            raise Conflict(
                "Your profile changed meanwhile; try again", code="concurrent_change"
            ) from None
        break
    if move:
        verification.after_move(user, move)
