"""The local pushbox: every push the emulator's SNS published to a platform endpoint (what
would reach a phone through APNs or FCM), one JSON file each, where a developer (``python -m
local_cloud pushes``) and the tests read it.

    <state dir>/pushes/<sent_at ms>-<message id>.json
    {"id", "sent_at" (ms), "endpoint_arn", "platform" (APNS | GCM), "token",
     "user_data" (the endpoint's CustomUserData: the account's id), "alert", "badge",
     "payload" (what that platform's phone gets: the APNs or FCM JSON), "message" (as
     published)}

Written by the emulator process itself (``local_cloud/moto_server.py``) into ``pushes/``
beside the mailbox the launcher names: a push is in the folder before SNS has answered the
API. Only what SNS accepted is kept: a publish to a disabled endpoint is refused and is not.
With LocalStack the pushes stay in LocalStack (``GET /_aws/sns/platform-endpoint-messages``).
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from local_cloud import mailbox

FOLDER = "pushes"


def folder(state_dir: Path) -> Path:
    return state_dir / FOLDER


def push(
    message_id: str, endpoint_arn: str, token: str, user_data: str | None, message: str
) -> dict[str, Any]:
    """One push in the pushbox's shape: the platform's own payload picked out of a
    MessageStructure=json message, as SNS does."""
    platform = endpoint_arn.split(":endpoint/", 1)[-1].split("/", 1)[0]
    try:
        structured = json.loads(message)
    except ValueError:
        structured = None
    if isinstance(structured, dict) and "default" in structured:
        raw = structured.get(platform) or structured.get("APNS" if platform == "APNS" else "GCM")
        raw = raw or json.dumps({"default": structured["default"]})
    else:
        raw = message
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = {"text": raw}
    aps = payload.get("aps") or {}
    notification = payload.get("notification") or {}
    data = payload.get("data") or {}
    badge = aps.get("badge", data.get("badge"))
    return {
        "id": message_id,
        "sent_at": mailbox._now_ms(),
        "endpoint_arn": endpoint_arn,
        "platform": platform,
        "token": token,
        "user_data": user_data,
        "alert": aps.get("alert") or notification.get("body") or payload.get("default"),
        "badge": int(badge) if badge is not None else None,
        "payload": payload,
        "message": message,
    }


def keep(pushes: Path, entry: dict[str, Any]) -> Path:
    return mailbox.keep(pushes, entry)  # the same whole-file write and naming


def read(
    pushes: Path, token: str | None = None, user: str | None = None, last: int | None = None
) -> list[dict[str, Any]]:
    """The pushes in the order they were sent; those to one device token or one account's
    id (``user_data``) if given, the ``last`` ones if given."""
    if not pushes.is_dir():
        return []
    found = []
    for path in sorted(pushes.glob("*.json")):
        if path.name.startswith("."):
            continue
        with contextlib.suppress(OSError, ValueError):
            found.append(json.loads(path.read_text()))
    if token is not None:
        found = [entry for entry in found if entry["token"] == token]
    if user is not None:
        found = [entry for entry in found if entry["user_data"] == user]
    return found[-last:] if last else found


def render(entry: dict[str, Any]) -> str:
    """A push as a lock screen would show it, with where it went."""
    sent = datetime.fromtimestamp(entry["sent_at"] / 1000).strftime("%Y-%m-%d %H:%M:%S")
    badge = "" if entry["badge"] is None else f"  [badge {entry['badge']}]"
    return "\n".join(
        [
            f"Date:     {sent}",
            f"To:       {entry['platform']} {entry['token'][:16]}… (account {entry['user_data']})",
            f"Alert:    {entry['alert']}{badge}",
            f"Payload:  {json.dumps(entry['payload'], ensure_ascii=False)}",
        ]
    )
