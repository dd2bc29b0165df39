import base64
import json
import time

import jwt
import pytest

from chalicelib.accounts import tokens
from chalicelib.core.errors import Unauthenticated
from chalicelib.core.settings import settings


def claims(**overrides: object) -> dict:
    now = int(time.time())
    base = {
        "iss": settings().jwt_issuer,
        "aud": settings().jwt_audience,
        "sub": "user-1",
        "sid": "session-1",
        "iat": now,
        "exp": now + 60,
        "jti": "j",
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def test_an_issued_token_names_its_user_and_session() -> None:
    access = tokens.issue_access_token("user-1", "session-1")
    principal = tokens.verify_access_token(access.token)
    assert (principal.user_id, principal.session_id) == ("user-1", "session-1")
    header = jwt.get_unverified_header(access.token)
    assert header["alg"] == "HS256"
    payload = jwt.decode(access.token, options={"verify_signature": False})
    assert {"iss", "aud", "exp", "iat", "sub", "jti"} <= set(payload)


def _segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_alg_none_is_refused() -> None:
    token = f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(claims())}."
    with pytest.raises(Unauthenticated):
        tokens.verify_access_token(token)


def test_wrong_key_is_refused() -> None:
    token = jwt.encode(claims(), "another-secret-of-sufficient-length!!", algorithm="HS256")
    with pytest.raises(Unauthenticated):
        tokens.verify_access_token(token)


def test_other_algorithm_with_the_right_key_is_refused() -> None:
    token = jwt.encode(claims(), tokens.signing_key(), algorithm="HS512")
    with pytest.raises(Unauthenticated):
        tokens.verify_access_token(token)


def test_expired_token_is_refused_as_expired() -> None:
    token = jwt.encode(claims(exp=int(time.time()) - 5), tokens.signing_key(), algorithm="HS256")
    with pytest.raises(Unauthenticated) as caught:
        tokens.verify_access_token(token)
    assert caught.value.code == "token_expired"


def test_tampered_payload_is_refused() -> None:
    header, _, signature = tokens.issue_access_token("user-1", "s").token.split(".")
    forged = f"{header}.{_segment(claims(sub='someone-else'))}.{signature}"
    with pytest.raises(Unauthenticated):
        tokens.verify_access_token(forged)


@pytest.mark.parametrize(
    "override", [{"aud": "another-app"}, {"iss": "someone-else"}, {"jti": None}, {"sid": None}]
)
def test_wrong_audience_issuer_or_missing_claims_are_refused(override: dict) -> None:
    token = jwt.encode(claims(**override), tokens.signing_key(), algorithm="HS256")
    with pytest.raises(Unauthenticated):
        tokens.verify_access_token(token)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x"])
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(Unauthenticated):
        tokens.verify_access_token(garbage)
