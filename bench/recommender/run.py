"""The recommender, offline: every method on every world in one run, and the job at scale.

    .venv/bin/pip install -r requirements-dev.txt              # implicit, the baselines
    .venv/bin/python bench/recommender/run.py                  # quality, a few minutes
    .venv/bin/python bench/recommender/run.py --scale          # + 100k users x 50k posts x 5M

Quality, per world (worlds.py): interactions in time order, the last 20% held out. Each
method's hyper-parameters are chosen on a validation split inside the training 80% (its first
80% fits, the rest validates, by NDCG@10); the chosen setting is refitted on the whole
training part and scored once on the hold-out: NDCG@10 and recall@10 over users with held-out
posts they had not engaged with before, 10 posts each, what they engaged with excluded.
Methods: popularity, implicit's ALS on bm25-weighted confidences, implicit's BM25 item-KNN,
and ours (functions/recommender: model.py + ranking.py, exactly what the job runs).

Scale (a child process, so its peak memory is its own): the job's steps from the stored
interaction log (columns in an .npz, as the job keeps it) to every user's top 50 serialised
as the items the job writes.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time

import methods
import numpy as np
import worlds


def metrics(found: dict[int, list[int]], truth: dict[int, set[int]]) -> tuple[float, float]:
    discounts = 1 / np.log2(np.arange(2, methods.K + 2))
    ndcg, recall = [], []
    for user, wanted in truth.items():
        got = found.get(user, [])[: methods.K]
        hits = np.array([p in wanted for p in got] + [False] * (methods.K - len(got)))
        ndcg.append((hits * discounts).sum() / discounts[: min(len(wanted), methods.K)].sum())
        recall.append(hits.sum() / min(len(wanted), methods.K))
    return float(np.mean(ndcg)), float(np.mean(recall))


def split(log: dict, share: float = 0.8) -> tuple[dict, dict[int, set[int]]]:
    """The first ``share`` in time trains; the rest is the truth, per user, minus posts the
    user already engaged with in training (they are excluded from every method's list)."""
    cut = int(len(log["at"]) * share)
    train = {key: column[:cut] for key, column in log.items()}
    seen = set(zip(train["user"].tolist(), train["post"].tolist(), strict=True))
    known = set(train["user"].tolist())
    truth: dict[int, set[int]] = {}
    for user, post in zip(log["user"][cut:].tolist(), log["post"][cut:].tolist(), strict=True):
        if user in known and (user, post) not in seen:
            truth.setdefault(user, set()).add(post)
    return train, truth


def evaluate(fit, train: dict, truth: dict, users: int, posts: int, params: dict):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    recommend = fit(train, users, posts, params)
    found = recommend(np.array(sorted(truth), dtype=np.int32))
    # Ours chooses its own settings inside the fit (tuning.py) and says which, and how long
    # the choice took: the column is one fit and the scoring, for every method.
    seconds = time.perf_counter() - start - getattr(recommend, "tuning_seconds", 0.0)
    return (*metrics(found, truth), seconds, getattr(recommend, "chosen", params))


def quality(users: int, posts: int, interactions: int, shapes: list[str]) -> dict:
    print(
        f"quality: {users:,} users x {posts:,} posts x {interactions:,} interactions per world; "
        "time split 80/20, hyper-parameters chosen on the last 20% of the training part"
    )
    table = {}
    for world in shapes:
        log = worlds.make(world, users, posts, interactions)
        train, truth = split(log)
        inner, check = split(train)
        print(f"\n{world}: {len(truth):,} users with held-out posts")
        print(f"{'method':<24}{'NDCG@10':>9}{'R@10':>8}{'vs best':>9}{'fit+score s':>13}  chosen")
        rows = {}
        for name, (fit, settings) in methods.METHODS.items():
            chosen = settings[0]
            if len(settings) > 1:
                scored = [(evaluate(fit, inner, check, users, posts, p)[0], p) for p in settings]
                chosen = max(scored, key=lambda pair: pair[0])[1]
            rows[name] = evaluate(fit, train, truth, users, posts, chosen)
        best = max(rows[name][0] for name in methods.BASELINES)
        for name, (ndcg, recall, seconds, chosen) in rows.items():
            print(
                f"{name:<24}{ndcg:>9.4f}{recall:>8.4f}{ndcg / best:>8.2f}x{seconds:>13.2f}  "
                f"{json.dumps(chosen)}"
            )
        table[world] = rows
    return table


def scale_child(users: int, posts: int, interactions: int, tune: int) -> None:
    """The job's model steps on a stored log (run in its own process): the hourly run (the
    stored settings, one fit, every list) or, with ``tune``, the daily choice of settings."""
    import model
    import ranking
    import tuning

    rng = np.random.default_rng(3)
    who = (rng.pareto(1.5, interactions) * 3000).astype(np.int64) % users
    what = (rng.pareto(1.2, interactions) * 2000).astype(np.int64) % posts
    columns = {
        "user": who.astype(np.int32),
        "post": what.astype(np.int32),
        "weight": rng.choice(worlds.KINDS, size=interactions, p=worlds.KIND_P),
        "at": np.sort(rng.integers(0, 30 * worlds.DAY_MS, interactions)),
    }
    stored = io.BytesIO()
    np.savez(stored, **columns)
    del columns, who, what
    user_ids, post_ids = [f"u{n}" for n in range(users)], [f"p{n}" for n in range(posts)]
    authors = {p: f"u{n % 20_000}" for n, p in enumerate(post_ids)}
    steps = {}
    start = time.perf_counter()
    stored.seek(0)
    with np.load(stored) as read:
        log = model.Log(read["user"], read["post"], read["weight"], read["at"], user_ids, post_ids)
    if tune:
        chosen, scored = tuning.tune(log)
        steps["choose the settings (tuning.tune)"] = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"steps": steps, "total": sum(steps.values()), "peak_mb": peak,
                          "lists": 0, "bytes": 0, "nnz": 0, "settings": len(scored)}))  # fmt: skip
        return
    params = model.PARAMS  # the stored choice: the defaults blend EASE and RP3beta (both fits)
    data = model.build(log, now_ms=30 * worlds.DAY_MS, half_life_days=params.half_life_days)
    del log
    steps["load + build"] = time.perf_counter() - start
    start = time.perf_counter()
    similar = model.fit(data.matrix, params)
    steps["fit (EASE + RP3beta)"] = time.perf_counter() - start
    start = time.perf_counter()
    lists = written = 0
    # As the job does: each list serialised as it comes, none kept.
    for _, items in ranking.explore_lists(data, similar, authors):
        written += len(
            json.dumps([{"id": p, "score": round(s, 4), "because": b} for p, s, b, _ in items])
        )
        lists += 1
    steps["top 50 for every user, serialised"] = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "steps": steps,
                "total": sum(steps.values()),
                "peak_mb": peak,
                "lists": lists,
                "bytes": written,
                "nnz": int(data.matrix.nnz),
            }
        )
    )


def scale(users: int, posts: int, interactions: int, tune: bool = False) -> None:
    print(f"\nscale: {users:,} users x {posts:,} posts x {interactions:,} interactions")
    print(f"  load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    child = subprocess.run(
        [sys.executable, __file__, "--scale-child", str(users), str(posts), str(interactions),
         str(int(tune))],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = json.loads(child.stdout.strip().splitlines()[-1])
    for step, seconds in found["steps"].items():
        print(f"  {step:<24}{seconds:>7.1f} s")
    print(
        f"  {'total':<24}{found['total']:>7.1f} s; peak memory {found['peak_mb']:,.0f} MB; "
        f"{found['lists']:,} lists ({found['nnz']:,} distinct user-post pairs)"
    )
    print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=6_000)
    parser.add_argument("--posts", type=int, default=4_000)
    parser.add_argument("--interactions", type=int, default=250_000)
    parser.add_argument("--worlds", nargs="*", default=list(worlds.SHAPES), choices=worlds.SHAPES)
    parser.add_argument("--scale", action="store_true")
    parser.add_argument("--scale-only", action="store_true")
    parser.add_argument("--scale-child", nargs=4, type=int)
    parser.add_argument("--scale-users", type=int, default=100_000)
    parser.add_argument("--scale-posts", type=int, default=50_000)
    parser.add_argument("--scale-interactions", type=int, default=5_000_000)
    parser.add_argument("--scale-tune", action="store_true", help="time the daily tuning too")
    args = parser.parse_args()
    if args.scale_child:
        scale_child(*args.scale_child)
        return
    if not args.scale_only:
        quality(args.users, args.posts, args.interactions, args.worlds)
    if args.scale or args.scale_only:
        size = (args.scale_users, args.scale_posts, args.scale_interactions)
        scale(*size)
        if args.scale_tune:
            scale(*size, tune=True)


if __name__ == "__main__":
    main()
