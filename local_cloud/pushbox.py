"""The local pushbox: every push the emulator's SNS published to a platform endpoint (what
would reach a phone through APNs or FCM), one JSON file each, where a developer (``python -m
local_cloud pushes``) and the tests read it.

    <state dir>/pushes/<sent_at ms>-<message id>.json
    {"id", "sent_at" (ms), "endpoint_arn", "platform" (APNS | GCM), "token",
     "user_data" (the endpoint's CustomUserData: the account's id), "alert", "badge",
     "payload" (what that platform's phone gets: the APNs or FCM JSON), "message" (as
     published)}

Only what SNS accepted is kept: a publish to a disabled endpoint is refused (both emulators
raise EndpointDisabled, as SNS does) and is not.

- moto: the emulator process itself (``local_cloud/moto_server.py``) writes into ``pushes/``
  beside the mailbox the launcher names: a push is in the folder before SNS has answered.
- LocalStack keeps what it published to each endpoint and serves it at ``GET
  /_aws/sns/platform-endpoint-messages``; ``LocalStackPushes``, a thread of the launcher,
  copies new ones into the same folder every ``mailbox.POLL_SECONDS``, with the token and
  CustomUserData the endpoint has then (GetEndpointAttributes). LocalStack records only the
  platform's part of the message, so there ``message`` is that part (``payload`` as
  published). ``caught_up`` waits until every push it recorded has been copied: what a test
  calls before asserting that something was not pushed.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

from local_cloud import mailbox

FOLDER = "pushes"
MESSAGES_PATH = "/_aws/sns/platform-endpoint-messages"


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


# -- LocalStack -----------------------------------------------------------------------------


def recorded(endpoint_url: str, region: str) -> dict[str, list[dict[str, Any]]]:
    """What LocalStack published to each platform endpoint of ``region`` (of its default
    account, the one every access key of the local cloud maps to), per endpoint ARN in the
    order sent."""
    query = urllib.parse.urlencode({"region": region})
    url = f"{endpoint_url.rstrip('/')}{MESSAGES_PATH}?{query}"
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.loads(answer.read())["platform_endpoint_messages"]


def _record_id(endpoint_arn: str, index: int, record: dict[str, Any]) -> str:
    # A direct publish has its MessageId (the one SNS answered); a topic's fan-out to an
    # endpoint has none, and LocalStack's lists only grow: its place names it then.
    return record.get("MessageId") or f"{endpoint_arn.rsplit('/', 1)[-1]}-{index}"


def from_localstack(
    endpoint_arn: str, index: int, record: dict[str, Any], token: str, user_data: str | None
) -> dict[str, Any]:
    """A record of LocalStack's platform-endpoint messages in the pushbox's shape."""
    message = record.get("Message") or ""
    if record.get("MessageStructure") == "json":
        # It keeps only the platform's part of a MessageStructure=json message, and serves
        # that string JSON-encoded once more.
        with contextlib.suppress(ValueError):
            message = json.loads(message)
    return push(_record_id(endpoint_arn, index, record), endpoint_arn, token, user_data, message)


class LocalStackPushes(mailbox.Copier):
    """Copies what LocalStack's SNS published to platform endpoints into the pushbox."""

    def __init__(
        self, endpoint_url: str, pushes: Path, region: str, access_key: str, secret_key: str
    ) -> None:
        super().__init__("localstack-pushes", f"LocalStack's pushes at {endpoint_url}")
        self.endpoint_url = endpoint_url
        self.pushes = pushes
        self.region = region
        self._credentials = (access_key, secret_key)
        self._sns: Any = None
        # A LocalStack someone else runs keeps its pushes across launches: copy each one once.
        self._seen: set[str] = {entry["id"] for entry in read(pushes)}
        # The last token and CustomUserData seen per endpoint: a device dropped right after
        # its push has no endpoint left to ask.
        self._owners: dict[str, tuple[str, str | None]] = {}

    def copy_new(self) -> int:
        copied = 0
        for endpoint_arn, records in recorded(self.endpoint_url, self.region).items():
            new = [
                (index, record)
                for index, record in enumerate(records)
                if _record_id(endpoint_arn, index, record) not in self._seen
            ]
            if not new:
                continue
            token, user_data = self._owner(endpoint_arn)
            for index, record in new:
                entry = from_localstack(endpoint_arn, index, record, token, user_data)
                keep(self.pushes, entry)
                self._seen.add(entry["id"])
                copied += 1
        return copied

    def _owner(self, endpoint_arn: str) -> tuple[str, str | None]:
        """The endpoint's token and CustomUserData now (a device moved to another account
        changes its CustomUserData), else the last known, else none."""
        if self._sns is None:
            import boto3  # the launcher has it; the emulator process never gets here

            access_key, secret_key = self._credentials
            self._sns = boto3.client(
                "sns",
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
            )
        try:
            attributes = self._sns.get_endpoint_attributes(EndpointArn=endpoint_arn)["Attributes"]
        except self._sns.exceptions.NotFoundException:
            return self._owners.get(endpoint_arn, ("", None))
        owner = (attributes.get("Token", ""), attributes.get("CustomUserData"))
        self._owners[endpoint_arn] = owner
        return owner


def caught_up(endpoint_url: str, pushes: Path, region: str, timeout: float = 10) -> None:
    """Returns once every push LocalStack has recorded is in ``pushes``: after it, a push
    missing from the folder was not sent, as with moto, where the emulator writes it before
    answering."""
    deadline = time.monotonic() + timeout
    while True:
        wanted = {
            _record_id(endpoint_arn, index, record)
            for endpoint_arn, records in recorded(endpoint_url, region).items()
            for index, record in enumerate(records)
        }
        missing = wanted - {entry["id"] for entry in read(pushes)}
        if not missing:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(missing)} of LocalStack's pushes not copied to {pushes}")
        time.sleep(mailbox.POLL_SECONDS / 2)
