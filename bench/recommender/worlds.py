"""Generated worlds of different shapes, each a time-ordered log in columns (``model.Log``).

Users and posts belong to latent topics; a user's interaction picks a topic from their taste
and a post from that topic by its appeal. The worlds differ where real services differ:

- ``skewed``: a power-law of post popularity and of user activity, static tastes.
- ``communities``: many small tight communities, mild popularity, even activity.
- ``drift``: posts are born over time and fade within days; users' tastes move.
- ``long-tail``: most users have a handful of interactions, a big catalogue of niche posts.
"""

from __future__ import annotations

import numpy as np

DAY_MS = 86_400_000
DAYS = 60
KINDS = np.array([0.5, 3.0, 4.0, 5.0], dtype=np.float32)  # view, like, comment, save
KIND_P = np.array([0.6, 0.3, 0.05, 0.05])


def make(name: str, users: int, posts: int, interactions: int, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    shape = SHAPES[name]
    topics = shape["topics"]
    taste = rng.dirichlet(np.full(topics, shape["concentration"]), size=users)
    later = rng.dirichlet(np.full(topics, shape["concentration"]), size=users)
    topic_of = rng.integers(0, topics, size=posts)
    appeal = shape["appeal"](rng, posts)
    activity = shape["activity"](rng, users)
    who = rng.choice(users, size=interactions, p=activity / activity.sum())
    at = np.sort(rng.uniform(0, DAYS * DAY_MS, size=interactions)).astype(np.int64)
    # Drift: an interaction follows the later taste with a chance growing over time.
    drifted = rng.uniform(size=interactions) < shape["drift"] * at / (DAYS * DAY_MS)
    mix = np.where(drifted[:, None], later[who], taste[who])
    topic = (mix.cumsum(axis=1) < rng.uniform(size=(interactions, 1))).sum(axis=1)
    topic = np.minimum(topic, topics - 1)
    birth = rng.uniform(-10, DAYS, size=posts) * DAY_MS if shape["lifetime"] else np.zeros(posts)
    post = np.zeros(interactions, dtype=np.int64)
    epochs = np.linspace(0, DAYS * DAY_MS, 31)
    for first, last in zip(epochs[:-1], epochs[1:], strict=True):
        now = (first + last) / 2
        alive = appeal.copy()
        if shape["lifetime"]:
            age = (now - birth) / DAY_MS
            alive = np.where(age >= 0, appeal * np.exp(-np.maximum(age, 0) / shape["lifetime"]), 0)
        here = (at >= first) & (at < last)
        for t in range(topics):
            members = np.flatnonzero(topic_of == t)
            picks = np.flatnonzero(here & (topic == t))
            weights = alive[members]
            if not len(picks) or not len(members) or weights.sum() <= 0:
                continue
            cumulative = np.cumsum(weights / weights.sum())
            chosen = np.searchsorted(cumulative, rng.uniform(size=len(picks)) * cumulative[-1])
            post[picks] = members[np.minimum(chosen, len(members) - 1)]
    weight = rng.choice(KINDS, size=interactions, p=KIND_P)
    return {"user": who.astype(np.int32), "post": post.astype(np.int32), "weight": weight, "at": at}


SHAPES = {
    "skewed": {
        "topics": 20,
        "concentration": 0.1,
        "appeal": lambda rng, n: rng.pareto(1.2, n) + 1,
        "activity": lambda rng, n: rng.pareto(1.5, n) + 1,
        "drift": 0.0,
        "lifetime": 0,
    },
    "communities": {
        "topics": 60,
        "concentration": 0.02,
        "appeal": lambda rng, n: rng.lognormal(0, 0.5, n),
        "activity": lambda rng, n: rng.lognormal(0, 0.4, n),
        "drift": 0.0,
        "lifetime": 0,
    },
    "drift": {
        "topics": 20,
        "concentration": 0.1,
        "appeal": lambda rng, n: rng.pareto(1.5, n) + 1,
        "activity": lambda rng, n: rng.pareto(1.5, n) + 1,
        "drift": 0.7,
        "lifetime": 5,
    },
    "long-tail": {
        "topics": 40,
        "concentration": 0.05,
        "appeal": lambda rng, n: rng.pareto(2.5, n) + 1,
        "activity": lambda rng, n: rng.pareto(0.9, n) + 0.2,
        "drift": 0.2,
        "lifetime": 0,
    },
}
