"""Sessions a user can see and end, a password change, and two-factor authentication, over
HTTP and websockets against the local cloud."""

from __future__ import annotations

import asyncio
import json
import time

import pyotp
import pytest
import websockets

from tests.conftest import RunningCloud
from tests.integration.conftest import PASSWORD, Account, Api, error_code

pytestmark = pytest.mark.integration


def log_in(api: Api, account: Account, agent: str, password: str = PASSWORD) -> dict:
    answer = api.call(
        "POST",
        "/auth/login",
        {"login": account.username, "password": password},
        headers={"User-Agent": agent},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def session_of(tokens: dict) -> str:
    return tokens["refresh_token"].split(".", 1)[0]


def refused(api: Api, tokens: dict) -> bool:
    """Both halves of a session refused: its refresh token and its access token."""
    refresh = api.call("POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    me = api.call("GET", "/me", token=tokens["access_token"])
    return refresh.status_code == 401 and me.status_code == 401


async def revoked_and_closed(socket: websockets.ClientConnection) -> None:
    assert json.loads(await asyncio.wait_for(socket.recv(), timeout=10)) == {
        "type": "session.revoked"
    }
    with pytest.raises(websockets.ConnectionClosed):
        await asyncio.wait_for(socket.recv(), timeout=10)


# -- sessions ------------------------------------------------------------------------------


def test_sessions_are_listed_and_another_devices_can_be_ended(
    api: Api, local_cloud: RunningCloud
) -> None:
    account = api.register()
    phone = log_in(api, account, "Glimpse/3.1 (iPhone; iOS 19.1)")
    tablet = log_in(api, account, "Glimpse/3.1 (Android 16; Pixel Tablet)")
    listed = api.call("GET", "/me/sessions", token=phone["access_token"]).json()["items"]
    by_id = {item["session_id"]: item for item in listed}
    assert by_id[session_of(phone)]["current"] and not by_id[session_of(tablet)]["current"]
    assert by_id[session_of(tablet)]["user_agent"] == "Glimpse/3.1 (Android 16; Pixel Tablet)"
    assert all(item["last_used_at"] >= item["created_at"] for item in listed)
    assert len(listed) == 3  # registration's, the phone's, the tablet's

    async def scenario() -> None:
        socket = await websockets.connect(f"{local_cloud.ws_url}?token={tablet['access_token']}")
        ended = api.call(
            "DELETE", f"/me/sessions/{session_of(tablet)}", token=phone["access_token"]
        )
        assert ended.status_code == 204
        await revoked_and_closed(socket)

    asyncio.run(scenario())
    assert refused(api, tablet)
    assert api.call("GET", "/me", token=phone["access_token"]).status_code == 200
    again = api.call("DELETE", f"/me/sessions/{session_of(tablet)}", token=phone["access_token"])
    assert (again.status_code, error_code(again)) == (404, "session_not_found")


def test_ending_every_other_session_keeps_this_one(api: Api) -> None:
    account = api.register()
    mine, others = log_in(api, account, "mine"), [log_in(api, account, f"o{n}") for n in range(3)]
    answer = api.call("DELETE", "/me/sessions", token=mine["access_token"])
    assert answer.json() == {"ended": 4}  # the three and registration's
    assert all(refused(api, tokens) for tokens in others)
    listed = api.call("GET", "/me/sessions", token=mine["access_token"]).json()["items"]
    assert [item["session_id"] for item in listed] == [session_of(mine)]


def test_someone_elses_session_cannot_be_ended(api: Api) -> None:
    alice, mallory = api.register(), api.register()
    target = session_of(log_in(api, alice, "alice's phone"))
    answer = api.call("DELETE", f"/me/sessions/{target}", token=mallory.access_token)
    assert (answer.status_code, error_code(answer)) == (404, "session_not_found")
    assert api.call("GET", "/me", token=alice.access_token).status_code == 200


# -- the password --------------------------------------------------------------------------


def test_changing_the_password_ends_every_other_session(api: Api) -> None:
    account = api.register()
    here, there = log_in(api, account, "here"), log_in(api, account, "there")
    wrong = api.call(
        "POST",
        "/me/password",
        {"current_password": "not-my-password", "new_password": "a brand new one"},
        token=here["access_token"],
    )
    assert (wrong.status_code, error_code(wrong)) == (401, "invalid_credentials")
    short = api.call(
        "POST",
        "/me/password",
        {"current_password": PASSWORD, "new_password": "short"},
        token=here["access_token"],
    )
    assert short.status_code == 400
    changed = api.call(
        "POST",
        "/me/password",
        {"current_password": PASSWORD, "new_password": "a brand new one"},
        token=here["access_token"],
    )
    assert changed.status_code == 204
    assert refused(api, there)
    assert api.call("GET", "/me", token=here["access_token"]).status_code == 200
    old = api.call("POST", "/auth/login", {"login": account.username, "password": PASSWORD})
    assert old.status_code == 401
    log_in(api, account, "again", password="a brand new one")


# -- two-factor authentication ---------------------------------------------------------------


def turn_on_two_factor(api: Api, tokens: dict) -> tuple[pyotp.TOTP, list[str]]:
    enrolled = api.call("POST", "/me/2fa", token=tokens["access_token"]).json()
    totp = pyotp.TOTP(enrolled["secret"])
    assert enrolled["otpauth_uri"].startswith("otpauth://totp/Glimpse:")
    confirmed = api.call(
        "POST", "/me/2fa/confirm", {"code": totp.now()}, token=tokens["access_token"]
    )
    assert confirmed.status_code == 200, confirmed.text
    return totp, confirmed.json()["recovery_codes"]


def next_code(totp: pyotp.TOTP, used: str) -> str:
    """A code of a later time step than ``used`` (each is accepted once)."""
    later = totp.at(time.time() + totp.interval)
    return later if later != used else totp.at(time.time() + 2 * totp.interval)


def test_with_two_factor_a_login_needs_a_code_that_works_once(api: Api) -> None:
    account = api.register()
    here, elsewhere = log_in(api, account, "here"), log_in(api, account, "elsewhere")
    totp, recovery = turn_on_two_factor(api, here)
    assert len(set(recovery)) == 10
    # Turning it on ended the sessions that never passed a code; this one goes on.
    assert refused(api, elsewhere)
    assert api.call("GET", "/me", token=here["access_token"]).status_code == 200

    step = api.call("POST", "/auth/login", {"login": account.username, "password": PASSWORD})
    body = step.json()
    assert body["two_factor_required"] is True and "access_token" not in body
    wrong = api.call("POST", "/auth/login/2fa", {"challenge": body["challenge"], "code": "123456"})
    assert (wrong.status_code, error_code(wrong)) == (401, "invalid_code")
    code = next_code(totp, "")
    signed_in = api.call("POST", "/auth/login/2fa", {"challenge": body["challenge"], "code": code})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["username"] == account.username
    # The challenge works once, and so does the code, even with a new challenge.
    reused = api.call("POST", "/auth/login/2fa", {"challenge": body["challenge"], "code": code})
    assert (reused.status_code, error_code(reused)) == (401, "invalid_challenge")
    other = api.call("POST", "/auth/login", {"login": account.username, "password": PASSWORD})
    replay = api.call(
        "POST", "/auth/login/2fa", {"challenge": other.json()["challenge"], "code": code}
    )
    assert (replay.status_code, error_code(replay)) == (401, "invalid_code")
    # A recovery code stands in for a code, once.
    rescued = api.call(
        "POST",
        "/auth/login/2fa",
        {"challenge": other.json()["challenge"], "recovery_code": recovery[0]},
    )
    assert rescued.status_code == 200, rescued.text
    third = api.call("POST", "/auth/login", {"login": account.username, "password": PASSWORD})
    spent = api.call(
        "POST",
        "/auth/login/2fa",
        {"challenge": third.json()["challenge"], "recovery_code": recovery[0]},
    )
    assert (spent.status_code, error_code(spent)) == (401, "invalid_code")


def test_wrong_codes_count_toward_the_lockout(api: Api) -> None:
    account = api.register()
    turn_on_two_factor(api, log_in(api, account, "here"))
    challenge = api.call(
        "POST", "/auth/login", {"login": account.username, "password": PASSWORD}
    ).json()["challenge"]
    answers = [
        api.call("POST", "/auth/login/2fa", {"challenge": challenge, "code": f"{n:06d}"})
        for n in range(5)
    ]
    # The password's try was one of the five; four wrong codes, then the lock.
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    locked = api.call("POST", "/auth/login", {"login": account.username, "password": PASSWORD})
    assert (locked.status_code, error_code(locked)) == (429, "too_many_attempts")


def test_two_factor_is_turned_off_with_a_code(api: Api) -> None:
    account = api.register()
    here = log_in(api, account, "here")
    totp, recovery = turn_on_two_factor(api, here)
    again = api.call("POST", "/me/2fa", token=here["access_token"])
    assert (again.status_code, error_code(again)) == (409, "two_factor_enabled")
    wrong = api.call("DELETE", "/me/2fa", {"code": "000000"}, token=here["access_token"])
    assert (wrong.status_code, error_code(wrong)) == (401, "invalid_code")
    off = api.call("DELETE", "/me/2fa", {"recovery_code": recovery[1]}, token=here["access_token"])
    assert off.status_code == 204
    plain = api.call("POST", "/auth/login", {"login": account.username, "password": PASSWORD})
    assert "access_token" in plain.json()
