"""How much of each kind of action one account may take in a window (and, before anyone is
signed in, one network address): every write route, the search route and the websocket's
actions cost one use of their kind, counted by ``ratelimit`` (a conditional atomic ADD, so a
burst sent in parallel is held exactly like one sent in sequence). Over the limit: 429
``rate_limited`` with ``Retry-After``, or an ``error`` frame on the socket.

The kinds and their limits are in settings (``RATE_LIMITS``). A route not named here is a
``write`` if it changes anything: a new route is limited before anyone thinks of it.
"""

from __future__ import annotations

from chalicelib.core import ratelimit
from chalicelib.core.errors import Throttled
from chalicelib.core.settings import settings

# (method, route as API Gateway names it) -> kind. GETs cost nothing unless listed.
ROUTE_KINDS: dict[tuple[str, str], str] = {
    ("POST", "/posts"): "post",
    ("POST", "/stories"): "post",
    ("POST", "/stories/{story_id}/reply"): "message",  # a reply is a DM
    ("POST", "/reports"): "report",
    ("POST", "/uploads"): "upload",
    ("PUT", "/me/avatar"): "upload",
    ("POST", "/posts/{post_id}/comments"): "comment",
    ("POST", "/posts/{post_id}/like"): "reaction",
    ("DELETE", "/posts/{post_id}/like"): "reaction",
    ("POST", "/posts/{post_id}/save"): "reaction",
    ("DELETE", "/posts/{post_id}/save"): "reaction",
    ("POST", "/feed/explore/{post_id}/hide"): "reaction",
    ("POST", "/users/{username}/follow"): "follow",
    ("DELETE", "/users/{username}/follow"): "follow",
    ("POST", "/users/{username}/block"): "follow",
    ("DELETE", "/users/{username}/block"): "follow",
    ("POST", "/me/follow-requests/{username}"): "follow",
    ("DELETE", "/me/follow-requests/{username}"): "follow",
    ("DELETE", "/me/followers/{username}"): "follow",
    ("POST", "/users/{username}/mute"): "follow",
    ("DELETE", "/users/{username}/mute"): "follow",
    ("POST", "/users/{username}/restrict"): "follow",
    ("DELETE", "/users/{username}/restrict"): "follow",
    ("POST", "/posts/{post_id}/comments/{comment_id}/approve"): "comment",
    ("POST", "/conversations"): "message",
    ("POST", "/conversations/{conversation_id}/messages"): "message",
    ("POST", "/conversations/{conversation_id}/members"): "message",
    ("GET", "/search"): "search",
    ("POST", "/search/recent"): "search",
    ("DELETE", "/search/recent"): "search",
    ("POST", "/events"): "event",
    ("PATCH", "/me"): "account",
    ("DELETE", "/me"): "account",
    ("POST", "/me/password"): "account",
    ("POST", "/me/email/resend"): "account",
    ("POST", "/me/2fa"): "account",
    ("POST", "/me/2fa/confirm"): "account",
    ("DELETE", "/me/2fa"): "account",
    ("PUT", "/me/hidden-words"): "account",
}
# Websocket actions -> kind. Typing and read receipts are many and cheap: a kind of their own.
FRAME_KINDS = {"send": "message", "typing": "signal", "read": "signal"}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SIGN_IN = "signin"  # the public /auth routes, counted per address


def kind_of(method: str, route: str) -> str | None:
    """What a request to ``route`` costs, or None if it is free (a read)."""
    kind = ROUTE_KINDS.get((method, route))
    if kind is None and method in WRITES:
        kind = "write"
    return kind


def take(kind: str, whose: str) -> None:
    """One use of ``kind`` by ``whose`` (an account id, or an address for ``signin``), or
    Throttled with the seconds until the window ends."""
    limit, window = settings().rate_limits[kind]
    wait = ratelimit.take(f"quota#{kind}#{whose}", limit, window)
    if wait:
        raise Throttled(
            f"Too many of these ({limit} in {window} s); try again in {wait} s",
            code="rate_limited",
            retry_after=wait,
        )


def take_request(method: str, route: str, whose: str, *, public: bool) -> None:
    """The HTTP edge's check: a public route costs its caller's address a ``signin`` use."""
    kind = SIGN_IN if public and method in WRITES else kind_of(method, route)
    if kind is not None:
        take(kind, whose)


def take_frame(action: str, user_id: str) -> None:
    """The websocket's check, before the action runs (unknown actions cost nothing)."""
    kind = FRAME_KINDS.get(action)
    if kind is not None:
        take(kind, user_id)


def forget(user_id: str) -> None:
    """An account's counters, when the account goes (they would expire within the hour;
    deleted, nothing names it)."""
    with ratelimit.Counter.batch_write() as batch:
        for kind in settings().rate_limits:
            if kind != SIGN_IN:
                batch.delete(ratelimit.Counter(f"quota#{kind}#{user_id}"))
