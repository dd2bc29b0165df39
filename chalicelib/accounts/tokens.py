"""Access tokens (short-lived JWTs) and the format of refresh tokens.

Access tokens are signed with one fixed algorithm and verified with exactly that algorithm,
issuer and audience, so ``alg: none``, a swapped algorithm or a token minted for another
service are all refused. Refresh tokens are opaque random strings, stored only hashed (see
``sessions``).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from typing import NamedTuple

import jwt

from chalicelib.core.errors import Unauthenticated
from chalicelib.core.principal import Principal
from chalicelib.core.settings import settings

ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "sub", "jti", "sid"]


class AccessToken(NamedTuple):
    token: str
    expires_in: int


@functools.cache
def signing_key() -> str:
    s = settings()
    if s.jwt_secret:
        return s.jwt_secret
    if s.jwt_secret_parameter:
        # Imported here: only AWS stages read the key from SSM, once per cold start.
        from aws_lambda_powertools.utilities import parameters

        return parameters.get_parameter(s.jwt_secret_parameter, decrypt=True, max_age=3600)
    raise RuntimeError("Set JWT_SECRET or JWT_SECRET_PARAMETER to sign access tokens")


def issue_access_token(user_id: str, session_id: str, now: int | None = None) -> AccessToken:
    s = settings()
    issued_at = int(time.time()) if now is None else now
    claims = {
        "iss": s.jwt_issuer,
        "aud": s.jwt_audience,
        "sub": user_id,
        "sid": session_id,
        "iat": issued_at,
        "exp": issued_at + s.access_token_seconds,
        "jti": secrets.token_urlsafe(12),
    }
    token = jwt.encode(claims, signing_key(), algorithm=ALGORITHM)
    return AccessToken(token=token, expires_in=s.access_token_seconds)


def verify_access_token(token: str) -> Principal:
    s = settings()
    try:
        claims = jwt.decode(
            token,
            signing_key(),
            algorithms=[ALGORITHM],
            audience=s.jwt_audience,
            issuer=s.jwt_issuer,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("The access token has expired", code="token_expired") from None
    except jwt.PyJWTError:
        raise Unauthenticated("The access token is not valid", code="invalid_token") from None
    if not isinstance(claims["sub"], str) or not isinstance(claims["sid"], str):
        raise Unauthenticated("The access token is not valid", code="invalid_token")
    return Principal(user_id=claims["sub"], session_id=claims["sid"])


def new_refresh_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_secret(secret: str) -> str:
    # The secret has 256 random bits: a fast hash is enough, no salt or stretching needed.
    return hashlib.sha256(secret.encode()).hexdigest()
