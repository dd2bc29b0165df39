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

from chalicelib.accounts import profiles
from chalicelib.accounts.models import User
from chalicelib.connections import registry
from chalicelib.core.dynamodb import Transaction, TransactionCancelled, batch_get, pool
from chalicelib.core.errors import Forbidden, ValidationError
from chalicelib.core.ids import new_id, now_ms
from chalicelib.core.pagination import Page, decode_position, encode_position
from chalicelib.core.storage import media_url
from chalicelib.graph import visibility
from chalicelib.graph.models import Block
from chalicelib.interactions import feedback
from chalicelib.messaging import conversations
from chalicelib.messaging.models import Conversation, InboxEntry, Message, RepliedStory
from chalicelib.notifications import preferences, push
from chalicelib.posts import visible
from chalicelib.posts.status import READY

TEXT_MAX = 1000
CLIENT_ID_MAX = 64
PREVIEW_CHARS = 80
_CLIENT = "~client#"  # sorts after every message id: history queries stop before these
CLIENT_MARKER = _CLIENT


def send(
    viewer_id: str,
    body: dict[str, Any],
    origin: str | None = None,
    story: RepliedStory | None = None,
) -> dict[str, Any]:
    """Stores and delivers one message; returns it as the sender sees it, with
    ``duplicate`` true when the client had sent this ``client_id`` before. ``story``: the
    story it replies to (the stories context checked the sender may see it)."""
    text, post_id, client_id = _check(body)
    if body.get("conversation_id") is not None:
        conversation, _ = conversations.membership(viewer_id, str(body["conversation_id"]))
    elif isinstance(body.get("to"), str):
        conversation = conversations.start(viewer_id, [body["to"]])
    else:
        raise ValidationError('Say where: "conversation_id" or "to"', field="conversation_id")
    if conversation.kind == conversations.DIRECT and len(conversation.member_ids) < 2:
        # The other person's account is gone (``messaging.erasure``): nobody to write to.
        raise Forbidden("You cannot message this account", code="cannot_message")
    if post_id is not None:
        visible.get(viewer_id, post_id)  # you share only what you can see
    message = Message(
        conversation.conversation_id,
        new_id(),
        sender_id=viewer_id,
        text=text,
        post_id=post_id,
        story=story,
        client_id=client_id,
        created_at=now_ms(),
    )
    # Who is online does not depend on the write: looked up side by side with it, a message
    # waits for two round trips after the membership, not three. (At most 32 members: one
    # BatchGetItem chunk, which batch_get runs in this pool task itself.)
    devices = pool().submit(registry.live, conversation.member_ids)
    # In a group, members in a block relation with the sender do not get the message: no
    # push, no unread count (a 1:1 between them is refused in the write itself).
    hidden = (
        visibility.blocked_among(viewer_id, conversation.member_ids)
        if conversation.kind == conversations.GROUP
        else set()
    )
    try:
        _store(conversation, message, hidden)
    except TransactionCancelled as cancelled:
        if "blocked" in cancelled.failed:
            raise Forbidden("You cannot message this account", code="cannot_message") from None
        if "client" not in cancelled.failed:
            raise
        return {
            **_sent_before(conversation.conversation_id, viewer_id, client_id),
            "duplicate": True,
        }
    _deliver(conversation, message, origin, devices.result(), hidden)
    if post_id is not None:
        feedback.record(viewer_id, "post", post_id, "share")
    return {**view(message, viewer_id, _post_previews([message], [viewer_id])), "duplicate": False}


def history(viewer_id: str, conversation_id: str, limit: int, cursor: str | None) -> Page:
    conversations.membership(viewer_id, conversation_id)
    before = decode_position(cursor) or _CLIENT
    result = list(
        Message.query(
            conversation_id, Message.message_id < before, scan_index_forward=False, limit=limit
        )
    )
    hidden = visibility.unseen_senders(viewer_id, {m.sender_id for m in result if m.sender_id})
    shown = [m for m in result if m.sender_id not in hidden]
    previews = _post_previews(shown, [viewer_id])
    return Page(
        items=[view(m, viewer_id, previews) for m in shown],
        next_cursor=encode_position(result[-1].message_id) if len(result) == limit else None,
    )


def mark_read(viewer_id: str, conversation_id: str) -> dict[str, Any]:
    conversation, entry = conversations.membership(viewer_id, conversation_id)
    last = conversation.last_message_id
    entry.update(actions=[InboxEntry.unread.set(0), InboxEntry.last_read_id.set(last)])
    event = {
        "type": "read",
        "conversation_id": conversation_id,
        "user_id": viewer_id,
        "message_id": last,
    }
    _push_to_others(viewer_id, conversation, event)
    return {"conversation_id": conversation_id, "last_read_id": last, "unread": 0}


def typing(viewer_id: str, conversation_id: str) -> None:
    conversation, _ = conversations.membership(viewer_id, conversation_id)
    event = {"type": "typing", "conversation_id": conversation_id, "user_id": viewer_id}
    _push_to_others(viewer_id, conversation, event)


def view(message: Message, viewer_id: str, previews: dict) -> dict[str, Any]:
    shared = None
    if message.post_id is not None:
        shared = previews.get(
            (message.post_id, viewer_id), {"post_id": message.post_id, "available": False}
        )
    shown = {
        "message_id": message.message_id,
        "conversation_id": message.conversation_id,
        "sender_id": message.sender_id,
        "client_id": message.client_id,
        "text": message.text,
        "post": shared,
        "created_at": int(message.created_at),
    }
    if message.story is not None:
        shown["story"] = _story_preview(message.story)
    return shown


def _story_preview(story: RepliedStory) -> dict[str, Any]:
    """A reply's story: its preview while the story lives (its file goes with it), then
    ``available: false``. Both members may see it: the story was its author's, shown to
    the one who replied."""
    if story.preview_key is None or now_ms() >= int(story.expires_at):
        return {"story_id": story.story_id, "available": False}
    return {
        "story_id": story.story_id,
        "available": True,
        "author_id": story.author_id,
        "preview_url": media_url(story.preview_key),
    }


def _check(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    text, post_id, client_id = body.get("text"), body.get("post_id"), body.get("client_id")
    if (text is None) == (post_id is None):
        raise ValidationError('A message has "text" or "post_id"', field="text")
    if text is not None and (not isinstance(text, str) or not text.strip() or len(text) > TEXT_MAX):
        raise ValidationError(f"text must be 1 to {TEXT_MAX} characters", field="text")
    if post_id is not None and (not isinstance(post_id, str) or not 0 < len(post_id) <= 64):
        raise ValidationError("post_id must be a post id", field="post_id")
    if client_id is not None and (
        not isinstance(client_id, str) or not 0 < len(client_id) <= CLIENT_ID_MAX
    ):
        raise ValidationError(f"client_id must be 1-{CLIENT_ID_MAX} characters", field="client_id")
    return text, post_id, client_id


def _store(conversation: Conversation, message: Message, hidden: set[str]) -> None:
    sender, now = message.sender_id, int(message.created_at)
    with Transaction() as write:
        write.save(message)
        if conversation.kind == conversations.DIRECT:
            # A 1:1 stops when either person blocks the other: checked in the write itself.
            one, other = (conversation.member_ids + [sender])[:2]
            for blocker, blocked in ((one, other), (other, one)):
                write.condition_check(
                    Block, blocker, blocked, Block.blocker_id.does_not_exist(), label="blocked"
                )
        if message.client_id:
            write.save(
                Message(
                    message.conversation_id,
                    f"{_CLIENT}{sender}#{message.client_id}",
                    refers_to=message.message_id,
                ),
                condition=Message.message_id.does_not_exist(),
                label="client",
            )
        write.update(
            conversation,
            actions=[
                Conversation.last_message_id.set(message.message_id),
                Conversation.last_preview.set(preview(message)),
                Conversation.last_sender_id.set(sender),
            ],
        )
        for member in conversation.member_ids:
            if member in hidden:
                continue
            actions = [InboxEntry.updated_at.set(now)]
            if member == sender:
                actions += [
                    InboxEntry.last_read_id.set(message.message_id),
                    InboxEntry.unread.set(0),
                ]
            else:
                actions.append(InboxEntry.unread.add(1))
            write.update(
                InboxEntry(member, message.conversation_id),
                actions=actions,
                condition=InboxEntry.user_id.exists(),
            )


def preview(message: Message) -> str:
    """What the inbox shows of a conversation's last message."""
    return message.text[:PREVIEW_CHARS] if message.text else "shared a post"


def _sent_before(conversation_id: str, sender_id: str, client_id: str | None) -> dict:
    marker = Message.get(conversation_id, f"{_CLIENT}{sender_id}#{client_id}", consistent_read=True)
    message = Message.get(conversation_id, marker.refers_to, consistent_read=True)
    return view(message, sender_id, _post_previews([message], [sender_id]))


def _deliver(
    conversation: Conversation,
    message: Message,
    origin: str | None,
    devices: dict[str, set[str]],
    hidden: set[str],
) -> None:
    members = [m for m in conversation.member_ids if m not in hidden]
    previews = _post_previews([message], members)
    events = {
        member: {"type": "message.new", "message": view(message, member, previews)}
        for member in members
    }
    devices = {member: ids for member, ids in devices.items() if member not in hidden}
    # The sending device gets message.ack instead; the sender's other devices get this.
    registry.notify_many(events, {message.sender_id: origin} if origin else None, devices)
    _push_to_phones(conversation, message, [m for m in members if not devices.get(m)])


def _push_to_phones(conversation: Conversation, message: Message, offline: list[str]) -> None:
    """Members with no live socket (presence was read for the write already) are told on
    their phones, if they have any and want messages. Not a message request: it waits in
    the requests folder until accepted, and may hold words the member hid (a lock screen
    would show them), so one BatchGetItem of the members' inbox rows decides."""
    offline = [member for member in offline if member != message.sender_id]
    if not offline:
        return
    rows = batch_get([(InboxEntry, member, message.conversation_id) for member in offline])
    offline = [
        member
        for member in offline
        if (row := rows.get((InboxEntry, member, message.conversation_id))) is not None
        and row.folder != conversations.REQUEST
    ]
    if not offline:
        return
    sender = profiles.by_id(message.sender_id).username
    alert = f"{sender}: {preview(message)}"
    for member in offline:
        push.deliver(
            member,
            preferences.MESSAGE,
            alert,
            {"conversation_id": message.conversation_id, "message_id": message.message_id},
            online=False,
        )


def _push_to_others(viewer_id: str, conversation: Conversation, event: dict[str, Any]) -> None:
    """Typing and read receipts go to the other members, but not across a block."""
    others = [m for m in conversation.member_ids if m != viewer_id]
    hidden = visibility.blocked_among(viewer_id, others)
    registry.notify_many({member: event for member in others if member not in hidden})


def _post_previews(messages: list[Message], viewers: list[str]) -> dict:
    """(post_id, viewer) → a preview for each shared post each viewer may see, in two
    batches: the posts, then their authors with the relationships that decide visibility."""
    shared = list(dict.fromkeys(m.post_id for m in messages if m.post_id))
    if not shared:
        return {}
    sights = visible.look_for(viewers, posts=[(post_id, None) for post_id in shared])
    previews = {}
    for viewer, sight in sights.items():
        for post_id in shared:
            post = sight.post(post_id)
            if post is None or post.status != READY:
                continue
            first = post.images[0]  # a video's thumb is its poster's
            thumb = next((r for r in first.poster or first.renditions if r.name == "thumb"), None)
            previews[(post_id, viewer)] = {
                "post_id": post_id,
                "available": True,
                "author": profiles.summary(sight.found[(User, post.author_id, None)]),
                "thumbnail_url": media_url(thumb.key) if thumb else None,
                "caption": post.caption[:PREVIEW_CHARS],
            }
    return previews


def around(
    viewer_id: str, conversation_id: str, message_id: str, each_side: int = 3
) -> tuple[Message, list[Message]] | None:
    """A message and up to ``each_side`` messages before and after it, as the viewer's
    history shows them (a member only; not across a block in a group): what a report of it
    keeps. None if the viewer cannot see it."""
    conversations.membership(viewer_id, conversation_id)
    if not message_id or message_id >= _CLIENT:
        return None
    before = list(
        Message.query(
            conversation_id,
            Message.message_id <= message_id,
            scan_index_forward=False,
            limit=each_side + 1,
        )
    )
    after = list(
        Message.query(
            conversation_id,
            Message.message_id.between(message_id + "0", _CLIENT[:-1]),
            limit=each_side,
        )
    )
    window = [*reversed(before), *after]
    hidden = visibility.blocked_among(viewer_id, {m.sender_id for m in window if m.sender_id})
    shown = [m for m in window if m.sender_id not in hidden and m.message_id < _CLIENT]
    target = next((m for m in shown if m.message_id == message_id), None)
    return None if target is None else (target, shown)
