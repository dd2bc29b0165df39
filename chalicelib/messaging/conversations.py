"""Conversations: one per pair of people (found again by its id), or groups of up to 32.

A conversation is its item (members, last message) plus one inbox row per member (unread
count, read marker, last activity for ordering). Someone who does not follow the person
who starts a conversation with them gets it as a message request, until they accept it.
Blocked users cannot start or continue a conversation with each other. A group may still hold
two people of whom one blocked the other (its other members cannot know of the block): the
two do not see each other in it — not in its members, not each other's messages, previews,
typing or read receipts, and their messages leave no unread count with the other.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from typing import Any

from chalicelib.accounts import hidden_words, profiles
from chalicelib.core.dynamodb import (
    Transaction,
    TransactionCancelled,
    batch_get,
    existing_keys,
    update_if,
)
from chalicelib.core.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.core.ids import new_id, now_ms
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.graph import visibility
from chalicelib.graph.models import Follow, Restrict
from chalicelib.messaging.models import Conversation, InboxEntry

MAX_MEMBERS = 32
ID_MAX = 64
NAME_MAX = 100
DIRECT, GROUP = "direct", "group"
ACTIVE, REQUEST = "active", "request"
FOLDERS = (ACTIVE, REQUEST)


def not_found() -> NotFound:
    return NotFound("No such conversation", code="conversation_not_found")


def direct_id(one: str, other: str) -> str:
    """The one conversation of a pair, whoever starts it."""
    pair = "|".join(sorted((one, other)))
    return "d_" + hashlib.sha256(pair.encode()).hexdigest()[:24]


def start(viewer_id: str, usernames: object, name: object = None) -> Conversation:
    """Find or create the conversation with these people: 1:1 without a name, else a group."""
    _check_usernames(usernames, allow_empty=False)
    if name is not None and (not isinstance(name, str) or not 0 < len(name) <= NAME_MAX):
        raise ValidationError(f"name must be 1-{NAME_MAX} characters", field="name")
    others = _others(viewer_id, usernames)
    _check_size(len(others) + 1)
    if len(others) == 1 and name is None:
        return _direct(viewer_id, others[0])
    return _create(viewer_id, new_id(), GROUP, others, name)


def membership(viewer_id: str, conversation_id: str) -> tuple[Conversation, InboxEntry]:
    """The conversation and the viewer's row in it; 404 for anyone who is not a member."""
    if not 0 < len(conversation_id) <= ID_MAX:
        raise not_found()  # no id is that long (and DynamoDB would refuse the key)
    found = batch_get(
        [(Conversation, conversation_id, None), (InboxEntry, viewer_id, conversation_id)]
    )
    conversation = found.get((Conversation, conversation_id, None))
    entry = found.get((InboxEntry, viewer_id, conversation_id))
    if conversation is None or entry is None:
        raise not_found()
    return conversation, entry


def inbox(viewer_id: str, folder: str | None, limit: int, cursor: str | None) -> Page:
    folder = folder or ACTIVE
    if folder not in FOLDERS:
        raise ValidationError("folder must be active or request", field="folder")
    start_key = decode_cursor(
        cursor, {"user_id", "conversation_id", "updated_at"}, ("user_id", viewer_id)
    )
    result = InboxEntry.by_activity.query(
        viewer_id,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start_key,
        filter_condition=InboxEntry.folder == folder,
    )
    entries = list(result)
    found = batch_get([(Conversation, e.conversation_id, None) for e in entries])
    shown = [
        (found[(Conversation, e.conversation_id, None)], e)
        for e in entries
        if (Conversation, e.conversation_id, None) in found
    ]
    if folder == REQUEST:  # requests holding the viewer's hidden words are hidden from it
        hides = hidden_words.matcher(viewer_id)
        if hides is not None:
            shown = [(c, e) for c, e in shown if not _hidden_request(c, viewer_id, hides)]
    sight = _members_sight(viewer_id, [c for c, _ in shown])
    items = [view(c, entry, sight) for c, entry in shown]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def _hidden_request(
    conversation: Conversation, viewer_id: str, hides: hidden_words.Matcher
) -> bool:
    """A request whose latest message (its preview, the first ``PREVIEW_CHARS``) or name,
    from someone else, holds a hidden word."""
    if conversation.last_sender_id == viewer_id:
        return False
    return hides(conversation.last_preview or "") or hides(conversation.name or "")


def view(conversation: Conversation, entry: InboxEntry, sight: visibility.Sight) -> dict[str, Any]:
    """The conversation as one member sees it. Members in a block relation with the viewer
    are not there for them (``visibility``): not in ``members``, not in the preview."""
    last_sender = conversation.last_sender_id
    hidden_last = (
        last_sender is not None
        and last_sender != sight.viewer_id
        and sight.account(last_sender) is None
    )
    return {
        "conversation_id": conversation.conversation_id,
        "kind": conversation.kind,
        "name": conversation.name,
        "members": [
            profiles.summary(user)
            for m in conversation.member_ids
            if (user := sight.account(m)) is not None
        ],
        "last_message": None
        if conversation.last_message_id is None or hidden_last
        else {
            "message_id": conversation.last_message_id,
            "sender_id": last_sender,
            "preview": conversation.last_preview,
        },
        "unread": max(0, int(entry.unread)),
        "folder": entry.folder,
        "updated_at": int(entry.updated_at),
    }


def describe(viewer_id: str, conversation_id: str) -> dict[str, Any]:
    conversation, entry = membership(viewer_id, conversation_id)
    return view(conversation, entry, _members_sight(viewer_id, [conversation]))


def _members_sight(viewer_id: str, shown: list[Conversation]) -> visibility.Sight:
    """The members of these conversations, and whether each blocked or was blocked by the
    viewer, in one batch."""
    return visibility.look(viewer_id, users=[m for c in shown for m in c.member_ids])


def accept(viewer_id: str, conversation_id: str) -> None:
    _, entry = membership(viewer_id, conversation_id)
    entry.update(actions=[InboxEntry.folder.set(ACTIVE), InboxEntry.moved_by_restriction.remove()])


def restricted(member_id: str, other_id: str) -> bool:
    """``member_id`` restricted ``other_id``: their 1:1, if it is in ``member_id``'s active
    folder, moves to the requests, marked as moved by the restriction (groups stay where they
    are, as their other members are not restricted). True if it moved; idempotent."""
    return _move(
        member_id,
        other_id,
        [InboxEntry.folder.set(REQUEST), InboxEntry.moved_by_restriction.set(True)],
        InboxEntry.folder == ACTIVE,
    )


def restriction_lifted(member_id: str, other_id: str) -> bool:
    """The restriction is gone: a 1:1 it moved to the requests comes back to the active
    folder, as it was. One that was a request before has no mark and stays one; one accepted
    meanwhile lost its mark then (``accept``). True if it moved."""
    return _move(
        member_id,
        other_id,
        [InboxEntry.folder.set(ACTIVE), InboxEntry.moved_by_restriction.remove()],
        InboxEntry.moved_by_restriction.exists(),
    )


def _move(member_id: str, other_id: str, actions: list, condition: Any) -> bool:
    entry = InboxEntry(member_id, direct_id(member_id, other_id))
    return update_if(entry, actions, InboxEntry.conversation_id.exists() & condition)


def add_members(viewer_id: str, conversation_id: str, usernames: object) -> None:
    conversation, _ = membership(viewer_id, conversation_id)
    if conversation.kind != GROUP:
        raise ValidationError("People can be added to groups only", code="not_a_group")
    _check_usernames(usernames, allow_empty=True)
    new = [m for m in _others(viewer_id, usernames) if m not in conversation.member_ids]
    _check_size(len(conversation.member_ids) + len(new))
    if not new:
        return
    folders = _folders(viewer_id, new)
    now = now_ms()
    with _members_changing(), Transaction() as write:
        write.update(
            conversation,
            actions=[Conversation.member_ids.set(Conversation.member_ids.append(new))],
            condition=Conversation.member_ids == list(conversation.member_ids),
            label="members",
        )
        for member in new:
            write.save(InboxEntry(member, conversation_id, folder=folders[member], updated_at=now))


def leave(viewer_id: str, conversation_id: str) -> None:
    conversation, entry = membership(viewer_id, conversation_id)
    if conversation.kind != GROUP:
        raise ValidationError("You can leave groups only", code="not_a_group")
    remaining = [m for m in conversation.member_ids if m != viewer_id]
    with _members_changing(), Transaction() as write:
        write.update(
            conversation,
            actions=[Conversation.member_ids.set(remaining)],
            condition=Conversation.member_ids == list(conversation.member_ids),
            label="members",
        )
        write.delete(entry)


@contextlib.contextmanager
def _members_changing() -> Iterator[None]:
    """A membership change is conditional on the members read before it: someone else's
    change in between cancels it, and the client may simply try again."""
    try:
        yield
    except TransactionCancelled:
        raise Conflict(
            "The group changed at the same moment; try again", code="concurrent_change"
        ) from None


def _check_usernames(usernames: object, allow_empty: bool) -> None:
    if (
        not isinstance(usernames, list)
        or not (usernames or allow_empty)
        or not all(isinstance(u, str) for u in usernames)
    ):
        raise ValidationError("usernames must be a list of usernames", field="usernames")
    _check_size(len(set(usernames)))  # before looking anyone up


def _check_size(members: int) -> None:
    if members > MAX_MEMBERS:
        raise ValidationError(
            f"A conversation has at most {MAX_MEMBERS} members", field="usernames"
        )


def _others(viewer_id: str, usernames: list[str]) -> list[str]:
    """Member ids for these usernames (no duplicates, not the viewer); blocked ones refused."""
    ids = list(dict.fromkeys(profiles.by_username(name).user_id for name in usernames))
    ids = [user_id for user_id in ids if user_id != viewer_id]
    if not ids:
        raise ValidationError("Name at least one other person", field="usernames")
    sight = visibility.look(viewer_id, users=ids)
    for user_id in ids:
        relationship = sight.relationship(user_id)
        if relationship.blocked_by:
            raise NotFound("No such user", code="user_not_found")
        if relationship.blocked:
            raise Forbidden("You cannot message this account", code="cannot_message")
    return ids


def _folders(starter_id: str, member_ids: list[str]) -> dict[str, str]:
    """Members who follow the starter get the conversation; the others, and those who
    restricted the starter (``graph.restricts``), get a request."""
    found = existing_keys(
        [key for m in member_ids for key in ((Follow, m, starter_id), (Restrict, m, starter_id))]
    )
    return {
        m: ACTIVE
        if (Follow, m, starter_id) in found and (Restrict, m, starter_id) not in found
        else REQUEST
        for m in member_ids
    }


def _direct(viewer_id: str, other_id: str) -> Conversation:
    conversation_id = direct_id(viewer_id, other_id)
    try:
        return Conversation.get(conversation_id, consistent_read=True)
    except Conversation.DoesNotExist:
        pass
    try:
        return _create(viewer_id, conversation_id, DIRECT, [other_id], None)
    except TransactionCancelled:  # the other person started it at the same moment
        return Conversation.get(conversation_id, consistent_read=True)


def _create(
    viewer_id: str, conversation_id: str, kind: str, others: list[str], name: str | None
) -> Conversation:
    now = now_ms()
    conversation = Conversation(
        conversation_id,
        kind=kind,
        name=name,
        created_at=now,
        created_by=viewer_id,
        member_ids=[viewer_id, *others],
    )
    folders = _folders(viewer_id, others)
    with Transaction() as write:
        write.save(
            conversation, condition=Conversation.conversation_id.does_not_exist(), label="new"
        )
        write.save(InboxEntry(viewer_id, conversation_id, folder=ACTIVE, updated_at=now))
        for member in others:
            write.save(InboxEntry(member, conversation_id, folder=folders[member], updated_at=now))
    return conversation
