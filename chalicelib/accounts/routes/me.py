"""/me: your own account, and the words hidden from you (/me/hidden-words)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, json_body

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.accounts import hidden_words, profiles
else:
    hidden_words, profiles = deferred("chalicelib.accounts", "hidden_words, profiles")

me = ApiBlueprint(__name__)  # url_prefix /me


@me.route("/", methods=["GET"])
def get_me() -> dict[str, Any]:
    return profiles.me(profiles.by_id(caller(me.current_request).user_id))


@me.route("/", methods=["PATCH"])
def update_me() -> dict[str, Any]:
    request = me.current_request
    return profiles.me(profiles.update_me(caller(request).user_id, json_body(request)))


@me.route("/hidden-words", methods=["GET"])
def get_hidden_words() -> dict[str, Any]:
    return hidden_words.get(caller(me.current_request).user_id)


@me.route("/hidden-words", methods=["PUT"])
def put_hidden_words() -> dict[str, Any]:
    request = me.current_request
    return hidden_words.put(caller(request).user_id, json_body(request))
