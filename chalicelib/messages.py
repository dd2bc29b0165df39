"""Messages: stored, then delivered to every live device of every member.

Sending is one DynamoDB transaction: the message, a ``~client#<sender>#<client_id>`` item that
makes a client's retry return the same message instead of a second one, the conversation's
last message, and each member's inbox row (the sender's read marker, everyone else's unread
count). A 1:1 message is 5 writes in one round trip; a group message 3 + members. Only once
it is stored is it acknowledged and pushed (``message.new``), members in parallel.
Typing indicators are pushed, never stored; read receipts are stored on the inbox row and
pushed as ``read``.
"""

from __future__ import annotations

from typing import Any

from chalicelib import (
    connections,
    conversations,
    interactions,
    posts,
    profiles,
    relationships,
)
from chalicelib.errors import Forbidden, ValidationError
from chalicelib.ids import new_id, now_ms
from chalicelib.pagination import Page, decode_position, encode_position
from chalicelib.tables import (
    Block,
    Conversation,
    InboxEntry,
    Message,
    Post,
    Transaction,
    TransactionCancelled,
    User,
    batch_get,
    pool,
)

TEXT_MAX = 1000
CLIENT_ID_MAX = 64
PREVIEW_CHARS = 80
_CLIENT = "~client#"  # sorts after every message id: history queries stop before these


def send(viewer_id: str, body: dict[str, Any], origin: str | None = None) -> dict[str, Any]:
    """Stores and delivers one message; returns it as the sender sees it, with
    ``duplicate`` true when the client had sent this ``client_id`` before."""
    text, post_id, client_id = _check(body)
    if body.get("conversation_id") is not None:
        conversation, _ = conversations.membership(viewer_id, str(body["conversation_id"]))
    elif isinstance(body.get("to"), str):
        conversation = conversations.start(viewer_id, [body["to"]])
    else:
        raise ValidationError('Say where: "conversation_id" or "to"', field="conversation_id")
    if post_id is not None:
        posts.get_visible(viewer_id, post_id)  # you share only what you can see
    message = Message(conversation.conversation_id, new_id(), sender_id=viewer_id, text=text,
                      post_id=post_id, client_id=client_id, created_at=now_ms())  # fmt: skip
    # Who is online does not depend on the write: looked up side by side with it, a message
    # waits for two round trips after the membership, not three. (At most 32 members: one
    # BatchGetItem chunk, which batch_get runs in this pool task itself.)
    devices = pool().submit(connections.live, conversation.member_ids)
    try:
        _store(conversation, message)
    except TransactionCancelled as cancelled:
        if "blocked" in cancelled.failed:
            raise Forbidden("You cannot message this account", code="cannot_message") from None
        if "client" not in cancelled.failed:
            raise
        return {**_sent_before(conversation.conversation_id, viewer_id, client_id),
                "duplicate": True}  # fmt: skip
    _deliver(conversation, message, origin, devices.result())
    if post_id is not None:
        interactions.record(viewer_id, "post", post_id, "share")
    return {**view(message, viewer_id, _post_previews([message], [viewer_id])),
            "duplicate": False}  # fmt: skip


def history(viewer_id: str, conversation_id: str, limit: int, cursor: str | None) -> Page:
    conversations.membership(viewer_id, conversation_id)
    before = decode_position(cursor) or _CLIENT
    result = list(Message.query(conversation_id, Message.message_id < before,
                                scan_index_forward=False, limit=limit))  # fmt: skip
    previews = _post_previews(result, [viewer_id])
    return Page(items=[view(m, viewer_id, previews) for m in result],
                next_cursor=encode_position(result[-1].message_id)
                if len(result) == limit else None)  # fmt: skip


def mark_read(viewer_id: str, conversation_id: str) -> dict[str, Any]:
    conversation, entry = conversations.membership(viewer_id, conversation_id)
    last = conversation.last_message_id
    entry.update(actions=[InboxEntry.unread.set(0), InboxEntry.last_read_id.set(last)])
    event = {"type": "read", "conversation_id": conversation_id, "user_id": viewer_id,
             "message_id": last}  # fmt: skip
    _push_all([m for m in conversation.member_ids if m != viewer_id], event)
    return {"conversation_id": conversation_id, "last_read_id": last, "unread": 0}


def typing(viewer_id: str, conversation_id: str) -> None:
    conversation, _ = conversations.membership(viewer_id, conversation_id)
    event = {"type": "typing", "conversation_id": conversation_id, "user_id": viewer_id}
    _push_all([m for m in conversation.member_ids if m != viewer_id], event)


def view(message: Message, viewer_id: str, previews: dict) -> dict[str, Any]:
    shared = None
    if message.post_id is not None:
        shared = previews.get((message.post_id, viewer_id), {"post_id": message.post_id,
                                                             "available": False})  # fmt: skip
    return {
        "message_id": message.message_id,
        "conversation_id": message.conversation_id,
        "sender_id": message.sender_id,
        "client_id": message.client_id,
        "text": message.text,
        "post": shared,
        "created_at": int(message.created_at),
    }


def _check(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    text, post_id, client_id = body.get("text"), body.get("post_id"), body.get("client_id")
    if (text is None) == (post_id is None):
        raise ValidationError('A message has "text" or "post_id"', field="text")
    if text is not None and (not isinstance(text, str) or not text.strip()
                             or len(text) > TEXT_MAX):  # fmt: skip
        raise ValidationError(f"text must be 1 to {TEXT_MAX} characters", field="text")
    if post_id is not None and not isinstance(post_id, str):
        raise ValidationError("post_id must be a post id", field="post_id")
    if client_id is not None and (not isinstance(client_id, str)
                                  or not 0 < len(client_id) <= CLIENT_ID_MAX):  # fmt: skip
        raise ValidationError(f"client_id must be 1-{CLIENT_ID_MAX} characters",
                              field="client_id")  # fmt: skip
    return text, post_id, client_id


def _store(conversation: Conversation, message: Message) -> None:
    sender, now = message.sender_id, int(message.created_at)
    preview = message.text[:PREVIEW_CHARS] if message.text else "shared a post"
    with Transaction() as write:
        write.save(message)
        if conversation.kind == conversations.DIRECT:
            # A 1:1 stops when either person blocks the other: checked in the write itself.
            one, other = (conversation.member_ids + [sender])[:2]
            for blocker, blocked in ((one, other), (other, one)):
                write.condition_check(Block, blocker, blocked,
                                      Block.blocker_id.does_not_exist(), label="blocked")
        if message.client_id:
            write.save(Message(message.conversation_id, f"{_CLIENT}{sender}#{message.client_id}",
                               refers_to=message.message_id),
                       condition=Message.message_id.does_not_exist(), label="client")  # fmt: skip
        write.update(conversation, actions=[
            Conversation.last_message_id.set(message.message_id),
            Conversation.last_preview.set(preview), Conversation.last_sender_id.set(sender)])
        for member in conversation.member_ids:
            actions = [InboxEntry.updated_at.set(now)]
            if member == sender:
                actions += [InboxEntry.last_read_id.set(message.message_id),
                            InboxEntry.unread.set(0)]  # fmt: skip
            else:
                actions.append(InboxEntry.unread.add(1))
            write.update(InboxEntry(member, message.conversation_id), actions=actions,
                         condition=InboxEntry.user_id.exists())  # fmt: skip


def _sent_before(conversation_id: str, sender_id: str, client_id: str | None) -> dict:
    marker = Message.get(conversation_id, f"{_CLIENT}{sender_id}#{client_id}",
                         consistent_read=True)  # fmt: skip
    message = Message.get(conversation_id, marker.refers_to, consistent_read=True)
    return view(message, sender_id, _post_previews([message], [sender_id]))


def _deliver(conversation: Conversation, message: Message, origin: str | None,
             devices: dict[str, set[str]]) -> None:  # fmt: skip
    previews = _post_previews([message], conversation.member_ids)
    events = {member: {"type": "message.new", "message": view(message, member, previews)}
              for member in conversation.member_ids}  # fmt: skip
    # The sending device gets message.ack instead; the sender's other devices get this.
    connections.notify_many(events, {message.sender_id: origin} if origin else None, devices)


def _push_all(member_ids: list[str], event: dict[str, Any]) -> None:
    connections.notify_many({member: event for member in member_ids})


def _post_previews(messages: list[Message], viewers: list[str]) -> dict:
    """(post_id, viewer) → a preview for each shared post each viewer may see, in two
    batches: the posts, then their authors with the relationships that decide visibility."""
    shared = {m.post_id for m in messages if m.post_id}
    if not shared:
        return {}
    found = batch_get([(Post, post_id, None) for post_id in shared])
    authors = {p.author_id for p in found.values()}
    keys: list[tuple] = [(User, a, None) for a in authors]
    for viewer in set(viewers):
        for author in authors:
            keys += relationships.keys(viewer, author).values()
    found.update(batch_get(keys))
    previews = {}
    for (_, post_id, _), post in list(found.items()):
        if not isinstance(post, Post) or post.status != posts.READY:
            continue
        author = found.get((User, post.author_id, None))
        for viewer in set(viewers):
            relationship = relationships.from_found(viewer, post.author_id, found)
            if author is not None and relationships.can_see_posts(viewer, author, relationship):
                thumb = next((r for r in post.images[0].renditions if r.name == "thumb"), None)
                previews[(post_id, viewer)] = {
                    "post_id": post_id,
                    "available": True,
                    "author": profiles.summary(author),
                    "thumbnail_url": posts.rendition_url(thumb.key) if thumb else None,
                    "caption": post.caption[:PREVIEW_CHARS],
                }
    return previews
