import pytest

from chalicelib.accounts import auth
from chalicelib.accounts.tokens import verify_access_token
from chalicelib.core.errors import Conflict, Throttled, Unauthenticated


def test_register_then_login_by_username_or_email(aws: None, new_username: str) -> None:
    registered = auth.register(new_username.upper(), f"{new_username}@Example.com", "pw-12345678")
    assert registered.user.username == new_username
    for login_name in (new_username, f"{new_username}@example.com", f" {new_username.upper()} "):
        signed_in = auth.login(login_name, "pw-12345678")
        assert verify_access_token(signed_in.access_token.token).user_id == registered.user.user_id


def test_names_are_unique_and_a_taken_email_is_taken_quietly(aws: None, new_username: str) -> None:
    first = auth.register(new_username, f"{new_username}@example.com", "pw-12345678")
    with pytest.raises(Conflict) as taken:
        auth.register(new_username.upper(), f"{new_username}.other@example.com", "pw-12345678")
    assert taken.value.code == "username_taken"
    # The failed sign-up claimed nothing: its address is still free.
    assert auth.find_by_login(f"{new_username}.other@example.com") is None
    # A taken address (in any case) gets an account as a free one does, but stays its
    # owner's: login by email still finds the first account.
    second = auth.register(new_username + "x", f"{new_username}@EXAMPLE.com", "pw-12345678")
    assert second.user.email == f"{new_username}@example.com"
    assert not second.user.email_verified
    owner = auth.find_by_login(f"{new_username}@example.com")
    assert owner is not None and owner.user_id == first.user.user_id


def test_wrong_password_and_unknown_user_fail_alike(aws: None, make_user) -> None:
    user = make_user().user
    errors = []
    for login_name in (user.username, "nobody_" + user.username):
        with pytest.raises(Unauthenticated) as caught:
            auth.login(login_name, "wrong password")
        errors.append((caught.value.status, caught.value.code, caught.value.message))
    assert errors[0] == errors[1]


def test_repeated_failures_lock_the_account_even_for_the_right_password(aws, make_user) -> None:
    user = make_user().user
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            auth.login(user.username, "wrong password")
    with pytest.raises(Throttled) as locked:
        auth.login(user.username, "correct horse")
    assert locked.value.details["retry_after"] > 0
    # The same lock applies through the email address: it is per account, not per name.
    with pytest.raises(Throttled):
        auth.login(user.email, "correct horse")


def test_unknown_names_lock_too_so_locks_reveal_nothing(aws: None) -> None:
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            auth.login("ghost_user_zz", "wrong password")
    with pytest.raises(Throttled):
        auth.login("ghost_user_zz", "wrong password")


def test_a_success_resets_the_failure_count(aws: None, make_user) -> None:
    user = make_user().user
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            auth.login(user.username, "wrong password")
    auth.login(user.username, "correct horse")
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            auth.login(user.username, "wrong password")
    auth.login(user.username, "correct horse")


def test_refresh_rotates_and_a_replayed_token_revokes_the_session(aws, make_user) -> None:
    first = make_user().refresh_token
    second = auth.refresh(first).refresh_token
    third = auth.refresh(second).refresh_token
    with pytest.raises(Unauthenticated) as replay:
        auth.refresh(first)
    assert replay.value.code == "refresh_token_reused"
    # The thief's replay cost the whole family: the newest token is dead too.
    with pytest.raises(Unauthenticated):
        auth.refresh(third)


def test_logout_revokes_the_refresh_token(aws: None, make_user) -> None:
    token = make_user().refresh_token
    auth.logout(token)
    with pytest.raises(Unauthenticated):
        auth.refresh(token)


@pytest.mark.parametrize("token", ["nodot", ".x", "x.", "unknown-session.secret"])
def test_malformed_or_unknown_refresh_tokens_are_refused(aws: None, token: str) -> None:
    with pytest.raises(Unauthenticated):
        auth.refresh(token)


def test_a_guessed_secret_does_not_log_the_owner_out(aws: None, make_user) -> None:
    token = make_user().refresh_token
    session_id = token.split(".")[0]
    auth.logout(f"{session_id}.guessed")
    auth.refresh(token)
