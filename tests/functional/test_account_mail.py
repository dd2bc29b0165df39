"""Account mail in-process against moto: the account-jobs dispatch, and the races the HTTP
tests cannot time (an address changing hands between its read and the transaction).
The flows themselves are tests/integration/test_account_mail_http.py."""

from __future__ import annotations

import secrets
from typing import Any

import boto3
import pytest

from chalicelib.accounts import auth, jobs, profiles, recovery, verification
from chalicelib.core.settings import settings

PASSWORD = "pw-12345678"


@pytest.fixture
def outbox(aws: None) -> Any:
    """Runs the queued account jobs; returns what SES sent, as (to, subject, text)."""
    from moto.ses.models import ses_backends

    boto3.client("ses").verify_email_identity(EmailAddress=settings().mail_from)
    backend = ses_backends["123456789012"]["us-east-1"]
    sqs = boto3.client("sqs")

    seen = [len(backend.sent_messages)]

    def drain() -> list[tuple[str, str, str]]:
        """The mail the queued jobs send, since the last drain."""
        while True:
            received = sqs.receive_message(
                QueueUrl=settings().account_jobs_queue_url, MaxNumberOfMessages=10
            ).get("Messages", [])
            if not received:
                break
            for message in received:
                jobs.run(message["Body"])
                sqs.delete_message(
                    QueueUrl=settings().account_jobs_queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                )
        new, seen[0] = backend.sent_messages[seen[0] :], len(backend.sent_messages)
        return [(m.destinations["ToAddresses"][0], m.subject, m.body) for m in new]

    drain()  # what earlier tests left
    return drain


def address() -> str:
    return f"f_{secrets.token_hex(5)}@example.com"


def to(sent: list[tuple[str, str, str]], who: str) -> list[str]:
    return [subject for recipient, subject, _ in sent if recipient == who]


def test_a_job_that_is_none_is_dropped(aws: None) -> None:
    for body in ("not json", "[1]", '{"kind": "no such kind"}', "{}", '"x"'):
        assert jobs.run(body) is False
    with pytest.raises(ValueError):
        jobs.enqueue("no such kind")


def test_a_rename_and_a_new_address_in_one_patch(outbox: Any) -> None:
    name, old, new = "f_" + secrets.token_hex(4), address(), address()
    user = auth.register(name, old, PASSWORD).user
    outbox()
    changed = profiles.update_me(user.user_id, {"username": name + "x", "email": new, "bio": "b"})
    assert (changed.username, changed.email, changed.bio) == (name + "x", new, "b")
    assert not changed.email_verified
    assert auth.find_by_login(new).user_id == user.user_id
    assert auth.find_by_login(name + "x").user_id == user.user_id
    assert auth.find_by_login(old) is None and auth.find_by_login(name) is None
    sent = outbox()
    assert to(sent, new) == ["Confirm your email address for Glimpse"]
    assert to(sent, old) == ["Your Glimpse email address was changed"]


def test_an_address_taken_between_its_read_and_the_write_is_taken_quietly(
    outbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = auth.register("f_" + secrets.token_hex(4), address(), PASSWORD).user
    mover = auth.register("f_" + secrets.token_hex(4), address(), PASSWORD).user
    outbox()
    # The first read sees the owner's address free, as if it was claimed a moment later.
    real, reads = verification.holder, []

    def stale(found: str) -> str | None:
        reads.append(found)
        return None if len(reads) == 1 else real(found)

    monkeypatch.setattr(verification, "holder", stale)
    moved = profiles.update_me(mover.user_id, {"email": owner.email})
    assert (moved.email, moved.email_verified) == (owner.email, False)
    assert len(reads) == 4  # planned twice: the new address and the old one, each time
    assert auth.find_by_login(owner.email).user_id == owner.user_id
    monkeypatch.setattr(verification, "holder", real)
    sent = outbox()
    assert to(sent, owner.email) == ["Someone tried to sign up with your email address"]


def test_a_registration_racing_for_an_address_is_quiet_too(
    outbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = auth.register("f_" + secrets.token_hex(4), address(), PASSWORD).user
    outbox()
    real, reads = auth._is_claimed, []

    def stale(email: str) -> bool:
        reads.append(email)
        return False if len(reads) == 1 else real(email)

    monkeypatch.setattr(auth, "_is_claimed", stale)
    late = auth.register("f_" + secrets.token_hex(4), owner.email, PASSWORD)
    assert len(reads) == 2 and late.user.email == owner.email
    assert auth.find_by_login(owner.email).user_id == owner.user_id
    sent = outbox()
    assert to(sent, owner.email) == ["Someone tried to sign up with your email address"]


def test_forgot_does_the_same_work_whether_or_not_the_login_has_an_account(
    outbox: Any, aws_calls: Any
) -> None:
    # What makes the request take the same time for any login: it reads nothing, it only
    # queues the login (bench/recovery measures the times over HTTP side by side).
    user = auth.register("f_" + secrets.token_hex(4), address(), PASSWORD).user
    outbox()
    logins = [user.username, user.email, "nobody_" + secrets.token_hex(4), address()]
    for login in logins:
        with aws_calls() as calls:
            recovery.forgot(login)
        assert calls == ["SendMessage"], login
    sent = outbox()
    assert [recipient for recipient, _, _ in sent] == [user.email, user.email]
    assert {subject for _, subject, _ in sent} == {"Reset your Glimpse password"}


def test_an_address_ses_refuses_is_not_retried(aws: None) -> None:
    from chalicelib.mail import outbox

    boto3.client("ses").verify_email_identity(EmailAddress=settings().mail_from)
    assert outbox.deliver("no-domain-at-all", "subject", "text") is False
