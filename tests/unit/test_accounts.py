import pytest

from chalicelib import accounts
from chalicelib.errors import Conflict, Throttled, Unauthenticated
from chalicelib.tokens import verify_access_token


def test_register_then_login_by_username_or_email(aws: None, new_username: str) -> None:
    registered = accounts.register(
        new_username.upper(), f"{new_username}@Example.com", "pw-12345678"
    )
    assert registered.user.username == new_username
    for login_name in (new_username, f"{new_username}@example.com", f" {new_username.upper()} "):
        signed_in = accounts.login(login_name, "pw-12345678")
        assert verify_access_token(signed_in.access_token.token).user_id == registered.user.user_id


def test_names_and_emails_are_unique_case_insensitively(aws: None, new_username: str) -> None:
    accounts.register(new_username, f"{new_username}@example.com", "pw-12345678")
    with pytest.raises(Conflict) as taken:
        accounts.register(new_username.upper(), "other@example.com", "pw-12345678")
    assert taken.value.code == "username_taken"
    with pytest.raises(Conflict) as email:
        accounts.register(new_username + "x", f"{new_username}@EXAMPLE.com", "pw-12345678")
    assert email.value.code == "email_taken"
    # The failed sign-ups claimed nothing: the second name is still free.
    accounts.register(new_username + "x", f"{new_username}x@example.com", "pw-12345678")


def test_wrong_password_and_unknown_user_fail_alike(aws: None, make_user) -> None:
    user = make_user().user
    errors = []
    for login_name in (user.username, "nobody_" + user.username):
        with pytest.raises(Unauthenticated) as caught:
            accounts.login(login_name, "wrong password")
        errors.append((caught.value.status, caught.value.code, caught.value.message))
    assert errors[0] == errors[1]


def test_repeated_failures_lock_the_account_even_for_the_right_password(aws, make_user) -> None:
    user = make_user().user
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            accounts.login(user.username, "wrong password")
    with pytest.raises(Throttled) as locked:
        accounts.login(user.username, "correct horse")
    assert locked.value.details["retry_after"] > 0
    # The same lock applies through the email address: it is per account, not per name.
    with pytest.raises(Throttled):
        accounts.login(user.email, "correct horse")


def test_unknown_names_lock_too_so_locks_reveal_nothing(aws: None) -> None:
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            accounts.login("ghost_user_zz", "wrong password")
    with pytest.raises(Throttled):
        accounts.login("ghost_user_zz", "wrong password")


def test_a_success_resets_the_failure_count(aws: None, make_user) -> None:
    user = make_user().user
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            accounts.login(user.username, "wrong password")
    accounts.login(user.username, "correct horse")
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            accounts.login(user.username, "wrong password")
    accounts.login(user.username, "correct horse")


def test_refresh_rotates_and_a_replayed_token_revokes_the_session(aws, make_user) -> None:
    first = make_user().refresh_token
    second = accounts.refresh(first).refresh_token
    third = accounts.refresh(second).refresh_token
    with pytest.raises(Unauthenticated) as replay:
        accounts.refresh(first)
    assert replay.value.code == "refresh_token_reused"
    # The thief's replay cost the whole family: the newest token is dead too.
    with pytest.raises(Unauthenticated):
        accounts.refresh(third)


def test_logout_revokes_the_refresh_token(aws: None, make_user) -> None:
    token = make_user().refresh_token
    accounts.logout(token)
    with pytest.raises(Unauthenticated):
        accounts.refresh(token)


@pytest.mark.parametrize("token", ["nodot", ".x", "x.", "unknown-session.secret"])
def test_malformed_or_unknown_refresh_tokens_are_refused(aws: None, token: str) -> None:
    with pytest.raises(Unauthenticated):
        accounts.refresh(token)


def test_a_guessed_secret_does_not_log_the_owner_out(aws: None, make_user) -> None:
    token = make_user().refresh_token
    session_id = token.split(".")[0]
    accounts.logout(f"{session_id}.guessed")
    accounts.refresh(token)
