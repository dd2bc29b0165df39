"""The activity inbox's badge: ``unseen_count`` on ``GET /activity`` and in
``notification.new``, cleared by ``POST /activity/seen``; in-process against moto."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest


def test_unseen_counts_new_items_until_seen(make_user: Callable) -> None:
    from chalicelib.feed import activity

    me, fan = make_user().user, make_user().user
    assert activity.unseen_count(me.user_id) == 0
    activity.record(me.user_id, activity.FOLLOW, fan.user_id, f"follow#{fan.user_id}")
    assert activity.unseen_count(me.user_id) == 1
    assert activity.inbox(me.user_id, 20, None)["unseen_count"] == 1

    time.sleep(0.002)  # items are stamped in ms
    activity.mark_seen(me.user_id)
    assert activity.unseen_count(me.user_id) == 0
    # The list itself is unchanged: seen is a badge, not a deletion.
    assert len(activity.inbox(me.user_id, 20, None)["items"]) == 1

    time.sleep(0.002)
    activity.record(me.user_id, activity.MENTION, fan.user_id, "mention#1", text="hi @me")
    assert activity.unseen_count(me.user_id) == 1


def test_the_count_is_capped(make_user: Callable, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.feed import activity

    monkeypatch.setattr(activity, "UNSEEN_MAX", 3)
    me, fan = make_user().user, make_user().user
    for n in range(5):
        activity.record(me.user_id, activity.MENTION, fan.user_id, f"mention#{n}", text="x")
    assert activity.unseen_count(me.user_id) == 3


def test_the_seen_marker_is_not_an_item_and_goes_with_the_account(make_user: Callable) -> None:
    from chalicelib.feed import activity, erasure
    from chalicelib.feed.models import SEEN_KEY, ActivitySeen

    me = make_user().user
    activity.mark_seen(me.user_id)
    assert activity.inbox(me.user_id, 20, None)["items"] == []
    erasure.forget(me.user_id, lambda: None)
    with pytest.raises(ActivitySeen.DoesNotExist):
        ActivitySeen.get(me.user_id, SEEN_KEY)
