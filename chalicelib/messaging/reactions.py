"""The restricts stream (dispatched by chalicelib/streams.py): restricting someone moves the
active 1:1 conversation you already have with them to your message requests, as a new one
from them would land there (``conversations._folders``); lifting the restriction moves it
back. A conversation that was a request before stays one, and one you accepted meanwhile
stays accepted. The restricted account is not told; its side of the conversation does not
change."""

from __future__ import annotations

from typing import Any

from chalicelib.messaging import conversations

Image = dict[str, Any] | None


def on_restrict(old: Image, new: Image) -> None:
    if new and not old:
        conversations.restricted(new["restricter_id"], new["restricted_id"])
    elif old and not new:
        conversations.restriction_lifted(old["restricter_id"], old["restricted_id"])
