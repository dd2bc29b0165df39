"""An account's end in direct messages (``lifecycle.deletion``).

The decision (README, "Deleting your account"): its messages go, from every conversation it
was in; everyone else's stay. It leaves every conversation's members, a preview of its last
message gives way to the newest message left, and each member's unread count loses exactly
the messages of it they had not read, in the same transaction that deletes them (so a
repeated run, which finds them gone, corrects nothing twice). Its inbox rows go. A
conversation it leaves empty goes whole. A 1:1 whose other member is gone is read-only
(``messages.send`` refuses it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from pynamodb.exceptions import UpdateError

from chalicelib.core.dynamodb import Transaction, TransactionCancelled, batch_get
from chalicelib.graph import visibility
from chalicelib.messaging import conversations, messages
from chalicelib.messaging.models import Conversation, InboxEntry, Message

Tick = Callable[[], None]
_ATTEMPTS = 5
_TRANSACTION_ITEMS = 100


def forget(user_id: str, tick: Tick) -> dict[str, int]:
    gone = {"conversations": 0, "messages": 0, "markers": 0, "emptied": 0}
    for entry in list(InboxEntry.query(user_id, attributes_to_get=["user_id", "conversation_id"])):
        tick()
        try:
            conversation = Conversation.get(entry.conversation_id, consistent_read=True)
        except Conversation.DoesNotExist:
            conversation = None
        if conversation is not None:
            history = list(
                Message.query(
                    conversation.conversation_id,
                    attributes_to_get=["conversation_id", "message_id", "sender_id"],
                )
            )
            gone["messages"] += _take_messages(user_id, conversation, history, tick)
            gone["markers"] += _take_markers(user_id, conversation.conversation_id, history)
            gone["emptied"] += _step_out(user_id, conversation.conversation_id, tick)
        InboxEntry(user_id, entry.conversation_id).delete()
        gone["conversations"] += 1
    return gone


def _take_messages(user_id: str, conversation: Conversation, history: list, tick: Tick) -> int:
    """Its messages go, in transactions that also take each of them a member had not read
    off that member's unread count."""
    mine = [m.message_id for m in history if m.sender_id == user_id]
    others = [m for m in conversation.member_ids if m != user_id]
    # In a group, members across a block from it never counted its messages as unread.
    hidden = (
        visibility.blocked_among(user_id, others)
        if conversation.kind == conversations.GROUP
        else set()
    )
    counted = [m for m in others if m not in hidden]
    size = max(1, _TRANSACTION_ITEMS - len(counted))
    for start in range(0, len(mine), size):
        tick()
        _delete_counted(conversation.conversation_id, mine[start : start + size], counted)
    return len(mine)


def _delete_counted(conversation_id: str, message_ids: list[str], members: list[str]) -> None:
    for _ in range(_ATTEMPTS):
        found = batch_get([(InboxEntry, m, conversation_id) for m in members])
        try:
            with Transaction() as write:
                for message_id in message_ids:
                    write.delete(Message(conversation_id, message_id))
                for member in members:
                    row = found.get((InboxEntry, member, conversation_id))
                    if row is None:
                        continue
                    read = row.last_read_id or ""
                    unread = sum(1 for message_id in message_ids if message_id > read)
                    if not unread:
                        continue
                    # Only if the member has not read (nor been sent more) since the read.
                    same_read = (
                        InboxEntry.last_read_id == row.last_read_id
                        if row.last_read_id
                        else InboxEntry.last_read_id.does_not_exist()
                    )
                    write.update(
                        InboxEntry(member, conversation_id),
                        actions=[InboxEntry.unread.add(-unread)],
                        condition=same_read & (InboxEntry.unread >= unread),
                        label=member,
                    )
            return
        except TransactionCancelled:
            continue  # someone read (or a count drifted) meanwhile: read the rows again
    # Still refused: each count drops as far as it can without going below zero, then the
    # messages go.
    found = batch_get([(InboxEntry, m, conversation_id) for m in members])
    for row in found.values():
        unread = sum(1 for message_id in message_ids if message_id > (row.last_read_id or ""))
        if unread:
            _lower(row, unread)
    with Message.batch_write() as batch:
        for message_id in message_ids:
            batch.delete(Message(conversation_id, message_id))


def _lower(row: InboxEntry, by: int) -> None:
    for actions, condition in (
        ([InboxEntry.unread.add(-by)], InboxEntry.unread >= by),
        ([InboxEntry.unread.set(0)], InboxEntry.unread < by),
    ):
        try:
            row.update(actions=actions, condition=condition)
            return
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise


def _take_markers(user_id: str, conversation_id: str, history: list) -> int:
    """Its client-id markers (``~client#<sender>#<client_id>``)."""
    prefix = f"{messages.CLIENT_MARKER}{user_id}#"
    markers = [m.message_id for m in history if m.message_id.startswith(prefix)]
    with Message.batch_write() as batch:
        for message_id in markers:
            batch.delete(Message(conversation_id, message_id))
    return len(markers)


def _step_out(user_id: str, conversation_id: str, tick: Tick) -> int:
    """It leaves the members; its preview gives way to the newest message left. A
    conversation left without members goes, with all it holds. Returns 1 if it went."""
    for _ in range(_ATTEMPTS):
        try:
            conversation = Conversation.get(conversation_id, consistent_read=True)
        except Conversation.DoesNotExist:
            return 0
        remaining = [m for m in conversation.member_ids if m != user_id]
        if not remaining:
            with Message.batch_write() as batch:
                for message in Message.query(conversation_id, attributes_to_get=["message_id"]):
                    tick()
                    batch.delete(Message(conversation_id, message.message_id))
            conversation.delete()
            return 1
        actions = [Conversation.member_ids.set(remaining)]
        if conversation.created_by == user_id:
            actions.append(Conversation.created_by.remove())
        if conversation.last_sender_id == user_id:
            actions += _newest_left(conversation_id)
        try:
            with Transaction() as write:
                write.update(
                    conversation,
                    actions=actions,
                    condition=Conversation.member_ids == list(conversation.member_ids),
                    label="members",
                )
            return 0
        except TransactionCancelled:
            continue  # the members changed meanwhile: read them again
    raise RuntimeError(f"conversation {conversation_id} kept changing")


def _newest_left(conversation_id: str) -> list:
    newest = next(
        iter(
            Message.query(
                conversation_id,
                Message.message_id < messages.CLIENT_MARKER,
                scan_index_forward=False,
                limit=1,
            )
        ),
        None,
    )
    if newest is None:
        return [
            Conversation.last_message_id.remove(),
            Conversation.last_preview.remove(),
            Conversation.last_sender_id.remove(),
        ]
    return [
        Conversation.last_message_id.set(newest.message_id),
        Conversation.last_preview.set(messages.preview(newest)),
        Conversation.last_sender_id.set(newest.sender_id),
    ]


def remove_message(conversation_id: str, message_id: str) -> bool:
    """One message deleted for everyone (a moderator removed it): members who had not read
    it lose it from their unread count in the same transaction, and a preview showing it
    gives way to the newest message left. False if it was gone already."""
    try:
        conversation = Conversation.get(conversation_id, consistent_read=True)
        sender = Message.get(conversation_id, message_id, consistent_read=True).sender_id
    except (Conversation.DoesNotExist, Message.DoesNotExist):
        return False
    others = [m for m in conversation.member_ids if m != sender]
    hidden = (
        visibility.blocked_among(sender, others)
        if sender and conversation.kind == conversations.GROUP
        else set()
    )
    _delete_counted(conversation_id, [message_id], [m for m in others if m not in hidden])
    if conversation.last_message_id == message_id:
        with contextlib.suppress(UpdateError):  # a newer message took its place meanwhile
            conversation.update(
                actions=_newest_left(conversation_id),
                condition=Conversation.last_message_id == message_id,
            )
    return True
