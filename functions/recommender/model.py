"""The explore model: a post × post matrix on implicit feedback (numpy, scipy), ``fit``.

1. A sparse user × post matrix: each interaction's kind weight times a time decay (half-life
   ``Params.half_life_days``, none at all when ``None``), summed per pair, then ``log1p``
   (the tenth view says less than the first like). "Not interested" rows (negative weights)
   go to a separate matrix: they are excluded and they push similar posts down (ranking.py).
2. EASE (Steck 2019, "Embarrassingly shallow autoencoders for sparse data"): the closed-form
   linear item model on the ``ease_items`` most engaged posts (``ease``). It is what wins
   the long-tail world of bench/recommender, where a few heavy users hold most interactions.
3. RP3beta (Paudel et al. 2017, "Updatable, accurate, diverse, and scalable recommendations
   for interactive applications"): the three-step random walk post → user → post, each step
   normalised by degree, divided by the target post's popularity to the power ``beta``, each
   post's ``neighbours`` strongest kept (``similarities``). It covers every post, past
   EASE's cap too. Heavy users: only their ``history`` strongest interactions take part;
   their pairs grow as history², and a walk through someone who touched 3,000 posts says
   little about any two of them.
4. ``blend``: ``ease_share`` of one and the rest of the other. The share, the penalty and
   the half-life are chosen on each deployment's own log (tuning.py), not fixed here.

The similarities are computed a block of posts at a time, the block sized so that its
co-occurrences stay within ``BLOCK_PRODUCTS``: a popular post co-occurs with nearly every
other, and the whole post × post product would not fit in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.linalg import lapack
from threadpoolctl import threadpool_limits

DAY_MS = 86_400_000
# Trending is about the last days whatever half-life the model's validation chose (often
# none: a static world's old likes still say who goes with whom).
TRENDING_HALF_LIFE_DAYS = 7.0
BLOCK_PRODUCTS = 12_000_000
# OpenBLAS threads for EASE's factorisation. One: on the 2-core development machine, shared
# with other work, 2 threads took 6.1 s where 1 took 0.8 s (threads spinning for a core), and
# single-threaded the factorisation is already a small part of the job.
BLAS_THREADS = 1


@dataclass(frozen=True)
class Params:
    """The model's settings. These defaults are a starting point only: each deployment
    chooses ``half_life_days``, ``ease_lambda`` and ``ease_share`` by validation on a time
    split of its own log (tuning.py), and the job keeps the choice beside the model."""

    beta: float = 0.3
    neighbours: int = 100
    half_life_days: float | None = None
    history: int = 200
    binary_walk: bool = True  # the walk counts who touched a post, not how strongly
    ease_lambda: float = 1000.0  # EASE's L2 penalty: larger trusts co-occurrence less
    ease_share: float = 1.0  # the blend: EASE's weight, RP3beta's is 1 - this
    # EASE inverts a dense items × items Gram matrix: the most engaged ``ease_items`` posts
    # take part (5,000: 100 MB in float32, a few seconds to invert); RP3beta covers the rest.
    ease_items: int = 5000


PARAMS = Params()


@dataclass
class Interactions:
    users: list[str]
    posts: list[str]
    matrix: sparse.csr_matrix  # users × posts, what they engaged with (> 0)
    hidden: sparse.csr_matrix = field(default=None)  # users × posts, "not interested"
    recent: np.ndarray | None = None  # per post, engagement decayed for trending

    def __post_init__(self) -> None:
        if self.hidden is None:
            self.hidden = sparse.csr_matrix(self.matrix.shape, dtype=np.float32)


@dataclass
class Log:
    """Interactions as columns: codes into ``users`` and ``posts``, weight, time (ms)."""

    user: np.ndarray
    post: np.ndarray
    weight: np.ndarray
    at: np.ndarray
    users: list[str]
    posts: list[str]

    @classmethod
    def of(cls, rows: Iterable[dict]) -> Log:
        """Rows of ``{user_id, item_id, weight, at}`` (``item_type`` other than "post" is
        skipped)."""
        users: dict[str, int] = {}
        posts: dict[str, int] = {}
        u, p, w, t = [], [], [], []
        for row in rows:
            if row.get("item_type", "post") != "post":
                continue
            u.append(users.setdefault(row["user_id"], len(users)))
            p.append(posts.setdefault(row["item_id"], len(posts)))
            w.append(row["weight"])
            t.append(row["at"])
        return cls(
            np.array(u, dtype=np.int32),
            np.array(p, dtype=np.int32),
            np.array(w, dtype=np.float32),
            np.array(t, dtype=np.int64),
            list(users),
            list(posts),
        )


def build(
    rows: Iterable[dict] | Log, now_ms: int, half_life_days: float | None = PARAMS.half_life_days
) -> Interactions:
    """The matrices of a log (rows, or a ``Log`` already in columns)."""
    log = rows if isinstance(rows, Log) else Log.of(rows)
    shape = (len(log.users), len(log.posts))
    weight = log.weight.astype(np.float32)
    if half_life_days:
        age_days = np.maximum(0.0, (now_ms - log.at) / DAY_MS)
        weight = weight * (0.5 ** (age_days / half_life_days)).astype(np.float32)
    positive = log.weight > 0
    matrix = _summed(log.user[positive], log.post[positive], weight[positive], shape)
    hidden = _summed(log.user[~positive], log.post[~positive], -log.weight[~positive], shape)
    # A hide outlasts the likes before it: the post stays out, whatever the history says.
    matrix = (matrix - matrix.multiply(hidden > 0)).tocsr()
    matrix.eliminate_zeros()
    age_days = np.maximum(0.0, (now_ms - log.at[positive]) / DAY_MS)
    recent = np.bincount(
        log.post[positive],
        weights=log.weight[positive] * 0.5 ** (age_days / TRENDING_HALF_LIFE_DAYS),
        minlength=shape[1],
    )
    return Interactions(log.users, log.posts, matrix, hidden, recent)


def _summed(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]
) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix((values.astype(np.float32), (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    matrix.data = np.log1p(matrix.data)
    return matrix


def similarities(
    matrix: sparse.csr_matrix,
    beta: float = PARAMS.beta,
    neighbours: int = PARAMS.neighbours,
    history: int = PARAMS.history,
    binary_walk: bool = PARAMS.binary_walk,
) -> sparse.csr_matrix:
    """posts × posts, RP3beta, each row pruned to its ``neighbours`` strongest."""
    items = matrix.shape[1]
    capped = strongest_per_row(matrix, history)
    if binary_walk:
        capped = capped.copy()
        capped.data[:] = 1
    walk_to_posts = _row_normalised(capped)  # users × posts: user → post
    walk_to_users = _row_normalised(capped.T.tocsr())  # posts × users: post → user
    popularity = np.diff(capped.tocsc().indptr).astype(np.float64)
    penalty = np.where(popularity > 0, np.maximum(popularity, 1) ** -beta, 0).astype(np.float32)
    cost = walk_to_users.astype(bool).astype(np.float32) @ np.diff(walk_to_posts.indptr)
    ranges, rows, cols, vals = blocks(np.asarray(cost, dtype=np.float64)), [], [], []
    for first, last in ranges:
        co = (walk_to_users[first:last] @ walk_to_posts).tocsr()
        co = (co @ sparse.diags(penalty)).tocsr()
        co.setdiag(0, k=first)  # a post is not its own neighbour
        co.eliminate_zeros()
        r, c, v = top_per_row(co, neighbours)
        rows.append(r + first)
        cols.append(c)
        vals.append(v)
    if not rows:
        return sparse.csr_matrix((items, items), dtype=np.float32)
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(items, items),
        dtype=np.float32,
    )


def ease(
    matrix: sparse.csr_matrix,
    lam: float = PARAMS.ease_lambda,
    neighbours: int = PARAMS.neighbours,
    items: int = PARAMS.ease_items,
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """posts × posts, EASE (Steck 2019, "Embarrassingly shallow autoencoders for sparse
    data") on the ``items`` posts most users engaged with, each row pruned to its
    ``neighbours`` largest positive weights; and those posts' codes (the rest have no row).

    The closed form B = I − P / diag(P), P = (XᵀX + λI)⁻¹: a dense inverse, hence the cap.
    Negative weights ("people who like i avoid j") are dropped with the pruning: the lists
    only need the posts to add."""
    engaged = np.diff(matrix.tocsc().indptr)
    chosen = np.sort(np.argsort(-engaged, kind="stable")[:items])
    chosen = chosen[engaged[chosen] > 0]
    size = len(chosen)
    if not size:
        return sparse.csr_matrix(matrix.shape[1:] * 2, dtype=np.float32), chosen
    sub = matrix[:, chosen].tocsc()
    across = sub.T.tocsr()
    gram = np.zeros((size, size), dtype=np.float32)
    # The Gram a block of columns at a time: a block's product is at most size × step
    # entries, where the whole product's sparse intermediate would be several times the
    # dense result (and a block of users at a time is ten times slower: each block pays
    # for the full width).
    step = max(1, BLOCK_PRODUCTS // (2 * size))
    for first in range(0, size, step):
        last = min(size, first + step)
        gram[:, first:last] = (across @ sub[:, first:last]).toarray()
    gram[np.diag_indices(size)] += lam
    # Cholesky in place (XᵀX + λI is positive definite): half the work of LU, no copy.
    # gram is symmetric, so its transpose is the same matrix in the order LAPACK wants.
    with threadpool_limits(BLAS_THREADS, "blas"):
        factor, info = lapack.spotrf(gram.T, lower=False, overwrite_a=True, clean=False)
        if info:
            raise ValueError(f"EASE: the Gram matrix is not positive definite ({info})")
        inverse, info = lapack.spotri(factor, lower=False, overwrite_c=True)
    del gram, factor
    diagonal = np.diag(inverse).copy()
    rows, cols, vals = [], [], []
    step = max(1, 2_000_000 // size)
    for first in range(0, size, step):
        last = min(size, first + step)
        # spotri fills the upper triangle only: the lower part of these rows is the
        # transpose of the columns above them.
        block = np.array(inverse[first:last])
        block[:, :first] = inverse[:first, first:last].T
        square = block[:, first:last]
        block[:, first:last] = np.triu(square) + np.triu(square, 1).T
        weights = -block / diagonal[None, :]
        weights[np.arange(last - first), np.arange(first, last)] = 0
        weights[weights < 0] = 0
        r, c, v = top_per_row(sparse.csr_matrix(weights), neighbours)
        rows.append(chosen[r + first])
        cols.append(chosen[c])
        vals.append(v)
    return (
        sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(matrix.shape[1], matrix.shape[1]),
            dtype=np.float32,
        ),
        chosen,
    )


def fit(matrix: sparse.csr_matrix, params: Params = PARAMS) -> sparse.csr_matrix:
    """The post × post matrix the lists are scored with: EASE and RP3beta blended (blend)."""
    engaged = int((np.diff(matrix.tocsc().indptr) > 0).sum())
    walk = linear = inside = None
    if params.ease_share < 1 or engaged > params.ease_items:
        walk = similarities(
            matrix, params.beta, params.neighbours, params.history, params.binary_walk
        )
    if params.ease_share > 0:
        linear, inside = ease(matrix, params.ease_lambda, params.neighbours, params.ease_items)
    return blend(walk, linear, inside, params.ease_share, params.neighbours)


def blend(
    walk: sparse.csr_matrix | None,
    linear: sparse.csr_matrix | None,
    inside: np.ndarray | None,
    share: float,
    neighbours: int,
) -> sparse.csr_matrix:
    """``share`` of EASE (``linear``) where it has both the row and the column (``inside``),
    the rest RP3beta (``walk``), which alone covers the posts past ``ease_items``, so that
    the long tail can still be recommended. Each is scaled to a mean weight of 1 first: their
    raw scales differ by orders of magnitude."""
    if linear is None or share <= 0:
        return walk
    items = linear.shape[0]
    mixed = _unit_mean(linear) * np.float32(share)
    if walk is not None and walk.nnz:
        member = np.zeros(items, dtype=bool)
        member[inside] = True
        rest = _unit_mean(walk).tocoo()
        both = member[rest.row] & member[rest.col]
        rest.data = np.where(both, rest.data * np.float32(1 - share), rest.data)
        mixed = mixed + rest.tocsr()
    mixed = mixed.tocsr()
    mixed.eliminate_zeros()
    r, c, v = top_per_row(mixed, neighbours)
    return sparse.csr_matrix((v, (r, c)), shape=(items, items), dtype=np.float32)


def _unit_mean(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    if not matrix.nnz:
        return matrix
    return (matrix * np.float32(1 / matrix.data.mean())).tocsr()


def _row_normalised(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    sums[sums == 0] = 1
    return (sparse.diags((1 / sums).astype(np.float32)) @ matrix).tocsr()


def blocks(cost: np.ndarray, budget: float = BLOCK_PRODUCTS) -> list[tuple[int, int]]:
    """Consecutive ranges whose costs add up to about ``budget`` each (one heavier than
    that on its own is a range of one)."""
    if not len(cost):
        return []
    total = np.cumsum(cost)
    marks = np.arange(1, int(total[-1] // budget) + 1) * budget
    ends = np.unique(np.append(np.searchsorted(total, marks, side="right"), len(cost)))
    starts = np.concatenate([[0], ends[:-1]])
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True) if e > s]


def top_per_row(matrix: sparse.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's ``k`` largest entries as (rows, columns, values), rows in order, best first
    within a row.

    Rows are grouped by length into powers of two and padded into dense arrays, so that the
    selection and the sort are one ``argpartition`` and one ``argsort`` per group rather than
    one per row."""
    lengths = np.diff(matrix.indptr)
    out_r, out_c, out_v = [], [], []
    filled = np.flatnonzero(lengths > 0)
    bucket = np.ceil(np.log2(np.maximum(lengths[filled], 1))).astype(np.int64)
    for b in np.unique(bucket):
        rows = filled[bucket == b]
        width = int(lengths[rows].max())
        keep = min(k, width)
        step = max(1, 4_000_000 // width)
        for first in range(0, len(rows), step):
            part = rows[first : first + step]
            span = lengths[part]
            dense = np.full((len(part), width), -np.inf, dtype=np.float32)
            where = np.zeros((len(part), width), dtype=np.int64)
            take = _ranges(matrix.indptr[part], span)
            line = np.repeat(np.arange(len(part)), span)
            slot = take - np.repeat(matrix.indptr[part].astype(np.int64), span)
            dense[line, slot] = matrix.data[take]
            where[line, slot] = take
            if keep < width:
                best = np.argpartition(-dense, keep - 1, axis=1)[:, :keep]
            else:
                best = np.broadcast_to(np.arange(width), dense.shape)
            values = np.take_along_axis(dense, best, axis=1)
            order = np.argsort(-values, axis=1, kind="stable")
            best = np.take_along_axis(best, order, axis=1)
            chosen = np.take_along_axis(where, best, axis=1)
            real = np.take_along_axis(values, order, axis=1) > -np.inf
            out_r.append(np.broadcast_to(part[:, None], chosen.shape)[real])
            out_c.append(matrix.indices[chosen[real]])
            out_v.append(matrix.data[chosen[real]])
    if not out_r:
        empty = np.array([], dtype=np.int64)
        return empty, empty.astype(np.int32), empty.astype(np.float32)
    r, c, v = np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_v)
    order = np.argsort(r, kind="stable")  # runs of whole rows: cheap to merge
    return r[order], c[order], v[order]


def strongest_per_row(matrix: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    if not len(matrix.data) or np.diff(matrix.indptr).max() <= k:
        return matrix
    r, c, v = top_per_row(matrix, k)
    return sparse.csr_matrix((v, (r, c)), shape=matrix.shape, dtype=np.float32)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenation of ``range(start, start + length)`` for each pair, vectorised."""
    total = int(lengths.sum())
    if not total:
        return np.array([], dtype=np.int64)
    offsets = np.repeat(starts.astype(np.int64) - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total)


def trending(data: Interactions, top: int = 50) -> list[tuple[int, float]]:
    """Posts by engagement decayed with ``TRENDING_HALF_LIFE_DAYS``."""
    totals = data.recent if data.recent is not None else np.asarray(data.matrix.sum(axis=0))
    totals = np.asarray(totals).ravel()
    order = np.argsort(-totals, kind="stable")[:top]
    return [(int(i), float(totals[i])) for i in order if totals[i] > 0]


def trending_for_newcomers(data: Interactions, top: int = 50) -> list[tuple[str, float, None]]:
    return [(data.posts[i], s, None) for i, s in trending(data, top)]
