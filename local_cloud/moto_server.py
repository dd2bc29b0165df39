"""moto's server, as strict as AWS where the app relies on it, and fast enough to measure
Glimpse against (bench/dm).

    python -m local_cloud.moto_server -H 127.0.0.1 -p 4566

Three changes make moto behave as AWS does where the app relies on it (or a developer needs
to see what it did):

- S3 POST uploads are checked as S3 checks them: policy, signature, conditions, size
  (local_cloud/s3_post_policy.py). moto stores whatever is posted. S3 verifies the
  signature with the secret of the access key, so the launcher passes the local cloud's
  fixed credentials in ``LOCAL_CLOUD_ACCESS_KEYS`` (``{"id": "secret"}``); run alone,
  without it, the emulator refuses every signed POST (InvalidAccessKeyId).
- Single-item writes are atomic. moto's server answers each request in its own thread and
  nothing in moto keeps two writes to one item apart: a conditional UpdateItem checks its
  condition, then writes, and a thread switch in between lets another request check the
  same old item (with switches forced every microsecond, 40 parallel ``ADD tries 1``
  conditioned on ``tries < 5`` let up to 17 through and counted 7: an ADD also loses
  increments). DynamoDB serialises the writes to an item, so here every PutItem,
  UpdateItem and DeleteItem takes the lock transactions take (``_serialise_item_writes``).
  Under the GIL these writes ran one at a time anyway; the lock only keeps a switch from
  landing between a check and its write, so it costs next to nothing.

- Sent mail is kept where a developer can read it. moto's SES stores what it accepts in
  memory only; here each mail SendEmail or SendRawEmail accepts is also written, as one JSON
  file, into the folder the launcher names in ``LOCAL_CLOUD_MAILBOX``
  (``local_cloud/mailbox.py``; ``python -m local_cloud mail`` prints them).
- Pushes too: each message SNS publishes to a platform endpoint (moto keeps them in memory)
  is written to ``pushes/`` beside the mailbox (``local_cloud/pushbox.py``; ``python -m
  local_cloud pushes`` prints them).

Four more, each to a cost that has nothing to do with what is being emulated:

- Transactions. moto 5 makes TransactWriteItems atomic by deep-copying every table it
  touches, items and stream records included, and putting the copies back if an operation
  fails. That costs time in proportion to everything the table ever held: on a messages
  table a few hundred messages old a five-item transaction took 19 ms at the median and
  250 ms at the 99th percentile, and each failed transaction swapped in a table copy that
  left stream readers on the stale one. This does what DynamoDB does instead: every
  condition is checked against the state before the transaction, and only when all pass
  are the writes applied — nothing to roll back on a cancelled transaction. Should an apply
  still fail (an update expression moto refuses only when it runs it), the items touched
  are put back from copies of just those items and their stream records are dropped.
- Routing: the service of each request is looked up once per host (``_remember_backends``).
- Update expressions are parsed once per distinct text (``_remember_update_expressions``).
- Full garbage collections skip what survived the last one (``_freeze_survivors``).
"""

from __future__ import annotations

import copy
import functools
import gc
import json
import os
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from local_cloud import mailbox, pushbox
from local_cloud.emulator import ACCESS_KEYS_VARIABLE, MAILBOX_VARIABLE

OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}
PASSED = (None, None, None)
# moto's server answers each request in its own thread; two transactions must not interleave
# their checks and writes (two registrations of one name: exactly one may win), nor may two
# single-item writes (a conditional ADD: no more may pass than the condition allows).
# Re-entrant: a transaction holds it while its operations call the (locked) write methods.
_WRITES = threading.RLock()
ITEM_WRITES = ("put_item", "update_item", "delete_item")


class _Operation:
    """One operation of the transaction, with the item it targets as it was before."""

    def __init__(self, backend: DynamoDBBackend, request: dict[str, Any]) -> None:
        if len(request) > 1:
            raise TransactWriteSingleOpException()
        self.kind, self.op = next(iter(request.items()))
        if self.kind not in OPERATIONS:
            raise ValueError("Unsupported transaction operation")
        self.table: Table | None = None
        self.key: dict[str, Any] = self.op.get("Key", {})
        self.before: Item | None = None
        self.error: tuple = PASSED
        try:
            self.table = backend.get_table(self.op["TableName"])
            if self.kind == "Put":
                self.key = _key_of(self.table, self.op["Item"])
            self.before = backend.get_item(self.op["TableName"], self.key)
            self._check_condition()
        except ConditionalCheckFailed as failed:
            wants_old = self.op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
            old = self.before.to_json()["Attributes"] if wants_old and self.before else None
            self.error = ("ConditionalCheckFailed", str(failed.message), old)
        except MockValidationException:
            raise
        except Exception as error:  # noqa: BLE001 - reported per operation, as moto does
            self.error = (type(error).__name__, str(error), None)

    @property
    def target(self) -> tuple[str, str]:
        return self.op["TableName"], str(dict(sorted(self.key.items())))

    def _check_condition(self) -> None:
        condition = self.op.get("ConditionExpression")
        if condition is None:
            return
        test = get_filter_expression(
            condition,
            self.op.get("ExpressionAttributeNames"),
            self.op.get("ExpressionAttributeValues"),
        )
        if not test.expr(self.before):
            raise ConditionalCheckFailed()

    def apply(self, backend: DynamoDBBackend) -> None:
        # No condition: it held when checked, and nothing has touched this item since.
        common = {
            "expression_attribute_names": self.op.get("ExpressionAttributeNames"),
            "expression_attribute_values": self.op.get("ExpressionAttributeValues"),
        }
        name = self.op["TableName"]
        if self.kind == "Put":
            backend.put_item(name, self.op["Item"], **common)
        elif self.kind == "Delete":
            backend.delete_item(name, self.key, **common)
        elif self.kind == "Update":
            backend.update_item(
                name, self.key, update_expression=self.op["UpdateExpression"], **common
            )

    def put_back(self) -> None:
        if self.kind == "ConditionCheck" or self.table is None:
            return
        table, before = self.table, self.before
        hash_value = DynamoType(self.key[table.hash_key_attr])
        if table.range_key_attr is None:
            items: dict = table.items
            key = hash_value
        else:
            items, key = table.items[hash_value], DynamoType(self.key[table.range_key_attr])
        if before is None:
            items.pop(key, None)
        else:
            items[key] = before


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    with _WRITES:
        _transact(self, transact_items)


def _transact(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    operations = [_Operation(backend, request) for request in transact_items]
    targets = [operation.target for operation in operations]
    if len(set(targets)) < len(targets):
        raise MultipleTransactionsException()
    if any(operation.error != PASSED for operation in operations):
        raise TransactionCanceledException([operation.error for operation in operations])
    # Copies of just the items written, taken before anything is, and the streams' lengths.
    for operation in operations:
        if operation.kind != "ConditionCheck":
            operation.before = copy.deepcopy(operation.before)
    streams = {
        id(o.table): (o.table, len(o.table.stream_shard.items))
        for o in operations
        if o.table is not None and o.table.stream_shard is not None
    }
    done = 0
    try:
        for operation in operations:
            operation.apply(backend)
            done += 1
    except Exception as error:
        for operation in operations[: done + 1]:
            operation.put_back()
        for table, length in streams.values():
            del table.stream_shard.items[length:]
        if isinstance(error, MockValidationException):
            raise
        errors = [PASSED] * len(operations)
        errors[done] = (type(error).__name__, str(error), None)
        raise TransactionCanceledException(errors) from error


def _key_of(table: Table, attributes: dict[str, Any]) -> dict[str, Any]:
    key = {table.hash_key_attr: attributes[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attributes[table.range_key_attr]
    return key


def _remember_backends() -> None:
    """moto's server finds the service of every request by listing its own package directory
    and trying a few hundred URL patterns, under a lock that serialises all requests: about a
    millisecond each. The answer for a host never changes, so it is looked up once."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    look_up = DomainDispatcherApplication.get_backend_for_host
    known: dict[str | None, Any] = {}

    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        if host not in known:
            known[host] = look_up(self, host)
        return known[host]

    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host


def _remember_update_expressions() -> None:
    """moto tokenises and parses an UpdateExpression twice per update (to validate the
    request, then to apply it), ~0.3 ms each; a group message sends the same one for each of
    its 32 members. Both callers only read the tree (the validator works on a deep copy),
    so each distinct expression is parsed once."""
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    parse = functools.lru_cache(maxsize=4096)(UpdateExpressionParser.make.__func__)
    UpdateExpressionParser.make = classmethod(parse)


def _freeze_survivors() -> None:
    """Everything moto stores stays alive (every item, every stream record), so each full
    garbage collection walks a heap that only grows: a 150 ms pause every few hundred
    messages in bench/dm. What survives a full collection is frozen out of the next ones; only
    a cycle among frozen objects that later dies is never collected, a fair price here."""

    def after(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            gc.freeze()

    gc.callbacks.append(after)


def serialised(write: Callable[..., Any]) -> Callable[..., Any]:
    """``write`` holding the emulator's write lock: its condition check, the write and the
    stream record happen with no other write in between, as DynamoDB applies them."""

    @functools.wraps(write)
    def one_at_a_time(*args: Any, **kwargs: Any) -> Any:
        with _WRITES:
            return write(*args, **kwargs)

    return one_at_a_time


def _serialise_item_writes() -> None:
    for name in ITEM_WRITES:
        setattr(DynamoDBBackend, name, serialised(getattr(DynamoDBBackend, name)))


def _keep_sent_mail(folder: Path) -> None:
    """Each mail moto's SES accepts is also written into ``folder`` (local_cloud/mailbox.py),
    before SES answers: a mail refused (an unverified sender, a bad address) is not."""
    from moto.ses.models import SESBackend

    send_email, send_raw_email = SESBackend.send_email, SESBackend.send_raw_email

    def kept_send_email(
        self: SESBackend, source: str, subject: str, body: str, destinations: dict[str, list[str]]
    ) -> Any:
        sent = send_email(self, source, subject, body, destinations)
        mailbox.keep(
            folder,
            mailbox.message(
                sent.id,
                source,
                to=destinations.get("ToAddresses", []),
                cc=destinations.get("CcAddresses", []),
                bcc=destinations.get("BccAddresses", []),
                subject=subject,
                text=body,  # moto passes the HTML part instead when a mail has one
            ),
        )
        return sent

    def kept_send_raw_email(
        self: SESBackend, source: str, destinations: list[str], raw_data: str
    ) -> Any:
        sent = send_raw_email(self, source, list(destinations), raw_data)
        mailbox.keep(folder, mailbox.message(sent.id, sent.source, raw=raw_data))
        return sent

    SESBackend.send_email = kept_send_email
    SESBackend.send_raw_email = kept_send_raw_email


def _keep_pushes(folder: Path) -> None:
    """Each push moto's SNS accepts for a platform endpoint (what APNs or FCM would carry to
    a phone) is also written into ``folder`` (local_cloud/pushbox.py), before SNS answers: a
    publish to a disabled endpoint raises first and is not kept."""
    from moto.sns.models import PlatformEndpoint

    publish = PlatformEndpoint.publish

    def kept_publish(self: PlatformEndpoint, message: str) -> str:
        message_id = publish(self, message)
        pushbox.keep(
            folder,
            pushbox.push(message_id, self.arn, self.token, self.custom_user_data, message),
        )
        return message_id

    PlatformEndpoint.publish = kept_publish


def install(access_keys: Mapping[str, str] | None = None, mail_folder: Path | None = None) -> None:
    """``access_keys``: the secret of each access key id whose signed S3 POST uploads are
    accepted (S3 checks them with the secret; moto never needed it). ``mail_folder``: where
    each mail SES sends is kept (none: kept in memory only, as moto does); the pushes SNS
    publishes to phones go beside it, in ``pushes/`` (local_cloud/pushbox.py)."""
    from local_cloud import s3_post_policy

    DynamoDBBackend.transact_write_items = transact_write_items
    _serialise_item_writes()
    s3_post_policy.install(access_keys or {})
    if mail_folder is not None:
        _keep_sent_mail(mail_folder)
        _keep_pushes(mail_folder.parent / pushbox.FOLDER)
    _remember_backends()
    _remember_update_expressions()
    _freeze_survivors()


def access_keys_from(environ: Mapping[str, str]) -> dict[str, str]:
    """The access keys the launcher passes in ``ACCESS_KEYS_VARIABLE`` (a JSON object)."""
    keys = json.loads(environ.get(ACCESS_KEYS_VARIABLE) or "{}")
    if not isinstance(keys, dict):
        raise ValueError(f"{ACCESS_KEYS_VARIABLE} must be a JSON object of id: secret")
    return {str(key): str(secret) for key, secret in keys.items()}


def main(argv: list[str] | None = None) -> None:
    from moto import server

    mail_folder = os.environ.get(MAILBOX_VARIABLE)
    install(access_keys_from(os.environ), Path(mail_folder) if mail_folder else None)
    server.main(argv or sys.argv[1:])


if __name__ == "__main__":
    main()
