"""Account jobs: work an account's request starts and the account-jobs queue finishes
(AccountJobsQueue, consumed by ``app.on_account_job``): the account mail, and whatever else
takes longer than a request should.

A job is one SQS message, ``{"kind": ..., <its fields>}``. ``KINDS`` names the function that
does each kind ("module:function" of chalicelib, loaded on the first job of that kind, as
``streams`` loads reactions: the API's cold start does not pay for them, and a context that
enqueues a kind never imports the one that runs it). Add a kind by adding its line.

Why a queue for mail: a request that sends the mail itself takes as long as SES does, and
one whose answer must not say whether an account exists (registration with a taken
address, a password reset for an unknown login) does exactly the same work either way, an
enqueue, however different the mail that follows, or none.

Delivery is at least once: a job may run twice (a mail may then come twice, a token be made
twice; both harmless). A job that cannot succeed (malformed, an unknown kind) is logged and
dropped rather than raised, so it does not end in the dead-letter queue with its batch.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Callable
from typing import Any

from chalicelib.core.clients import client
from chalicelib.core.observability import logger
from chalicelib.core.settings import settings

Job = dict[str, Any]

# kind -> "module:function" under chalicelib, called with the job (its fields and its kind).
KINDS: dict[str, str] = {
    "verify_email": "accounts.verification:send_verification",
    "address_in_use": "accounts.verification:send_address_in_use",
    "email_changed": "accounts.verification:send_email_changed",
    "forgot_password": "accounts.recovery:send_reset",
    "delete": "lifecycle.deletion:run",  # DELETE /me: everything of the account goes
    "export": "lifecycle.archive:build",  # POST /me/export: the zip, then a mail
}


def enqueue(kind: str, **fields: Any) -> None:
    """Leave a job for the account-jobs consumer (one SQS SendMessage)."""
    if kind not in KINDS:
        raise ValueError(f"no such account job: {kind}")
    client("sqs").send_message(
        QueueUrl=settings().account_jobs_queue_url,
        MessageBody=json.dumps({"kind": kind, **fields}),
    )


def run(body: str) -> bool:
    """Do one job (an SQS message's body); False if it was not one and was dropped."""
    try:
        job = json.loads(body)
        kind = job["kind"]
        if kind not in KINDS:
            raise KeyError(kind)
    except (KeyError, TypeError, ValueError):
        logger.warning("not an account job", extra={"body": body[:200]})
        return False
    _handler(kind)(job)
    return True


@functools.cache
def _handler(kind: str) -> Callable[[Job], None]:
    module, _, function = KINDS[kind].partition(":")
    return getattr(importlib.import_module(f"chalicelib.{module}"), function)
