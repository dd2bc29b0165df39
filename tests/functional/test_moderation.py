"""Reports and moderation through the app's routes (Chalice's test client, moto in-process):
what may be reported, how reports fold into cases, who may read the queue, and what each
action does. tests/integration/test_moderation_http.py runs the same flows over HTTP with
the streams running (feeds, search, grids)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.functional.events import stack_environment
from tests.functional.test_routes import Account, Api, assert_error, make_ready, new_post


@pytest.fixture(scope="module")
def api(aws: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from chalice.test import Client

    here = tmp_path_factory.mktemp("moderation")
    with stack_environment(SEARCH_SQLITE_PATH=str(here / "search.sqlite")):
        from app import app

        with Client(app, project_dir=str(here)) as client:
            yield Api(client)


def moderator(api: Api) -> Account:
    from chalicelib.moderation import moderators

    account = api.register()
    moderators.set_role(account.username)
    return account


def ready_post(api: Api, who: Account) -> str:
    post_id = new_post(api, who, "reported " + secrets.token_hex(3))
    make_ready(post_id)
    return post_id


def report(api: Api, who: Account, body: dict) -> dict:
    return api.ok("POST", "/reports", who, {"reason": "spam", **body})


def test_reports_of_one_target_fold_into_one_case_one_per_reporter(api: Api) -> None:
    author, one, two = api.register(), api.register(), api.register()
    post_id = ready_post(api, author)
    first = report(api, one, {"target_type": "post", "target_id": post_id})
    again = report(api, one, {"target_type": "post", "target_id": post_id, "reason": "hate"})
    other = report(api, two, {"target_type": "post", "target_id": post_id, "reason": "scam"})
    assert first == again == other == {"report_id": f"post-{post_id}", "status": "received"}
    case = api.ok("GET", f"/moderation/reports/post-{post_id}", moderator(api))
    assert case["report_count"] == 2
    assert case["reasons"] == {"spam": 1, "scam": 1}
    assert case["owner"]["user_id"] == author.user_id
    assert {r["reporter"]["user_id"] for r in case["reports"]} == {one.user_id, two.user_id}


def test_the_queue_is_most_reported_first_then_oldest(api: Api) -> None:
    author = api.register()
    older, newer, most = (ready_post(api, author) for _ in range(3))
    reporters = [api.register() for _ in range(3)]
    report(api, reporters[0], {"target_type": "post", "target_id": older})
    report(api, reporters[0], {"target_type": "post", "target_id": newer})
    for reporter in reporters:
        report(api, reporter, {"target_type": "post", "target_id": most})
    mod = moderator(api)
    seen: list[str] = []
    cursor = ""
    while True:
        page = api.ok("GET", f"/moderation/reports?limit=2{cursor}", mod)
        seen += [item["report_id"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    mine = [rid for rid in seen if rid in {f"post-{p}" for p in (older, newer, most)}]
    assert mine == [f"post-{most}", f"post-{older}", f"post-{newer}"]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"target_type": "reel", "target_id": "x"}, 400, "validation_error", "target_type"),
        ({"target_type": "story", "target_id": "x"}, 404, "story_not_found", None),
        ({"target_type": "post", "target_id": "x", "reason": "meh"}, 400, None, "reason"),
        ({"target_type": "post", "target_id": 7}, 400, "validation_error", "target_id"),
        ({"target_type": "post", "target_id": "x", "note": "n" * 501}, 400, None, "note"),
        ({"target_type": "comment", "target_id": "x"}, 400, "validation_error", "post_id"),
        ({"target_type": "post", "target_id": "nosuchpost"}, 404, "post_not_found", None),
        ({"target_type": "user", "target_id": "nobody_here"}, 404, "user_not_found", None),
        (
            {"target_type": "message", "target_id": "m", "conversation_id": "c"},
            404,
            "conversation_not_found",
            None,
        ),
    ],
)
def test_bad_reports_are_4xx_and_change_nothing(
    api: Api, body: dict, status: int, code: str | None, field: str | None
) -> None:
    sent = {"reason": "spam", **body}
    assert_error(
        api.call("POST", "/reports", api.register(), sent),
        status,
        code or "validation_error",
        field,
    )


def test_only_what_the_reporter_can_see_and_not_their_own(api: Api) -> None:
    private, stranger, blocker = api.register(private=True), api.register(), api.register()
    hidden = ready_post(api, private)
    assert_error(
        api.call(
            "POST",
            "/reports",
            stranger,
            {"target_type": "post", "target_id": hidden, "reason": "spam"},
        ),
        404,
        "post_not_found",
    )
    api.ok("POST", f"/users/{stranger.username}/block", blocker)
    body = {"target_type": "user", "target_id": blocker.username, "reason": "spam"}
    assert_error(api.call("POST", "/reports", stranger, body), 404, "user_not_found")
    own = {"target_type": "post", "target_id": hidden, "reason": "spam"}
    assert_error(api.call("POST", "/reports", private, own), 400, "cannot_report_own")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/moderation/reports"),
        ("GET", "/moderation/reports/post-x"),
        ("POST", "/moderation/reports/post-x"),
    ],
)
def test_the_moderation_routes_are_refused_to_everyone_else(
    api: Api, method: str, path: str
) -> None:
    body = {"action": "dismiss", "reason": "no"} if method == "POST" else None
    assert_error(api.call(method, path, api.register(), body), 403, "forbidden")


def test_a_dismissal_is_recorded_told_and_the_case_can_open_again(api: Api) -> None:
    author, reporter = api.register(), api.register()
    post_id = ready_post(api, author)
    report_id = report(api, reporter, {"target_type": "post", "target_id": post_id})["report_id"]
    mod = moderator(api)
    path = f"/moderation/reports/{report_id}"
    bad = {"action": "suspend", "reason": "x", "days": 0}
    assert_error(api.call("POST", path, mod, bad), 400, "validation_error", "days")
    closed = api.ok("POST", path, mod, {"action": "dismiss", "reason": "Not spam"})
    assert closed["status"] == "closed" and closed["report_count"] == 0
    assert closed["actions"][0] | {"at": 0} == {
        "action": "dismiss",
        "moderator_id": mod.user_id,
        "reason": "Not spam",
        "at": 0,
        "days": None,
        "suspended_until": None,
        "reports": 1,
    }
    assert_error(
        api.call("POST", path, mod, {"action": "dismiss", "reason": "again"}), 409, "report_closed"
    )
    told = api.ok("GET", "/activity", reporter)["items"]
    assert [i["kind"] for i in told] == ["report_outcome"]
    assert "does not break" in told[0]["text"]
    assert api.ok("GET", f"/posts/{post_id}", reporter)["post_id"] == post_id  # untouched
    report(api, reporter, {"target_type": "post", "target_id": post_id})  # afresh
    reopened = api.ok("GET", path, mod)
    assert reopened["status"] == "open" and reopened["report_count"] == 1
    assert len(reopened["actions"]) == 1


def test_removing_a_comment_and_a_message(api: Api) -> None:
    author, reporter, mod = api.register(), api.register(), moderator(api)
    post_id = ready_post(api, reporter)
    comment = api.ok("POST", f"/posts/{post_id}/comments", author, {"text": "rude words"})
    body = {"target_type": "comment", "target_id": comment["comment_id"], "post_id": post_id}
    report_id = report(api, reporter, body)["report_id"]
    api.ok("POST", f"/moderation/reports/{report_id}", mod, {"action": "remove", "reason": "Rude"})
    assert api.ok("GET", f"/posts/{post_id}/comments", reporter)["items"] == []
    assert api.ok("GET", f"/posts/{post_id}", reporter)["comments_count"] == 0
    notice = api.ok("GET", "/activity", author)["items"][0]
    assert notice["kind"] == "moderation_notice" and "Rude" in notice["text"]

    started = api.ok("POST", "/conversations", author, {"usernames": [reporter.username]})
    conversation = started["conversation_id"]
    messages = f"/conversations/{conversation}/messages"
    sent = [
        api.ok("POST", messages, who, {"text": text})
        for who, text in [(author, "hi"), (reporter, "hello"), (author, "send me money")]
    ]
    body = {
        "target_type": "message",
        "target_id": sent[2]["message_id"],
        "conversation_id": conversation,
        "reason": "scam",
    }
    report_id = report(api, reporter, body)["report_id"]
    case = api.ok("GET", f"/moderation/reports/{report_id}", mod)
    assert [m["text"] for m in case["reports"][0]["context"]] == ["hi", "hello", "send me money"]
    api.ok("POST", f"/moderation/reports/{report_id}", mod, {"action": "remove", "reason": "Scam"})
    history = api.ok("GET", messages, reporter)["items"]
    assert [m["text"] for m in history] == ["hello", "hi"]
    row = api.ok("GET", f"/conversations/{conversation}", reporter)
    assert row["last_message"]["preview"] == "hello", row
    assert row["unread"] == 0, row  # the removed message was its one unread


def test_a_suspension_refuses_sign_in_ends_sessions_hides_content_until_it_ends(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.accounts import standing
    from chalicelib.core.ids import now_ms

    author, reporter, mod = api.register(), api.register(), moderator(api)
    post_id = ready_post(api, author)
    chat = api.ok("POST", "/conversations", author, {"usernames": [reporter.username]})
    chat_id = chat["conversation_id"]
    api.ok("POST", f"/conversations/{chat_id}/messages", author, {"text": "you again"})
    api.ok("POST", f"/conversations/{chat_id}/messages", reporter, {"text": "stop"})

    def history() -> list[str]:
        page = api.ok("GET", f"/conversations/{chat_id}/messages", reporter)
        return [m["text"] for m in page["items"]]

    body = {"target_type": "user", "target_id": author.username, "reason": "harassment"}
    report_id = report(api, reporter, body)["report_id"]
    acted = api.ok(
        "POST",
        f"/moderation/reports/{report_id}",
        mod,
        {"action": "suspend", "reason": "Harassment", "days": 2},
    )
    until = acted["actions"][0]["suspended_until"]
    assert until > now_ms() + 86_400_000
    login = {"login": author.username, "password": "correct horse battery"}
    assert_error(api.call("POST", "/auth/login", body=login), 403, "account_suspended")
    assert_error(api.call("GET", "/me", author), 401, "session_ended")
    refresh = {"refresh_token": author.refresh_token}
    assert_error(api.call("POST", "/auth/refresh", body=refresh), 401, "invalid_refresh_token")
    assert_error(api.call("GET", f"/posts/{post_id}", reporter), 404, "post_not_found")
    assert_error(api.call("GET", f"/users/{author.username}", reporter), 404, "user_not_found")
    assert history() == ["stop"]  # its messages are content too
    # Two days later: all of it is back.
    monkeypatch.setattr(standing, "now_ms", lambda: until + 1)
    assert api.ok("GET", f"/posts/{post_id}", reporter)["post_id"] == post_id
    assert history() == ["stop", "you again"]
    assert api.ok("GET", f"/users/{author.username}", reporter)["user_id"] == author.user_id
    assert api.ok("POST", "/auth/login", body=login)["access_token"]
