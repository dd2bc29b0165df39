"""Search over HTTP, with the stream handlers keeping the embedded index fresh."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Account, Api, error_code, eventually

pytestmark = pytest.mark.integration


def search(api: Api, account: Account, q: str, kind: str = "all") -> list[dict]:
    from urllib.parse import quote

    answer = api.call("GET", f"/search?q={quote(q)}&type={kind}", token=account.access_token)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def usernames(items: list[dict]) -> list[str]:
    return [item["user"]["username"] for item in items if item["type"] == "user"]


def test_people_are_findable_as_you_type_renamed_and_with_typos(api: Api) -> None:
    me = api.register()
    stem = "zq" + me.user_id[-6:].lower()
    person = api.register(username=f"{stem}_alice")
    eventually(
        lambda: person.username in usernames(search(api, me, stem[:5], "users")),
        "the new user by prefix",
    )
    assert person.username in usernames(search(api, me, f"@{stem}"))  # @ restricts to people
    typo = stem[:-2] + stem[-1] + stem[-2] + "_alice"  # two letters swapped
    assert person.username in usernames(search(api, me, typo, "users"))
    renamed = "yx" + stem[::-1] + "_dora"
    assert api.call("PATCH", "/me", {"username": renamed}, token=person.access_token).ok
    eventually(
        lambda: usernames(search(api, me, renamed[:6], "users")) == [renamed], "the new name"
    )
    assert usernames(search(api, me, f"{stem}_al", "users")) == []  # not the old one


def test_tags_places_and_posts_with_accents_korean_and_deletion(api: Api, publish) -> None:
    author, reader = api.register(), api.register()
    mark = "k" + author.user_id[-6:].lower()
    post_id = publish(
        author,
        f"Morning at the café #{mark}Café #서울{mark}",
        place={"name": f"Café {mark}", "lat": 37.56, "lng": 126.97},
    )
    eventually(
        lambda: any(i["type"] == "tag" for i in search(api, reader, f"#{mark}cafe")),
        "the tag, accents folded",
    )
    korean = search(api, reader, f"서울{mark[:3]}", "tags")
    assert [i["tag"] for i in korean] == [f"서울{mark}"]
    # The place comes through its own stream: it may lag the tag by a moment.
    places = eventually(lambda: search(api, reader, f"cafe {mark}", "places"), "the place")
    assert places[0]["place"]["post_count"] == 1
    posts = search(api, reader, f"morning {mark}", "posts")
    assert [i["post"]["post_id"] for i in posts] == [post_id]
    api.call("DELETE", f"/posts/{post_id}", token=author.access_token)
    eventually(
        lambda: search(api, reader, f"morning {mark}", "posts") == [], "the deleted post to vanish"
    )
    eventually(lambda: search(api, reader, f"#{mark}cafe") == [], "the emptied tag")


def test_visibility_blocked_and_private(api: Api, publish) -> None:
    owner, stranger, blocked = api.register(), api.register(), api.register()
    mark = "v" + owner.user_id[-6:].lower()
    post_id = publish(owner, f"hidden {mark}")
    api.call("PATCH", "/me", {"is_private": True}, token=owner.access_token)
    api.call("POST", f"/users/{blocked.username}/block", token=owner.access_token)
    eventually(lambda: search(api, owner, f"hidden {mark}", "posts"), "the owner's own post")
    assert search(api, stranger, f"hidden {mark}", "posts") == []  # private: followers only
    assert owner.username in usernames(search(api, stranger, owner.username, "users"))
    assert usernames(search(api, blocked, owner.username, "users")) == []
    assert post_id  # the post exists: the owner found it above


def test_recent_searches_and_bad_queries(api: Api) -> None:
    me, other = api.register(), api.register()
    for query in ("sunset", "alice"):
        saved = api.call(
            "POST",
            "/search/recent",
            {"query": query, "type": "user", "id": other.user_id},
            token=me.access_token,
        )
        assert saved.status_code == 201
    recent = api.call("GET", "/search/recent", token=me.access_token).json()["items"]
    assert [r["query"] for r in recent] == ["alice", "sunset"]
    assert api.call("DELETE", "/search/recent", token=me.access_token).status_code == 204
    assert api.call("GET", "/search/recent", token=me.access_token).json()["items"] == []
    for path in (
        "/search",
        "/search?q=",
        "/search?q=x&type=robots",
        "/search?q=x&type=users&cursor=%%%",
    ):
        answer = api.call("GET", path, token=me.access_token)
        assert answer.status_code == 400, (path, answer.text)
    assert (
        error_code(api.call("POST", "/search/recent", {"query": ""}, token=me.access_token))
        == "validation_error"
    )
