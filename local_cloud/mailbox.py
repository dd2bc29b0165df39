"""The local mailbox: every mail the emulator's SES accepted, one JSON file each, where a
developer (``python -m local_cloud mail``) and the tests read it.

    <state dir>/mailbox/<sent_at ms>-<message id>.json
    {"id", "sent_at" (ms), "from", "to": [...], "cc": [...], "bcc": [...], "subject", "text",
     "html" (or null), "raw" (RFC 822 text, for SendRawEmail only, else null)}

File names sort in the order the mails were sent; each file is written whole, then renamed
into place, so a reader never sees half a mail.

- moto: the emulator process itself writes each mail moto's SES accepts (SendEmail and
  SendRawEmail; ``local_cloud/moto_server.py``), into the folder the launcher names in
  ``LOCAL_CLOUD_MAILBOX`` (``emulator.MAILBOX_VARIABLE``). A mail is in the folder before
  SES has answered the sender.
- LocalStack keeps what its SES sent and serves it at ``GET /_aws/ses``; ``LocalStackMail``,
  a thread of the launcher, copies new messages into the same folder every
  ``POLL_SECONDS``.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import logging
import os
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterable
from datetime import datetime
from email.utils import getaddresses
from pathlib import Path
from typing import Any

log = logging.getLogger("local_cloud.mailbox")

FOLDER = "mailbox"
POLL_SECONDS = 0.2

_clock = threading.Lock()
_last_ms = 0


def _now_ms() -> int:
    """Milliseconds, strictly increasing within a process: file names keep the sending order
    even for two mails in one millisecond."""
    global _last_ms
    with _clock:
        _last_ms = max(int(time.time() * 1000), _last_ms + 1)
        return _last_ms


def folder(state_dir: Path) -> Path:
    return state_dir / FOLDER


def message(
    message_id: str,
    source: str | None,
    to: Iterable[str] = (),
    cc: Iterable[str] = (),
    bcc: Iterable[str] = (),
    subject: str | None = None,
    text: str | None = None,
    html: str | None = None,
    raw: str | None = None,
    sent_at: int | None = None,
) -> dict[str, Any]:
    """One mail in the mailbox's shape. A raw (RFC 822) mail gives its own headers and parts:
    its To, Cc and Subject, its first text/plain and text/html parts."""
    to, cc, bcc = list(to), list(cc), list(bcc)
    if raw is not None:
        parsed = email.message_from_string(raw, policy=email.policy.default)
        headers = {name: [str(v) for v in parsed.get_all(name, [])] for name in ("to", "cc")}
        to = to or [address for _, address in getaddresses(headers["to"]) if address]
        cc = cc or [address for _, address in getaddresses(headers["cc"]) if address]
        subject = subject or str(parsed.get("subject", ""))
        source = source or str(parsed.get("from", ""))
        for kind in ("plain", "html"):
            part = parsed.get_body(preferencelist=(kind,))
            if part is not None:
                content = part.get_content()
                if kind == "plain":
                    text = text or content
                else:
                    html = html or content
    return {
        "id": message_id,
        "sent_at": sent_at if sent_at is not None else _now_ms(),
        "from": source,
        "to": to,
        "cc": cc,
        "bcc": bcc,
        "subject": subject or "",
        "text": text,
        "html": html,
        "raw": raw,
    }


def keep(mailbox: Path, mail: dict[str, Any]) -> Path:
    """Write one mail into the mailbox, whole (a temporary file renamed into place)."""
    mailbox.mkdir(parents=True, exist_ok=True)
    safe_id = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(mail["id"]))
    path = mailbox / f"{int(mail['sent_at']):013d}-{safe_id}.json"
    handle, temporary = tempfile.mkstemp(dir=mailbox, prefix=".incoming-", suffix=".json")
    with os.fdopen(handle, "w") as out:
        json.dump(mail, out, ensure_ascii=False, indent=1)
    os.replace(temporary, path)
    return path


def read(mailbox: Path, to: str | None = None, last: int | None = None) -> list[dict[str, Any]]:
    """The mails in the order they were sent, those to ``to`` only (any of To, Cc, Bcc, case
    ignored) if given, the ``last`` ones if given."""
    if not mailbox.is_dir():
        return []
    found = []
    for path in sorted(mailbox.glob("*.json")):
        if path.name.startswith("."):
            continue
        with contextlib.suppress(OSError, ValueError):
            found.append(json.loads(path.read_text()))
    if to is not None:
        wanted = to.strip().lower()
        found = [
            mail
            for mail in found
            if wanted in {a.lower() for a in mail["to"] + mail["cc"] + mail["bcc"]}
        ]
    return found[-last:] if last else found


def render(mail: dict[str, Any]) -> str:
    """A mail as a terminal shows it."""
    sent = datetime.fromtimestamp(mail["sent_at"] / 1000).strftime("%Y-%m-%d %H:%M:%S")
    lines = [
        f"Date:    {sent}",
        f"From:    {mail['from']}",
        f"To:      {', '.join(mail['to'])}",
    ]
    if mail["cc"]:
        lines.append(f"Cc:      {', '.join(mail['cc'])}")
    lines += [f"Subject: {mail['subject']}", "", (mail["text"] or mail["html"] or "").rstrip()]
    return "\n".join(lines)


class Copier(threading.Thread):
    """A launcher thread copying what LocalStack keeps (``source``) into a folder of the
    local cloud every ``POLL_SECONDS``, and once more when stopped (what came just before).
    One failed poll is logged once and does not end the copying."""

    def __init__(self, name: str, source: str) -> None:
        super().__init__(name=name, daemon=True)
        self.source = source
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()

    def run(self) -> None:
        complained = False
        while True:
            stopping = self._stopped.wait(POLL_SECONDS)
            try:
                self.copy_new()
                complained = False
            except Exception:  # noqa: BLE001 - one failed poll must not end the copying
                if not complained and not stopping:
                    log.exception("could not read %s", self.source)
                    complained = True
            if stopping:
                return

    def copy_new(self) -> int:
        """Copies what is new; how many."""
        raise NotImplementedError


class LocalStackMail(Copier):
    """Copies what LocalStack's SES sent (``GET /_aws/ses``) into the mailbox as it comes."""

    def __init__(self, endpoint_url: str, mailbox: Path) -> None:
        self.url = endpoint_url.rstrip("/") + "/_aws/ses"
        super().__init__("localstack-mail", f"LocalStack's sent mail at {self.url}")
        self.mailbox = mailbox
        # A LocalStack someone else runs keeps its mail across launches: copy each one once.
        self._seen: set[str] = {mail["id"] for mail in read(mailbox)}

    def copy_new(self) -> int:
        with urllib.request.urlopen(self.url, timeout=5) as answer:
            sent = json.loads(answer.read())["messages"]
        copied = 0
        for ses_mail in sent:
            if ses_mail["Id"] in self._seen:
                continue
            keep(self.mailbox, from_localstack(ses_mail))
            self._seen.add(ses_mail["Id"])
            copied += 1
        return copied


def from_localstack(ses_mail: dict[str, Any]) -> dict[str, Any]:
    """A message of LocalStack's ``/_aws/ses`` in the mailbox's shape."""
    destination = ses_mail.get("Destination") or {}
    body = ses_mail.get("Body") or {}
    # Its Timestamp has whole seconds: the copy's time keeps the order (the list is in it).
    return message(
        ses_mail["Id"],
        ses_mail.get("Source"),
        to=destination.get("ToAddresses", []),
        cc=destination.get("CcAddresses", []),
        bcc=destination.get("BccAddresses", []),
        subject=ses_mail.get("Subject"),
        text=body.get("text_part"),
        html=body.get("html_part"),
        raw=ses_mail.get("RawData"),
    )
