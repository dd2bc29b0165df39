"""Item-to-item collaborative filtering on implicit feedback, with numpy and scipy.sparse.

1. A sparse user × post matrix of scores: each interaction's kind weight (a save counts more
   than a view) times a time decay (half-life ``HALF_LIFE_DAYS``), summed.
2. Item-item cosine similarity from the column-normalised matrix, XᵀX, pruned to the
   ``NEIGHBOURS`` strongest neighbours of each post (sparse, and noise dropped).
3. A user's candidates: their scores times the similarities, minus what they engaged with
   and their own posts; the best ``TOP`` with the post they come from (for the reason).
4. Trending: recency-decayed engagement per post, for people with little history, blended in
   as the history grows.
5. Suggested accounts: friends of friends, plus authors of posts similar people engaged with.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

HALF_LIFE_DAYS = 14.0
NEIGHBOURS = 50
TOP = 50
COLD_START_INTERACTIONS = 5


@dataclass
class Interactions:
    users: list[str]
    posts: list[str]
    matrix: sparse.csr_matrix  # users × posts
    follows: dict[str, set[str]] = field(default_factory=dict)


def build(rows: list[dict], now_ms: int) -> Interactions:
    """Rows of ``{user_id, item_type, item_id, weight, at}``; post interactions only."""
    users: dict[str, int] = {}
    posts: dict[str, int] = {}
    r, c, v = [], [], []
    for row in rows:
        if row["item_type"] != "post":
            continue
        age_days = max(0.0, (now_ms - row["at"]) / 86_400_000)
        r.append(users.setdefault(row["user_id"], len(users)))
        c.append(posts.setdefault(row["item_id"], len(posts)))
        v.append(row["weight"] * 0.5 ** (age_days / HALF_LIFE_DAYS))
    matrix = sparse.csr_matrix((np.array(v, dtype=np.float32), (r, c)),
                               shape=(len(users), len(posts)))  # fmt: skip
    matrix.sum_duplicates()
    return Interactions(list(users), list(posts), matrix)


def similarities(matrix: sparse.csr_matrix, neighbours: int = NEIGHBOURS) -> sparse.csr_matrix:
    """Cosine similarity between posts, keeping each post's strongest ``neighbours``."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    normalised = matrix @ sparse.diags(1.0 / norms)
    similar = (normalised.T @ normalised).tocsr()
    similar.setdiag(0)
    similar.eliminate_zeros()
    rows, cols, vals = [], [], []
    for item in range(similar.shape[0]):
        start, end = similar.indptr[item], similar.indptr[item + 1]
        if end == start:
            continue
        row_vals = similar.data[start:end]
        keep = np.argsort(row_vals)[-neighbours:]
        rows.extend([item] * len(keep))
        cols.extend(similar.indices[start:end][keep])
        vals.extend(row_vals[keep])
    return sparse.csr_matrix((vals, (rows, cols)), shape=similar.shape, dtype=np.float32)


def trending(data: Interactions, top: int = TOP) -> list[tuple[int, float]]:
    """Posts by recency-decayed engagement (the matrix already carries the decay)."""
    totals = np.asarray(data.matrix.sum(axis=0)).ravel()
    order = np.argsort(-totals)[:top]
    return [(int(i), float(totals[i])) for i in order if totals[i] > 0]


def recommend(data: Interactions, similar: sparse.csr_matrix, authors: dict[str, str],
              user_rows: list[int] | None = None,
              top: int = TOP) -> dict[str, list[tuple[str, float, str | None]]]:  # fmt: skip
    """For each user (row): [(post_id, score, because_of_post_id or None for trending)]."""
    popular = trending(data, top * 2)
    scores = (data.matrix @ similar).tocsr()
    counts = np.diff(data.matrix.indptr)
    result = {}
    for row in user_rows if user_rows is not None else range(len(data.users)):
        user = data.users[row]
        seen = set(data.matrix.indices[data.matrix.indptr[row] : data.matrix.indptr[row + 1]])
        start, end = scores.indptr[row], scores.indptr[row + 1]
        candidates = [(int(i), float(s)) for i, s in zip(scores.indices[start:end],
                      scores.data[start:end], strict=True)]  # fmt: skip
        candidates = [(i, s) for i, s in candidates
                      if i not in seen and authors.get(data.posts[i]) != user]  # fmt: skip
        candidates.sort(key=lambda item: item[1], reverse=True)
        picked = [(data.posts[i], s, _because(data, similar, row, i))
                  for i, s in candidates[:top]]  # fmt: skip
        # Little history: fill up with what is trending, more of it the less we know.
        share = max(0.0, 1 - counts[row] / COLD_START_INTERACTIONS)
        if share > 0 or len(picked) < top:
            taken = {p for p, _, _ in picked}
            room = max(top - len(picked), int(math.ceil(top * share)))
            extra = [(data.posts[i], 0.0, None) for i, _ in popular
                     if data.posts[i] not in taken and i not in seen
                     and authors.get(data.posts[i]) != user][:room]  # fmt: skip
            picked = picked[: top - len(extra)] + extra
        result[user] = picked
    return result


def trending_for_newcomers(data: Interactions, authors: dict[str, str],
                           top: int = TOP) -> list[tuple[str, float, None]]:  # fmt: skip
    return [(data.posts[i], s, None) for i, s in trending(data, top)]


def suggest_accounts(user: str, follows: dict[str, set[str]], engaged_authors: dict[str, Counter],
                     blocked: set[tuple[str, str]], top: int = 20) -> list[tuple[str, float, str]]:
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


def _because(data: Interactions, similar: sparse.csr_matrix, row: int, item: int) -> str | None:
    """The post the user engaged with that contributes most to this candidate."""
    start, end = data.matrix.indptr[row], data.matrix.indptr[row + 1]
    engaged = data.matrix.indices[start:end]
    weights = data.matrix.data[start:end]
    column = similar[:, item].toarray().ravel()[engaged] * weights
    return data.posts[int(engaged[int(np.argmax(column))])] if len(engaged) else None


def engaged_authors(data: Interactions, authors: dict[str, str]) -> dict[str, Counter]:
    found: dict[str, Counter] = defaultdict(Counter)
    for row, user in enumerate(data.users):
        start, end = data.matrix.indptr[row], data.matrix.indptr[row + 1]
        for item, weight in zip(data.matrix.indices[start:end], data.matrix.data[start:end],
                                strict=True):  # fmt: skip
            author = authors.get(data.posts[item])
            if author and author != user:
                found[user][author] += float(weight)
    return found
