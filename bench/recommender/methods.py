"""The methods the benchmark compares, each ``fit(train, users, posts, params)`` returning
``recommend(rows) -> {user row: [post codes, best first]}``, and the grid each is tuned on."""

from __future__ import annotations

import itertools
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "recommender"))

import model  # noqa: E402
import ranking  # noqa: E402
import tuning  # noqa: E402

K = 10
# implicit warns that recommend() converts its rows to CSR: harmless, and it drowns the table.
warnings.filterwarnings("ignore", module="implicit")


def counts(train: dict, users: int, posts: int) -> sparse.csr_matrix:
    """The raw confidences (summed kind weights) the baselines get."""
    matrix = sparse.csr_matrix(
        (train["weight"].astype(np.float32), (train["user"], train["post"])), shape=(users, posts)
    )
    matrix.sum_duplicates()
    return matrix


def ours(train: dict, users: int, posts: int, params: dict):  # noqa: ANN201
    """The job's model: its settings chosen by tuning.tune on a time split of ``train``
    alone (what a deployment does on its own log), then fitted on all of ``train``."""
    log = model.Log(
        train["user"], train["post"], train["weight"], train["at"], list(range(users)),
        list(range(posts)),
    )  # fmt: skip
    start = time.perf_counter()
    chosen, _ = tuning.tune(log)
    tuned = time.perf_counter() - start
    data = model.build(log, now_ms=int(train["at"].max()), half_life_days=chosen.half_life_days)
    similar = model.fit(data.matrix, chosen)

    def recommend(rows: np.ndarray) -> dict[int, list[int]]:
        picked = ranking.recommend(data, similar, {}, rows.tolist(), top=K)
        return {u: [p for p, *_ in found] for u, found in picked.items()}

    # Reported apart: the baselines' grids are searched outside their fit and not timed.
    recommend.chosen = {k: getattr(chosen, k) for k in tuning.GRID} | {"tuning_s": round(tuned, 1)}
    recommend.tuning_seconds = tuned
    return recommend


def popularity(train: dict, users: int, posts: int, params: dict):  # noqa: ANN201
    matrix = counts(train, users, posts)
    ranked = np.argsort(-np.asarray(matrix.astype(bool).sum(axis=0)).ravel())[: K * 20]

    def recommend(rows: np.ndarray) -> dict[int, list[int]]:
        found = {}
        for row in rows.tolist():
            seen = set(matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]].tolist())
            found[row] = [p for p in ranked.tolist() if p not in seen][:K]
        return found

    return recommend


def _implicit(fitted, matrix: sparse.csr_matrix):  # noqa: ANN001, ANN202
    def recommend(rows: np.ndarray) -> dict[int, list[int]]:
        ids, _ = fitted.recommend(rows, matrix[rows], N=K, filter_already_liked_items=True)
        return {
            int(r): [int(i) for i in found if i >= 0] for r, found in zip(rows, ids, strict=True)
        }

    return recommend


def als(train: dict, users: int, posts: int, params: dict):  # noqa: ANN201
    from implicit.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import bm25_weight
    from threadpoolctl import threadpool_limits

    matrix = counts(train, users, posts)
    weighted = bm25_weight(matrix, K1=100, B=0.8).tocsr().astype(np.float32)
    # implicit runs its own threads and asks for BLAS's to be off.
    with threadpool_limits(1, "blas"):
        fitted = AlternatingLeastSquares(
            factors=params["factors"],
            regularization=params["reg"],
            alpha=params["alpha"],
            iterations=15,
            random_state=7,
        )
        fitted.fit(weighted, show_progress=False)
    return _implicit(fitted, matrix)


def bm25_knn(train: dict, users: int, posts: int, params: dict):  # noqa: ANN201
    from implicit.nearest_neighbours import BM25Recommender

    matrix = counts(train, users, posts)
    fitted = BM25Recommender(K=params["k"], K1=params["k1"], B=0.75)
    fitted.fit(matrix, show_progress=False)
    return _implicit(fitted, matrix)


def grid(**axes: list) -> list[dict]:
    names = list(axes)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*axes.values())]


METHODS = {
    "popularity": (popularity, [{}]),
    "implicit ALS (bm25)": (
        als,
        grid(factors=[64, 128], reg=[0.01, 0.1], alpha=[1.0, 4.0]),
    ),
    "implicit BM25 item-KNN": (bm25_knn, grid(k=[50, 200, 800], k1=[0.6, 1.2])),
    # One entry: the grid is searched inside the fit, by the production code (tuning.py).
    "EASE + RP3beta (ours)": (ours, [{}]),
}
BASELINES = ("implicit ALS (bm25)", "implicit BM25 item-KNN")
OURS = "EASE + RP3beta (ours)"
