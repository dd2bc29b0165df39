"""DynamoDB the way every context uses it: table metadata from settings, the base model
on the process's one client, batched reads across tables, labelled transactions.

Each context keeps its own PynamoDB models (``<context>/models.py``) and names its tables
through ``meta``; what is shared across them is here.
"""

from __future__ import annotations

import concurrent.futures
import functools
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import pynamodb.models
from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.indexes import KeysOnlyProjection
from pynamodb.transactions import TransactWrite

from chalicelib.core import clients
from chalicelib.core.errors import Conflict
from chalicelib.core.settings import settings


def meta(table: str, index: str | None = None, projection: Any = None) -> type:
    """A model's (or an index's) Meta: the table of infra/template.yaml by its short name."""
    s = settings()
    attrs: dict[str, object] = {"region": s.region, "host": s.endpoint_url}
    if index is None:
        attrs["table_name"] = s.table(table)
    else:
        attrs.update(index_name=index, projection=projection or KeysOnlyProjection())
    return type("Meta", (), attrs)


class _FromTheProcessSession(Connection):
    """PynamoDB's connection, its client made from the process's botocore session."""

    @property
    def session(self) -> Any:
        return clients.session()


@functools.cache
def connection() -> Connection:
    """The process's one DynamoDB connection: every table's, and the transactions'."""
    s = settings()
    # One pool for every table: the pool's threads, the sweep's and the caller's at once.
    shared = _FromTheProcessSession(region=s.region, host=s.endpoint_url, max_pool_connections=32)
    with clients.creating:
        shared.client  # noqa: B018 - built now, while no other client is being built
    return shared


class _OnTheSharedClient(Connection):
    """One table's connection (its schema, as PynamoDB works it out from the model) that
    sends through ``connection()``'s client."""

    @property
    def client(self) -> Any:
        return connection().client


class Model(pynamodb.models.Model):
    """PynamoDB's Model, on the process's one DynamoDB client (``connection()``'s).

    PynamoDB gives each model class a connection of its own, and each builds a botocore
    session and client on first use, parsing DynamoDB's service model again: 60-150 ms a
    table, paid by a fresh container's first requests (bench/first_calls). Each table keeps
    its own connection (two models of one table may declare different indexes) but sends
    through the one client.
    """

    @classmethod
    def _get_connection(cls) -> TableConnection:
        # PynamoDB's one hook for a model's connection (private: pynamodb is pinned, and
        # tests/functional/test_dynamodb_client.py fails if an upgrade bypasses this).
        table = super()._get_connection()
        if not isinstance(table.connection, _OnTheSharedClient):
            own = _OnTheSharedClient(region=cls.Meta.region, host=cls.Meta.host)
            own.add_meta_table(table.get_meta_table())
            table.connection = own
        return table


Key = tuple[type[Model], str, str | None]  # (model, hash key, range key or None)


def batch_get(keys: list[Key]) -> dict[Key, Model]:
    """The items behind these keys, across any tables, in one BatchGetItem per 100 keys, the
    chunks sent side by side: a page's posts, authors and flags cost one round trip."""
    keys = list(dict.fromkeys(keys))  # BatchGetItem refuses a request with duplicate keys
    chunks = [keys[start : start + 100] for start in range(0, len(keys), 100)]
    if len(chunks) == 1:
        # In the calling thread: no hop through the pool, and safe to call from a pool task.
        return _batch_get_chunk(chunks[0])
    found: dict[Key, Model] = {}
    for part in pool().map(_batch_get_chunk, chunks):
        found.update(part)
    return found


def existing_keys(keys: list[Key]) -> set[Key]:
    """Which of these items exist: how relationship flags for a whole page cost one trip."""
    return set(batch_get(keys))


def save_unless_there(item: Model, condition: Any) -> bool:
    """Put ``item`` if ``condition`` holds (e.g. its key does not exist): False if it did
    not, so an idempotent "add" keeps the first one."""
    try:
        item.save(condition=condition)
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def update_if(item: Model, actions: list, condition: Any) -> bool:
    """Update ``item`` if ``condition`` holds: False if it did not, so a move that happened
    already (or must not happen) is told apart from a failure."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


@functools.cache
def pool() -> ThreadPoolExecutor:
    """Threads for DynamoDB calls sent side by side (botocore clients are thread-safe)."""
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="dynamodb")


def _batch_get_chunk(chunk: list[Key]) -> dict[Key, Model]:
    by_table = {model.Meta.table_name: model for model, _, _ in chunk}
    request: dict[str, dict] = {}
    for model, hash_key, range_key in chunk:
        hash_name, range_name = _key_names(model)
        key = {hash_name: {"S": hash_key}}
        if range_name is not None:
            key[range_name] = {"S": range_key}
        request.setdefault(model.Meta.table_name, {"Keys": []})["Keys"].append(key)
    found: dict[Key, Model] = {}
    for attempt in range(10):
        time.sleep(0.05 * attempt)  # back off only when DynamoDB returned unprocessed keys
        response = connection().client.batch_get_item(RequestItems=request)
        for table_name, items in response.get("Responses", {}).items():
            model = by_table[table_name]
            hash_name, range_name = _key_names(model)
            for item in items:
                range_key = item[range_name]["S"] if range_name else None
                found[(model, item[hash_name]["S"], range_key)] = model.from_raw_data(item)
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return found
    raise RuntimeError("DynamoDB kept returning unprocessed keys")


def _key_names(model: type[Model]) -> tuple[str, str | None]:
    range_attribute = model._range_key_attribute()
    return model._hash_key_attribute().attr_name, range_attribute and range_attribute.attr_name


class TransactionCancelled(Exception):
    """A transaction refused because of its conditions; ``failed`` names which ones."""

    def __init__(self, failed: set[str]) -> None:
        super().__init__(f"transaction conditions failed: {sorted(failed)}")
        self.failed = failed


class Transaction:
    """PynamoDB's TransactWrite, with a label on each conditional operation.

    PynamoDB sends condition checks, then deletes, then puts, then updates, whatever the
    order of the calls, and DynamoDB reports failed conditions by position in what was sent.
    The labels say by name which conditions failed: ``TransactionCancelled.failed``.
    """

    _KINDS = ("condition_check", "delete", "save", "update")

    def __init__(self) -> None:
        self._write = TransactWrite(connection=connection())
        self._labels: dict[str, list[str]] = {kind: [] for kind in self._KINDS}

    def __enter__(self) -> Transaction:
        self._write.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        try:
            self._write.__exit__(exc_type, exc, traceback)
        except TransactWriteError as error:
            sent = [label for kind in self._KINDS for label in self._labels[kind]]
            reasons = error.cancellation_reasons or []
            failed = {
                label
                for label, reason in zip(sent, reasons, strict=False)
                if reason is not None and reason.code == "ConditionalCheckFailed" and label
            }
            if failed:
                raise TransactionCancelled(failed) from error
            if any(r is not None and r.code == "TransactionConflict" for r in reasons):
                # Another transaction held one of the items: nothing was written, and the
                # client's retry will most likely go through.
                raise Conflict(
                    "Someone changed this at the same moment; try again",
                    code="concurrent_change",
                ) from error
            raise

    def save(self, model: Model, condition: Any = None, label: str = "") -> None:
        self._labels["save"].append(label)
        self._write.save(model, condition=condition)

    def update(self, model: Model, actions: list, condition: Any = None, label: str = "") -> None:
        self._labels["update"].append(label)
        self._write.update(model, actions=actions, condition=condition)

    def delete(self, model: Model, condition: Any = None, label: str = "") -> None:
        self._labels["delete"].append(label)
        self._write.delete(model, condition=condition)

    def condition_check(
        self,
        model_cls: type[Model],
        hash_key: str,
        range_key: str | None,
        condition: Any,
        label: str,
    ) -> None:
        self._labels["condition_check"].append(label)
        self._write.condition_check(model_cls, hash_key, range_key, condition=condition)


class ScanJob(Protocol):
    """A background job that reads whole tables, maybe over several invocations.

    ``scans`` is where its Scans got to, per model and segment: ``sweep`` keeps it current
    after every item, and a job that hands over passes it on in its message (plain JSON) so
    the next one goes on from there instead of reading the table from its start again — a
    table larger than one invocation can read is still swept. ``tick`` is its clock: it
    raises when the invocation's time is up."""

    scans: dict[str, Any]

    def tick(self) -> None: ...


# Items a sweep's Scan evaluates per page; None: as many as DynamoDB returns (1 MB). Tests
# make it small to cross page boundaries. Smaller pages cost round trips (bench/sweep).
SWEEP_PAGE: int | None = None
DONE = "done"


def _scan_name(model: type[Model]) -> str:
    return model.__name__


def sweep_started(model: type[Model], job: ScanJob) -> bool:
    """Whether ``job``, or a job that handed over to it, has begun ``sweep`` of ``model``:
    for work that goes once, before the sweep's first page."""
    return _scan_name(model) in job.scans


def sweep(
    model: type[Model],
    fix: Any,
    job: ScanJob,
    *,
    segments: int = 4,
    **scan: Any,
) -> int:
    """Every item of a table through ``fix`` (it returns whether it changed the item), read
    with a parallel Scan of ``segments`` segments (``scan``: PynamoDB's scan arguments, a
    ``filter_condition`` and ``attributes_to_get`` above all, which must keep the key). A
    background job's read, never a request's: it costs the whole table.

    The segment's place is stored in ``job.scans`` after every item, and ``job.tick`` is
    called after every item ``fix`` changed (a write: the work that takes time) and at the
    end of every page: a job whose time is up stops with its place kept, having moved every
    segment on by a change or a page at least — never abandoning a page it paid for after
    one cheap item. An item is fixed again when a job dies between its fix and its place:
    ``fix`` must be safe to repeat. Returns how many items ``fix`` changed in this
    invocation."""
    places = job.scans.setdefault(_scan_name(model), {})
    # What resumes a Scan after an item: its key, as PynamoDB resumes a limited Scan.
    keys = [
        attribute.attr_name
        for attribute in model.get_attributes().values()
        if attribute.is_hash_key or attribute.is_range_key
    ]

    def segment(number: int) -> int:
        place = places.get(str(number))
        if place == DONE:
            return 0
        changed = 0
        # The page iterator rather than the item iterator: pages a filter empties still tick.
        pages = model.scan(
            segment=number,
            total_segments=segments,
            last_evaluated_key=place,
            page_size=SWEEP_PAGE,
            **scan,
        ).page_iter
        for page in pages:
            for raw in page.get("Items", []):
                fixed = bool(fix(model.from_raw_data(raw)))
                places[str(number)] = {key: raw[key] for key in keys}
                if fixed:
                    changed += 1
                    job.tick()
            places[str(number)] = pages.last_evaluated_key or DONE
            job.tick()
        return changed

    # Threads of its own: a fix may use pool() (batch_get) without waiting behind a segment.
    # Every segment runs to its own tick (map would cancel those not started at the first
    # OutOfTime), so each invocation moves every one on.
    with ThreadPoolExecutor(max_workers=segments, thread_name_prefix="sweep") as threads:
        running = [threads.submit(segment, number) for number in range(segments)]
        concurrent.futures.wait(running)
        return sum(each.result() for each in running)
