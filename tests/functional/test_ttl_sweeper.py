"""The local cloud's TTL sweeper (local_cloud/ttl.py) on moto in-process: its thread deletes
what expired, keeps what did not, and keeps an item whose expiry moved after it was found.
The tables are this module's own (fresh names per test: the functional tier's moto may be
shared), and the sweeper is given them, so it touches no other test's items."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_cloud.ttl import TtlSweeper, ttl_tables


@pytest.fixture
def tables() -> dict[str, str]:
    suffix = secrets.token_hex(4)
    return {"expiring": f"expiring-{suffix}", "forever": f"forever-{suffix}"}


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch, tables: dict[str, str]) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        for name, ttl in ((tables["expiring"], True), (tables["forever"], False)):
            client.create_table(
                TableName=name,
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
            if ttl:
                client.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
                )
        yield client


def _put(client: Any, table: str, sk: str, expires_at: float | None) -> None:
    item = {"pk": {"S": "a"}, "sk": {"S": sk}}
    if expires_at is not None:
        item["expires_at"] = {"N": str(int(expires_at))}
    client.put_item(TableName=table, Item=item)


def _left(client: Any, table: str) -> set[str]:
    return {item["sk"]["S"] for item in client.scan(TableName=table)["Items"]}


def test_the_thread_deletes_what_expired_and_nothing_else(
    dynamodb: Any, tables: dict[str, str]
) -> None:
    expiring, forever, now = tables["expiring"], tables["forever"], time.time()
    _put(dynamodb, expiring, "old", now - 3600)
    _put(dynamodb, expiring, "new", now + 3600)
    _put(dynamodb, expiring, "no-ttl", None)
    _put(dynamodb, forever, "old", now - 3600)  # its table has no TTL
    found = ttl_tables(dynamodb)
    assert found[expiring] == "expires_at" and forever not in found
    sweeper = TtlSweeper(dynamodb, interval=0.05, tables={expiring: "expires_at"})
    sweeper.start()
    try:
        deadline = time.monotonic() + 10
        while "old" in _left(dynamodb, expiring) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sweeper.stop()
        sweeper.join(timeout=5)
    assert _left(dynamodb, expiring) == {"new", "no-ttl"}
    assert _left(dynamodb, forever) == {"old"}


def test_an_item_whose_expiry_moved_after_it_was_found_stays(
    dynamodb: Any, tables: dict[str, str]
) -> None:
    expiring = tables["expiring"]
    _put(dynamodb, expiring, "renewed", time.time() - 60)
    sweeper = TtlSweeper(dynamodb, tables={expiring: "expires_at"})
    found = dynamodb.scan

    def scan_then_renew(**kwargs: Any) -> Any:
        page = found(**kwargs)
        _put(dynamodb, expiring, "renewed", time.time() + 3600)  # between scan and delete
        return page

    dynamodb.scan = scan_then_renew
    try:
        assert sweeper.sweep() == 0
    finally:
        dynamodb.scan = found
    assert _left(dynamodb, expiring) == {"renewed"}
