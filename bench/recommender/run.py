"""The recommender, offline: quality against baselines on a time split, and the job at scale.

    .venv/bin/python bench/recommender/run.py                 # quality, ~1 minute
    .venv/bin/python bench/recommender/run.py --scale         # + 100k users x 50k posts x 5M

Quality: a generated world where users and posts belong to latent tastes (mixtures of 20
topics), post popularity follows a power law and users' activity too. Interactions are
ordered in time; the last 20% are held out. Each method sees the first 80% and recommends 10
posts per user who has held-out interactions, excluding what they already engaged with:
precision@10, recall@10 and NDCG@10, with fit+score wall time, side by side — our item-item
model (functions/recommender/model.py), popularity, and implicit's ALS (benchmark-only).

Scale: the job's model steps (build, similarities, scoring every user) on 100,000 users x
50,000 posts x 5,000,000 interactions, wall time and peak memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY / "functions" / "recommender"))

import model  # noqa: E402

DAY_MS = 86_400_000


def world(users: int, posts: int, interactions: int, seed: int = 7) -> list[dict]:
    rng = np.random.default_rng(seed)
    topics = 20
    taste = rng.dirichlet(np.full(topics, 0.1), size=users)  # each user: a few topics
    topic_of = rng.integers(0, topics, size=posts)
    popularity = rng.pareto(1.2, size=posts) + 1
    by_topic = [np.flatnonzero(topic_of == t) for t in range(topics)]
    weights = [popularity[idx] / popularity[idx].sum() for idx in by_topic]
    activity = rng.pareto(1.5, size=users) + 1
    who = rng.choice(users, size=interactions, p=activity / activity.sum())
    rows = []
    kinds = np.array([0.5, 3.0, 4.0, 5.0])  # view, like, comment, save
    kind_p = np.array([0.6, 0.3, 0.05, 0.05])
    for n, user in enumerate(who):
        topic = rng.choice(topics, p=taste[user])
        post = by_topic[topic][rng.choice(len(by_topic[topic]), p=weights[topic])]
        rows.append({"user_id": f"u{user}", "item_type": "post", "item_id": f"p{post}",
                     "weight": float(rng.choice(kinds, p=kind_p)),
                     "at": n * 30 * DAY_MS // interactions})  # fmt: skip
    return rows


def split(rows: list[dict], share: float = 0.8) -> tuple[list[dict], dict[str, set[str]]]:
    cut = int(len(rows) * share)
    held: dict[str, set[str]] = {}
    for row in rows[cut:]:
        held.setdefault(row["user_id"], set()).add(row["item_id"])
    return rows[:cut], held


def metrics(recommended: dict[str, list[str]], held: dict[str, set[str]], k: int = 10):  # noqa: ANN201
    precision, recall, ndcg = [], [], []
    discounts = 1 / np.log2(np.arange(2, k + 2))
    for user, truth in held.items():
        got = recommended.get(user, [])[:k]
        hits = np.array([item in truth for item in got] + [False] * (k - len(got)))
        precision.append(hits.sum() / k)
        recall.append(hits.sum() / len(truth))
        ideal = discounts[: min(len(truth), k)].sum()
        ndcg.append((hits * discounts).sum() / ideal)
    return np.mean(precision), np.mean(recall), np.mean(ndcg)


def ours(train: list[dict], users: list[str]) -> dict[str, list[str]]:
    data = model.build(train, now_ms=train[-1]["at"])
    similar = model.similarities(data.matrix)
    index = {u: i for i, u in enumerate(data.users)}
    rows = [index[u] for u in users if u in index]
    return {u: [p for p, _, _ in picked] for u, picked in
            model.recommend(data, similar, {}, rows, top=10).items()}  # fmt: skip


def popularity(train: list[dict], users: list[str]) -> dict[str, list[str]]:
    data = model.build(train, now_ms=train[-1]["at"])
    ranked = [data.posts[i] for i, _ in model.trending(data, 500)]
    seen: dict[str, set[str]] = {}
    for row in train:
        seen.setdefault(row["user_id"], set()).add(row["item_id"])
    return {u: [p for p in ranked if p not in seen.get(u, set())][:10] for u in users}


def als(train: list[dict], users: list[str]) -> dict[str, list[str]] | None:
    try:
        from implicit.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    data = model.build(train, now_ms=train[-1]["at"])
    data.matrix.data = np.expm1(data.matrix.data)  # ALS does best on the raw weights
    # implicit runs its own threads and asks for BLAS's to be off; give it its best setting.
    with threadpool_limits(1, "blas"):
        fit = AlternatingLeastSquares(factors=64, regularization=0.05, iterations=15,
                                      random_state=7)  # fmt: skip
        fit.fit(data.matrix, show_progress=False)
    index = {u: i for i, u in enumerate(data.users)}
    rows = np.array([index[u] for u in users if u in index])
    ids, _ = fit.recommend(rows, data.matrix[rows], N=10, filter_already_liked_items=True)
    return {data.users[r]: [data.posts[i] for i in found] for r, found in zip(rows, ids,
                                                                          strict=True)}


def quality(users: int, posts: int, interactions: int, repeat: int) -> None:
    print(f"quality: {users:,} users x {posts:,} posts x {interactions:,} interactions, "
          f"time split 80/20; fit + score time is the median of {repeat} runs")  # fmt: skip
    train, held = split(world(users, posts, interactions))
    wanted = list(held)
    methods = {"item-item (ours)": ours, "popularity": popularity, "implicit ALS": als}
    times: dict[str, list[float]] = {name: [] for name in methods}
    results = {}
    # Round-robin, so that neither warm caches nor a busy moment favour one method.
    for _ in range(repeat):
        for name, method in methods.items():
            start = time.perf_counter()
            recommended = method(train, wanted)
            times[name].append(time.perf_counter() - start)
            if recommended is not None:
                results[name] = metrics(recommended, held)
    if "implicit ALS" not in results:
        print("implicit is not installed: pip install -r requirements-dev.txt")
    base_ndcg = results["item-item (ours)"][2]
    base_time = statistics.median(times["item-item (ours)"])
    print(f"{'method':<20}{'P@10':>8}{'R@10':>8}{'NDCG@10':>9}{'NDCG ratio':>12}"
          f"{'seconds':>9}{'time ratio':>12}")  # fmt: skip
    for name, (p, r, n) in results.items():
        seconds = statistics.median(times[name])
        print(f"{name:<20}{p:>8.4f}{r:>8.4f}{n:>9.4f}{n / base_ndcg:>11.2f}x"
              f"{seconds:>9.2f}{seconds / base_time:>11.2f}x")  # fmt: skip


def scale() -> None:
    print("\nscale: 100,000 users x 50,000 posts x 5,000,000 interactions")
    rng = np.random.default_rng(3)
    n, users, posts = 5_000_000, 100_000, 50_000
    user_ids = (rng.pareto(1.5, n) * 3000).astype(np.int64) % users
    post_ids = (rng.pareto(1.2, n) * 2000).astype(np.int64) % posts
    start = time.perf_counter()
    rows = [{"user_id": f"u{u}", "item_type": "post", "item_id": f"p{p}", "weight": 3.0,
             "at": i} for i, (u, p) in enumerate(zip(user_ids, post_ids, strict=True))]
    made = time.perf_counter() - start
    start = time.perf_counter()
    data = model.build(rows, now_ms=n)
    built = time.perf_counter() - start
    start = time.perf_counter()
    similar = model.similarities(data.matrix)
    fitted = time.perf_counter() - start
    start = time.perf_counter()
    model.recommend(data, similar, {}, top=50)
    scored = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows made {made:.0f} s (the job reads them from DynamoDB instead)")
    print(f"build {built:.0f} s, similarities {fitted:.0f} s, score every user {scored:.0f} s; "
          f"total model time {built + fitted + scored:.0f} s; peak memory {peak:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument("--posts", type=int, default=3_000)
    parser.add_argument("--interactions", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", action="store_true")
    args = parser.parse_args()
    quality(args.users, args.posts, args.interactions, args.repeat)
    if args.scale:
        scale()


if __name__ == "__main__":
    main()
