"""The route tier: every operation of docs/openapi.yaml through Chalice's test client
(``chalice.test.Client``: the app's own middleware, blueprints and views, in this process)
against moto's in-memory AWS, whose tables the ``aws`` fixture deploys from
infra/template.yaml.

- the auth guard: every operation the document does not mark public answers 401 without a
  token and with a garbage one (the list is read from the document: a new route is covered
  the day it is documented);
- the error shape ``{"error": {"code", "message", "field"?}}`` for 400, 401, 404, 405, 413 and
  415, Chalice's own 405 and 415 reshaped into it; and the one answer the document says is
  not in it, the gateway's 403 for a path no route matches;
- the happy path: each operation called once with valid input answers its documented 2xx
  status with a body its documented schema accepts. ``HAPPY`` says how to call each one; an
  operation of the document without an entry fails ``test_every_operation_has_a_happy_path``.

Stream consumers and websocket handlers do not run here (tests/functional/test_events.py runs
them). What a case needs that a stream would have made (the tag and place pages' listings,
the follower's feed entry) comes from the posts stream's reactions, called in-process.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from boto3.dynamodb.types import TypeDeserializer
from chalice.test import Client
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.functional.events import stack_environment

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in SPEC["paths"].items()
    for method in HTTP_METHODS
    if method in item
)
PROTECTED = [
    (method, path)
    for method, path in OPERATIONS
    if SPEC["paths"][path][method.lower()].get("security", SPEC["security"]) != []
]
ERROR_CODES = set(SPEC["components"]["schemas"]["ErrorCode"]["enum"])
MAX_BODY_BYTES = 64 * 1024
PASSWORD = "correct horse battery"
_SPEC_URI = "urn:glimpse:openapi"
_REGISTRY = Registry().with_resource(
    _SPEC_URI, Resource.from_contents(SPEC, default_specification=DRAFT202012)
)


def operation_id(operation: tuple[str, str]) -> str:
    return " ".join(operation)


def with_dummy_params(path: str) -> str:
    return re.sub(r"\{\w+\}", "dummy0", path)


# -- the client ------------------------------------------------------------------------------


@dataclass
class Account:
    username: str
    user_id: str
    token: str
    refresh_token: str


class Api:
    """The app behind Chalice's test client, called as a phone would."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def call(
        self,
        method: str,
        path: str,
        who: Account | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        sent = dict(headers or {})
        if who is not None:
            sent.setdefault("authorization", f"Bearer {who.token}")
        raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body)
        if body is not None and not isinstance(body, bytes):
            sent.setdefault("content-type", "application/json")
        return self.client.http.request(method, path, headers=sent, body=raw)

    def ok(self, method: str, path: str, who: Account | None = None, body: Any = None) -> Any:
        """A setup step that must work; its JSON answer."""
        response = self.call(method, path, who, body)
        assert response.status_code < 300, (method, path, response.status_code, response.body)
        return response.json_body

    def register(self, private: bool = False) -> Account:
        name = "r_" + secrets.token_hex(5)
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        signed_in = self.ok("POST", "/auth/register", body=body)
        account = Account(
            name,
            signed_in["user"]["user_id"],
            signed_in["access_token"],
            signed_in["refresh_token"],
        )
        if private:
            self.ok("PATCH", "/me", account, {"is_private": True})
        return account

    def login(self, account: Account) -> dict[str, Any]:
        """A second session of the account."""
        return self.ok(
            "POST", "/auth/login", body={"login": account.username, "password": PASSWORD}
        )


@pytest.fixture(scope="module")
def api(aws: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    # A project directory without .chalice/config.json: the client then patches no stage's
    # environment variables in (the "dev" stage's would name other tables); and a search
    # index of this module's own instead of the shared default file.
    here = tmp_path_factory.mktemp("routes")
    with stack_environment(SEARCH_SQLITE_PATH=str(here / "search.sqlite")):
        from app import app

        with Client(app, project_dir=str(here)) as client:
            yield Api(client)


# -- the document's contract -----------------------------------------------------------------


def documented_response(method: str, path: str, status: int) -> tuple[str, dict[str, Any]]:
    """The JSON pointer to, and the body of, the document's response."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    pointer = f"#/paths/{escaped}/{method.lower()}/responses/{status}"
    response = SPEC["paths"][path][method.lower()]["responses"][str(status)]
    if "$ref" in response:
        pointer = response["$ref"]
        response = SPEC["components"]["responses"][pointer.rsplit("/", 1)[1]]
    return pointer, response


def success_statuses(method: str, path: str) -> list[int]:
    responses = SPEC["paths"][path][method.lower()]["responses"]
    return sorted(int(status) for status in responses if str(status).startswith("2"))


def assert_documented_body(method: str, path: str, response: Any) -> None:
    pointer, documented = documented_response(method, path, response.status_code)
    content = documented.get("content", {}).get("application/json")
    if content is None:
        assert response.body == b"", f"{method} {path} documents no body"
        return
    schema = {"$ref": f"{_SPEC_URI}{pointer}/content/application~1json/schema"}
    errors = sorted(
        Draft202012Validator(schema, registry=_REGISTRY).iter_errors(response.json_body),
        key=lambda error: list(error.absolute_path),
    )
    assert not errors, f"{method} {path} {response.status_code}: " + "; ".join(
        f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
        for error in errors[:5]
    )


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> None:
    """The API's one error shape, with a code the document lists."""
    body = response.json_body
    assert response.status_code == status, (response.status_code, response.body)
    assert response.headers.get("Content-Type") == "application/json"
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message"} <= set(error) <= {"code", "message", "field"}, error
    assert isinstance(error["message"], str) and error["message"], error
    assert error["code"] in ERROR_CODES, f"{error['code']} is not in the document's ErrorCode"
    assert error["code"] == code, error
    if field is not None:
        assert error.get("field") == field, error


# -- the auth guard --------------------------------------------------------------------------


def test_the_document_marks_exactly_the_auth_routes_and_health_public() -> None:
    public = sorted(set(OPERATIONS) - set(PROTECTED))
    assert public == [
        ("GET", "/health"),
        ("POST", "/auth/email/verify"),
        ("POST", "/auth/login"),
        ("POST", "/auth/login/2fa"),
        ("POST", "/auth/logout"),
        ("POST", "/auth/password/forgot"),
        ("POST", "/auth/password/reset"),
        ("POST", "/auth/refresh"),
        ("POST", "/auth/register"),
    ]


@pytest.mark.parametrize(
    ("authorization", "code"),
    [(None, "unauthenticated"), ("Bearer not.a-token", "invalid_token")],
    ids=["no token", "garbage token"],
)
@pytest.mark.parametrize("operation", PROTECTED, ids=operation_id)
def test_a_protected_operation_wants_a_valid_token(
    api: Api, operation: tuple[str, str], authorization: str | None, code: str
) -> None:
    method, path = operation
    headers = {} if authorization is None else {"authorization": authorization}
    response = api.call(method, with_dummy_params(path), headers=headers)
    assert_error(response, 401, code)
    assert_documented_body(method, path, response)


def test_a_token_of_an_ended_session_is_refused_at_once(api: Api) -> None:
    account = api.register()
    api.ok("POST", "/auth/logout", body={"refresh_token": account.refresh_token})
    assert_error(api.call("GET", "/me", account), 401, "session_ended")


# -- the error shape -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def someone(api: Api) -> Account:
    return api.register()


def nested(depth: int) -> str:
    """A body that is an object holding ``depth`` levels of brackets in all."""
    return '{"login": ' + "[" * (depth - 1) + "]" * (depth - 1) + ', "password": "x"}'


def test_json_nested_deeper_than_32_levels_is_invalid_json(api: Api) -> None:
    headers = {"content-type": "application/json"}
    deep = api.call("POST", "/auth/login", body=nested(33).encode(), headers=headers)
    assert_error(deep, 400, "invalid_json")
    at_the_limit = api.call("POST", "/auth/login", body=nested(32).encode(), headers=headers)
    assert_error(at_the_limit, 400, "validation_error", "login")  # parsed: not a login name


def test_a_nul_in_a_field_is_invalid_text_naming_the_field(api: Api) -> None:
    body = {"username": "nul\x00name", "email": "nul@example.com", "password": PASSWORD}
    assert_error(api.call("POST", "/auth/register", body=body), 400, "invalid_text", "username")


def test_a_bad_character_in_a_query_parameter_even_an_undocumented_one_is_invalid_text(
    api: Api, someone: Account
) -> None:
    response = api.call("GET", "/me?utm=%E2%80%AE", someone)  # U+202E, a bidi override
    assert_error(response, 400, "invalid_text", "utm")


def test_a_path_segment_longer_than_any_key_is_400_naming_it(api: Api, someone: Account) -> None:
    # DynamoDB would refuse the key (a 500); the edge refuses it first.
    response = api.call("GET", "/posts/" + "p" * 257, someone)
    assert_error(response, 400, "validation_error", "post_id")


def test_an_unknown_user_is_404_in_the_error_shape(api: Api, someone: Account) -> None:
    assert_error(api.call("GET", "/users/nobody_by_that_name", someone), 404, "user_not_found")


def test_a_known_path_with_another_method_is_chalices_405_reshaped(
    api: Api, someone: Account
) -> None:
    # What Chalice's gateway (its local server, this test client) does. A deployed REST API
    # has no PUT method on /me, and API Gateway answers that itself, like an unmatched path.
    response = api.call("PUT", "/me", someone)
    assert_error(response, 405, "method_not_allowed")
    assert sorted(response.headers["Allow"].split(", ")) == ["DELETE", "GET", "PATCH"]
    assert_error(api.call("PUT", "/health"), 405, "method_not_allowed")  # public: no token
    # on a non-public path the token is checked first
    assert_error(api.call("PUT", "/me"), 401, "unauthenticated")


@pytest.mark.parametrize(
    ("path", "authenticated"),
    [("/auth/login", False), ("/posts", False), ("/posts", True)],
    ids=["public", "protected without a token", "protected"],
)
def test_a_body_over_max_body_bytes_is_413_before_anything_else(
    api: Api, someone: Account, path: str, authenticated: bool
) -> None:
    too_big = json.dumps({"caption": "x" * MAX_BODY_BYTES}).encode()
    response = api.call(
        "POST",
        path,
        someone if authenticated else None,
        body=too_big,
        headers={"content-type": "application/json"},
    )
    assert_error(response, 413, "payload_too_large")


def test_a_body_of_exactly_max_body_bytes_is_read(api: Api) -> None:
    filler = "x" * (MAX_BODY_BYTES - len('{"login": "", "password": "x"}'))
    body = json.dumps({"login": filler, "password": "x"}).encode()
    assert len(body) == MAX_BODY_BYTES
    response = api.call(
        "POST", "/auth/login", body=body, headers={"content-type": "application/json"}
    )
    assert response.status_code != 413 and response.status_code < 500, response.body


@pytest.mark.parametrize(
    ("path", "authenticated"),
    [("/auth/login", False), ("/posts", True)],
    ids=["public", "protected"],
)
def test_a_body_that_is_not_json_is_chalices_415_reshaped(
    api: Api, someone: Account, path: str, authenticated: bool
) -> None:
    response = api.call(
        "POST",
        path,
        someone if authenticated else None,
        body=b"login=someone&password=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "content_type", [None, "application/json; charset=utf-8"], ids=["missing", "with charset"]
)
def test_a_json_body_without_or_with_a_parameterised_content_type_is_json(
    api: Api, someone: Account, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    body = json.dumps({"login": someone.username, "password": PASSWORD}).encode()
    response = api.call("POST", "/auth/login", body=body, headers=headers)
    assert response.status_code == 200, response.body


def test_a_path_no_route_matches_is_the_gateways_403_as_documented(
    api: Api, someone: Account
) -> None:
    # docs/openapi.yaml: answered by API Gateway (and Chalice's local server) itself, before
    # the app, so not in the Error shape.
    for who in (None, someone):
        response = api.call("GET", "/no/such/route", who)
        assert response.status_code == 403
        assert set(response.json_body) == {"message"}
    assert api.call("GET", "/no/such/route").json_body == {
        "message": "Missing Authentication Token"
    }


# -- the happy path --------------------------------------------------------------------------


@dataclass
class Call:
    path: str
    who: Account | None = None
    body: Any = None
    status: int | None = None  # for an operation that documents several 2xx


@dataclass
class World:
    """What the happy paths share: ``me`` follows ``friend``, whose ready post (with a hashtag
    and a place) is on ``me``'s feed and on its tag and place pages; ``me`` has a post of its
    own (processing) and a 1:1 conversation with ``friend``. Cases that destroy or change
    something make their own."""

    api: Api
    me: Account
    friend: Account
    friend_post_id: str
    tag: str
    place_id: str
    my_post_id: str
    conversation_id: str

    def new_post(self, who: Account, caption: str = "") -> str:
        return new_post(self.api, who, caption)

    def requested_by(self, requester: Account) -> Account:
        """A private account ``requester`` asked to follow."""
        owner = self.api.register(private=True)
        answer = self.api.ok("POST", f"/users/{owner.username}/follow", requester)
        assert answer["status"] == "requested"
        return owner

    def group(self, *others: Account) -> str:
        usernames = [other.username for other in others]
        body = {"usernames": usernames, "name": "route tier"}
        return self.api.ok("POST", "/conversations", self.me, body)["conversation_id"]


def new_post(api: Api, who: Account, caption: str = "", place: Any = None) -> str:
    """A post of ``who`` from a fresh upload slot: processing until its photo is made."""
    upload = api.ok("POST", "/uploads", who, {"content_type": "image/jpeg", "size": 999})
    body: dict[str, Any] = {"upload_ids": [upload["upload_id"]], "caption": caption}
    if place is not None:
        body["place"] = place
    return api.ok("POST", "/posts", who, body)["post_id"]


def stream_image(item: Any) -> dict[str, Any]:
    """An item as its table's stream carries it (NEW_AND_OLD_IMAGES), deserialized."""
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in item.serialize().items()}


def make_ready(post_id: str) -> None:
    """What the media function and then the posts stream do for a post whose photo arrived."""
    from chalicelib import streams
    from chalicelib.posts import media
    from chalicelib.posts.models import Post, PostImage, Rendition

    post = Post.get(post_id, consistent_read=True)
    before = stream_image(post)
    image = PostImage(
        upload_id=post.images[0].upload_id,
        status="ready",
        width=1080,
        height=810,
        placeholder="LKO2?U%2Tw=w",
        renditions=[
            Rendition(
                name="1080", key=f"posts/{post_id}/0/1080.jpg", width=1080, height=810, bytes=1
            )
        ],
    )
    assert media.record_image(post_id, 0, image) == "ready"
    streams.react("posts", before, stream_image(Post.get(post_id, consistent_read=True)))


@pytest.fixture(scope="module")
def world(api: Api) -> World:
    me, friend = api.register(), api.register()
    api.ok("POST", f"/users/{friend.username}/follow", me)
    tag = "routes" + secrets.token_hex(3)
    place = {"name": f"Café {tag}", "lat": 48.8566, "lng": 2.3522}
    friend_post_id = new_post(api, friend, f"golden hour #{tag}", place)
    make_ready(friend_post_id)
    place_id = api.ok("GET", f"/posts/{friend_post_id}", me)["place"]["place_id"]
    my_post_id = new_post(api, me, "mine")
    body = {"usernames": [friend.username]}
    conversation_id = api.ok("POST", "/conversations", me, body)["conversation_id"]
    return World(api, me, friend, friend_post_id, tag, place_id, my_post_id, conversation_id)


def _register(w: World) -> Call:
    name = "r_" + secrets.token_hex(5)
    return Call(
        "/auth/register",
        body={"username": name, "email": f"{name}@example.com", "password": PASSWORD},
    )


def _approve(w: World) -> Call:
    owner = w.requested_by(w.me)
    return Call(f"/me/follow-requests/{w.me.username}", owner)


def _deny(w: World) -> Call:
    owner = w.requested_by(w.me)
    return Call(f"/me/follow-requests/{w.me.username}", owner)


def _unfollow(w: World) -> Call:
    other = w.api.register()
    w.api.ok("POST", f"/users/{other.username}/follow", w.me)
    return Call(f"/users/{other.username}/follow", w.me)


def _unblock(w: World) -> Call:
    other = w.api.register()
    w.api.ok("POST", f"/users/{other.username}/block", w.me)
    return Call(f"/users/{other.username}/block", w.me)


def _remove_device(w: World) -> Call:
    body = {"platform": "apns", "token": secrets.token_hex(32)}
    device = w.api.ok("POST", "/me/devices", w.me, body)
    return Call(f"/me/devices/{device['device_id']}", w.me)


def _remove_follower(w: World) -> Call:
    other = w.api.register()
    w.api.ok("POST", f"/users/{w.me.username}/follow", other)
    return Call(f"/me/followers/{other.username}", w.me)


def _unmute(w: World) -> Call:
    other = w.api.register()
    w.api.ok("POST", f"/users/{other.username}/mute", w.me)
    return Call(f"/users/{other.username}/mute", w.me)


def _unrestrict(w: World) -> Call:
    other = w.api.register()
    w.api.ok("POST", f"/users/{other.username}/restrict", w.me)
    return Call(f"/users/{other.username}/restrict", w.me)


def _approve_comment(w: World) -> Call:
    """``friend`` restricted ``me``: my comment on friend's post waits for friend."""
    pest = w.api.register()
    w.api.ok("POST", f"/users/{pest.username}/restrict", w.friend)
    path = f"/posts/{w.friend_post_id}/comments"
    waiting = w.api.ok("POST", path, pest, {"text": "let me in"})
    assert waiting["pending"] is True
    return Call(f"{path}/{waiting['comment_id']}/approve", w.friend)


def _blocked_list(w: World) -> Call:
    other = w.api.register()
    w.api.ok("POST", f"/users/{other.username}/block", w.me)
    return Call("/me/blocked?limit=5", w.me)


def _set_avatar(w: World) -> Call:
    """A fresh slot whose photo is still to come: the avatar turns processing (202)."""
    upload = w.api.ok("POST", "/uploads", w.me, {"content_type": "image/jpeg", "size": 999})
    return Call("/me/avatar", w.me, {"upload_id": upload["upload_id"]})


def _create_post(w: World) -> Call:
    upload = w.api.ok("POST", "/uploads", w.me, {"content_type": "image/jpeg", "size": 999})
    tag = {"username": w.friend.username, "x": 0.5, "y": 0.25}
    body = {
        "media": [{"upload_id": upload["upload_id"], "alt_text": "a new post", "tags": [tag]}],
        "caption": "new #post",
        "filter": "moon",
        "place": {"name": "Somewhere", "lat": 1.5, "lng": -2.25},
    }
    return Call("/posts", w.me, body)


def _untag_me(w: World) -> Call:
    """The friend tags me on their post, I take the tag off."""
    tag = {"username": w.me.username, "x": 0.1, "y": 0.9}
    w.api.ok("PATCH", f"/posts/{w.friend_post_id}", w.friend, {"media": [{"tags": [tag]}]})
    return Call(f"/posts/{w.friend_post_id}/tags/me", w.me)


def _unlike(w: World) -> Call:
    w.api.ok("POST", f"/posts/{w.friend_post_id}/like", w.me)
    return Call(f"/posts/{w.friend_post_id}/like", w.me)


def _delete_comment(w: World) -> Call:
    body = {"text": "to be deleted"}
    comment = w.api.ok("POST", f"/posts/{w.friend_post_id}/comments", w.me, body)
    return Call(f"/posts/{w.friend_post_id}/comments/{comment['comment_id']}", w.me)


def _unsave(w: World) -> Call:
    w.api.ok("POST", f"/posts/{w.friend_post_id}/save", w.me)
    return Call(f"/posts/{w.friend_post_id}/save", w.me)


def _accept(w: World) -> Call:
    stranger = w.api.register()  # me does not follow them: their message is a request
    started = w.api.ok("POST", "/conversations", stranger, {"usernames": [w.me.username]})
    return Call(f"/conversations/{started['conversation_id']}/accept", w.me)


def _add_member(w: World) -> Call:
    conversation_id = w.group(w.friend, w.api.register())
    body = {"usernames": [w.api.register().username]}
    return Call(f"/conversations/{conversation_id}/members", w.me, body)


def _leave(w: World) -> Call:
    return Call(f"/conversations/{w.group(w.friend, w.api.register())}/members/me", w.me)


def _clear_searches(w: World) -> Call:
    w.api.ok("POST", "/search/recent", w.me, {"query": "to forget"})
    return Call("/search/recent", w.me)


def _logout(w: World) -> Call:
    return Call("/auth/logout", body={"refresh_token": w.api.login(w.me)["refresh_token"]})


def _refresh(w: World) -> Call:
    return Call("/auth/refresh", body={"refresh_token": w.api.login(w.me)["refresh_token"]})


def _mail_token(kind: str, account: Account) -> str:
    """The token a mail would carry (the mail itself is the integration tests' business)."""
    from chalicelib.accounts import onetime

    return onetime.issue(kind, account.user_id, 60, email=f"{account.username}@example.com")


def _verify_email(w: World) -> Call:
    return Call("/auth/email/verify", body={"token": _mail_token("verify_email", w.api.register())})


def _reset_password(w: World) -> Call:
    token = _mail_token("reset_password", w.api.register())
    return Call("/auth/password/reset", body={"token": token, "password": PASSWORD + "!"})


def _two_factor_on(w: World) -> tuple[Account, list[str]]:
    """A fresh account with two-factor on, and its recovery codes."""
    import pyotp

    account = w.api.register()
    secret = w.api.ok("POST", "/me/2fa", account)["secret"]
    confirmed = w.api.ok("POST", "/me/2fa/confirm", account, {"code": pyotp.TOTP(secret).now()})
    return account, confirmed["recovery_codes"]


def _confirm_two_factor(w: World) -> Call:
    import pyotp

    account = w.api.register()
    secret = w.api.ok("POST", "/me/2fa", account)["secret"]
    return Call("/me/2fa/confirm", account, {"code": pyotp.TOTP(secret).now()})


def _disable_two_factor(w: World) -> Call:
    account, recovery_codes = _two_factor_on(w)
    return Call("/me/2fa", account, {"recovery_code": recovery_codes[0]})


def _login_second_step(w: World) -> Call:
    account, recovery_codes = _two_factor_on(w)
    challenge = w.api.login(account)["challenge"]
    return Call(
        "/auth/login/2fa", body={"challenge": challenge, "recovery_code": recovery_codes[0]}
    )


def _end_session(w: World) -> Call:
    account = w.api.register()
    other_session = w.api.login(account)["refresh_token"].split(".", 1)[0]
    return Call(f"/me/sessions/{other_session}", account)


def _moderator(w: World) -> Account:
    """A fresh account given the role as an operator would (no route grants it)."""
    from chalicelib.moderation import moderators

    account = w.api.register()
    moderators.set_role(account.username)
    return account


def _reported(w: World) -> str:
    """A case: a fresh account's message to me, which I report."""
    stranger = w.api.register()
    started = w.api.ok("POST", "/conversations", stranger, {"usernames": [w.me.username]})
    path = f"/conversations/{started['conversation_id']}/messages"
    message = w.api.ok("POST", path, stranger, {"text": "buy followers now"})
    body = {
        "target_type": "message",
        "target_id": message["message_id"],
        "conversation_id": started["conversation_id"],
        "reason": "spam",
        "note": "a bot",
    }
    return w.api.ok("POST", "/reports", w.me, body)["report_id"]


def _new_story(w: World, who: Account, ready: bool = True) -> str:
    """A story of ``who``; ``ready``: as the media function and then the stories stream
    leave it once its photo is made."""
    from chalicelib import streams
    from chalicelib.stories import media
    from chalicelib.stories.models import Story, StoryRendition

    upload = w.api.ok("POST", "/uploads", who, {"content_type": "image/jpeg", "size": 999})
    story_id = w.api.ok("POST", "/stories", who, {"upload_id": upload["upload_id"]})["story_id"]
    if ready:
        before = stream_image(Story.get(story_id, consistent_read=True))
        key = media.key(who.user_id, story_id, "story")
        rendition = StoryRendition(name="story", key=key, width=1080, height=1920)
        assert media.record_ready(story_id, [rendition], "LKO2?U%2Tw=w")
        after = stream_image(Story.get(story_id, consistent_read=True))
        streams.react("stories", before, after)
    return story_id


def _tray(w: World) -> Call:
    _new_story(w, w.friend)  # me follows friend: the tray holds it
    return Call("/stories?limit=5", w.me)


def _remove_close_friend(w: World) -> Call:
    w.api.ok("PUT", f"/me/close-friends/{w.friend.username}", w.me)
    return Call(f"/me/close-friends/{w.friend.username}", w.me)


def _remove_highlight(w: World) -> Call:
    story_id = _new_story(w, w.me)
    w.api.ok("POST", "/me/highlights", w.me, {"story_id": story_id})
    return Call(f"/me/highlights/{story_id}", w.me)


HAPPY: dict[tuple[str, str], Callable[[World], Call]] = {
    ("GET", "/health"): lambda w: Call("/health"),
    ("POST", "/auth/register"): _register,
    ("POST", "/auth/login"): lambda w: Call(
        "/auth/login", body={"login": w.me.username, "password": PASSWORD}
    ),
    ("POST", "/auth/refresh"): _refresh,
    ("POST", "/auth/logout"): _logout,
    ("POST", "/auth/email/verify"): _verify_email,
    ("POST", "/auth/password/forgot"): lambda w: Call(
        "/auth/password/forgot", body={"login": w.me.username}
    ),
    ("POST", "/auth/password/reset"): _reset_password,
    ("POST", "/auth/login/2fa"): _login_second_step,
    ("POST", "/me/password"): lambda w: Call(
        "/me/password",
        w.api.register(),
        {"current_password": PASSWORD, "new_password": PASSWORD + "!"},
    ),
    ("POST", "/me/2fa"): lambda w: Call("/me/2fa", w.api.register()),
    ("POST", "/me/2fa/confirm"): _confirm_two_factor,
    ("DELETE", "/me/2fa"): _disable_two_factor,
    ("GET", "/me/sessions"): lambda w: Call("/me/sessions", w.me),
    ("DELETE", "/me/sessions/{session_id}"): _end_session,
    ("DELETE", "/me/sessions"): lambda w: Call("/me/sessions", w.api.register()),
    ("POST", "/me/email/resend"): lambda w: Call("/me/email/resend", w.api.register()),
    ("GET", "/me"): lambda w: Call("/me", w.me),
    ("PATCH", "/me"): lambda w: Call("/me", w.me, {"full_name": "Me Myself", "bio": "routes"}),
    # An account of its own: the job that deletes the rest does not run here.
    ("DELETE", "/me"): lambda w: Call("/me", w.api.register(), {"password": PASSWORD}),
    ("POST", "/me/export"): lambda w: Call("/me/export", w.me),
    ("GET", "/me/export"): lambda w: Call("/me/export", w.me),
    ("GET", "/me/follow-requests"): lambda w: Call("/me/follow-requests?limit=5", w.me),
    ("POST", "/me/follow-requests/{username}"): _approve,
    ("DELETE", "/me/follow-requests/{username}"): _deny,
    ("GET", "/me/blocked"): _blocked_list,
    ("GET", "/me/hidden-words"): lambda w: Call("/me/hidden-words", w.me),
    ("PUT", "/me/hidden-words"): lambda w: Call(
        "/me/hidden-words", w.me, {"words": ["spoiler", "Straße"], "use_default": True}
    ),
    ("DELETE", "/me/followers/{username}"): _remove_follower,
    ("POST", "/me/devices"): lambda w: Call(
        "/me/devices", w.me, {"platform": "apns", "token": secrets.token_hex(32)}, status=201
    ),
    ("DELETE", "/me/devices/{device_id}"): _remove_device,
    ("GET", "/me/notifications"): lambda w: Call("/me/notifications", w.me),
    ("PATCH", "/me/notifications"): lambda w: Call("/me/notifications", w.me, {"like": False}),
    ("PUT", "/me/avatar"): _set_avatar,
    ("DELETE", "/me/avatar"): lambda w: Call("/me/avatar", w.me),
    ("GET", "/users/{username}"): lambda w: Call(f"/users/{w.friend.username}", w.me),
    ("POST", "/users/{username}/follow"): lambda w: Call(
        f"/users/{w.api.register().username}/follow", w.me
    ),
    ("DELETE", "/users/{username}/follow"): _unfollow,
    ("GET", "/users/{username}/followers"): lambda w: Call(
        f"/users/{w.friend.username}/followers", w.me
    ),
    ("GET", "/users/{username}/following"): lambda w: Call(
        f"/users/{w.me.username}/following", w.me
    ),
    ("POST", "/users/{username}/block"): lambda w: Call(
        f"/users/{w.api.register().username}/block", w.me
    ),
    ("DELETE", "/users/{username}/block"): _unblock,
    ("POST", "/users/{username}/mute"): lambda w: Call(
        f"/users/{w.api.register().username}/mute", w.me
    ),
    ("DELETE", "/users/{username}/mute"): _unmute,
    ("POST", "/users/{username}/restrict"): lambda w: Call(
        f"/users/{w.api.register().username}/restrict", w.me
    ),
    ("DELETE", "/users/{username}/restrict"): _unrestrict,
    ("POST", "/posts/{post_id}/comments/{comment_id}/approve"): _approve_comment,
    ("POST", "/uploads"): lambda w: Call(
        "/uploads", w.me, {"content_type": "image/png", "size": 123456}
    ),
    ("POST", "/posts"): _create_post,
    ("GET", "/posts/{post_id}"): lambda w: Call(f"/posts/{w.friend_post_id}", w.me),
    ("PATCH", "/posts/{post_id}"): lambda w: Call(
        f"/posts/{w.my_post_id}",
        w.me,
        {
            "caption": "edited #caption",
            "place": {"name": "Elsewhere", "lat": 3.25, "lng": 4.5},
            "media": [
                {"alt_text": "me", "tags": [{"username": w.friend.username, "x": 0, "y": 1}]}
            ],
        },
    ),
    ("DELETE", "/posts/{post_id}/tags/me"): _untag_me,
    ("DELETE", "/posts/{post_id}"): lambda w: Call(f"/posts/{w.new_post(w.me)}", w.me),
    ("POST", "/posts/{post_id}/like"): lambda w: Call(f"/posts/{w.friend_post_id}/like", w.me),
    ("DELETE", "/posts/{post_id}/like"): _unlike,
    ("GET", "/posts/{post_id}/likes"): lambda w: Call(f"/posts/{w.friend_post_id}/likes", w.me),
    ("GET", "/posts/{post_id}/comments"): lambda w: Call(
        f"/posts/{w.friend_post_id}/comments?order=newest", w.me
    ),
    ("POST", "/posts/{post_id}/comments"): lambda w: Call(
        f"/posts/{w.friend_post_id}/comments", w.me, {"text": f"nice @{w.friend.username} #wow"}
    ),
    ("DELETE", "/posts/{post_id}/comments/{comment_id}"): _delete_comment,
    ("POST", "/posts/{post_id}/save"): lambda w: Call(f"/posts/{w.friend_post_id}/save", w.me),
    ("DELETE", "/posts/{post_id}/save"): _unsave,
    ("GET", "/me/saved"): lambda w: Call("/me/saved", w.me),
    ("GET", "/users/{username}/posts"): lambda w: Call(f"/users/{w.friend.username}/posts", w.me),
    ("GET", "/users/{username}/tagged"): lambda w: Call(f"/users/{w.me.username}/tagged", w.me),
    ("GET", "/feed"): lambda w: Call("/feed", w.me),
    ("GET", "/activity"): lambda w: Call("/activity", w.friend),
    ("POST", "/activity/seen"): lambda w: Call("/activity/seen", w.friend, status=204),
    ("GET", "/tags/{tag}/posts"): lambda w: Call(f"/tags/{w.tag}/posts", w.me),
    ("GET", "/places/{place_id}/posts"): lambda w: Call(f"/places/{w.place_id}/posts", w.me),
    ("GET", "/conversations"): lambda w: Call("/conversations?folder=active", w.me),
    ("POST", "/conversations"): lambda w: Call(
        "/conversations", w.me, {"usernames": [w.api.register().username]}
    ),
    ("GET", "/conversations/{conversation_id}"): lambda w: Call(
        f"/conversations/{w.conversation_id}", w.me
    ),
    ("POST", "/conversations/{conversation_id}/accept"): _accept,
    ("POST", "/conversations/{conversation_id}/members"): _add_member,
    ("DELETE", "/conversations/{conversation_id}/members/me"): _leave,
    ("GET", "/conversations/{conversation_id}/messages"): lambda w: Call(
        f"/conversations/{w.conversation_id}/messages", w.me
    ),
    ("POST", "/conversations/{conversation_id}/messages"): lambda w: Call(
        f"/conversations/{w.conversation_id}/messages",
        w.me,
        {"text": "hello", "client_id": secrets.token_hex(8)},
        status=201,
    ),
    ("POST", "/conversations/{conversation_id}/read"): lambda w: Call(
        f"/conversations/{w.conversation_id}/read", w.friend
    ),
    ("GET", "/search"): lambda w: Call("/search?q=golden&type=posts", w.me),
    ("GET", "/search/recent"): lambda w: Call("/search/recent", w.me),
    ("POST", "/search/recent"): lambda w: Call(
        "/search/recent", w.me, {"query": w.friend.username, "type": "user", "id": w.friend.user_id}
    ),
    ("DELETE", "/search/recent"): _clear_searches,
    ("GET", "/feed/explore"): lambda w: Call("/feed/explore?limit=10", w.me),
    ("POST", "/feed/explore/{post_id}/hide"): lambda w: Call(
        f"/feed/explore/{w.friend_post_id}/hide", w.me
    ),
    ("GET", "/suggestions/users"): lambda w: Call("/suggestions/users?limit=10", w.me),
    ("POST", "/events"): lambda w: Call(
        "/events",
        w.me,
        {
            "events": [
                {"kind": "view", "post_id": w.friend_post_id},
                {"kind": "dwell", "post_id": w.friend_post_id, "dwell_ms": 4000},
            ]
        },
    ),
    ("POST", "/reports"): lambda w: Call(
        "/reports",
        w.me,
        {"target_type": "post", "target_id": w.friend_post_id, "reason": "spam", "note": "ad"},
    ),
    ("GET", "/moderation/reports"): lambda w: (
        _reported(w) and Call("/moderation/reports?limit=5", _moderator(w))
    ),
    ("GET", "/moderation/reports/{report_id}"): lambda w: Call(
        f"/moderation/reports/{_reported(w)}", _moderator(w)
    ),
    ("POST", "/moderation/reports/{report_id}"): lambda w: Call(
        f"/moderation/reports/{_reported(w)}",
        _moderator(w),
        {"action": "remove", "reason": "Spam is not allowed here"},
    ),
    ("POST", "/stories"): lambda w: Call(
        "/stories",
        w.me,
        {
            "upload_id": w.api.ok(
                "POST", "/uploads", w.me, {"content_type": "image/jpeg", "size": 999}
            )["upload_id"],
            "audience": "close_friends",
        },
    ),
    ("GET", "/stories"): _tray,
    ("DELETE", "/stories/{story_id}"): lambda w: Call(
        f"/stories/{_new_story(w, w.me, ready=False)}", w.me
    ),
    ("POST", "/stories/{story_id}/reply"): lambda w: Call(
        f"/stories/{_new_story(w, w.friend)}/reply", w.me, {"text": "love it"}
    ),
    ("POST", "/me/highlights"): lambda w: Call(
        "/me/highlights", w.me, {"story_id": _new_story(w, w.me)}
    ),
    ("GET", "/me/highlights"): lambda w: Call("/me/highlights", w.me),
    ("DELETE", "/me/highlights/{story_id}"): _remove_highlight,
    ("GET", "/users/{username}/highlights"): lambda w: Call(
        f"/users/{w.friend.username}/highlights", w.me
    ),
    ("GET", "/users/{username}/stories"): lambda w: Call(
        f"/users/{w.friend.username}/stories", w.me
    ),
    ("POST", "/stories/{story_id}/seen"): lambda w: Call(
        f"/stories/{_new_story(w, w.friend)}/seen", w.me
    ),
    ("GET", "/stories/{story_id}/viewers"): lambda w: Call(
        f"/stories/{_new_story(w, w.friend)}/viewers", w.friend
    ),
    ("PUT", "/me/close-friends/{username}"): lambda w: Call(
        f"/me/close-friends/{w.friend.username}", w.me
    ),
    ("DELETE", "/me/close-friends/{username}"): _remove_close_friend,
}


def test_every_operation_has_a_happy_path() -> None:
    missing = sorted(set(OPERATIONS) - set(HAPPY))
    stale = sorted(set(HAPPY) - set(OPERATIONS))
    assert not missing and not stale, (
        f"add a happy-path case to HAPPY for {missing}; drop the cases of {stale}"
    )


@pytest.mark.parametrize("operation", sorted(HAPPY), ids=operation_id)
def test_the_happy_path_answers_the_documented_status_and_body(
    world: World, operation: tuple[str, str]
) -> None:
    method, path = operation
    call = HAPPY[operation](world)
    documented = success_statuses(method, path)
    expected = call.status if call.status is not None else documented[0]
    assert expected in documented and (call.status is not None or len(documented) == 1)
    response = world.api.call(method, call.path, call.who, call.body)
    assert response.status_code == expected, (response.status_code, response.body)
    assert_documented_body(method, path, response)


def test_a_message_sent_again_with_its_client_id_is_the_documented_200(world: World) -> None:
    path = f"/conversations/{world.conversation_id}/messages"
    body = {"text": "once only", "client_id": secrets.token_hex(8)}
    first = world.api.call("POST", path, world.me, body)
    again = world.api.call("POST", path, world.me, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json_body["message_id"] == first.json_body["message_id"]
    assert_documented_body("POST", "/conversations/{conversation_id}/messages", again)


def test_the_happy_paths_show_what_they_did(world: World) -> None:
    """A few of the answers above, read back: the shared world is what the cases assume."""
    api, me = world.api, world.me
    feed = api.ok("GET", "/feed", me)
    assert world.friend_post_id in [post["post_id"] for post in feed["items"]]
    tag_page = api.ok("GET", f"/tags/{world.tag}/posts", me)
    assert [post["post_id"] for post in tag_page["items"]] == [world.friend_post_id]
    place_page = api.ok("GET", f"/places/{world.place_id}/posts", me)
    assert [post["post_id"] for post in place_page["items"]] == [world.friend_post_id]
    mine = api.ok("GET", f"/posts/{world.my_post_id}", me)
    assert mine["status"] == "processing"  # its author sees it before it is ready
