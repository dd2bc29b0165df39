"""The media Lambda: S3 ObjectCreated events on the uploads prefix, through SQS; and, when
MediaConvert is on, EventBridge's "MediaConvert Job State Change" for the heavy videos handed
to it (``mediaconvert_jobs``).

Each SQS record carries one S3 notification (or S3's test event, which is skipped); a direct
S3 event is accepted too. Records are processed with Powertools' batch utility, so one bad
photo is reported as a partial failure and retried alone, and each object is processed once
per bucket/key/etag thanks to Powertools idempotency: a redelivered message does no harm.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

import jobs
import mediaconvert_jobs
from chalicelib.core.clients import client
from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.settings import settings

processor = BatchProcessor(event_type=EventType.SQS)
persistence = DynamoDBPersistenceLayer(
    table_name=settings().table("idempotency"),
    boto3_client=client("dynamodb"),
)
idempotency = IdempotencyConfig(
    event_key_jmespath="[bucket, key, etag]",
    # S3 may redeliver an event hours later; remember finished objects for a day.
    expires_after_seconds=24 * 3600,
)


class _WaitingForPost(Exception):
    """The photo arrived before its post. Raising makes Powertools forget the object instead
    of remembering "waiting" for a day: creating the post re-queues this very bucket/key/etag,
    and that event must be processed, not answered from the idempotency record."""


@idempotent_function(
    data_keyword_argument="s3_object", persistence_store=persistence, config=idempotency
)
def _process_once(s3_object: dict[str, str]) -> str:
    outcome = jobs.handle_object(s3_object["bucket"], s3_object["key"], s3_object["etag"])
    if outcome == jobs.WAITING:
        raise _WaitingForPost
    return outcome


def process_object(s3_object: dict[str, str]) -> str:
    try:
        return _process_once(s3_object=s3_object)
    except _WaitingForPost:
        return jobs.WAITING


def s3_objects(notification: dict[str, Any]) -> list[dict[str, str]]:
    """The objects an S3 notification is about; S3's s3:TestEvent has none."""
    found = []
    for record in notification.get("Records", []):
        s3 = record.get("s3", {})
        if not record.get("eventName", "").startswith("ObjectCreated"):
            continue
        found.append(
            {
                "bucket": s3["bucket"]["name"],
                # S3 URL-encodes keys in notifications (spaces become '+').
                "key": _unquote(s3["object"]["key"]),
                "etag": s3["object"].get("eTag", ""),
            }
        )
    return found


def record_handler(record: SQSRecord) -> None:
    for s3_object in s3_objects(json.loads(record.body)):
        outcome = process_object(s3_object)
        logger.info("photo handled", extra={**s3_object, "outcome": outcome})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if mediaconvert_jobs.is_job_event(event):
        # Idempotent by the item's own state (no longer processing: done), not by Powertools.
        outcome = mediaconvert_jobs.job_state_changed(event)
        logger.info("MediaConvert job handled", extra={"outcome": outcome})
        return {"outcome": outcome}
    idempotency.register_lambda_context(context)
    records = event.get("Records", [])
    if records and records[0].get("eventSource") == "aws:s3":
        # Invoked by S3 directly rather than through the queue: no batch to report on.
        for s3_object in s3_objects(event):
            process_object(s3_object)
        return {}
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


def _unquote(key: str) -> str:
    from urllib.parse import unquote_plus

    return unquote_plus(key)
