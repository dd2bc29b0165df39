"""The recommender's model on small worlds whose right answers are known."""

from __future__ import annotations

from collections import Counter

import model

DAY = 86_400_000


def likes(pairs: list[tuple[str, str]], at: int = 0, weight: float = 3.0) -> list[dict]:
    return [{"user_id": u, "item_type": "post", "item_id": p, "weight": weight, "at": at}
            for u, p in pairs]  # fmt: skip


def two_groups() -> list[dict]:
    rows = []
    for group, posts in (("cat", ["c1", "c2", "c3", "c4"]), ("car", ["r1", "r2", "r3", "r4"])):
        for n in range(4):
            mine = posts if n else posts[:3]  # the first of each group has not seen #4
            rows += likes([(f"{group}{n}", p) for p in mine])
    return rows


def test_people_get_what_their_group_liked_and_not_what_they_saw() -> None:
    data = model.build(two_groups(), now_ms=0)
    similar = model.similarities(data.matrix)
    authors = {p: "author" for p in data.posts}
    picked = model.recommend(data, similar, authors, top=3)
    assert picked["cat0"][0][0] == "c4" and picked["car0"][0][0] == "r4"
    assert picked["cat0"][0][2] in {"c1", "c2", "c3"}  # the reason: a post they liked
    assert not {p for p, _, _ in picked["cat1"]} & {"c1", "c2", "c3", "c4"}


def test_own_posts_are_never_recommended() -> None:
    data = model.build(two_groups(), now_ms=0)
    picked = model.recommend(data, model.similarities(data.matrix), {"c4": "cat0"}, top=5)
    assert "c4" not in [p for p, _, _ in picked["cat0"]]


def test_old_interactions_weigh_less_and_trending_fills_thin_histories() -> None:
    rows = likes([("a", "old")] * 5, at=0) + likes([("b", "new"), ("c", "new")], at=60 * DAY)
    data = model.build(rows, now_ms=60 * DAY)
    assert [data.posts[i] for i, _ in model.trending(data)][0] == "new"
    newcomer = model.recommend(data, model.similarities(data.matrix), {}, top=2)
    assert [p for p, _, because in newcomer["a"] if because is None] == ["new"]


def test_suggested_accounts_are_friends_of_friends_minus_follows_and_blocks() -> None:
    follows = {"me": {"ann"}, "ann": {"bob", "cid", "me"}, "bob": set()}
    found = model.suggest_accounts("me", follows, {"me": Counter({"dee": 9.0})},
                                   blocked={("cid", "me")})  # fmt: skip
    names = {candidate: reason for candidate, _, reason in found}
    assert names == {"bob": "followed by:ann", "dee": "engaged"}
