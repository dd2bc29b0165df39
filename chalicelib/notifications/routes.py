"""Your phones (/me/devices) and what they are told (/me/notifications)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, json_body

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.notifications import devices, preferences
else:
    devices, preferences = deferred("chalicelib.notifications", "devices, preferences")

my_devices = ApiBlueprint(__name__)  # url_prefix /me/devices
my_notifications = ApiBlueprint(__name__)  # url_prefix /me/notifications


@my_devices.route("/", methods=["POST"])
def add_device() -> Response:
    request = my_devices.current_request
    found, created = devices.register(caller(request).user_id, json_body(request))
    return Response(body=found, status_code=201 if created else 200)


@my_devices.route("/{device_id}", methods=["DELETE"])
def remove_device(device_id: str) -> Response:
    devices.remove(caller(my_devices.current_request).user_id, device_id)
    return Response(body="", status_code=204)


@my_notifications.route("/", methods=["GET"])
def my_preferences() -> dict[str, Any]:
    return preferences.get(caller(my_notifications.current_request).user_id)


@my_notifications.route("/", methods=["PATCH"])
def change_preferences() -> dict[str, Any]:
    request = my_notifications.current_request
    return preferences.update(caller(request).user_id, json_body(request))
