"""Account mail over HTTP against the local cloud, read from its mailbox as a person reads
their inbox (tests/integration/conftest.py ``wait_for_mail``): email verification on
registration and on a change of address, resending and its cap, registration that does not
say whether an address is taken, and the forgotten password, its reset and what it ends.

Expiry is tested by ageing a real token: its item's ``expires_at`` is moved into the past
in the emulator's DynamoDB (``age``), the one thing the test reaches behind the API for.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import pyotp
import pytest
import requests
import websockets

from tests.conftest import RunningCloud
from tests.integration.conftest import (
    PASSWORD,
    Account,
    Api,
    error_code,
    eventually,
    mails,
    token_in,
    wait_for_mail,
)

pytestmark = pytest.mark.integration

VERIFY, NOTICE, CHANGED, RESET = "Confirm your email", "Someone tried", "was changed", "Reset"
NEW_PASSWORD = "a whole new password"


def age(cloud: RunningCloud, token: str) -> None:
    """Make a token that was sent expire now: as if its lifetime had passed."""
    cloud.client("dynamodb").update_item(
        TableName="glimpse-local-account-tokens",
        Key={"token_hash": {"S": hashlib.sha256(token.encode()).hexdigest()}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 60)}},
    )


def me(api: Api, account: Account) -> dict:
    answer = api.call("GET", "/me", token=account.access_token)
    assert answer.status_code == 200, answer.text
    return answer.json()


def verify(api: Api, token: object) -> requests.Response:
    return api.call("POST", "/auth/email/verify", {"token": token})


def register(api: Api, email: str, username: str | None = None) -> requests.Response:
    name = username or "m_" + secrets.token_hex(5)
    return api.call(
        "POST", "/auth/register", {"username": name, "email": email, "password": PASSWORD}
    )


def account_of(answer: requests.Response, email: str) -> Account:
    body = answer.json()
    return Account(
        body["user"]["username"],
        email,
        body["access_token"],
        body["refresh_token"],
        body["user"]["user_id"],
    )


def fresh_address() -> str:
    return f"m_{secrets.token_hex(6)}@example.com"


def shape(value: object) -> object:
    """A JSON value's keys and types, not its values."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return type(value).__name__


# -- verification ----------------------------------------------------------------------------


def test_registration_sends_a_verification_that_works_once(
    api: Api, local_cloud: RunningCloud
) -> None:
    account = api.register()
    assert me(api, account)["email_verified"] is False
    mail = wait_for_mail(local_cloud, account.email, VERIFY)
    assert mail["from"] == local_cloud.env.get("MAIL_FROM", "no-reply@glimpse.example")
    assert mail["to"] == [account.email] and f"@{account.username}" in mail["text"]
    token = token_in(mail)

    verified = verify(api, token)
    assert verified.status_code == 200, verified.text
    assert verified.json() == {"email": account.email, "email_verified": True}
    assert me(api, account)["email_verified"] is True
    login = api.call("POST", "/auth/login", {"login": account.email, "password": PASSWORD})
    assert login.json()["user"]["email_verified"] is True

    again = verify(api, token)
    assert (again.status_code, error_code(again)) == (400, "invalid_email_token")
    resend = api.call("POST", "/me/email/resend", token=account.access_token)
    assert (resend.status_code, error_code(resend)) == (409, "email_already_verified")


def test_unknown_garbage_and_expired_tokens_are_refused(
    api: Api, local_cloud: RunningCloud
) -> None:
    for garbage in ("", "nope", "x" * 5000, 42, None, ["a"], secrets.token_urlsafe(32)):
        refused = verify(api, garbage)
        assert (refused.status_code, error_code(refused)) == (400, "invalid_email_token"), garbage
        assert refused.json()["error"]["field"] == "token"
    account = api.register()
    token = token_in(wait_for_mail(local_cloud, account.email, VERIFY))
    age(local_cloud, token)
    expired = verify(api, token)
    assert (expired.status_code, error_code(expired)) == (400, "invalid_email_token")
    assert me(api, account)["email_verified"] is False


def test_resend_sends_new_tokens_until_the_address_has_had_its_hour(
    api: Api, local_cloud: RunningCloud
) -> None:
    account = api.register()
    wait_for_mail(local_cloud, account.email, VERIFY)  # registration's: 1 of 5 this hour
    for n in range(2, 6):
        sent = api.call("POST", "/me/email/resend", token=account.access_token)
        assert (sent.status_code, sent.content) == (202, b""), sent.text
        wait_for_mail(local_cloud, account.email, VERIFY, n=n)
    over = api.call("POST", "/me/email/resend", token=account.access_token)
    assert (over.status_code, error_code(over)) == (429, "too_many_requests")
    assert 1 <= int(over.headers["Retry-After"]) <= 3600
    tokens = [token_in(mail) for mail in mails(local_cloud, account.email, VERIFY)]
    assert len(tokens) == len(set(tokens)) == 5
    time.sleep(1)
    assert len(mails(local_cloud, account.email)) == 5  # the refused one sent nothing
    # Each still works until it expires or the address is proven; then none is needed.
    assert verify(api, tokens[2]).status_code == 200
    assert verify(api, tokens[0]).status_code == 200  # proves it again: harmless
    assert verify(api, tokens[2]).status_code == 400  # but never twice the same


def test_a_new_address_is_verified_again_and_the_old_one_is_told(
    api: Api, local_cloud: RunningCloud
) -> None:
    account = api.register()
    old_token = token_in(wait_for_mail(local_cloud, account.email, VERIFY))
    spare = api.call("POST", "/me/email/resend", token=account.access_token)
    assert spare.status_code == 202
    spare_token = token_in(wait_for_mail(local_cloud, account.email, VERIFY, n=2))
    assert verify(api, old_token).status_code == 200

    new_address = fresh_address()
    changed = api.call("PATCH", "/me", {"email": new_address.upper()}, token=account.access_token)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["email"], changed.json()["email_verified"]) == (new_address, False)
    notice = wait_for_mail(local_cloud, account.email, CHANGED)
    assert f"@{account.username}" in notice["text"] and new_address not in notice["text"]
    token = token_in(wait_for_mail(local_cloud, new_address, VERIFY))

    # The old address's tokens prove nothing any more; the new one's does.
    stale = verify(api, spare_token)
    assert (stale.status_code, error_code(stale)) == (400, "invalid_email_token")
    assert me(api, account)["email_verified"] is False
    assert verify(api, token).json() == {"email": new_address, "email_verified": True}
    assert me(api, account)["email_verified"] is True

    # Login by email follows the address; the old one is free for anyone.
    by_new = api.call("POST", "/auth/login", {"login": new_address, "password": PASSWORD})
    assert by_new.json()["user"]["user_id"] == account.user_id
    by_old = api.call("POST", "/auth/login", {"login": account.email, "password": PASSWORD})
    assert (by_old.status_code, error_code(by_old)) == (401, "invalid_credentials")
    newcomer = register(api, account.email)
    assert newcomer.status_code == 201
    newcomer_token = token_in(wait_for_mail(local_cloud, account.email, VERIFY, n=3))
    assert verify(api, newcomer_token).status_code == 200


# -- registration says nothing ------------------------------------------------------------


def test_registering_with_a_taken_email_answers_as_for_a_new_one(
    api: Api, local_cloud: RunningCloud
) -> None:
    owner = api.register()
    wait_for_mail(local_cloud, owner.email, VERIFY)
    fresh = register(api, fresh_address())
    taken = register(api, owner.email.upper())
    assert (taken.status_code, fresh.status_code) == (201, 201), taken.text
    assert shape(taken.json()) == shape(fresh.json())
    assert set(taken.headers) == set(fresh.headers)
    intruder = account_of(taken, owner.email)
    assert taken.json()["user"]["email"] == owner.email
    assert taken.json()["user"]["email_verified"] is False

    # The owner is told; no verification goes to the address for the new account.
    notice = wait_for_mail(local_cloud, owner.email, NOTICE)
    assert "already belongs to your account" in notice["text"] and "token" not in notice["text"]
    assert len(mails(local_cloud, owner.email, VERIFY)) == 1
    # Login by email is still the owner's; the intruder signs in by its name only.
    by_email = api.call("POST", "/auth/login", {"login": owner.email, "password": PASSWORD})
    assert by_email.json()["user"]["user_id"] == owner.user_id
    by_name = api.call("POST", "/auth/login", {"login": intruder.username, "password": PASSWORD})
    assert by_name.json()["user"]["user_id"] == intruder.user_id

    # Asking again looks the same to the intruder; the owner gets the notice again.
    resent = api.call("POST", "/me/email/resend", token=intruder.access_token)
    assert (resent.status_code, resent.content) == (202, b"")
    wait_for_mail(local_cloud, owner.email, NOTICE, n=2)
    assert len(mails(local_cloud, owner.email, VERIFY)) == 1

    # Another account moving to the owner's address: the same quiet answer.
    mover = api.register()
    moved = api.call("PATCH", "/me", {"email": owner.email}, token=mover.access_token)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["email"], moved.json()["email_verified"]) == (owner.email, False)
    wait_for_mail(local_cloud, owner.email, NOTICE, n=3)
    wait_for_mail(local_cloud, mover.email, CHANGED)
    assert len(mails(local_cloud, owner.email, VERIFY)) == 1

    # The intruder can still move to an address of its own and prove it.
    own = fresh_address()
    assert api.call("PATCH", "/me", {"email": own}, token=intruder.access_token).status_code == 200
    assert verify(api, token_in(wait_for_mail(local_cloud, own, VERIFY))).status_code == 200
    assert not mails(local_cloud, owner.email, CHANGED)  # the owner's address was never its


def test_a_taken_username_is_still_a_conflict(api: Api) -> None:
    owner = api.register()
    again = register(api, fresh_address(), username=owner.username)
    assert (again.status_code, error_code(again)) == (409, "username_taken")


# -- a forgotten password ----------------------------------------------------------------------


def test_forgot_answers_202_alike_for_unknown_logins(api: Api, local_cloud: RunningCloud) -> None:
    account = api.register()
    wait_for_mail(local_cloud, account.email, VERIFY)
    logins = {
        "real": account.username,
        "unknown": "nobody_" + secrets.token_hex(5),
        "unknown email": fresh_address(),
    }
    answers = {
        kind: api.call("POST", "/auth/password/forgot", {"login": login})
        for kind, login in logins.items()
    }
    for answer in answers.values():
        assert (answer.status_code, answer.content) == (202, b""), answer.text
    assert len({frozenset(answer.headers) for answer in answers.values()}) == 1
    mail = wait_for_mail(local_cloud, account.email, RESET)
    assert f"@{account.username}" in mail["text"] and "30 minutes" in mail["text"]
    assert not mails(local_cloud, logins["unknown email"])

    # The same work either way, so the same time: tests/functional/test_account_mail.py shows
    # the request makes one SQS call whatever the login; bench/recovery times both over HTTP.
    for _ in range(5):
        again = api.call("POST", "/auth/password/forgot", {"login": account.email})
        assert again.status_code == 202
    # The account gets its hour's five mails (the verification and four resets), no more.
    eventually(lambda: len(mails(local_cloud, account.email)) >= 5, "the hour's five mails")
    time.sleep(2)
    assert len(mails(local_cloud, account.email)) == 5


def test_forgot_needs_a_login(api: Api) -> None:
    for body in ({}, {"login": ""}, {"login": "   "}, {"login": 7}):
        answer = api.call("POST", "/auth/password/forgot", body)
        assert (answer.status_code, error_code(answer)) == (400, "validation_error"), body
        assert answer.json()["error"]["field"] == "login"


async def revoked_and_closed(socket: websockets.ClientConnection) -> None:
    assert json.loads(await asyncio.wait_for(socket.recv(), timeout=10)) == {
        "type": "session.revoked"
    }
    with pytest.raises(websockets.ConnectionClosed):
        await asyncio.wait_for(socket.recv(), timeout=10)


def test_a_reset_ends_every_session_and_works_once(api: Api, local_cloud: RunningCloud) -> None:
    account = api.register()
    other = api.call("POST", "/auth/login", {"login": account.username, "password": PASSWORD})
    other_tokens = other.json()
    # Five wrong passwords: the account is locked even for the right one.
    for _ in range(5):
        api.call("POST", "/auth/login", {"login": account.username, "password": "wrong one!"})
    locked = api.call("POST", "/auth/login", {"login": account.username, "password": PASSWORD})
    assert (locked.status_code, error_code(locked)) == (429, "too_many_attempts")

    for _ in range(2):
        assert (
            api.call("POST", "/auth/password/forgot", {"login": account.email}).status_code == 202
        )
    first = token_in(wait_for_mail(local_cloud, account.email, RESET))
    second = token_in(wait_for_mail(local_cloud, account.email, RESET, n=2))
    assert first != second

    weak = api.call("POST", "/auth/password/reset", {"token": first, "password": "short"})
    assert (weak.status_code, error_code(weak)) == (400, "validation_error")
    assert weak.json()["error"]["field"] == "password"

    async def scenario() -> None:
        socket = await websockets.connect(f"{local_cloud.ws_url}?token={account.access_token}")
        done = api.call("POST", "/auth/password/reset", {"token": first, "password": NEW_PASSWORD})
        assert (done.status_code, done.content) == (204, b""), done.text  # not signed in
        await revoked_and_closed(socket)

    asyncio.run(scenario())

    # Every session is over: the refresh tokens refused, the access tokens too.
    for tokens in (
        {"refresh_token": account.refresh_token, "access_token": account.access_token},
        other_tokens,
    ):
        refresh = api.call("POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
        assert (refresh.status_code, error_code(refresh)) == (401, "invalid_refresh_token")
        eventually(
            lambda t=tokens: api.call("GET", "/me", token=t["access_token"]).status_code == 401,
            "the access token to be refused",
            timeout=10,
        )
    # The token worked once, and took the other outstanding one with it.
    for used in (first, second):
        again = api.call("POST", "/auth/password/reset", {"token": used, "password": PASSWORD})
        assert (again.status_code, error_code(again)) == (400, "invalid_reset_token")
    # The new password works at once: the lockout was cleared; the old one does not.
    old = api.call("POST", "/auth/login", {"login": account.username, "password": PASSWORD})
    assert (old.status_code, error_code(old)) == (401, "invalid_credentials")
    new = api.call("POST", "/auth/login", {"login": account.email, "password": NEW_PASSWORD})
    assert new.status_code == 200 and new.json()["user"]["user_id"] == account.user_id


def test_a_reset_token_expires_and_two_uses_at_once_make_one(
    api: Api, local_cloud: RunningCloud
) -> None:
    account = api.register()
    for _ in range(2):
        api.call("POST", "/auth/password/forgot", {"login": account.username})
    aged = token_in(wait_for_mail(local_cloud, account.email, RESET))
    racing = token_in(wait_for_mail(local_cloud, account.email, RESET, n=2))
    age(local_cloud, aged)
    expired = api.call("POST", "/auth/password/reset", {"token": aged, "password": NEW_PASSWORD})
    assert (expired.status_code, error_code(expired)) == (400, "invalid_reset_token")
    for garbage in ("", "nope", "x" * 5000, 42, None):
        refused = api.call("POST", "/auth/password/reset", {"token": garbage, "password": "p" * 9})
        assert (refused.status_code, error_code(refused)) == (400, "invalid_reset_token")

    def use(password: str) -> int:
        return (
            Api(local_cloud.api_url)
            .call("POST", "/auth/password/reset", {"token": racing, "password": password})
            .status_code
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(use, [f"racer number {n}" for n in range(4)]))
    assert statuses == [204, 400, 400, 400]


def test_a_reset_never_skips_the_second_factor(api: Api, local_cloud: RunningCloud) -> None:
    account = api.register()
    secret = api.call("POST", "/me/2fa", token=account.access_token).json()["secret"]
    confirmed = api.call(
        "POST", "/me/2fa/confirm", {"code": pyotp.TOTP(secret).now()}, token=account.access_token
    )
    assert confirmed.status_code == 200, confirmed.text
    api.call("POST", "/auth/password/forgot", {"login": account.username})
    token = token_in(wait_for_mail(local_cloud, account.email, RESET))
    reset = api.call("POST", "/auth/password/reset", {"token": token, "password": NEW_PASSWORD})
    assert (reset.status_code, reset.content) == (204, b"")
    login = api.call("POST", "/auth/login", {"login": account.username, "password": NEW_PASSWORD})
    assert login.status_code == 200 and login.json()["two_factor_required"] is True
    assert "access_token" not in login.json()


# -- the mailbox ---------------------------------------------------------------------------


def test_the_mail_command_prints_the_mailbox(api: Api, local_cloud: RunningCloud) -> None:
    import subprocess
    import sys

    account = api.register()
    token = token_in(wait_for_mail(local_cloud, account.email, VERIFY))
    command = [
        sys.executable,
        "-m",
        "local_cloud",
        "mail",
        "--state-dir",
        str(local_cloud.state_dir),
    ]
    shown = subprocess.run(
        [*command, "--to", account.email.upper(), "--last", "1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"To:      {account.email}" in shown and "Subject: Confirm your email" in shown
    assert token in shown and shown.count("Subject:") == 1
    as_json = subprocess.run(
        [*command, "--to", account.email, "--json"], capture_output=True, text=True, check=True
    ).stdout
    assert [json.loads(line)["to"] for line in as_json.splitlines()] == [[account.email]]
    nobody = subprocess.run(
        [*command, "--to", fresh_address()], capture_output=True, text=True, check=True
    )
    assert nobody.stdout.startswith("no mail in ")
