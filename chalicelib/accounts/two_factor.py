"""Two-factor authentication with TOTP (RFC 6238, through pyotp): the codes of an
authenticator app, 6 digits every 30 seconds.

Enrolment is two steps: ``enrol`` makes a secret (shown once, as text and as an otpauth://
URI for a QR code), ``confirm`` turns it on once a first code proves the app has it, and
hands out ten recovery codes, shown once and stored only hashed. From then on a login needs
a code after the password (``auth.login`` answers a challenge, ``auth.complete_login`` takes
it): no other path signs in without one — turning it on ends every other session, and a
password reset signs nobody in.

A code is accepted for the time step it belongs to (one step either side, for clocks that
drift) and only once: the last accepted step is stored, and a conditional write refuses a
step not after it, so a code seen over someone's shoulder cannot be replayed, not even
side by side. A recovery code works once, removed in the same conditional write.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from pynamodb.exceptions import UpdateError

from chalicelib.accounts import lockout, onetime, sessions
from chalicelib.accounts.models import TwoFactor, User
from chalicelib.core.errors import Conflict, Unauthenticated, ValidationError

ISSUER = "Glimpse"
STEP_SECONDS = 30
CHALLENGE_SECONDS = 5 * 60
RECOVERY_CODES = 10


def required(user: User) -> bool:
    return bool(user.two_factor and user.two_factor.enabled)


def challenge(user: User) -> str:
    """The token that lets this login go on to its second step, for five minutes."""
    return onetime.issue(onetime.LOGIN_CHALLENGE, user.user_id, CHALLENGE_SECONDS)


def enrol(user: User) -> dict[str, str]:
    """A new secret, not yet on: ``confirm`` with a code from the app turns it on."""
    if required(user):
        raise Conflict("Two-factor authentication is already on", code="two_factor_enabled")
    import pyotp  # here, not at the top: only enrolment and code checks need it (cold start)

    secret = pyotp.random_base32()
    user.update(actions=[User.two_factor.set(TwoFactor(secret=secret, enabled=False))])
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return {"secret": secret, "otpauth_uri": uri}


def confirm(user: User, session_id: str, code: object) -> list[str]:
    """Turn it on with a first code; returns the recovery codes (shown this once). Every
    other session of the account ends: none may go on without having passed a code."""
    if user.two_factor is None:
        raise ValidationError("Start with POST /me/2fa", code="two_factor_not_enrolled")
    if required(user):
        raise Conflict("Two-factor authentication is already on", code="two_factor_enabled")
    lockout.take_a_try(user.user_id)
    if not _accept_code(user, code):
        raise _wrong_code()
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    user.update(
        actions=[
            User.two_factor.enabled.set(True),
            User.two_factor.recovery_hashes.set([_hash(c) for c in codes]),
        ],
        condition=User.two_factor.secret == user.two_factor.secret,
    )
    lockout.clear(user.user_id)
    sessions.end_all(user.user_id, keep=session_id)
    return codes


def disable(user: User, code: object = None, recovery_code: object = None) -> None:
    if not required(user):
        raise ValidationError("Two-factor authentication is not on", code="two_factor_not_enabled")
    prove(user, code, recovery_code)
    user.update(actions=[User.two_factor.remove()])


def prove(user: User, code: object = None, recovery_code: object = None) -> None:
    """A code or a recovery code of this account, used up; a wrong one counts toward the
    lockout like a wrong password (401 ``invalid_code``)."""
    lockout.take_a_try(user.user_id)
    if recovery_code is not None:
        if not _use_recovery_code(user, recovery_code):
            raise _wrong_code()
    elif not _accept_code(user, code):
        raise _wrong_code()
    lockout.clear(user.user_id)


def take_challenge(token: object) -> str:
    """The account a login challenge was issued for, the challenge used up."""
    found = onetime.take(onetime.LOGIN_CHALLENGE, token)
    if found is None:
        raise invalid_challenge()
    return found.user_id


def peek_challenge(token: object) -> str:
    """The account a live login challenge is for (not used up: the code is checked first)."""
    found = onetime.peek(onetime.LOGIN_CHALLENGE, token)
    if found is None:
        raise invalid_challenge()
    return found.user_id


def invalid_challenge() -> Unauthenticated:
    return Unauthenticated(
        "The login challenge is not valid or has expired; log in again", code="invalid_challenge"
    )


def _accept_code(user: User, code: object) -> bool:
    if not (isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()):
        return False
    import pyotp

    totp = pyotp.TOTP(user.two_factor.secret)
    now = int(time.time()) // STEP_SECONDS
    step = next(
        (s for s in (now - 1, now, now + 1) if secrets.compare_digest(totp.generate_otp(s), code)),
        None,
    )
    if step is None:
        return False
    try:
        # Only a step after the last accepted one: the same code twice, even at once, fails.
        user.update(
            actions=[User.two_factor.last_step.set(step)],
            condition=User.two_factor.last_step < step,
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _use_recovery_code(user: User, code: object) -> bool:
    if not isinstance(code, str) or not 0 < len(code) <= 32:
        return False
    hashes = list(user.two_factor.recovery_hashes or [])
    wanted = _hash(code.strip().lower())
    if wanted not in hashes:
        return False
    index = hashes.index(wanted)
    try:
        user.update(
            actions=[User.two_factor.recovery_hashes[index].remove()],
            condition=User.two_factor.recovery_hashes[index] == wanted,
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _recovery_code() -> str:
    raw = secrets.token_hex(5)
    return f"{raw[:5]}-{raw[5:]}"


def _hash(code: str) -> str:
    # 40 random bits each, ten of them, one use each, behind the lockout: a fast hash does.
    return hashlib.sha256(code.encode()).hexdigest()


def _wrong_code() -> Unauthenticated:
    return Unauthenticated("The code is not right", code="invalid_code")
