"""The recommender's model on small worlds whose right answers are known."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import accounts
import model
import numpy as np
import pytest
import ranking
import tuning
from scipy import sparse

from tests.conftest import REPOSITORY

DAY = 86_400_000


def likes(pairs: list[tuple[str, str]], at: int = 0, weight: float = 3.0) -> list[dict]:
    return [
        {"user_id": u, "item_type": "post", "item_id": p, "weight": weight, "at": at}
        for u, p in pairs
    ]


def two_groups() -> list[dict]:
    rows = []
    for group, posts in (("cat", ["c1", "c2", "c3", "c4"]), ("car", ["r1", "r2", "r3", "r4"])):
        for n in range(4):
            mine = posts if n else posts[:3]  # the first of each group has not seen #4
            rows += likes([(f"{group}{n}", p) for p in mine])
    return rows


def picks(data: model.Interactions, authors: dict[str, str], top: int = 5) -> dict[str, list]:
    return ranking.recommend(data, model.fit(data.matrix), authors, top=top)


def test_people_get_what_their_group_liked_and_not_what_they_saw() -> None:
    data = model.build(two_groups(), now_ms=0)
    picked = picks(data, {p: "author" for p in data.posts}, top=3)
    assert picked["cat0"][0][0] == "c4" and picked["car0"][0][0] == "r4"
    assert picked["cat0"][0][2] in {"c1", "c2", "c3"}  # the reason: a post they liked
    assert picked["cat0"][0][3] == "similar"
    assert not {p for p, *_ in picked["cat1"]} & {"c1", "c2", "c3", "c4"}


def test_own_posts_are_never_recommended() -> None:
    data = model.build(two_groups(), now_ms=0)
    assert "c4" not in [p for p, *_ in picks(data, {"c4": "cat0"})["cat0"]]


def test_old_interactions_weigh_less_and_trending_fills_short_lists() -> None:
    rows = likes([("a", "old")] * 5, at=0) + likes([("b", "new"), ("c", "new")], at=60 * DAY)
    data = model.build(rows, now_ms=60 * DAY)
    assert [data.posts[i] for i, _ in model.trending(data)][0] == "new"
    newcomer = picks(data, {}, top=2)["a"]
    assert [(p, source) for p, _, because, source in newcomer] == [("new", "trending")]


def test_not_interested_removes_the_post_and_sinks_its_neighbours() -> None:
    # Two cat posts and two dog posts co-liked; "me" liked c1 and d1 alike.
    rows = likes([(f"u{n}", p) for n in range(4) for p in ("c1", "c2")])
    rows += likes([(f"v{n}", p) for n in range(4) for p in ("d1", "d2")])
    rows += likes([("me", "c1"), ("me", "d1")])
    before = picks(model.build(rows, now_ms=0), {})["me"]
    assert {p for p, *_ in before[:2]} == {"c2", "d2"}
    hidden = rows + [{"user_id": "me", "item_id": "d1", "weight": -5.0, "at": 0}]
    after = [p for p, *_ in picks(model.build(hidden, now_ms=0), {})["me"]]
    assert after[0] == "c2" and "d1" not in after
    assert "d2" not in after  # its only link to me was the post I hid


def test_no_author_fills_a_list_beyond_the_cap() -> None:
    # Everyone liked all twenty posts of one prolific author and two by someone else.
    posts = [f"p{n}" for n in range(20)] + ["q1", "q2"]
    rows = likes([(f"u{n}", p) for n in range(5) for p in posts]) + likes([("me", "p0")])
    authors = {p: "prolific" for p in posts[:20]} | {"q1": "other", "q2": "other"}
    picked = picks(model.build(rows, now_ms=0), authors, top=10)["me"]
    by_author = Counter(authors[p] for p, _, _, source in picked if source == "similar")
    assert by_author["prolific"] == ranking.PER_AUTHOR and by_author["other"] == 2


def test_fresh_posts_take_every_fifth_place_and_never_repeat() -> None:
    picked = [(f"p{n}", 1.0, None, "similar") for n in range(8)]
    mixed = ranking.with_fresh(picked, ["new1", "p3", "new2"])
    assert [p for p, *_ in mixed] == [
        *("p0", "p1", "p2", "p3", "new1"),
        *("p4", "p5", "p6", "p7", "new2"),
    ]


@pytest.mark.parametrize("k", [1, 3, 40])
def test_top_per_row_matches_sorting_each_row(k: int) -> None:
    matrix = sparse.random(60, 200, density=0.2, random_state=2, dtype=np.float32).tocsr()
    matrix = (sparse.diags((np.arange(60) != 5).astype(np.float32)) @ matrix).tocsr()
    matrix.eliminate_zeros()  # row 5 is empty
    r, c, v = model.top_per_row(matrix, k)
    dense = matrix.toarray()
    for row in range(60):
        want = np.sort(dense[row][dense[row] > 0])[::-1][:k]
        assert np.allclose(v[r == row], want)
        assert np.allclose(dense[row, c[r == row]], v[r == row])


def test_suggested_accounts_are_friends_of_friends_minus_follows_and_blocks() -> None:
    follows = {"me": {"ann"}, "ann": {"bob", "cid", "me"}, "bob": set()}
    found = accounts.suggest_accounts(
        "me", follows, {"me": Counter({"dee": 9.0})}, blocked={("cid", "me")}
    )
    names = {candidate: reason for candidate, _, reason in found}
    assert names == {"bob": "followed by:ann", "dee": "engaged"}


def test_engaged_authors_sum_per_author_and_leave_out_oneself() -> None:
    data = model.build(likes([("me", "a1"), ("me", "a2"), ("me", "mine")]), now_ms=0)
    engaged = accounts.engaged_authors(data, {"a1": "ann", "a2": "ann", "mine": "me"})
    assert set(engaged["me"]) == {"ann"} and engaged["me"]["ann"] == pytest.approx(
        2 * np.log1p(3.0)
    )


def test_the_offline_command_runs_the_model_on_a_log(tmp_path) -> None:  # noqa: ANN001
    log = tmp_path / "log.jsonl"
    rows = [
        {"user_id": r["user_id"], "item_id": r["item_id"], "kind": "like", "at": 1}
        for r in two_groups()
    ]
    rows.append({"user_id": "cat0", "item_id": "r9", "kind": "view", "at": 1, "author_id": "cat0"})
    log.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "lists.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "functions.recommender.offline", "--interactions", str(log),
         "--top", "3", "--out", str(out)],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lists = {row["user_id"]: row["items"] for row in map(json.loads, out.read_text().splitlines())}
    assert lists["cat0"][0]["item_id"] == "c4" and len(lists["cat0"]) == 3
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"user_id": "a"}\n')
    refused = subprocess.run(
        [sys.executable, "-m", "functions.recommender.offline", "--interactions", str(bad),
         "--out", str(out)],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2 and "bad.jsonl:1" in refused.stderr


def test_ease_matches_its_closed_form_and_leaves_the_long_tail_to_rp3beta() -> None:
    matrix = sparse.random(300, 80, density=0.1, random_state=1, dtype=np.float32).tocsr()
    linear, inside = model.ease(matrix, lam=5.0, neighbours=80, items=1000)
    gram = (matrix.T @ matrix).toarray().astype(np.float64) + 5.0 * np.eye(80)
    inverse = np.linalg.inv(gram)
    expected = -inverse / np.diag(inverse)
    np.fill_diagonal(expected, 0)
    assert len(inside) == 80
    assert np.allclose(linear.toarray(), np.maximum(expected, 0), atol=1e-5)
    # Past ``ease_items`` the rarest posts still get neighbours, from the walk.
    capped = model.Params(ease_items=30, ease_share=1.0, neighbours=10)
    blended = model.fit(matrix, capped)
    _, few = model.ease(matrix, items=30)
    outside = np.setdiff1d(np.flatnonzero(np.diff(matrix.tocsc().indptr)), few)
    assert all(blended[i].nnz for i in outside)


def test_tuning_chooses_a_half_life_when_tastes_moved() -> None:
    # Long ago x went with y; lately x goes with z, and newcomers who like x go on to z.
    rows = likes([(f"old{n}", p) for n in range(20) for p in ("x", "y")], at=0)
    rows += likes([(f"new{n}", p) for n in range(10) for p in ("x", "z")], at=50 * DAY)
    rows += likes([(f"late{n}", "x") for n in range(25)], at=53 * DAY)
    rows += likes([(f"late{n}", "z") for n in range(25)], at=60 * DAY)  # held out by tune
    chosen, scored = tuning.tune(model.Log.of(rows))
    assert len(scored) == 14 and chosen.half_life_days == 7.0 and chosen.ease_share > 0
    rows += likes([("me", "x")], at=60 * DAY)
    data = model.build(rows, now_ms=60 * DAY, half_life_days=chosen.half_life_days)
    assert ranking.recommend(data, model.fit(data.matrix, chosen), {})["me"][0][0] == "z"
