"""Each user's explore list from the model: scores, the product's rules, and the reasons.

- Score: the user's history times the post × post similarities, "not interested" rows
  subtracted (a hidden post pushes its neighbours down), minus what they engaged with, hid
  or wrote.
- At most ``PER_AUTHOR`` posts by one author in a list, so that one prolific account cannot
  fill a page.
- A list the model cannot fill (a newcomer, a thin history) is topped up with trending
  posts. Reserving trending slots for light users scored lower on every world of
  bench/recommender than letting their few neighbours speak.
- ``because``: of the user's ``REASON_HISTORY`` strongest posts, the one that contributes most
  to the candidate's score (the explore card's "liked by people who liked …").

Everything works a block of users at a time, in arrays: a Python loop per candidate is what
made v1 take 87 s at 100k users.
"""

from __future__ import annotations

from collections.abc import Iterator

import model
import numpy as np
from scipy import sparse

TOP = 50
PER_AUTHOR = 3
REASON_HISTORY = 4
SCORE_PRODUCTS = 10_000_000  # candidate scores per block of users
EXCLUDED = 1e9

Pick = tuple[str, float, str | None, str]  # post, score, because (a post) or None, source


def recommend(
    data: model.Interactions,
    similar: sparse.csr_matrix,
    authors: dict[str, str],
    user_rows: list[int] | None = None,
    top: int = TOP,
) -> dict[str, list[Pick]]:
    """``explore_lists`` held in a dict (for a few users: the job streams them instead)."""
    return dict(explore_lists(data, similar, authors, user_rows, top))


def explore_lists(
    data: model.Interactions,
    similar: sparse.csr_matrix,
    authors: dict[str, str],
    user_rows: list[int] | None = None,
    top: int = TOP,
    per_author: int = PER_AUTHOR,
    history: int = model.PARAMS.history,
) -> Iterator[tuple[str, list[Pick]]]:
    """For each user (row): ``(user_id, [(post_id, score, because, source)])``, best first;
    source is "similar" or "trending". A generator: 100k users' lists held at once would be
    half a gigabyte of Python tuples."""
    post_author, user_author = _author_codes(data, authors)
    own = _own(data, post_author, user_author)
    popular = [i for i, _ in model.trending(data, top * 3)]
    similar = similar.tocsr().sorted_indices()
    keys = (
        np.repeat(np.arange(similar.shape[0], dtype=np.int64), np.diff(similar.indptr))
        * similar.shape[1]
        + similar.indices
    )
    rows = np.array(range(len(data.users)) if user_rows is None else user_rows, dtype=np.int64)
    # The strongest ``history`` posts of a heavy user speak for them: past that, scoring
    # costs history × neighbours and says little more.
    scoring = model.strongest_per_row(data.matrix, history) - data.hidden
    cost = np.abs(scoring[rows]).astype(bool) @ np.diff(similar.indptr).astype(np.float64)
    for first, last in model.blocks(np.asarray(cost) + 1, SCORE_PRODUCTS):
        block = rows[first:last]
        scores = (scoring[block] @ similar).tocsr()
        excluded = (data.matrix[block] + data.hidden[block] + own[block]).astype(bool)
        # Pushed below zero rather than removed: one subtraction instead of a masked copy.
        scores = (scores - excluded.astype(np.float32) * EXCLUDED).tocsr()
        # Room for the author cap to drop some and still fill the list.
        r, c, v = model.top_per_row(scores, top * 3)
        keep = v > 0
        r, c, v = _cap_authors(r[keep], c[keep], v[keep], post_author, per_author, top)
        because = _because(r, c, data.matrix[block], similar, keys)
        # Posts a hide pushed down stay out of the top-up too.
        damped = (data.hidden[block] @ similar).tocsr()
        starts = np.searchsorted(r, np.arange(len(block) + 1))
        for position, row in enumerate(block.tolist()):
            lo, hi = starts[position], starts[position + 1]
            picked = [
                (data.posts[p], s, data.posts[b] if b >= 0 else None, "similar")
                for p, s, b in zip(
                    c[lo:hi].tolist(), v[lo:hi].tolist(), because[lo:hi].tolist(), strict=True
                )
            ]
            yield (
                data.users[row],
                _top_up(
                    picked,
                    c[lo:hi],
                    data,
                    row,
                    popular,
                    top,
                    own,
                    damped,
                    position,
                    post_author,
                    per_author,
                ),
            )


def _author_codes(
    data: model.Interactions, authors: dict[str, str]
) -> tuple[np.ndarray, np.ndarray]:
    """Authors as codes: per post (its author, or a code of its own when unknown) and per
    user (the code of the author they are, -1 if they wrote nothing we know)."""
    codes: dict[str, int] = {}
    post_author = np.array(
        [codes.setdefault(authors[p], len(codes)) if p in authors else -1 for p in data.posts],
        dtype=np.int64,
    )
    unknown = post_author < 0
    post_author[unknown] = len(codes) + np.flatnonzero(unknown)
    user_author = np.array([codes.get(u, -1) for u in data.users], dtype=np.int64)
    return post_author, user_author


def _own(
    data: model.Interactions, post_author: np.ndarray, user_author: np.ndarray
) -> sparse.csr_matrix:
    """Users × posts, 1 where the user wrote the post."""
    authors_row = {int(a): r for r, a in enumerate(user_author.tolist()) if a >= 0}
    pairs = [
        (authors_row[a], column)
        for column, a in enumerate(post_author.tolist())
        if a in authors_row
    ]
    rows, columns = zip(*pairs, strict=True) if pairs else ((), ())
    return sparse.csr_matrix(
        (np.ones(len(pairs), dtype=np.float32), (rows, columns)), shape=data.matrix.shape
    )


def _cap_authors(
    r: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
    post_author: np.ndarray,
    per_author: int,
    top: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At most ``per_author`` candidates per (user, author), then each user's ``top``."""
    if not len(r):
        return r, c, v
    # r, v come sorted by user then score: a stable sort by (user, author) keeps each
    # group's best first, and the mask keeps the original order.
    group = r.astype(np.int64) * (int(post_author.max()) + 1) + post_author[c]
    order = np.argsort(group, kind="stable")
    keep = np.zeros(len(r), dtype=bool)
    keep[order] = _rank_in_groups(group[order]) < per_author
    r, c, v = r[keep], c[keep], v[keep]
    keep = _rank_in_groups(r) < top
    return r[keep], c[keep], v[keep]


def _rank_in_groups(sorted_keys: np.ndarray) -> np.ndarray:
    """0, 1, 2… within each run of equal keys."""
    if not len(sorted_keys):
        return sorted_keys
    starts = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
    lengths = np.diff(np.append(starts, len(sorted_keys)))
    return np.arange(len(sorted_keys)) - np.repeat(starts, lengths)


def _because(
    r: np.ndarray,
    c: np.ndarray,
    liked: sparse.csr_matrix,
    similar: sparse.csr_matrix,
    keys: np.ndarray,
) -> np.ndarray:
    """Per (user, candidate): the post of theirs contributing most to it, -1 if none."""
    found = np.full(len(r), -1, dtype=np.int64)
    hr, hc, hv = model.top_per_row(liked, REASON_HISTORY)
    if not len(r) or not len(hr) or not len(keys):
        return found
    starts = np.searchsorted(hr, np.arange(liked.shape[0] + 1))
    spans = np.diff(starts)[r]
    pair = np.repeat(np.arange(len(r)), spans)
    entry = model._ranges(starts[r], spans)
    wanted = hc[entry].astype(np.int64) * similar.shape[1] + c[pair]
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    contribution = np.where(keys[at] == wanted, similar.data[at], 0) * hv[entry]
    order = np.lexsort((-contribution, pair))
    firsts = order[_rank_in_groups(pair[order]) == 0]
    good = contribution[firsts] > 0
    found[pair[firsts][good]] = hc[entry[firsts][good]]
    return found


def _top_up(
    picked: list[Pick],
    columns: np.ndarray,
    data: model.Interactions,
    row: int,
    popular: list[int],
    top: int,
    own: sparse.csr_matrix,
    damped: sparse.csr_matrix,
    position: int,
    post_author: np.ndarray,
    per_author: int,
) -> list[Pick]:
    """A short list filled up with what is trending, the author cap still holding."""
    room = top - len(picked)
    if room <= 0:
        return picked
    taken = {p for p, *_ in picked}
    skip = {
        *data.matrix.indices[data.matrix.indptr[row] : data.matrix.indptr[row + 1]].tolist(),
        *data.hidden.indices[data.hidden.indptr[row] : data.hidden.indptr[row + 1]].tolist(),
        *own.indices[own.indptr[row] : own.indptr[row + 1]].tolist(),
        *damped.indices[damped.indptr[position] : damped.indptr[position + 1]].tolist(),
    }
    count: dict[int, int] = {}
    for author in post_author[columns].tolist():
        count[author] = count.get(author, 0) + 1
    extra: list[Pick] = []
    for i in popular:
        author = int(post_author[i])
        if i in skip or data.posts[i] in taken or count.get(author, 0) >= per_author:
            continue
        count[author] = count.get(author, 0) + 1
        extra.append((data.posts[i], 0.0, None, "trending"))
        if len(extra) == room:
            break
    return picked[: top - len(extra)] + extra


def with_fresh(
    picked: list[Pick],
    fresh: list[str],
    authors: dict[str, str] | None = None,
    every: int = 5,
    per_author: int = PER_AUTHOR,
) -> list[Pick]:
    """Fresh posts (the last hours, too new for anyone to have engaged with) in every
    ``every``-th place, the rest shifted down: the model cannot know them yet, and a post
    nobody is shown never gets the engagement that would let it learn. The author cap holds
    for them too."""
    authors = authors or {}
    count: dict[str, int] = {}
    for post, *_ in picked:
        if post in authors:
            count[authors[post]] = count.get(authors[post], 0) + 1
    taken = {p for p, *_ in picked}
    queue: list[Pick] = []
    for post in fresh:
        author = authors.get(post)
        if post in taken or (author and count.get(author, 0) >= per_author):
            continue
        if author:
            count[author] = count.get(author, 0) + 1
        queue.append((post, 0.0, None, "fresh"))
    mixed: list[Pick] = []
    rest = list(picked)
    while rest or queue:
        if queue and (len(mixed) % every == every - 1 or not rest):
            mixed.append(queue.pop(0))
        else:
            mixed.append(rest.pop(0))
    return mixed[: max(len(picked), TOP)]
