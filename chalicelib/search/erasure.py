"""An account's end in search (``lifecycle.deletion``): its documents in the engine (the
streams take them too: the user's when its deletion begins, each post's when it goes), its
recent searches, and everyone's recent searches that opened it or one of its posts."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.core.dynamodb import ScanJob, sweep
from chalicelib.search import recent
from chalicelib.search.documents import POST, USER
from chalicelib.search.engines import engine
from chalicelib.search.models import RecentSearch


def forget(user_id: str, post_ids: Iterable[str]) -> int:
    """Its user and post documents, and its own recent searches; returns how many of
    those searches went."""
    engine().delete(USER, [user_id])
    ids = list(post_ids)
    if ids:
        engine().delete(POST, ids)
    searches = sum(1 for _ in RecentSearch.query(user_id, attributes_to_get=["search_id"]))
    recent.clear(user_id)
    return searches


def forget_opened(target_ids: Iterable[str], job: ScanJob) -> int:
    """Everyone's recent searches whose opened result was the account or one of its posts
    go whole (the words typed were most likely its name). One parallel Scan of the table
    (30 days of searches at most: its TTL)."""
    wanted = set(target_ids)
    if not wanted:
        return 0

    def drop(item: RecentSearch) -> bool:
        if item.target_id not in wanted:
            return False
        RecentSearch(item.user_id, item.search_id).delete()
        return True

    filtered = (
        {"filter_condition": RecentSearch.target_id.is_in(*wanted)} if len(wanted) <= 100 else {}
    )
    return sweep(
        RecentSearch,
        drop,
        job,
        attributes_to_get=["user_id", "search_id", "target_id"],
        **filtered,
    )
