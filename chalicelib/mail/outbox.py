"""Sending one mail, at most ``mail_per_address_per_hour`` to any one address.

The cap is counted before sending (``core.ratelimit``, keyed by the address's hash, so the
counter names no address): nobody can use the app to flood an inbox, however many requests
they send at once. A mail over the cap is not sent, and the caller is told.
"""

from __future__ import annotations

import hashlib

from chalicelib.core import ratelimit
from chalicelib.core.clients import client
from chalicelib.core.observability import logger
from chalicelib.core.settings import settings

HOUR = 3600
# What SES answers for an address it will never send to (malformed). MessageRejected (an
# unverified sender, the sandbox) is not among them: it is the configuration, and raises.
_REFUSED_ADDRESS = frozenset({"InvalidParameterValue"})


def send(to: str, subject: str, text: str) -> bool:
    """Send a plain-text mail; False (and nothing sent) if the address's hour is used up."""
    if reserve(to):
        logger.warning("mail not sent: the address's hourly limit is reached")
        return False
    return deliver(to, subject, text)


def reserve(to: str) -> int:
    """Take one mail of the address's hour without sending it yet: 0 if granted (then
    ``deliver`` it, now or from a queued job), else the seconds until the hour ends. For a
    caller who must be told at once that the cap is reached (``POST /me/email/resend``)."""
    return ratelimit.take(_key(to), settings().mail_per_address_per_hour, HOUR)


def deliver(to: str, subject: str, text: str) -> bool:
    """Send a mail whose place in the address's hour ``reserve`` already took; False if SES
    refuses the address itself (a retry could not change that, so it is logged, not
    raised)."""
    s = settings()
    ses = client("ses")
    try:
        ses.send_email(
            Source=s.mail_from,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
            },
        )
    except ses.exceptions.ClientError as error:
        if error.response["Error"]["Code"] not in _REFUSED_ADDRESS:
            raise
        logger.warning("mail not sent: SES refused the address", extra={"reason": str(error)})
        return False
    return True


def _key(address: str) -> str:
    return "mail#" + hashlib.sha256(address.strip().lower().encode()).hexdigest()
