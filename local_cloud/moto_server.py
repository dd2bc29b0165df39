"""moto's server, made fast enough to measure Glimpse against (bench/dm).

    python -m local_cloud.moto_server -H 127.0.0.1 -p 4566

Four changes, each to a cost that has nothing to do with what is being emulated:

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
import sys
import threading
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

OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}
PASSED = (None, None, None)
# moto's server answers each request in its own thread; two transactions must not interleave
# their checks and writes (two registrations of one name: exactly one may win).
_TRANSACTIONS = threading.Lock()


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
        test = get_filter_expression(condition, self.op.get("ExpressionAttributeNames"),
                                     self.op.get("ExpressionAttributeValues"))  # fmt: skip
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
            backend.update_item(name, self.key, update_expression=self.op["UpdateExpression"],
                                **common)  # fmt: skip

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
    with _TRANSACTIONS:
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
    streams = {id(o.table): (o.table, len(o.table.stream_shard.items)) for o in operations
               if o.table is not None and o.table.stream_shard is not None}  # fmt: skip
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


def install() -> None:
    DynamoDBBackend.transact_write_items = transact_write_items
    _remember_backends()
    _remember_update_expressions()
    _freeze_survivors()


def main(argv: list[str] | None = None) -> None:
    from moto import server

    install()
    server.main(argv or sys.argv[1:])


if __name__ == "__main__":
    main()
