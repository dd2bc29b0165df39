"""The emulator's writes (local_cloud/moto_server.py). TransactWriteItems: all or nothing,
with the reasons DynamoDB gives, and nothing left in the table or its stream by a
transaction that did not go through. Single-item writes: atomic under concurrent requests,
a condition and the write it guards never split by another write to the item."""

from __future__ import annotations

import secrets
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import RunningCloud

pytestmark = pytest.mark.integration

MESSAGES = "glimpse-local-messages"
USERS = "glimpse-local-users"  # has a stream


def _message(conversation: str, message_id: str) -> dict:
    return {"conversation_id": {"S": conversation}, "message_id": {"S": message_id}}


def _stream_keys(cloud: RunningCloud) -> set[str]:
    streams = cloud.client("dynamodbstreams")
    arn = cloud.env["USERS_STREAM_ARN"]
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    keys = set()
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            keys |= {r["dynamodb"]["Keys"]["user_id"]["S"] for r in page["Records"]}
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return keys


def test_a_transaction_writes_everything_when_every_condition_holds(
    local_cloud: RunningCloud,
) -> None:
    dynamodb = local_cloud.client("dynamodb")
    conversation = "tx-" + secrets.token_hex(4)
    dynamodb.put_item(TableName=MESSAGES, Item={**_message(conversation, "a"), "n": {"N": "1"}})
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": MESSAGES,
                    "Item": _message(conversation, "b"),
                    "ConditionExpression": "attribute_not_exists(message_id)",
                }
            },
            {
                "Update": {
                    "TableName": MESSAGES,
                    "Key": _message(conversation, "a"),
                    "UpdateExpression": "ADD n :one",
                    "ConditionExpression": "n = :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]
    )
    items = dynamodb.query(
        TableName=MESSAGES,
        KeyConditionExpression="conversation_id = :c",
        ExpressionAttributeValues={":c": {"S": conversation}},
    )["Items"]
    assert [(i["message_id"]["S"], i.get("n", {}).get("N")) for i in items] == [
        ("a", "2"),
        ("b", None),
    ]


def test_one_failed_condition_cancels_all_and_says_which(local_cloud: RunningCloud) -> None:
    dynamodb = local_cloud.client("dynamodb")
    conversation, user = "tx-" + secrets.token_hex(4), "tx-" + secrets.token_hex(4)
    dynamodb.put_item(TableName=MESSAGES, Item=_message(conversation, "taken"))
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": USERS, "Item": {"user_id": {"S": user}}}},
                {
                    "Put": {
                        "TableName": MESSAGES,
                        "Item": _message(conversation, "taken"),
                        "ConditionExpression": "attribute_not_exists(message_id)",
                    }
                },
                {"Delete": {"TableName": MESSAGES, "Key": _message(conversation, "other")}},
            ]
        )
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed", "None"]
    assert "Item" not in dynamodb.get_item(TableName=USERS, Key={"user_id": {"S": user}})
    assert user not in _stream_keys(local_cloud)


def test_a_write_that_fails_as_it_is_applied_leaves_nothing_behind(
    local_cloud: RunningCloud,
) -> None:
    dynamodb = local_cloud.client("dynamodb")
    conversation, user = "tx-" + secrets.token_hex(4), "tx-" + secrets.token_hex(4)
    dynamodb.put_item(TableName=MESSAGES, Item={**_message(conversation, "a"), "text": {"S": "hi"}})
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": USERS, "Item": {"user_id": {"S": user}}}},
                {
                    "Update": {
                        "TableName": MESSAGES,
                        "Key": _message(conversation, "a"),
                        "UpdateExpression": "SET seen = :yes ADD #text :one",
                        "ExpressionAttributeNames": {"#text": "text"},
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":yes": {"BOOL": True}},
                    }
                },
            ]
        )
    assert "Item" not in dynamodb.get_item(TableName=USERS, Key={"user_id": {"S": user}})
    item = dynamodb.get_item(TableName=MESSAGES, Key=_message(conversation, "a"))["Item"]
    assert item == {**_message(conversation, "a"), "text": {"S": "hi"}}
    assert user not in _stream_keys(local_cloud)


def test_two_writes_to_one_item_are_refused(local_cloud: RunningCloud) -> None:
    dynamodb = local_cloud.client("dynamodb")
    key = _message("tx-" + secrets.token_hex(4), "a")
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": MESSAGES, "Item": key}},
                {"Delete": {"TableName": MESSAGES, "Key": key}},
            ]
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "Item" not in dynamodb.get_item(TableName=MESSAGES, Key=key)


# -- single-item writes under concurrency ------------------------------------------------------

COUNTERS = "glimpse-local-rate-limits"  # any table with a plain string key would do
BURST = 40


def _burst(cloud: RunningCloud, write: Callable[[Any], None], threads: int = BURST) -> int:
    """Runs ``write(client)`` from ``threads`` threads released at once; how many succeeded
    (a ConditionalCheckFailedException is a refusal, anything else fails the test)."""
    client = cloud.boto3_session().client(
        "dynamodb",
        endpoint_url=cloud.endpoint_url,
        config=Config(max_pool_connections=threads, retries={"max_attempts": 1}),
    )
    start = threading.Barrier(threads)

    def one() -> bool:
        start.wait()
        try:
            write(client)
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(lambda _: one(), range(threads)))


def test_a_conditional_add_reserves_exactly_as_many_attempts_as_the_condition_allows(
    local_cloud: RunningCloud,
) -> None:
    # The login lockout's reservation (core/ratelimit.py): ADD 1 only while the count < max.
    # moto checks the condition and then writes; if two requests interleaved there, more
    # than max would pass.
    subject = {"key": {"S": "burst-" + secrets.token_hex(4)}}

    def reserve(client: Any) -> None:
        client.update_item(
            TableName=COUNTERS,
            Key=subject,
            UpdateExpression="ADD tries :one",
            ConditionExpression="attribute_not_exists(tries) OR tries < :max",
            ExpressionAttributeValues={":one": {"N": "1"}, ":max": {"N": "5"}},
        )

    assert _burst(local_cloud, reserve) == 5
    item = local_cloud.client("dynamodb").get_item(TableName=COUNTERS, Key=subject)
    assert item["Item"]["tries"] == {"N": "5"}


def test_concurrent_adds_to_one_counter_lose_no_increment(local_cloud: RunningCloud) -> None:
    subject = {"key": {"S": "counter-" + secrets.token_hex(4)}}

    def add(client: Any) -> None:
        client.update_item(
            TableName=COUNTERS,
            Key=subject,
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    assert _burst(local_cloud, add) == BURST
    item = local_cloud.client("dynamodb").get_item(TableName=COUNTERS, Key=subject)
    assert item["Item"]["n"] == {"N": str(BURST)}


def test_a_conditional_put_and_a_conditional_delete_each_succeed_once(
    local_cloud: RunningCloud,
) -> None:
    subject = {"key": {"S": "claim-" + secrets.token_hex(4)}}

    def claim(client: Any) -> None:
        client.put_item(
            TableName=COUNTERS,
            Item={**subject, "owner": {"S": "me"}},
            ConditionExpression="attribute_not_exists(#k)",
            ExpressionAttributeNames={"#k": "key"},
        )

    def release(client: Any) -> None:
        client.delete_item(
            TableName=COUNTERS,
            Key=subject,
            ConditionExpression="attribute_exists(#k)",
            ExpressionAttributeNames={"#k": "key"},
        )

    assert _burst(local_cloud, claim) == 1
    assert _burst(local_cloud, release) == 1


def test_the_write_lock_holds_when_threads_switch_between_every_check_and_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Against the emulator a thread switch inside one update is rare, so the burst above
    # would mostly pass even without the lock. Here, in-process, the interpreter switches
    # threads every microsecond: moto's own update_item then let up to 17 of 40 reservations
    # through (and counted 7). With the emulator's lock, exactly 5, every round.
    from moto.dynamodb.exceptions import ConditionalCheckFailed
    from moto.dynamodb.models import DynamoDBBackend

    from local_cloud import moto_server

    for name in moto_server.ITEM_WRITES:
        monkeypatch.setattr(
            DynamoDBBackend, name, moto_server.serialised(getattr(DynamoDBBackend, name))
        )
    backend = DynamoDBBackend("us-east-1", "123456789012")
    backend.create_table(
        "attempts",
        schema=[{"AttributeName": "subject", "KeyType": "HASH"}],
        throughput=None,
        attr=[{"AttributeName": "subject", "AttributeType": "S"}],
        global_indexes=None,
        indexes=None,
        streams=None,
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=None,
        warm_throughput=None,
    )
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for round in range(10):
            key = {"subject": {"S": f"round-{round}"}}
            start = threading.Barrier(BURST)

            def reserve(_: int, key: dict = key, start: threading.Barrier = start) -> bool:
                start.wait()
                try:
                    backend.update_item(
                        "attempts",
                        key,
                        "ADD tries :one",
                        None,
                        {":one": {"N": "1"}, ":max": {"N": "5"}},
                        condition_expression="attribute_not_exists(tries) OR tries < :max",
                    )
                except ConditionalCheckFailed:
                    return False
                return True

            with ThreadPoolExecutor(BURST) as pool:
                assert sum(pool.map(reserve, range(BURST))) == 5
            assert backend.get_item("attempts", key).attrs["tries"].value == "5"
    finally:
        sys.setswitchinterval(interval)
