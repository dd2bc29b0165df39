"""The job's interactions, read incrementally: the snapshot of the last run plus the log
batches the stream wrote since (chalicelib/interactions/log.py), folded into a new snapshot.

No Scan of the interactions table each hour: a run reads one snapshot (codes in an .npz, ids
in two text objects) and the few batches written since, then deletes those batches. Only
the very first run, with no snapshot yet, reads the table once to start one.

Rows older than ``KEEP_DAYS`` (the table's own TTL) and rows whose user or post id was
erased (an empty line in the ids, chalicelib/interactions/log.py) are dropped when folding.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable

import model
import numpy as np

PREFIX = "recommender/interactions/"
LOG = PREFIX + "log/"
SNAPSHOT, USERS, POSTS = PREFIX + "snapshot.npz", PREFIX + "users.txt", PREFIX + "posts.txt"
KEEP_DAYS = 90


def read(
    s3,  # noqa: ANN001
    bucket: str,
    now_ms: int,
    bootstrap: Callable[[], Iterable[dict]],
    fold: bool = True,
) -> tuple[model.Log, dict[str, int]]:
    """The log to fit on, and what was read (batches, rows new, rows kept). With ``fold``
    the batches become part of the stored snapshot and are deleted; without (a shard of a
    run that just folded) the snapshot is only read."""
    stored = _snapshot(s3, bucket)
    keys = _batches(s3, bucket) if fold else []
    fresh: list[dict] = []
    if stored is None:
        fresh.extend(bootstrap())
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        fresh.extend(json.loads(line) for line in body.split("\n") if line.strip())
    fresh = [row for row in fresh if row.get("item_type", "post") == "post"]
    log = _combined(stored, fresh, now_ms)
    if fold:
        _store(s3, bucket, log)
        for first in range(0, len(keys), 1000):
            s3.delete_objects(
                Bucket=bucket,
                Delete={"Objects": [{"Key": key} for key in keys[first : first + 1000]]},
            )
    return log, {"batches": len(keys), "new": len(fresh), "kept": len(log.at)}


def _snapshot(s3, bucket: str) -> model.Log | None:  # noqa: ANN001
    try:
        codes = s3.get_object(Bucket=bucket, Key=SNAPSHOT)["Body"].read()
        users = s3.get_object(Bucket=bucket, Key=USERS)["Body"].read().decode().split("\n")
        posts = s3.get_object(Bucket=bucket, Key=POSTS)["Body"].read().decode().split("\n")
    except s3.exceptions.NoSuchKey:
        return None
    with np.load(io.BytesIO(codes)) as columns:
        return model.Log(
            columns["user"], columns["post"], columns["weight"], columns["at"], users, posts
        )


def _batches(s3, bucket: str) -> list[str]:  # noqa: ANN001
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=LOG):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return sorted(keys)


def _combined(stored: model.Log | None, fresh: list[dict], now_ms: int) -> model.Log:
    """The stored columns and the new rows in one log, expired and erased rows dropped and
    the ids renumbered to those still used."""
    new = model.Log.of(fresh)
    if stored is None:
        stored = model.Log.of([])
    user_ids, old_users, new_users = _unified(stored.users, new.users)
    post_ids, old_posts, new_posts = _unified(stored.posts, new.posts)
    user = np.concatenate([old_users[stored.user], new_users[new.user]])
    post = np.concatenate([old_posts[stored.post], new_posts[new.post]])
    weight = np.concatenate([stored.weight, new.weight])
    at = np.concatenate([stored.at, new.at])
    keep = (at >= now_ms - KEEP_DAYS * model.DAY_MS) & (user >= 0) & (post >= 0)
    user, post, weight, at = user[keep], post[keep], weight[keep], at[keep]
    used_users, user = np.unique(user, return_inverse=True)
    used_posts, post = np.unique(post, return_inverse=True)
    return model.Log(
        user.astype(np.int32),
        post.astype(np.int32),
        weight.astype(np.float32),
        at.astype(np.int64),
        [user_ids[u] for u in used_users.tolist()],
        [post_ids[p] for p in used_posts.tolist()],
    )


def _unified(old: list[str], new: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """One numbering for the snapshot's ids and the new batches' (an id in both gets one
    code); an erased id (empty) maps to -1."""
    index: dict[str, int] = {}
    old_codes = np.array([index.setdefault(i, len(index)) if i else -1 for i in old] + [-1])
    new_codes = np.array([index.setdefault(i, len(index)) if i else -1 for i in new] + [-1])
    return list(index), old_codes, new_codes


def _store(s3, bucket: str, log: model.Log) -> None:  # noqa: ANN001
    buffer = io.BytesIO()
    np.savez(buffer, user=log.user, post=log.post, weight=log.weight, at=log.at)
    s3.put_object(Bucket=bucket, Key=SNAPSHOT, Body=buffer.getvalue())
    s3.put_object(Bucket=bucket, Key=USERS, Body="\n".join(log.users).encode())
    s3.put_object(Bucket=bucket, Key=POSTS, Body="\n".join(log.posts).encode())
