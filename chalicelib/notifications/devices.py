"""``POST /me/devices`` and ``DELETE /me/devices/{device_id}``: a phone's push token becomes
an SNS platform endpoint on the APNs or FCM platform application of the stack.

A token is registered once whoever sends it: its item is keyed by a digest of (platform,
token), so the app may send it on every launch (idempotent), and when another account signs
in on the same phone the device moves to it. Endpoints SNS reports disabled (the app was
removed, the token expired) are dropped by ``push`` when it meets them.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from typing import Any

from chalicelib.core.clients import client
from chalicelib.core.errors import NotFound, ValidationError
from chalicelib.core.ids import now_ms
from chalicelib.core.settings import settings
from chalicelib.notifications.models import Device

APNS, FCM = "apns", "fcm"
# APNs device tokens are 32 bytes sent as hex (64 characters; Apple may lengthen them, so up
# to 200); FCM registration tokens are ~160 characters of base64url with a colon.
TOKEN_SHAPES = {
    APNS: re.compile(r"[0-9a-fA-F]{64,200}"),
    FCM: re.compile(r"[A-Za-z0-9_:\-]{32,4096}"),
}
MAX_DEVICES = 20  # per account: a phone, a tablet, reinstalls; more is a script


def register(user_id: str, body: Any) -> tuple[dict[str, str], bool]:
    """({device_id}, created): created False when this account had the token already."""
    platform, token = _check(body)
    device_id = hashlib.sha256(f"{platform}:{token}".encode()).hexdigest()[:32]
    try:
        existing = Device.get(device_id, consistent_read=True)
    except Device.DoesNotExist:
        existing = None
    sns = client("sns")
    if existing is not None:
        # Sent again: the token is live, whatever SNS last thought of it.
        # CustomUserData names the account: what the SNS console (and the local pushbox)
        # shows of whose phone it is.
        with contextlib.suppress(sns.exceptions.NotFoundException):
            sns.set_endpoint_attributes(
                EndpointArn=existing.endpoint_arn,
                Attributes={"Enabled": "true", "CustomUserData": user_id},
            )
        if existing.user_id == user_id:
            return {"device_id": device_id}, False
        endpoint_arn = existing.endpoint_arn
    else:
        if len(of_user(user_id)) >= MAX_DEVICES:
            raise ValidationError(
                f"At most {MAX_DEVICES} devices; remove one first", code="too_many_devices"
            )
        endpoint_arn = sns.create_platform_endpoint(
            PlatformApplicationArn=_application(platform), Token=token, CustomUserData=user_id
        )["EndpointArn"]
    Device(
        device_id,
        user_id=user_id,
        platform=platform,
        token=token,
        endpoint_arn=endpoint_arn,
        created_at=now_ms(),
    ).save()
    return {"device_id": device_id}, True


def remove(user_id: str, device_id: str) -> None:
    device = None
    # Ids are 32 hex characters: anything else is no device (and no oversized key asked for).
    if re.fullmatch(r"[0-9a-f]{32}", device_id):
        try:
            device = Device.get(device_id, consistent_read=True)
        except Device.DoesNotExist:
            device = None
    if device is None or device.user_id != user_id:
        # Someone else's device is not yours to know about.
        raise NotFound("No such device", code="device_not_found")
    drop(device)


def of_user(user_id: str) -> list[Device]:
    return list(Device.by_user.query(user_id))


def drop(device: Device) -> None:
    """The endpoint and the item: SNS first, so nothing is left that could still be told."""
    sns = client("sns")
    with contextlib.suppress(sns.exceptions.NotFoundException):
        sns.delete_endpoint(EndpointArn=device.endpoint_arn)
    device.delete()


def _application(platform: str) -> str:
    s = settings()
    arn = s.apns_platform_application_arn if platform == APNS else s.fcm_platform_application_arn
    if not arn:
        raise ValidationError(f"{platform} pushes are not set up here", code="push_unavailable")
    return arn


def _check(body: Any) -> tuple[str, str]:
    if not isinstance(body, dict):
        raise ValidationError("Send a JSON object {platform, token}")
    platform, token = body.get("platform"), body.get("token")
    if not isinstance(platform, str) or platform not in TOKEN_SHAPES:
        raise ValidationError('"platform" is apns or fcm', field="platform", code="bad_platform")
    if not isinstance(token, str) or not TOKEN_SHAPES[platform].fullmatch(token):
        raise ValidationError(
            "That is not a push token of this platform", field="token", code="bad_token"
        )
    return platform, token
