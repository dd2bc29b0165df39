"""Reports and moderation over HTTP against the local cloud, streams running: reports fold
into one case, the operator's command makes a moderator, a removal takes the post out of the
follower's feed, search and the author's grid, and a suspension refuses sign-in and the
existing token and hides the account's content until it ends, when all of it is back; a
removed photo cannot be posted again, resized and re-encoded."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
import requests
from PIL import Image

from tests.conftest import REPOSITORY, RunningCloud
from tests.integration.conftest import PASSWORD, Account, Api, error_code, eventually

pytestmark = pytest.mark.integration


def grant(cloud: RunningCloud, username: str) -> None:
    """The operator's command, against the local cloud's emulator (README)."""
    env = {**os.environ, **cloud.env}
    done = subprocess.run(
        [sys.executable, "-m", "chalicelib.moderation.grant", username],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "is now a moderator" in done.stdout


def json(api: Api, method: str, path: str, who: Account, body: object = None) -> dict:
    response = api.call(method, path, body, token=who.access_token)
    assert response.status_code < 300, (method, path, response.status_code, response.text)
    return response.json()


def post_ids(api: Api, path: str, who: Account) -> list[str]:
    items = json(api, "GET", path, who)["items"]
    return [item.get("post_id") or (item.get("post") or {}).get("post_id") for item in items]


@pytest.fixture(scope="module")
def moderator(api: Api, local_cloud: RunningCloud) -> Account:
    account = api.register()
    grant(local_cloud, account.username)
    return account


def test_a_report_through_to_removal(
    api: Api, local_cloud: RunningCloud, publish: Callable[..., str], moderator: Account
) -> None:
    author, follower, one, two = (api.register() for _ in range(4))
    json(api, "POST", f"/users/{author.username}/follow", follower)
    word = "mod" + secrets.token_hex(4)
    post_id = publish(author, f"buy cheap {word} #{word}")
    eventually(lambda: post_id in post_ids(api, "/feed", follower), "the post in the feed")
    search = f"/search?type=posts&q={word}"
    eventually(lambda: post_id in post_ids(api, search, follower), "the post in search")
    tag_page = f"/tags/{word}/posts"
    eventually(lambda: post_id in post_ids(api, tag_page, follower), "the post on its tag page")

    body = {"target_type": "post", "target_id": post_id, "reason": "spam"}
    for who in (one, one, two):
        answer = api.call("POST", "/reports", body, token=who.access_token)
        assert answer.status_code == 202, answer.text
    report_id = answer.json()["report_id"]

    outsider = api.call("GET", "/moderation/reports", token=one.access_token)
    assert (outsider.status_code, error_code(outsider)) == (403, "forbidden")
    acting = api.call(
        "POST",
        f"/moderation/reports/{report_id}",
        {"action": "remove", "reason": "x"},
        token=two.access_token,
    )
    assert (acting.status_code, error_code(acting)) == (403, "forbidden")

    case = json(api, "GET", f"/moderation/reports/{report_id}", moderator)
    assert (case["report_count"], case["reasons"]) == (2, {"spam": 2})
    queue = json(api, "GET", "/moderation/reports?limit=100", moderator)["items"]
    assert report_id in [item["report_id"] for item in queue]

    closed = json(
        api,
        "POST",
        f"/moderation/reports/{report_id}",
        moderator,
        {"action": "remove", "reason": "Spam is not allowed"},
    )
    assert closed["status"] == "closed"
    assert closed["actions"][0]["moderator_id"] == moderator.user_id

    gone = api.call("GET", f"/posts/{post_id}", token=follower.access_token)
    assert gone.status_code == 404
    eventually(lambda: post_id not in post_ids(api, "/feed", follower), "the post out of the feed")
    eventually(lambda: post_id not in post_ids(api, search, follower), "the post out of search")
    eventually(
        lambda: (
            api.call("GET", tag_page, token=follower.access_token).status_code == 404
            or post_id not in post_ids(api, tag_page, follower)
        ),
        "the post off its tag page",
    )
    grid = f"/users/{author.username}/posts"
    assert post_id not in post_ids(api, grid, follower)
    assert post_id not in post_ids(api, grid, author)
    queue = json(api, "GET", "/moderation/reports?limit=100", moderator)["items"]
    assert report_id not in [item["report_id"] for item in queue]

    for reporter in (one, two):
        kinds = [i["kind"] for i in json(api, "GET", "/activity", reporter)["items"]]
        assert "report_outcome" in kinds
    items = json(api, "GET", "/activity", author)["items"]
    notices = [i for i in items if i["kind"] == "moderation_notice"]
    assert notices and "Spam is not allowed" in notices[0]["text"]


def test_a_suspension_hides_the_account_until_it_ends(
    api: Api, publish: Callable[..., str], moderator: Account
) -> None:
    author, follower, reporter = (api.register() for _ in range(3))
    json(api, "POST", f"/users/{author.username}/follow", follower)
    word = "sus" + secrets.token_hex(4)
    post_id = publish(author, f"shouting {word}")
    eventually(lambda: post_id in post_ids(api, "/feed", follower), "the post in the feed")

    body = {"target_type": "user", "target_id": author.username, "reason": "harassment"}
    report_id = json(api, "POST", "/reports", reporter, body)["report_id"]
    seconds = 12
    acted = json(
        api,
        "POST",
        f"/moderation/reports/{report_id}",
        moderator,
        {"action": "suspend", "reason": "Harassment", "days": seconds / 86_400},
    )
    until = acted["actions"][0]["suspended_until"] / 1000

    login = {"login": author.username, "password": PASSWORD}
    refused = api.call("POST", "/auth/login", login)
    assert (refused.status_code, error_code(refused)) == (403, "account_suspended")
    old_token = api.call("GET", "/me", token=author.access_token)
    assert (old_token.status_code, error_code(old_token)) == (401, "session_ended")
    assert api.call("GET", f"/posts/{post_id}", token=follower.access_token).status_code == 404
    profile = api.call("GET", f"/users/{author.username}", token=follower.access_token)
    assert profile.status_code == 404
    assert post_id not in post_ids(api, "/feed", follower)
    assert post_id not in post_ids(api, f"/search?type=posts&q={word}", follower)

    time.sleep(max(0.0, until - time.time()) + 0.5)
    assert post_id in post_ids(api, "/feed", follower)
    assert api.call("GET", f"/posts/{post_id}", token=follower.access_token).status_code == 200
    assert api.call("GET", f"/users/{author.username}", token=follower.access_token).ok
    back = api.call("POST", "/auth/login", login)
    assert back.status_code == 200, back.text


# A photo no other test posts: once removed, it is refused for the rest of the session.
REMOVED_PHOTO = REPOSITORY / "tests" / "functional" / "media" / "data" / "dlib-faces"
REMOVED_PHOTO = REMOVED_PHOTO / "2009_004587.jpg"


def post_photo(api: Api, who: Account, data: bytes) -> dict:
    """A post of this photo, once the media function is done with it (ready or failed)."""
    slot = json(api, "POST", "/uploads", who, {"content_type": "image/jpeg", "size": len(data)})
    sent = requests.post(
        slot["url"], data=slot["fields"], timeout=30, files={"file": ("p.jpg", data)}
    )
    assert sent.status_code in (200, 201, 204)
    created = json(api, "POST", "/posts", who, {"upload_ids": [slot["upload_id"]]})
    path = f"/posts/{created['post_id']}"
    return eventually(
        lambda: (post := json(api, "GET", path, who))["status"] != "processing" and post,
        "the photo processed",
    )


def test_a_removed_photo_cannot_be_posted_again(api: Api, moderator: Account) -> None:
    author, reporter = api.register(), api.register()
    first = post_photo(api, author, REMOVED_PHOTO.read_bytes())
    assert first["status"] == "ready"
    body = {"target_type": "post", "target_id": first["post_id"], "reason": "nudity"}
    report_id = json(api, "POST", "/reports", reporter, body)["report_id"]
    act = {"action": "remove", "reason": "Not allowed"}
    json(api, "POST", f"/moderation/reports/{report_id}", moderator, act)

    with Image.open(REMOVED_PHOTO) as image:
        w, h = image.size
        buffer = io.BytesIO()
        image.resize((w * 3 // 4, h * 3 // 4)).save(buffer, "JPEG", quality=60)
    for who in (author, reporter):  # whoever posts it
        again = post_photo(api, who, buffer.getvalue())
        assert again["status"] == "failed", again
        assert "removed" in again["images"][0]["failure_reason"], again
