"""An account's end in the interactions log: its own signals, and everyone's signals about it
or its posts (``lifecycle.deletion``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chalicelib.core.dynamodb import ScanJob, sweep, sweep_started
from chalicelib.interactions import log
from chalicelib.interactions.models import Interaction


def forget(user_id: str, tick: Callable[[], None]) -> int:
    """The account's own signals (its partition). Returns how many went."""
    gone = 0
    with Interaction.batch_write() as batch:
        for item in Interaction.query(user_id, attributes_to_get=["user_id", "interaction_id"]):
            tick()
            batch.delete(item)
            gone += 1
    return gone


def forget_about(item_ids: Iterable[str], job: ScanJob) -> int:
    """Everyone's signals naming the account or one of its posts (``item_id``), in the table
    and in its copy in S3 that the recommender reads (``log``). The table has no index by
    item, so this reads it whole once (a parallel Scan, resumed where a job left it)."""
    wanted = set(item_ids)
    if not wanted:
        return 0
    if not sweep_started(Interaction, job):
        log.forget(wanted)

    def drop(item: Interaction) -> bool:
        if item.item_id not in wanted:
            return False
        Interaction(item.user_id, item.interaction_id).delete()
        return True

    # DynamoDB filters (it still reads every item) on at most 100 values.
    filtered = (
        {"filter_condition": Interaction.item_id.is_in(*wanted)} if len(wanted) <= 100 else {}
    )
    return sweep(
        Interaction,
        drop,
        job,
        attributes_to_get=["user_id", "interaction_id", "item_id"],
        **filtered,
    )
