"""Email addresses: proving one is yours, asking for the proof again, moving to another, and
the quiet answer when an address already belongs to someone else.

An account *holds* an address when the claim ``email#<address>`` (``unique-keys``) names it:
registration and ``PATCH /me`` claim a free address in the same transaction that writes the
account, and login by email finds the holder. An address that is taken is still recorded on
the account that asked for it, unclaimed, and everything else happens as for a free one —
the same answer, the same DynamoDB work, the same one job enqueued — so neither registration
nor an email change tells anyone whether an address has an account. The difference is in
the mail, which only the address's owner reads: a verification link for a free address, a
"someone tried to use your address" notice for a taken one. An account can verify only an
address it holds; one that asked for a taken address can change it later.

A verification token (``onetime``, kind ``verify_email``, with the address it proves) lives
``verify_email_seconds`` (48 h) and works once. Mail to any one address is capped per hour
(``mail.outbox``); ``POST /me/email/resend`` over the cap answers 429 ``too_many_requests``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.accounts import jobs, letters, onetime
from chalicelib.accounts.auth import email_key
from chalicelib.accounts.models import UniqueKey, User
from chalicelib.core.dynamodb import Transaction, TransactionCancelled
from chalicelib.core.errors import Conflict, NotFound, Throttled, ValidationError
from chalicelib.core.observability import logger
from chalicelib.core.settings import settings
from chalicelib.mail import outbox


class Move(NamedTuple):
    """A change of an account's address, as read just before it is written."""

    new: str
    taken: bool  # another account holds the new address: it is recorded, not claimed
    held_old: bool  # the account holds its current address: the move releases it


def holder(address: str) -> str | None:
    """The id of the account holding the address (a consistent read), or None."""
    try:
        return UniqueKey.get(email_key(address), consistent_read=True).user_id
    except DoesNotExist:
        return None


def holds(user: User) -> bool:
    return holder(user.email) == user.user_id


# -- the request paths ---------------------------------------------------------------------


def verify(token: object) -> str:
    """``POST /auth/email/verify``: the token's address is proven; returns the address. The
    token works once, and only while the account still has and holds that address."""
    found = onetime.take(onetime.VERIFY_EMAIL, token)
    if found is None or found.email is None:
        raise _invalid_token()
    try:
        with Transaction() as transaction:
            transaction.condition_check(
                UniqueKey,
                email_key(found.email),
                None,
                condition=UniqueKey.user_id == found.user_id,
                label="claim",
            )
            transaction.update(
                User(found.user_id),
                actions=[User.email_verified.set(True)],
                condition=(User.email == found.email) & User.deleted_at.does_not_exist(),
                label="user",
            )
    except TransactionCancelled:
        raise _invalid_token() from None
    return found.email


def resend(user_id: str) -> None:
    """``POST /me/email/resend``: a new verification mail (the older ones keep working until
    they expire). Over the address's hourly cap: 429 with the seconds to wait. An account
    whose address another one holds gets the same answers, and the holder the notice."""
    user = _live_user(user_id)
    if user is None:
        raise NotFound("No such user", code="user_not_found")
    if user.email_verified:
        raise Conflict("Your email address is verified already", code="email_already_verified")
    wait = outbox.reserve(user.email)
    if wait:
        raise Throttled(
            "Too much mail to this address for now; try again later",
            code="too_many_requests",
            retry_after=wait,
        )
    held = _hold_or_claim(user)
    kind = "verify_email" if held else "address_in_use"
    jobs.enqueue(kind, user_id=user.user_id, email=user.email, reserved=True)


def plan_move(user: User, new: str) -> Move:
    """Read who holds the new address and the current one (``PATCH /me {email}``). Taken or
    free, the reads are the same two."""
    new_holder, old_holder = holder(new), holder(user.email)
    return Move(new, taken=new_holder is not None, held_old=old_holder == user.user_id)


def add_move(transaction: Transaction, user: User, move: Move) -> list[Any]:
    """The move's part of the account's transaction; returns the actions on the user. The
    claims are checked again in it (labels ``new email``, ``old email``): an address that
    changed hands since ``plan_move`` cancels it, and the caller plans again."""
    if move.taken:
        transaction.condition_check(
            UniqueKey,
            email_key(move.new),
            None,
            condition=UniqueKey.key.exists(),
            label="new email",
        )
    else:
        transaction.save(
            UniqueKey(email_key(move.new), user_id=user.user_id),
            condition=UniqueKey.key.does_not_exist(),
            label="new email",
        )
    if move.held_old:
        transaction.delete(
            UniqueKey(email_key(user.email)),
            condition=UniqueKey.user_id == user.user_id,
            label="old email",
        )
    return [User.email.set(move.new), User.email_verified.set(False)]


def after_move(user: User, move: Move) -> None:
    """The mail of a move (``user`` as it was before): the verification (or, for a taken
    address, its owner's notice) to the new address, a notice to the old one if it was the
    account's."""
    kind = "address_in_use" if move.taken else "verify_email"
    jobs.enqueue(kind, user_id=user.user_id, email=move.new)
    if move.held_old:
        jobs.enqueue("email_changed", user_id=user.user_id, email=user.email)


# -- the jobs (chalicelib/accounts/jobs.py) ------------------------------------------------


def send_verification(job: dict[str, Any]) -> None:
    """A verification mail, if the account still has, holds and has not proven the address."""
    user_id, address = str(job["user_id"]), str(job["email"])
    user = _live_user(user_id)
    if user is None or user.email != address or user.email_verified or holder(address) != user_id:
        return  # nothing (or no longer anything) for this account to prove
    if not job.get("reserved") and _over_cap(address):
        return
    lifetime = settings().verify_email_seconds
    token = onetime.issue(onetime.VERIFY_EMAIL, user_id, lifetime, email=address)
    outbox.deliver(address, *letters.verify_email(user.username, token, lifetime))


def send_address_in_use(job: dict[str, Any]) -> None:
    """The owner's notice: someone asked for the address they hold."""
    address = str(job["email"])
    if holder(address) is None:
        return  # released meanwhile: there is no owner to tell
    if not job.get("reserved") and _over_cap(address):
        return
    outbox.deliver(address, *letters.address_in_use())


def send_email_changed(job: dict[str, Any]) -> None:
    """To the address an account just left."""
    address = str(job["email"])
    user = _live_user(str(job["user_id"]))
    if user is None or _over_cap(address):
        return
    outbox.deliver(address, *letters.email_changed(user.username))


# -- helpers -------------------------------------------------------------------------------


def _live_user(user_id: str) -> User | None:
    try:
        user = User.get(user_id, consistent_read=True)
    except DoesNotExist:
        return None
    return None if user.deleted_at is not None else user


def _hold_or_claim(user: User) -> bool:
    """Whether the account holds its address, claiming it first if nobody does (it was
    released since the account asked for it)."""
    current = holder(user.email)
    if current is not None:
        return current == user.user_id
    try:
        UniqueKey(email_key(user.email), user_id=user.user_id).save(
            condition=UniqueKey.key.does_not_exist()
        )
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _over_cap(address: str) -> bool:
    if outbox.reserve(address):
        logger.warning("mail not sent: the address's hourly limit is reached")
        return True
    return False


def _invalid_token() -> ValidationError:
    return ValidationError(
        "This verification link is not valid (unknown, used or expired); ask for a new one",
        code="invalid_email_token",
        field="token",
    )
