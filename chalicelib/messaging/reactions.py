"""The restricts stream (dispatched by chalicelib/streams.py): restricting someone moves the
conversation you already have with them to your message requests, as a new one from them
would land there (``conversations._folders``). Lifting the restriction moves nothing back:
accepting the request does, as for any request. The restricted account is not told; its
side of the conversation does not change."""

from __future__ import annotations

from typing import Any

from chalicelib.messaging import conversations

Image = dict[str, Any] | None


def on_restrict(old: Image, new: Image) -> None:
    if new and not old:
        conversations.to_requests(new["restricter_id"], new["restricted_id"])
