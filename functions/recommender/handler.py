"""The recommender job: read the signals, fit, write every user's explore list and suggestions.

Its interactions come from the snapshot the last run stored and the log batches the
interactions stream wrote since (interaction_log.py), not from a Scan of the table.

Fired hourly by the EventBridge rule in infra/template.yaml (locally by the bus's scheduler,
or on demand: ``python -m local_cloud invoke RecommenderFunction``). An event may carry
``{"shard": i, "shards": n}`` to score one slice of the users with the model another
invocation wrote to S3: how the job grows past one invocation (docs/recommender.md). With
``{"step": "fit"}`` (the first state of RecommenderStateMachine) it fits, stores the model and
returns the shards for the state machine's distributed map instead of scoring.
"""

from __future__ import annotations

import io
import json
import time
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import accounts
import interaction_log
import model
import numpy as np
import ranking
import tuning
from scipy import sparse

from chalicelib.core.clients import client
from chalicelib.core.settings import settings
from chalicelib.graph.models import Block, Follow
from chalicelib.interactions import feedback
from chalicelib.interactions.models import Interaction
from chalicelib.posts.models import Post
from chalicelib.recommendations.models import TRENDING, Recommendation

KEEP_FOR = timedelta(days=2)
# Posts this new have had no time to gather signals: some get explore slots anyway.
FRESH_FOR_MS = 6 * 3600 * 1000
FRESH_POSTS = 20
# Users one invocation scores (bench/recommender --scale: 1M users' model and lists, 50M
# interactions, took 240 s and 4.1 GB here; the fit is not split, so it is the log's size,
# ~100M interactions in 8.1 GB and 515 s, that bounds one invocation: docs/recommender.md).
USERS_PER_SHARD = 500_000
# The settings are re-chosen on the log (tuning.py: a dozen fits) once a day, not hourly: a
# day's interactions move the choice little, and the hourly fit stays one fit.
TUNE_EVERY_MS = 24 * 3600 * 1000
PARAMS_KEY = "recommender/params.json"


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
    log, read = _interactions(now, fold=not sharded)
    params, tuned = _params(log, now, may_tune=not sharded)
    data = model.build(log, now, params.half_life_days)
    posts = {
        p.post_id: p
        for p in Post.scan(attributes_to_get=["post_id", "author_id", "status", "created_at"])
    }
    authors = {post_id: p.author_id for post_id, p in posts.items()}
    # Only ready posts are recommended (read time re-checks visibility anyway).
    keep = np.array(
        [posts.get(p) is not None and posts[p].status == "ready" for p in data.posts], dtype=bool
    )
    if keep.size:
        data.matrix = (data.matrix @ sparse.diags(keep.astype(np.float32))).tocsr()
        data.matrix.eliminate_zeros()
        data.recent = data.recent * keep  # nor do others trend
    similar = _load_model(data.posts) if sharded else None
    if similar is None:
        similar = model.fit(data.matrix, params)
        _save_model(similar, data.posts)
    shards = int(event.get("shards") or max(1, -(-len(data.users) // USERS_PER_SHARD)))
    if event.get("step") == "fit":
        # The state machine's first step (RecommenderStateMachine, infra/template.yaml): the
        # model is in S3, and its distributed map invokes one scoring per item returned.
        return {
            "users": len(data.users),
            "shards": [{"shard": n, "shards": shards} for n in range(shards)],
            "seconds": round(time.monotonic() - started, 2),
        }
    if not sharded and shards > 1 and settings().recommender_shard_queue_url:
        # Too many users for one invocation to score: one message per shard, each scored
        # by a parallel invocation with the model just written to S3.
        queue = client("sqs")
        for first in range(0, shards, 10):
            queue.send_message_batch(
                QueueUrl=settings().recommender_shard_queue_url,
                Entries=[
                    {"Id": str(n), "MessageBody": json.dumps({"shard": n, "shards": shards})}
                    for n in range(first, min(first + 10, shards))
                ],
            )
        return {
            "users": len(data.users),
            "shards_sent": shards,
            "seconds": round(time.monotonic() - started, 2),
        }
    shard, shards = int(event.get("shard", 0)), shards if sharded else 1
    rows_here = [r for r, u in enumerate(data.users) if _in_shard(u, shard, shards)]
    explore = ranking.explore_lists(data, similar, authors, rows_here)
    fresh = _fresh(posts, now)
    passed = _passed(data, fresh)
    follows: dict[str, set[str]] = defaultdict(set)
    for edge in Follow.scan(attributes_to_get=["follower_id", "followee_id"]):
        follows[edge.follower_id].add(edge.followee_id)
    blocked = {
        (b.blocker_id, b.blocked_id)
        for b in Block.scan(attributes_to_get=["blocker_id", "blocked_id"])
    }
    engaged = accounts.engaged_authors(data, authors)
    # Whom to suggest for: everyone who follows someone or engaged with something. Anyone
    # else would get an empty list, which the API answers without an item anyway: no Scan of
    # the users table, and no write per idle account.
    users = sorted(set(follows) | set(data.users))

    expires = datetime.now(UTC) + KEEP_FOR
    written = 0
    with Recommendation.batch_write() as batch:
        for user, picked in explore:
            mine = [p for p in fresh if authors[p] != user and (user, p) not in passed]
            picked = ranking.with_fresh(picked, mine, authors)
            batch.save(
                Recommendation(
                    user,
                    "explore",
                    computed_at=now,
                    expires_at=expires,
                    items=_explore_items(picked, authors),
                )
            )
            written += 1
        if shard == 0:
            trending = [(*pick, "trending") for pick in model.trending_for_newcomers(data)]
            trending = ranking.with_fresh(trending, fresh, authors)
            batch.save(
                Recommendation(
                    TRENDING,
                    "explore",
                    computed_at=now,
                    expires_at=expires,
                    items=_explore_items(trending, authors),
                )
            )
        for user in users:
            if not _in_shard(user, shard, shards):
                continue
            suggestions = accounts.suggest_accounts(user, follows, engaged, blocked)
            batch.save(
                Recommendation(
                    user,
                    "users",
                    computed_at=now,
                    expires_at=expires,
                    items=[
                        {"id": c, "score": round(s, 4), **_reason(r)} for c, s, r in suggestions
                    ],
                )
            )
    return {
        "users": len(data.users),
        "posts": len(data.posts),
        "interactions": len(log.at),
        "log": read,
        "params": {**asdict(params), "tuned_now": tuned},
        "explore_lists": written,
        "seconds": round(time.monotonic() - started, 2),
    }


def _interactions(now: int, fold: bool) -> tuple[model.Log, dict[str, Any]]:
    """The snapshot and the log batches since (interaction_log); the table is Scanned only
    without a models bucket, or once to start the first snapshot."""

    def scan() -> Iterator[dict[str, Any]]:
        return (feedback.as_dict(item) for item in Interaction.scan())

    bucket = settings().models_bucket
    if not bucket:
        return model.Log.of(scan()), {"scanned": True}
    return interaction_log.read(client("s3"), bucket, now, scan, fold)


def _params(log: model.Log, now: int, may_tune: bool) -> tuple[model.Params, bool]:
    """The settings stored with the model, re-chosen on this log when a day old (or absent);
    a shard only reads them. Whether they were chosen now is the second value."""
    bucket = settings().models_bucket
    stored = None
    if bucket:
        s3 = client("s3")
        try:
            stored = json.loads(s3.get_object(Bucket=bucket, Key=PARAMS_KEY)["Body"].read())
        except s3.exceptions.NoSuchKey:
            stored = None
    if stored and (not may_tune or now - int(stored["chosen_at"]) < TUNE_EVERY_MS):
        # Only the fields this code knows: a choice stored by an older image still loads.
        known = {f.name for f in fields(model.Params)}
        kept = {k: v for k, v in stored["params"].items() if k in known}
        return replace(model.PARAMS, **kept), False
    if not may_tune:
        return model.PARAMS, False
    chosen, _ = tuning.tune(log)
    if bucket:
        body = json.dumps({"chosen_at": now, "params": asdict(chosen)}).encode()
        client("s3").put_object(Bucket=bucket, Key=PARAMS_KEY, Body=body)
    return chosen, True


def _in_shard(user_id: str, shard: int, shards: int) -> bool:
    return zlib.crc32(user_id.encode()) % shards == shard


def _fresh(posts: dict[str, Post], now: int) -> list[str]:
    """The newest ready posts of the last hours, newest first."""
    recent = [
        p
        for p in posts.values()
        if p.status == "ready" and p.created_at and now - int(p.created_at) <= FRESH_FOR_MS
    ]
    recent.sort(key=lambda p: -int(p.created_at))
    return [p.post_id for p in recent[:FRESH_POSTS]]


def _passed(data: model.Interactions, fresh: list[str]) -> set[tuple[str, str]]:
    """(user, post) for the fresh posts each user already engaged with or hid: few posts,
    so a set of pairs is cheaper than the matrices."""
    column = {post: c for c, post in enumerate(data.posts)}
    wanted = [column[p] for p in fresh if p in column]
    pairs = set()
    for matrix in (data.matrix, data.hidden):
        touched = matrix.tocsc()[:, wanted].tocoo()
        pairs |= {
            (data.users[r], data.posts[wanted[c]])
            for r, c in zip(touched.row.tolist(), touched.col.tolist(), strict=True)
        }
    return pairs


def _explore_items(picked: list, authors: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": post_id,
            "author_id": authors.get(post_id, ""),
            "score": round(score, 4),
            "because": because,
            "source": source,
        }
        for post_id, score, because, source in picked
        if authors.get(post_id)
    ]


def _reason(raw: str) -> dict[str, str]:
    """Why an account is suggested, as ids: the API words it at read time, naming the friend
    only to a viewer who may see whom the friend follows (chalicelib.recommendations)."""
    if raw.startswith("followed by:"):
        return {"reason": "followed_by", "via": raw.split(":", 1)[1]}
    return {"reason": "engaged"}


def _load_model(post_ids: list[str]) -> sparse.csr_matrix | None:
    """The stored similarities, re-indexed to this invocation's posts (None if none)."""
    bucket = settings().models_bucket
    if not bucket:
        return None
    s3 = client("s3")
    try:
        stored = sparse.load_npz(
            io.BytesIO(
                s3.get_object(Bucket=bucket, Key="recommender/similarities.npz")["Body"].read()
            )
        ).tocsr()
        order = s3.get_object(Bucket=bucket, Key="recommender/posts.txt")["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    position = {post: n for n, post in enumerate(order.decode().split("\n"))}
    here = np.array([position.get(post, -1) for post in post_ids])
    known = here >= 0
    pick = sparse.csr_matrix(
        (np.ones(known.sum()), (np.flatnonzero(known), here[known])),
        shape=(len(post_ids), stored.shape[0]),
    )
    return (pick @ stored @ pick.T).tocsr()


def _save_model(similar: sparse.csr_matrix, post_ids: list[str]) -> None:
    bucket = settings().models_bucket
    if not bucket:
        return
    buffer = io.BytesIO()
    sparse.save_npz(buffer, similar)
    client("s3").put_object(
        Bucket=bucket, Key="recommender/similarities.npz", Body=buffer.getvalue()
    )
    client("s3").put_object(
        Bucket=bucket, Key="recommender/posts.txt", Body="\n".join(post_ids).encode()
    )
