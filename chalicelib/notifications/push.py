"""Telling an account's phones what matters when none of its sockets is live: one SNS
``Publish`` per device (``TargetArn`` = its platform endpoint), APNs and FCM payloads built
here, the badge (the activity inbox's ``unseen_count``) in each.

What is pushed, and what is not:
- nothing while the account has a live websocket: the socket already told the app;
- nothing of a kind the account turned off (``preferences``);
- news about one post (likes, comments) at most once per ``GROUP_SECONDS`` per post: the
  first of a burst is pushed ("alice and 3 others liked your post" counts them all), the
  rest wait for the next window: one conditional write of a marker in the account's own
  ``notifications`` partition (erased with it, gone by TTL after the window);
- an endpoint SNS reports disabled (``EndpointDisabled`` on publish, or ``Enabled`` false
  when it refuses) is dropped with its device.

The badge count belongs to the activity inbox (``feed``), which sits above this context:
it hands its counter in with ``count_badge_with`` when it loads (the API's process always
loads it), and a push made before then carries no badge rather than a wrong one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.connections import registry
from chalicelib.core.clients import client
from chalicelib.core.observability import logger
from chalicelib.notifications import devices, preferences
from chalicelib.notifications.models import Device, NotificationState

GROUP_SECONDS = 5 * 60
ALERT_MAX = 180  # characters: what a lock screen shows of it

_badge: Callable[[str], int] | None = None


def count_badge_with(counter: Callable[[str], int]) -> None:
    global _badge
    _badge = counter


def deliver(
    user_id: str,
    kind: str,
    alert: str,
    data: dict[str, Any] | None = None,
    *,
    group: str | None = None,
    online: bool | None = None,
    badge: int | None = None,
) -> int:
    """Push ``alert`` to the account's phones if it should reach them; returns how many SNS
    accepted. ``online``: whether it has a live socket, ``badge``: its unseen count, when
    the caller already knows them."""
    if online is None:
        online = bool(registry.live([user_id])[user_id])
    if online:
        return 0
    phones = devices.of_user(user_id)
    if not phones or not preferences.allows(user_id, kind):
        return 0
    if group is not None and not _first_in_window(user_id, group):
        return 0
    if badge is None and _badge is not None:
        badge = _badge(user_id)
    message = payload(kind, alert, data or {}, badge)
    return sum(_publish(device, message) for device in phones)


def payload(kind: str, alert: str, data: dict[str, Any], badge: int | None) -> str:
    """The Publish ``Message`` (MessageStructure=json): what each platform's phone shows."""
    alert = alert if len(alert) <= ALERT_MAX else alert[: ALERT_MAX - 1] + "…"
    custom = {"kind": kind, **{k: v for k, v in data.items() if v is not None}}
    aps: dict[str, Any] = {"alert": alert, "sound": "default"}
    if badge is not None:
        aps["badge"] = badge
    apns = json.dumps({"aps": aps, **custom})
    fcm_data = {k: str(v) for k, v in custom.items()}
    if badge is not None:
        fcm_data["badge"] = str(badge)
    fcm = json.dumps({"notification": {"body": alert}, "data": fcm_data})
    return json.dumps({"default": alert, "APNS": apns, "APNS_SANDBOX": apns, "GCM": fcm})


def _publish(device: Device, message: str) -> int:
    sns = client("sns")
    try:
        sns.publish(TargetArn=device.endpoint_arn, Message=message, MessageStructure="json")
        return 1
    except (sns.exceptions.EndpointDisabledException, sns.exceptions.NotFoundException):
        devices.drop(device)  # the app is gone from that phone, or the token expired
    except sns.exceptions.InvalidParameterException:
        # SNS refuses a publish to an endpoint it marked disabled this way too: ask it.
        if not _enabled(device.endpoint_arn):
            devices.drop(device)
        else:
            logger.exception("push refused", extra={"device_id": device.device_id})
    return 0


def _enabled(endpoint_arn: str) -> bool:
    sns = client("sns")
    try:
        attributes = sns.get_endpoint_attributes(EndpointArn=endpoint_arn)["Attributes"]
    except sns.exceptions.NotFoundException:
        return False
    return attributes.get("Enabled", "true").lower() == "true"


def _first_in_window(user_id: str, group: str) -> bool:
    """One conditional write: the marker of ``group`` is written only if none is live, so
    of any number of likes arriving at once exactly one pushes."""
    now = datetime.now(UTC)
    marker = NotificationState(user_id, f"group#{group}")
    try:
        marker.update(
            actions=[NotificationState.expires_at.set(now + timedelta(seconds=GROUP_SECONDS))],
            condition=NotificationState.expires_at.does_not_exist()
            | (NotificationState.expires_at < now),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True
