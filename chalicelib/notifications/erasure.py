"""An account's end (``lifecycle.deletion``): its devices with their SNS endpoints, its
preferences and group markers."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.notifications import devices
from chalicelib.notifications.models import NotificationState

Tick = Callable[[], None]


def forget(user_id: str, tick: Tick) -> dict[str, int]:
    gone = {"devices": 0, "notification_state": 0}
    for device in devices.of_user(user_id):
        devices.drop(device)
        gone["devices"] += 1
        tick()
    with NotificationState.batch_write() as batch:
        for item in NotificationState.query(user_id):
            batch.delete(item)
            gone["notification_state"] += 1
    return gone
