"""Profile photos. ``PUT /me/avatar`` takes an upload slot and sends its photo through the
media pipeline, ``DELETE /me/avatar`` removes it, and every user summary shows it (``view``)
from the User item itself: no extra read, the URLs signed locally.

The state is the User's ``avatar`` map (``accounts.models.Avatar``). ``set_photo`` takes the
slot and marks the avatar ``processing`` in one transaction; functions/media renders the
photo and records the outcome here (``record_ready``, ``record_failure``) only if the avatar
still names its upload, so the newest PUT (or a DELETE) always wins over an older photo
still in the pipeline. The renditions shown are those of the newest photo that got ready:
while a new one is processing, and if it fails, everyone keeps seeing the previous one.

What the media function imports, with ``accounts.models``: nothing here reads profiles, the
graph or posts.
"""

from __future__ import annotations

from typing import Any

from pynamodb.constants import ALL_OLD
from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.accounts.models import Avatar, User
from chalicelib.core import storage, uploads
from chalicelib.core.dynamodb import Transaction, TransactionCancelled
from chalicelib.core.errors import Conflict, NotFound, ValidationError
from chalicelib.core.ids import now_ms
from chalicelib.core.settings import settings
from chalicelib.core.uploads import Upload

PROCESSING, READY, FAILED = "processing", "ready", "failed"
# A photo that has not arrived this long (MEDIA_DEADLINE_SECONDS, as for posts) after the PUT
# reads as failed; should it still land while its slot lives, it is processed after all.
NEVER_ARRIVED = "The photo never arrived; choose it again"
UPLOAD_ID_MAX = 64
_ATTEMPTS = 3


def keys(user_id: str, upload_id: str) -> tuple[str, str]:
    """Where a photo's renditions go in the media bucket: (large, small)."""
    prefix = f"avatars/{user_id}/{upload_id}"
    return f"{prefix}/large.jpg", f"{prefix}/small.jpg"


def set_photo(user_id: str, upload_id: object) -> dict[str, Any]:
    """The caller's upload becomes their profile photo once processed; returns the avatar as
    summaries now show it (``processing``, with the previous photo's renditions if any).

    The slot must be the caller's and unused (by a post or another avatar): it is taken and
    the avatar set in one transaction. A photo that already arrived is queued again."""
    if not isinstance(upload_id, str) or not upload_id or len(upload_id) > UPLOAD_ID_MAX:
        raise ValidationError("upload_id must be the id of an upload", field="upload_id")
    for _ in range(_ATTEMPTS):
        current = _live(user_id).avatar
        avatar = Avatar(status=PROCESSING, upload_id=upload_id, requested_at=now_ms())
        if current is not None and current.large_key and current.small_key:
            avatar.large_key, avatar.large_side = current.large_key, current.large_side
            avatar.small_key, avatar.small_side = current.small_key, current.small_side
            avatar.placeholder = current.placeholder
        try:
            with Transaction() as transaction:
                transaction.update(
                    Upload(upload_id),
                    actions=[Upload.avatar_of.set(user_id)],
                    condition=uploads.free_for(user_id, photos_only=True),
                    label="upload",
                )
                transaction.update(
                    User(user_id),
                    actions=[User.avatar.set(avatar)],
                    condition=User.user_id.exists()
                    & User.deleted_at.does_not_exist()
                    & _unchanged(current),
                    label="user",
                )
        except TransactionCancelled as cancelled:
            if "upload" in cancelled.failed:
                raise ValidationError(
                    f"Upload {upload_id} does not exist, is not yours, is already used "
                    "or is a video",
                    code="invalid_upload",
                    field="upload_id",
                ) from None
            continue  # the avatar changed since it was read (a photo got ready): again
        uploads.requeue_arrived([upload_id])
        return view(avatar)
    raise Conflict("Your profile photo changed meanwhile; try again", code="concurrent_change")


def remove(user_id: str) -> None:
    """No profile photo any more; its renditions are deleted. A photo still in the pipeline
    finds the avatar gone and deletes what it made."""
    try:
        response = User._get_connection().update_item(
            user_id,
            actions=[User.avatar.remove()],
            condition=User.user_id.exists(),
            return_values=ALL_OLD,
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound("No such user", code="user_not_found") from None
        raise
    old = _avatar_of(response)
    if old is not None:
        storage.delete_media([old.large_key, old.small_key])


def record_ready(
    user_id: str,
    upload_id: str,
    large_side: int,
    small_side: int,
    placeholder: str,
) -> list[str] | None:
    """The media function stored the renditions of ``upload_id`` (at ``keys``): the avatar
    shows them, if it still names this upload. Returns the keys of the photo they replace
    (to delete), or None when a newer PUT or a DELETE came first: the caller then deletes
    its own renditions."""
    large_key, small_key = keys(user_id, upload_id)
    try:
        response = User._get_connection().update_item(
            user_id,
            actions=[
                User.avatar.status.set(READY),
                User.avatar.large_key.set(large_key),
                User.avatar.large_side.set(large_side),
                User.avatar.small_key.set(small_key),
                User.avatar.small_side.set(small_side),
                User.avatar.placeholder.set(placeholder),
                User.avatar.failure_reason.remove(),
            ],
            condition=User.avatar.upload_id == upload_id,
            return_values=ALL_OLD,
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    old = _avatar_of(response)
    replaced = [] if old is None else [old.large_key, old.small_key]
    return [key for key in replaced if key and key not in (large_key, small_key)]


def record_failure(user_id: str, upload_id: str, reason: str) -> bool:
    """The photo of ``upload_id`` cannot be used: the avatar turns failed (still showing the
    previous photo's renditions). True if this call failed it (the owner is told once)."""
    try:
        User(user_id).update(
            actions=[User.avatar.status.set(FAILED), User.avatar.failure_reason.set(reason)],
            condition=(User.avatar.upload_id == upload_id) & (User.avatar.status == PROCESSING),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def view(avatar: Avatar | None) -> dict[str, Any] | None:
    """What every user summary carries: ``{status, renditions: {large, small} | null,
    placeholder}``, or None without a profile photo."""
    if avatar is None:
        return None
    renditions = None
    if avatar.large_key and avatar.small_key:
        renditions = {
            "large": _rendition(avatar.large_key, avatar.large_side),
            "small": _rendition(avatar.small_key, avatar.small_side),
        }
    return {
        "status": FAILED if _overdue(avatar) else avatar.status,
        "renditions": renditions,
        "placeholder": avatar.placeholder if renditions else None,
    }


def failure_reason(avatar: Avatar | None) -> str | None:
    """Why the latest photo could not be used (for its owner only), None unless it failed."""
    if avatar is None:
        return None
    if _overdue(avatar):
        return NEVER_ARRIVED
    return avatar.failure_reason if avatar.status == FAILED else None


def _rendition(key: str, side: float | None) -> dict[str, Any]:
    return {"url": storage.media_url(key), "width": int(side or 0), "height": int(side or 0)}


def _overdue(avatar: Avatar) -> bool:
    if avatar.status != PROCESSING or avatar.requested_at is None:
        return False
    return now_ms() > avatar.requested_at + settings().media_deadline_seconds * 1000


def _live(user_id: str) -> User:
    try:
        user = User.get(user_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such user", code="user_not_found") from None
    if user.deleted_at is not None:
        raise NotFound("No such user", code="user_not_found")
    return user


def _unchanged(current: Avatar | None) -> Any:
    """The condition that the avatar is still the one read: the same upload in the same
    state (a photo getting ready or failing changes the state, a PUT the upload)."""
    if current is None:
        return User.avatar.does_not_exist()
    return (User.avatar.upload_id == current.upload_id) & (User.avatar.status == current.status)


def _avatar_of(response: dict[str, Any]) -> Avatar | None:
    attributes = response.get("Attributes")
    if not attributes or "avatar" not in attributes:
        return None
    return User.from_raw_data(attributes).avatar
