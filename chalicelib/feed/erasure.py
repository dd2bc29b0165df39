"""An account's end in feeds and activity (``lifecycle.deletion``).

Its posts leave everyone's feeds through the posts stream (``home.remove_post``) and its
follows' removal through the follows stream (``home.on_unfollow``); the activity items it
caused leave with their causes (a follow, a request, a like, a comment, a mention: each
stream removes its item, and a grouped like item stops naming a liker who took the like
back). Left here: its own feed and activity, and, in everyone else's activity, the text of
comments and captions that mentioned it (copied into the items), which reads as a deleted
account's like the comments themselves (``posts.erasure.unmention``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pynamodb.exceptions import UpdateError

from chalicelib.core.dynamodb import ScanJob, sweep
from chalicelib.feed import activity
from chalicelib.feed.models import Activity, FeedEntry
from chalicelib.posts import captions

Tick = Callable[[], None]


def forget(user_id: str, tick: Tick) -> dict[str, int]:
    """Its own feed partition and its own activity."""
    gone = {"feed_entries": 0, "activity": 0}
    with FeedEntry.batch_write() as batch:
        for entry in FeedEntry.query(user_id, attributes_to_get=["user_id", "post_id"]):
            tick()
            batch.delete(entry)
            gone["feed_entries"] += 1
    with Activity.batch_write() as batch:
        for item in Activity.query(user_id, attributes_to_get=["user_id", "activity_key"]):
            tick()
            batch.delete(item)
            gone["activity"] += 1
    return gone


def forget_in_others(user_id: str, username: str | None, job: ScanJob) -> dict[str, int]:
    """Everyone's activity, once (a parallel Scan: the table has no index by actor): items
    whose actor it was and that a stream has not taken yet go, a grouped like item stops
    naming it, items about its posts go, and texts that mention it read ``@[deleted]``. A
    safety net behind the streams, which take nearly all of these first."""
    changed = {"removed": 0, "likers": 0, "texts": 0}
    counting = threading.Lock()

    def count(what: str) -> None:
        with counting:
            changed[what] += 1

    def fix(item: Activity) -> bool:
        if item.user_id == user_id:
            return False  # its own: ``forget``
        actors = list(item.recent_actor_ids or []) or [item.actor_id]
        if item.post_author_id == user_id:  # about one of its posts, gone
            activity.remove(item.user_id, item.activity_key)
            count("removed")
            return True
        if user_id in actors:
            if item.kind != activity.LIKE or not item.post_id:
                activity.remove(item.user_id, item.activity_key)
                count("removed")
                return True
            activity.like_removed(item.user_id, item.post_id, 1, user_id)
            count("likers")
        if username and item.text and username in captions.mentions(item.text):
            try:
                Activity(item.user_id, item.activity_key).update(
                    actions=[Activity.text.set(captions.without_mention(item.text, username))],
                    condition=Activity.text == item.text,
                )
            except UpdateError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise
                return False
            count("texts")
        return True

    sweep(
        Activity,
        fix,
        job,
        attributes_to_get=[
            "user_id",
            "activity_key",
            "kind",
            "actor_id",
            "recent_actor_ids",
            "post_id",
            "post_author_id",
            "text",
        ],
    )
    return changed
