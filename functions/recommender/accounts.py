"""Suggested accounts: friends of friends, plus authors of posts you engage with."""

from __future__ import annotations

import math
from collections import Counter

import model
import numpy as np
from scipy import sparse


def suggest_accounts(
    user: str,
    follows: dict[str, set[str]],
    engaged_authors: dict[str, Counter],
    blocked: set[tuple[str, str]],
    top: int = 20,
) -> list[tuple[str, float, str]]:
    """Friends of friends (with who connects you) and authors people like you engage with."""
    mine = follows.get(user, set())
    scores: Counter = Counter()
    reason: dict[str, str] = {}
    for friend in mine:
        for candidate in follows.get(friend, set()):
            scores[candidate] += 1.0
            reason.setdefault(candidate, f"followed by:{friend}")
    for author, weight in engaged_authors.get(user, Counter()).items():
        scores[author] += 0.5 * math.log1p(weight)
        reason.setdefault(author, "engaged")
    found = []
    for candidate, score in scores.most_common():
        if candidate == user or candidate in mine:
            continue
        if (user, candidate) in blocked or (candidate, user) in blocked:
            continue
        found.append((candidate, score, reason[candidate]))
        if len(found) == top:
            break
    return found


def engaged_authors(data: model.Interactions, authors: dict[str, str]) -> dict[str, Counter]:
    """Per user, how much they engaged with each author's posts (their own left out): one
    sparse product, users × posts times posts × authors."""
    names = sorted({authors[p] for p in data.posts if p in authors})
    code = {name: n for n, name in enumerate(names)}
    columns = [(n, code[authors[p]]) for n, p in enumerate(data.posts) if p in authors]
    rows, cols = zip(*columns, strict=True) if columns else ((), ())
    by_author = sparse.csr_matrix(
        (np.ones(len(columns), dtype=np.float32), (rows, cols)),
        shape=(len(data.posts), len(names)),
    )
    totals = (data.matrix @ by_author).tocsr()
    found: dict[str, Counter] = {}
    for row, user in enumerate(data.users):
        start, end = totals.indptr[row], totals.indptr[row + 1]
        engaged = Counter(
            {
                names[a]: float(w)
                for a, w in zip(totals.indices[start:end], totals.data[start:end], strict=True)
                if names[a] != user
            }
        )
        if engaged:
            found[user] = engaged
    return found
