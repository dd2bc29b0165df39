"""Reactions to table changes, delivered by DynamoDB Streams (in AWS and in `make run`).

Batches go through Powertools' batch processor, so one bad record is reported as a partial
failure and retried alone instead of blocking the whole shard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib import follows
from chalicelib.observability import logger


def process_batch(event: dict[str, Any], record_handler: Callable[[Any], None]) -> dict:
    # Imported here, not at the top: stream consumers need it, the API's cold start does not.
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor
    )


def on_user_record(record: Any) -> None:
    user_changed(record.dynamodb.old_image, record.dynamodb.new_image)


def user_changed(old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
    """An account that goes from private to public lets in everyone who asked to follow."""
    if old and new and old.get("is_private") and not new.get("is_private"):
        approved = follows.approve_all(new["user_id"])
        logger.info("account went public", extra={"user_id": new["user_id"], "approved": approved})
