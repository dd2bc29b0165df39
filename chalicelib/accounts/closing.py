"""An account's end, the accounts context's part: ``DELETE /me`` (``close``: the password,
the ``delete`` job, the moment the account stops existing for everyone, ``deleted_at``), and
at the very end its sessions, tokens, counters, its username and email claims and the user
item itself.

Everything else of the account is in other contexts; ``lifecycle.deletion`` runs the whole
cascade as the ``delete`` job (docs/data-model.md, "Deleting an account"). It is named, not
imported, here (``accounts.jobs``): the request path loads none of the contexts' erasure code.
"""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import UpdateError

from chalicelib.accounts import hidden_words, jobs, lockout, passwords, profiles, sessions
from chalicelib.accounts.auth import email_key, username_key
from chalicelib.accounts.models import AccountToken, Session, UniqueKey, User
from chalicelib.core import quotas
from chalicelib.core.dynamodb import Transaction, batch_get
from chalicelib.core.errors import Unauthenticated, ValidationError
from chalicelib.core.ids import now_ms


def close(user_id: str, password: object) -> None:
    """``DELETE /me``: the password, then the job, then the account's end for everyone. The
    job is left before the account is marked, so that no crash in between leaves a marked
    account without a job (the job marks it too)."""
    prove_password(user_id, password)
    jobs.enqueue("delete", user_id=user_id)
    mark_deleted(user_id)


def prove_password(user_id: str, password: object) -> User:
    """The account's password, checked like a login's: the try is taken first, so guesses
    count toward the same lockout (429 ``too_many_attempts``); a wrong one is 401
    ``invalid_credentials``. Returns the account."""
    if not isinstance(password, str) or not password:
        raise ValidationError("password is required", field="password")
    user = profiles.by_id(user_id)
    lockout.take_a_try(user_id)
    if not passwords.verify_password(password[: passwords.MAX_LENGTH], user.password_hash):
        raise Unauthenticated("The password is incorrect", code="invalid_credentials")
    lockout.clear(user_id)
    return user


def mark_deleted(user_id: str) -> User | None:
    """From now on the account exists for nobody: ``deleted_at`` is set (once: the first time
    stays), which the visibility policy and the session check read, and every session ends
    (refresh tokens refused at once, sockets told ``session.revoked`` and closed). Harmless
    to repeat; None if the user item is already gone."""
    try:
        User(user_id).update(
            actions=[User.deleted_at.set(now_ms())],
            condition=User.user_id.exists() & User.deleted_at.does_not_exist(),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    try:
        user = User.get(user_id, consistent_read=True)
    except User.DoesNotExist:
        return None
    sessions.end_all(user_id)
    return user


def forget(user_id: str, username: str | None, email: str | None, tick: Callable[[], None]) -> int:
    """The last of the account: its sessions (their sockets closed), its mailed and login
    tokens, its login and rate-limit counters, its hidden words, then in one transaction its
    username and email claims (only while they are still its own) and the user item: the
    name and the address are free to register again. Returns how many items went."""
    sessions.end_all(user_id)  # one signed in since mark_deleted? (it cannot: be sure)
    gone = 0
    for session in Session.by_user.query(user_id):
        tick()
        Session(session.session_id).delete()
        gone += 1
    for token in AccountToken.by_user.query(user_id):
        tick()
        AccountToken(token.token_hash).delete()
        gone += 1
    lockout.clear(user_id)
    quotas.forget(user_id)
    hidden_words.forget(user_id)
    claims = [username_key(username)] if username else []
    claims += [email_key(email)] if email else []
    found = batch_get([(UniqueKey, key, None) for key in claims])
    owned = [
        key
        for key in claims
        if getattr(found.get((UniqueKey, key, None)), "user_id", None) == user_id
    ]
    # The conditions hold (a claim cannot change hands while the user item exists); were
    # one to fail, the job fails and its next delivery reads the claims again.
    with Transaction() as write:
        for key in owned:
            write.delete(UniqueKey(key), condition=UniqueKey.user_id == user_id, label=key)
        write.delete(User(user_id))
    return gone + len(owned) + 1
