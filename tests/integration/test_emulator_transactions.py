"""The emulator's TransactWriteItems (local_cloud/moto_server.py): all or nothing, with the
reasons DynamoDB gives, and nothing left in the table or its stream by a transaction that
did not go through."""

from __future__ import annotations

import secrets

import pytest
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
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
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
    dynamodb.transact_write_items(TransactItems=[
        {"Put": {"TableName": MESSAGES, "Item": _message(conversation, "b"),
                 "ConditionExpression": "attribute_not_exists(message_id)"}},
        {"Update": {"TableName": MESSAGES, "Key": _message(conversation, "a"),
                    "UpdateExpression": "ADD n :one", "ConditionExpression": "n = :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
    ])  # fmt: skip
    items = dynamodb.query(TableName=MESSAGES, KeyConditionExpression="conversation_id = :c",
                           ExpressionAttributeValues={":c": {"S": conversation}})["Items"]
    assert [(i["message_id"]["S"], i.get("n", {}).get("N")) for i in items] == [
        ("a", "2"), ("b", None)]  # fmt: skip


def test_one_failed_condition_cancels_all_and_says_which(local_cloud: RunningCloud) -> None:
    dynamodb = local_cloud.client("dynamodb")
    conversation, user = "tx-" + secrets.token_hex(4), "tx-" + secrets.token_hex(4)
    dynamodb.put_item(TableName=MESSAGES, Item=_message(conversation, "taken"))
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": USERS, "Item": {"user_id": {"S": user}}}},
            {"Put": {"TableName": MESSAGES, "Item": _message(conversation, "taken"),
                     "ConditionExpression": "attribute_not_exists(message_id)"}},
            {"Delete": {"TableName": MESSAGES, "Key": _message(conversation, "other")}},
        ])  # fmt: skip
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
    dynamodb.put_item(TableName=MESSAGES, Item={**_message(conversation, "a"),
                                                "text": {"S": "hi"}})  # fmt: skip
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": USERS, "Item": {"user_id": {"S": user}}}},
            {"Update": {"TableName": MESSAGES, "Key": _message(conversation, "a"),
                        "UpdateExpression": "SET seen = :yes ADD #text :one",
                        "ExpressionAttributeNames": {"#text": "text"},
                        "ExpressionAttributeValues": {":one": {"N": "1"},
                                                      ":yes": {"BOOL": True}}}},
        ])  # fmt: skip
    assert "Item" not in dynamodb.get_item(TableName=USERS, Key={"user_id": {"S": user}})
    item = dynamodb.get_item(TableName=MESSAGES, Key=_message(conversation, "a"))["Item"]
    assert item == {**_message(conversation, "a"), "text": {"S": "hi"}}
    assert user not in _stream_keys(local_cloud)


def test_two_writes_to_one_item_are_refused(local_cloud: RunningCloud) -> None:
    dynamodb = local_cloud.client("dynamodb")
    key = _message("tx-" + secrets.token_hex(4), "a")
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": MESSAGES, "Item": key}},
            {"Delete": {"TableName": MESSAGES, "Key": key}},
        ])  # fmt: skip
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "Item" not in dynamodb.get_item(TableName=MESSAGES, Key=key)
