"""The devices a push reaches, and each account's notification settings."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.core.dynamodb import Model, meta


class DevicesByUser(GlobalSecondaryIndex):
    Meta = meta("devices", index="devices_by_user", projection=AllProjection())

    user_id = UnicodeAttribute(hash_key=True)
    device_id = UnicodeAttribute(range_key=True)


class Device(Model):
    """One app install's push token, keyed by a digest of (platform, token): registering the
    same token again finds the same item, and a phone signed into another account moves to
    it instead of telling both."""

    Meta = meta("devices")

    device_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    platform = UnicodeAttribute()  # apns | fcm
    token = UnicodeAttribute()
    endpoint_arn = UnicodeAttribute()  # its SNS platform endpoint
    created_at = NumberAttribute()

    by_user = DevicesByUser()


class NotificationState(Model):
    """An account's push state, one partition: ``preferences`` (the kinds turned off) and
    ``group#<post_id>`` (the last push about that post, so a burst of likes is one push)."""

    Meta = meta("notifications")

    user_id = UnicodeAttribute(hash_key=True)
    item = UnicodeAttribute(range_key=True)
    off = UnicodeSetAttribute(null=True)  # preferences: kinds not pushed
    expires_at = TTLAttribute(null=True)  # group markers: the window's end
