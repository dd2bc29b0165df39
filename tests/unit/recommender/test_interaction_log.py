"""The job's incremental read: a stored snapshot plus the log batches since, folded."""

from __future__ import annotations

import io
import json

import interaction_log
import model

DAY = 86_400_000


class NoSuchKey(Exception):
    pass


class Bucket:
    """The few S3 calls interaction_log makes, on a dict."""

    class exceptions:  # noqa: N801 - boto3's spelling
        NoSuchKey = NoSuchKey

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def get_object(self, Bucket: str, Key: str) -> dict:  # noqa: N803
        if Key not in self.objects:
            raise NoSuchKey(Key)
        return {"Body": io.BytesIO(self.objects[Key])}

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:  # noqa: N803
        self.objects[Key] = Body

    def delete_objects(self, Bucket: str, Delete: dict) -> None:  # noqa: N803
        for item in Delete["Objects"]:
            del self.objects[item["Key"]]

    def get_paginator(self, name: str):  # noqa: ANN201
        bucket = self

        class Pages:
            def paginate(self, Bucket: str, Prefix: str) -> list[dict]:  # noqa: N803
                keys = sorted(k for k in bucket.objects if k.startswith(Prefix))
                return [{"Contents": [{"Key": k} for k in keys]}]

        return Pages()


def batch(s3: Bucket, name: str, rows: list[tuple[str, str, int]]) -> None:
    lines = [
        json.dumps({"user_id": u, "item_type": "post", "item_id": p, "weight": 3.0, "at": at})
        for u, p, at in rows
    ]
    s3.put_object("b", interaction_log.LOG + name, "\n".join(lines).encode())


def pairs(log: model.Log) -> set[tuple[str, str]]:
    return {(log.users[u], log.posts[p]) for u, p in zip(log.user, log.post, strict=True)}


def test_a_run_reads_only_the_new_batches_and_folds_them() -> None:
    s3, scanned = Bucket(), []

    def scan() -> list[dict]:
        scanned.append(1)
        return [{"user_id": "a", "item_type": "post", "item_id": "x", "weight": 3.0, "at": 0}]

    first, read = interaction_log.read(s3, "b", 0, scan)
    assert pairs(first) == {("a", "x")} and scanned == [1]  # no snapshot yet: one Scan
    batch(s3, "1.jsonl", [("b", "x", DAY), ("a", "y", DAY)])
    second, read = interaction_log.read(s3, "b", DAY, scan)
    assert scanned == [1] and read == {"batches": 1, "new": 2, "kept": 3}
    assert pairs(second) == {("a", "x"), ("b", "x"), ("a", "y")}
    assert not [k for k in s3.objects if k.startswith(interaction_log.LOG)]  # folded


def test_expired_and_erased_rows_are_dropped_when_folding() -> None:
    s3 = Bucket()
    interaction_log.read(s3, "b", 0, lambda: [])
    batch(s3, "1.jsonl", [("a", "x", 0), ("gone", "y", 100 * DAY), ("b", "z", 100 * DAY)])
    interaction_log.read(s3, "b", 100 * DAY, lambda: [])
    # Erasure (chalicelib/interactions/log.py) blanks the ids in the stored lists.
    users = s3.objects[interaction_log.USERS].decode().split("\n")
    s3.objects[interaction_log.USERS] = "\n".join("" if u == "gone" else u for u in users).encode()
    log, _ = interaction_log.read(s3, "b", 100 * DAY, lambda: [])
    assert pairs(log) == {("b", "z")}  # a's row expired (90 days), gone's erased
    assert "gone" not in s3.objects[interaction_log.USERS].decode().split("\n")
