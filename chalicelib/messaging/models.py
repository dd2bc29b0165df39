"""Direct messages: conversations, each member's inbox row, messages."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, LocalSecondaryIndex

from chalicelib.core.dynamodb import Model, meta


class Conversation(Model):
    Meta = meta("conversations")

    conversation_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # direct | group
    name = UnicodeAttribute(null=True)
    member_ids = ListAttribute(of=UnicodeAttribute, default=list)
    created_by = UnicodeAttribute(null=True)  # removed when that account is deleted
    created_at = NumberAttribute()
    last_message_id = UnicodeAttribute(null=True)
    last_preview = UnicodeAttribute(null=True)
    last_sender_id = UnicodeAttribute(null=True)


class InboxByActivity(LocalSecondaryIndex):
    Meta = meta("inbox", index="inbox_by_activity", projection=AllProjection())

    user_id = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class InboxEntry(Model):
    """A member's view of one conversation."""

    Meta = meta("inbox")

    user_id = UnicodeAttribute(hash_key=True)
    conversation_id = UnicodeAttribute(range_key=True)
    # active, or request: from someone the member does not follow, until accepted.
    folder = UnicodeAttribute(default="active")
    # Set while a restriction keeps a 1:1 in requests that was active before it: lifting the
    # restriction moves it back (``conversations.restriction_lifted``); accepting clears it.
    moved_by_restriction = BooleanAttribute(null=True)
    updated_at = NumberAttribute()
    unread = NumberAttribute(default=0)
    last_read_id = UnicodeAttribute(null=True)

    by_activity = InboxByActivity()


class RepliedStory(MapAttribute):
    """The story a message answers (``POST /stories/{id}/reply``): what its preview needs,
    copied into the message, since the story goes after 24 hours and the message stays."""

    story_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    preview_key = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()  # ms: the preview is shown until then


class Message(Model):
    Meta = meta("messages")

    conversation_id = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)
    sender_id = UnicodeAttribute(null=True)
    client_id = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)
    post_id = UnicodeAttribute(null=True)
    story = RepliedStory(null=True)
    created_at = NumberAttribute(null=True)
    # On a "~client#<sender>#<client_id>" item: the message that client id produced.
    refers_to = UnicodeAttribute(null=True)
