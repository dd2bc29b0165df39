"""Which context reacts to which table's changes, delivered by DynamoDB Streams (in AWS and
in `make run`): dispatch only, the reactions live with the contexts that own what they write.

Batches go through Powertools' batch processor, so one bad record is reported as a partial
failure and retried alone instead of blocking the whole shard. Every reaction is written to
be harmless when a batch is delivered twice. Reactions are named, not imported, here: a stream
consumer loads them on its first record, so the API's cold start never pays for them (search
indexing above all).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

Image = dict[str, Any] | None
Reaction = Callable[[Image, Image], None]

# stream (the table) -> the reactions, in order: "context module:function"
REACTIONS: dict[str, tuple[str, ...]] = {
    "users": (
        "graph.reactions:on_user",  # private → public lets pending requesters in
        "discovery.reactions:on_user",  # its posts' tags and places change sides
        "search.reactions:on_user",
    ),
    "posts": (
        "search.reactions:on_post",
        "posts.reactions:on_post",  # the media deadline; a deletion's likes, comments, files
        "discovery.reactions:on_post",  # hashtag and place pages
        "feed.reactions:on_post",  # fan-out, mentions
    ),
    "follows": (
        "feed.reactions:on_follow",
        "interactions.reactions:on_follow",
        "stories.reactions:on_follow",  # a followed account's live story into the tray
    ),
    "follow_requests": ("feed.reactions:on_follow_request",),
    "likes": ("feed.reactions:on_like", "interactions.reactions:on_like"),
    "comments": ("feed.reactions:on_comment", "interactions.reactions:on_comment"),
    "hashtags": ("search.reactions:on_hashtag",),
    "places": ("search.reactions:on_place",),
    "stories": ("stories.reactions:on_story",),  # trays rewritten, a gone story's files
    "restricts": ("messaging.reactions:on_restrict",),  # the pair's chat into requests
}


def process_batch(event: dict[str, Any], stream: str) -> dict:
    """A batch of one stream's records, each through every reaction of that stream."""
    # Imported here, not at the top: stream consumers need it, the API's cold start does not.
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    def record_handler(record: Any) -> None:
        react(stream, record.dynamodb.old_image or None, record.dynamodb.new_image or None)

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor)


def react(stream: str, old: Image, new: Image) -> None:
    """One change (the item's images before and after) through every reaction to it."""
    for reaction in _reactions(stream):
        reaction(old, new)


@functools.cache
def _reactions(stream: str) -> tuple[Reaction, ...]:
    found = []
    for name in REACTIONS[stream]:
        module, function = name.split(":")
        found.append(getattr(importlib.import_module(f"chalicelib.{module}"), function))
    return tuple(found)
