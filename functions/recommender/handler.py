"""The recommender job: read the signals, fit, write every user's explore list and suggestions.

Fired hourly by the EventBridge rule in infra/template.yaml (locally by the bus's scheduler,
or on demand: ``python -m local_cloud invoke RecommenderFunction``). An event may carry
``{"shard": i, "shards": n}`` to score one slice of the users with the model another
invocation wrote to S3: how the job grows past one invocation (docs/recommender.md).
"""

from __future__ import annotations

import io
import json
import time
import zlib
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import model
import numpy as np
from scipy import sparse

from chalicelib import interactions
from chalicelib.clients import client
from chalicelib.recommendations import TRENDING
from chalicelib.settings import settings
from chalicelib.tables import Block, Follow, Interaction, Post, Recommendation, User

KEEP_FOR = timedelta(days=2)
# Users one invocation scores (from bench/recommender: 100k users' scoring takes minutes).
USERS_PER_SHARD = 50_000


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A schedule event: fit, then score everyone, or fan the scoring out in shards. An SQS
    event: shard messages (``{"shard", "shards"}``), scored with the stored model."""
    if "Records" in event:
        return {"shards": [run(json.loads(r["body"])) for r in event["Records"]]}
    return run(event)


def run(event: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    now = int(time.time() * 1000)
    sharded = "shard" in event
    rows = [interactions.as_dict(item) for item in Interaction.scan()]
    data = model.build(rows, now)
    posts = {p.post_id: p for p in Post.scan(attributes_to_get=["post_id", "author_id",
                                                                "status"])}  # fmt: skip
    authors = {post_id: p.author_id for post_id, p in posts.items()}
    # Only ready posts are recommended (read time re-checks visibility anyway).
    keep = np.array([posts.get(p) is not None and posts[p].status == "ready"
                     for p in data.posts], dtype=bool)  # fmt: skip
    if keep.size:
        data.matrix = data.matrix @ sparse.diags(keep.astype(np.float32))
    similar = _load_model(data.posts) if sharded else None
    if similar is None:
        similar = model.similarities(data.matrix)
        _save_model(similar, data.posts)
    shards = int(event.get("shards") or max(1, -(-len(data.users) // USERS_PER_SHARD)))
    if not sharded and shards > 1 and settings().recommender_shard_queue_url:
        # Too many users for one invocation to score: one message per shard, each scored
        # by a parallel invocation with the model just written to S3.
        queue = client("sqs")
        for first in range(0, shards, 10):
            queue.send_message_batch(QueueUrl=settings().recommender_shard_queue_url, Entries=[
                {"Id": str(n), "MessageBody": json.dumps({"shard": n, "shards": shards})}
                for n in range(first, min(first + 10, shards))])  # fmt: skip
        return {"users": len(data.users), "shards_sent": shards,
                "seconds": round(time.monotonic() - started, 2)}  # fmt: skip
    shard, shards = int(event.get("shard", 0)), shards if sharded else 1
    rows_here = [r for r, u in enumerate(data.users) if _in_shard(u, shard, shards)]
    explore = model.recommend(data, similar, authors, rows_here)
    follows: dict[str, set[str]] = defaultdict(set)
    for edge in Follow.scan(attributes_to_get=["follower_id", "followee_id"]):
        follows[edge.follower_id].add(edge.followee_id)
    blocked = {(b.blocker_id, b.blocked_id) for b in Block.scan(
        attributes_to_get=["blocker_id", "blocked_id"])}  # fmt: skip
    engaged = model.engaged_authors(data, authors)
    names = {u.user_id: u.username for u in User.scan(attributes_to_get=["user_id", "username"])}

    expires = datetime.now(UTC) + KEEP_FOR
    written = 0
    with Recommendation.batch_write() as batch:
        for user, picked in explore.items():
            batch.save(Recommendation(user, "explore", computed_at=now, expires_at=expires,
                                      items=_explore_items(picked, authors)))  # fmt: skip
            written += 1
        if shard == 0:
            trending = model.trending_for_newcomers(data)
            batch.save(Recommendation(TRENDING, "explore", computed_at=now, expires_at=expires,
                                      items=_explore_items(trending, authors)))  # fmt: skip
        for user in names:
            if not _in_shard(user, shard, shards):
                continue
            suggestions = model.suggest_accounts(user, follows, engaged, blocked)
            batch.save(Recommendation(user, "users", computed_at=now, expires_at=expires,
                                      items=[{"id": c, "score": round(s, 4),
                                              "reason": _reason(r, names)}
                                             for c, s, r in suggestions]))  # fmt: skip
    return {"users": len(data.users), "posts": len(data.posts), "interactions": len(rows),
            "explore_lists": written, "seconds": round(time.monotonic() - started, 2)}


def _in_shard(user_id: str, shard: int, shards: int) -> bool:
    return zlib.crc32(user_id.encode()) % shards == shard


def _explore_items(picked: list, authors: dict[str, str]) -> list[dict[str, Any]]:
    return [{"id": post_id, "author_id": authors.get(post_id, ""), "score": round(score, 4),
             "because": because} for post_id, score, because in picked
            if authors.get(post_id)]  # fmt: skip


def _reason(raw: str, names: dict[str, str]) -> str:
    if raw.startswith("followed by:"):
        return f"followed by {names.get(raw.split(':', 1)[1], 'someone you follow')}"
    return "people like you engage with their posts"


def _load_model(post_ids: list[str]) -> sparse.csr_matrix | None:
    """The stored similarities, re-indexed to this invocation's posts (None if none)."""
    bucket = settings().models_bucket
    if not bucket:
        return None
    s3 = client("s3")
    try:
        stored = sparse.load_npz(io.BytesIO(s3.get_object(
            Bucket=bucket, Key="recommender/similarities.npz")["Body"].read())).tocsr()
        order = s3.get_object(Bucket=bucket, Key="recommender/posts.txt")["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    position = {post: n for n, post in enumerate(order.decode().split("\n"))}
    here = np.array([position.get(post, -1) for post in post_ids])
    known = here >= 0
    pick = sparse.csr_matrix((np.ones(known.sum()), (np.flatnonzero(known), here[known])),
                             shape=(len(post_ids), stored.shape[0]))  # fmt: skip
    return (pick @ stored @ pick.T).tocsr()


def _save_model(similar: sparse.csr_matrix, post_ids: list[str]) -> None:
    bucket = settings().models_bucket
    if not bucket:
        return
    buffer = io.BytesIO()
    sparse.save_npz(buffer, similar)
    client("s3").put_object(Bucket=bucket, Key="recommender/similarities.npz",
                            Body=buffer.getvalue())  # fmt: skip
    client("s3").put_object(Bucket=bucket, Key="recommender/posts.txt",
                            Body="\n".join(post_ids).encode())  # fmt: skip
