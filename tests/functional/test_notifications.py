"""Push notifications in-process against moto: devices (SNS platform endpoints), per-kind
preferences, and what reaches a phone (moto keeps what is published to each endpoint)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.core.errors import NotFound, ValidationError


def apns_token() -> str:
    return secrets.token_hex(32)


def phone(endpoint_arn: str) -> list[dict[str, Any]]:
    """What reached the phone behind this endpoint: each push's APNs payload."""
    from moto.sns.models import sns_backends

    endpoint = sns_backends["123456789012"]["us-east-1"].platform_endpoints[endpoint_arn]
    return [json.loads(json.loads(m)["APNS"]) for m in endpoint.messages.values()]


def device_of(user_id: str) -> Any:
    from chalicelib.notifications import devices

    (device,) = devices.of_user(user_id)
    return device


def test_a_token_is_registered_once_and_moves_with_the_phone(make_user: Callable) -> None:
    from chalicelib.notifications import devices

    me, other = make_user().user, make_user().user
    token = apns_token()
    first, created = devices.register(me.user_id, {"platform": "apns", "token": token})
    again, created_again = devices.register(me.user_id, {"platform": "apns", "token": token})
    assert created and not created_again and first == again
    assert [d.device_id for d in devices.of_user(me.user_id)] == [first["device_id"]]
    # Another account signs in on that phone: the device is theirs now, not both.
    devices.register(other.user_id, {"platform": "apns", "token": token})
    assert devices.of_user(me.user_id) == []
    with pytest.raises(NotFound):
        devices.remove(me.user_id, first["device_id"])
    for nonsense in ("x" * 3000, "nope", first["device_id"].upper()):
        with pytest.raises(NotFound):
            devices.remove(other.user_id, nonsense)
    devices.remove(other.user_id, first["device_id"])
    assert devices.of_user(other.user_id) == []


@pytest.mark.parametrize(
    "body",
    [
        None,
        {"platform": "webpush", "token": "a" * 64},
        {"platform": "apns", "token": "not-hex" * 10},
        {"platform": "apns", "token": "ab" * 10},
        {"platform": "fcm", "token": "has spaces " * 10},
        {"platform": "fcm", "token": 12},
        {"platform": {}, "token": "a" * 64},
        {"platform": ["apns"], "token": "a" * 64},
    ],
)
def test_bad_devices_are_refused(make_user: Callable, body: Any) -> None:
    from chalicelib.notifications import devices

    with pytest.raises(ValidationError):
        devices.register(make_user().user.user_id, body)


def test_preferences_default_on_and_change_by_kind(make_user: Callable) -> None:
    from chalicelib.notifications import preferences

    me = make_user().user.user_id
    assert all(preferences.get(me).values())
    changed = preferences.update(me, {"like": False, "comment": False})
    assert not changed["like"] and not changed["comment"] and changed["message"]
    assert preferences.update(me, {"like": True})["like"]
    mixed = preferences.update(me, {"like": False, "comment": True, "message": False})
    assert (mixed["like"], mixed["comment"], mixed["message"]) == (False, True, False)
    for bad in ({}, {"likes": False}, {"like": "no"}, [1]):
        with pytest.raises(ValidationError):
            preferences.update(me, bad)


def test_a_push_reaches_an_offline_phone_with_the_badge(make_user: Callable) -> None:
    from chalicelib.notifications import devices, preferences, push

    me = make_user().user.user_id
    devices.register(me, {"platform": "apns", "token": apns_token()})
    push.count_badge_with(lambda user_id: 7)
    assert push.deliver(me, "message", "bob: hi", {"conversation_id": "c1"}) == 1
    (sent,) = phone(device_of(me).endpoint_arn)
    assert sent["aps"] == {"alert": "bob: hi", "sound": "default", "badge": 7}
    assert sent["kind"] == "message" and sent["conversation_id"] == "c1"
    # Online: the socket told it. Turned off: nothing.
    assert push.deliver(me, "message", "again", online=True) == 0
    preferences.update(me, {"message": False})
    assert push.deliver(me, "message", "again") == 0
    assert len(phone(device_of(me).endpoint_arn)) == 1


def test_news_about_one_post_is_one_push_per_window(make_user: Callable) -> None:
    from chalicelib.notifications import devices, push

    me = make_user().user.user_id
    devices.register(me, {"platform": "fcm", "token": secrets.token_urlsafe(120)})
    assert push.deliver(me, "like", "alice liked your post", group="post-1") == 1
    assert push.deliver(me, "like", "alice and 1 other liked", group="post-1") == 0
    assert push.deliver(me, "comment", "a comment", group="post-1") == 0
    assert push.deliver(me, "like", "carol liked your other post", group="post-2") == 1


def test_a_disabled_endpoint_is_dropped(make_user: Callable) -> None:
    from chalicelib.core.clients import client
    from chalicelib.notifications import devices, push

    me = make_user().user.user_id
    devices.register(me, {"platform": "apns", "token": apns_token()})
    client("sns").set_endpoint_attributes(
        EndpointArn=device_of(me).endpoint_arn, Attributes={"Enabled": "false"}
    )
    assert push.deliver(me, "message", "hello?") == 0
    assert devices.of_user(me) == []


def test_an_account_end_takes_its_devices_and_endpoints(make_user: Callable) -> None:
    from chalicelib.core.clients import client
    from chalicelib.notifications import devices, erasure, preferences

    me = make_user().user.user_id
    devices.register(me, {"platform": "apns", "token": apns_token()})
    arn = device_of(me).endpoint_arn
    preferences.update(me, {"like": False})
    gone = erasure.forget(me, lambda: None)
    assert gone == {"devices": 1, "notification_state": 1}
    assert devices.of_user(me) == []
    sns = client("sns")
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_endpoint_attributes(EndpointArn=arn)
