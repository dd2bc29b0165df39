"""The model's settings chosen on the deployment's own log, never fixed in code.

The log is split in time: the last ``VALIDATION_SHARE`` of it is held back, every setting of
``GRID`` is fitted on the rest and scored (NDCG@10) on what a sample of users did next, and
the best setting wins. bench/recommender runs this same function inside its training part,
so the benchmark's hold-out is never seen by the choice; the job runs it when its stored
choice is older than a day (handler.py), not hourly: the grid is a dozen fits.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import model
import numpy as np
import ranking

K = 10
VALIDATION_SHARE = 0.2
VALIDATION_USERS = 5000
# Time decay off or a week (drifting worlds want the latter); EASE's penalty over a
# decade and a half; the blend from pure RP3beta to pure EASE.
GRID: dict[str, list[Any]] = {
    "half_life_days": [None, 7.0],
    "ease_lambda": [200.0, 1000.0, 4000.0],
    "ease_share": [0.0, 0.5, 1.0],
}


def split(log: model.Log, share: float = VALIDATION_SHARE) -> tuple[model.Log, int, dict]:
    """The rows before the cut time, the cut (ms), and per user row the posts they engaged
    with after it and not before (what a list could have offered them)."""
    if not len(log.at):
        return log, 0, {}
    cut = int(np.quantile(log.at, 1 - share))
    early = log.at < cut
    train = model.Log(
        log.user[early], log.post[early], log.weight[early], log.at[early], log.users, log.posts
    )
    # In arrays: a set of the pairs before the cut would be ~60 bytes per interaction.
    width = np.int64(len(log.posts))
    seen = np.unique(train.user.astype(np.int64) * width + train.post)
    later = ~early & (log.weight > 0)
    pairs = np.unique(log.user[later].astype(np.int64) * width + log.post[later])
    known = np.zeros(len(log.users), dtype=bool)
    known[train.user] = True
    users, posts = pairs // width, pairs % width
    wanted = known[users] & ~np.isin(pairs, seen, assume_unique=True)
    truth: dict[int, set[int]] = {}
    for user, post in zip(users[wanted].tolist(), posts[wanted].tolist(), strict=True):
        truth.setdefault(user, set()).add(post)
    return train, cut, truth


def ndcg(found: dict[int, list[int]], truth: dict[int, set[int]], k: int = K) -> float:
    """Mean NDCG@k over the users of ``truth`` (a user with no list scores 0)."""
    if not truth:
        return 0.0
    discounts = 1 / np.log2(np.arange(2, k + 2))
    total = 0.0
    for user, wanted in truth.items():
        hits = [p in wanted for p in found.get(user, [])[:k]]
        gain = float(np.dot(hits, discounts[: len(hits)])) if hits else 0.0
        total += gain / discounts[: min(len(wanted), k)].sum()
    return total / len(truth)


def tune(
    log: model.Log,
    grid: dict[str, list[Any]] = GRID,
    users: int = VALIDATION_USERS,
    base: model.Params = model.PARAMS,
) -> tuple[model.Params, list[tuple[dict[str, Any], float]]]:
    """The best setting of ``grid`` on the log's own time split, and every setting's score.
    RP3beta is fitted once per half-life and EASE once per (half-life, penalty); the blends
    reuse them."""
    train, cut, truth = split(log)
    if len(truth) > users:
        picked = np.random.default_rng(0).choice(sorted(truth), size=users, replace=False)
        truth = {int(u): truth[int(u)] for u in picked}
    if not truth:
        return base, []
    rows = sorted(truth)
    position = {post: n for n, post in enumerate(log.posts)}
    scored = []
    for half_life in grid["half_life_days"]:
        data = model.build(train, now_ms=cut, half_life_days=half_life)
        walk = model.similarities(
            data.matrix, base.beta, base.neighbours, base.history, base.binary_walk
        )
        for lam in grid["ease_lambda"]:
            # Pure RP3beta (share 0) does not depend on the penalty: scored once.
            shares = [s for s in grid["ease_share"] if s > 0 or lam == grid["ease_lambda"][0]]
            linear, inside = model.ease(data.matrix, lam, base.neighbours, base.ease_items)
            for share in shares:
                similar = model.blend(walk, linear, inside, share, base.neighbours)
                found = {
                    row: [position[p] for p, *_ in picked]
                    for row, picked in zip(
                        rows,
                        (p for _, p in ranking.explore_lists(data, similar, {}, rows, top=K)),
                        strict=True,
                    )
                }
                setting = {"half_life_days": half_life, "ease_lambda": lam, "ease_share": share}
                scored.append((setting, ndcg(found, truth)))
            del linear, inside
        del data, walk  # before the next half-life's: two at once would double the peak
    best = max(scored, key=lambda pair: pair[1])[0]
    return replace(base, **best), scored
