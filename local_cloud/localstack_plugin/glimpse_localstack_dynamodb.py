"""DynamoDB and DynamoDB Streams for LocalStack, served by the moto fork it bundles.

LocalStack's own DynamoDB providers forward every request to Amazon's DynamoDB Local, which
it downloads, with a Java runtime, when the service first starts: out of reach offline, and
DynamoDB Local's licence is not for use here. These providers implement no operation
themselves: LocalStack's MotoFallbackDispatcher hands each one to moto's DynamoDB backend,
as it does for the services LocalStack serves from moto alone (ACM, Route 53, ...). Streams
read the same moto backend, so the tables' stream records are there.

One change makes moto behave as DynamoDB does where the app relies on it, as the moto lane's
emulator does (local_cloud/moto_server.py): item writes and transactions take one lock, so no
other write lands between a condition check and its write. LocalStack serves requests on
many threads; without the lock two registrations of one username, sent at once, could both
pass the transaction's "not yet claimed" check.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from localstack.aws.api.dynamodb import DynamodbApi
from localstack.aws.api.dynamodbstreams import DynamodbstreamsApi
from localstack.services.moto import MotoFallbackDispatcher
from localstack.services.plugins import Service, aws_provider

WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_LOCK = threading.RLock()


def _serialised(write: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(write)
    def one_at_a_time(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return write(*args, **kwargs)

    one_at_a_time.glimpse_serialised = True  # type: ignore[attr-defined]
    return one_at_a_time


def _serialise_writes() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    for name in WRITES:
        write = getattr(DynamoDBBackend, name, None)
        if write is not None and not getattr(write, "glimpse_serialised", False):
            setattr(DynamoDBBackend, name, _serialised(write))


class MotoDynamoDB(DynamodbApi):
    """Every operation falls through to moto."""


class MotoDynamoDBStreams(DynamodbstreamsApi):
    """Every operation falls through to moto."""


@aws_provider(api="dynamodb", name="moto")
def dynamodb() -> Any:
    _serialise_writes()
    return Service.for_provider(MotoDynamoDB(), dispatch_table_factory=MotoFallbackDispatcher)


@aws_provider(api="dynamodbstreams", name="moto")
def dynamodbstreams() -> Any:
    return Service.for_provider(
        MotoDynamoDBStreams(), dispatch_table_factory=MotoFallbackDispatcher
    )
