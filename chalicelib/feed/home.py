"""The home feed: posts of the accounts you follow and your own, newest first.

Fan-out on write: when a post turns ready, the posts stream writes it into the feed partition
of each follower (and the author), in batches. Authors with more followers than
``feed_fanout_max_followers`` are not fanned out: each of their followers holds a small
marker item instead, and their recent posts are merged in when the feed is read.

Reading a page takes three waves of DynamoDB calls whatever its length, the calls of a wave
sent side by side: (1) Query the feed partition and its markers, (2) Query the recent posts
of any large accounts followed, (3) one BatchGetItem (in chunks of 100 keys) of the posts,
their authors, the viewer's likes and saves and the relationships that decide visibility.

Time-sorted post ids make the merge and the cursor simple: the cursor is the last post id
shown, and every source is read "older than the cursor", so new posts arriving while someone
scrolls never shift a page (no duplicates, no gaps).
"""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.accounts.models import User
from chalicelib.core.dynamodb import pool, update_if
from chalicelib.core.pagination import Page, decode_position, encode_position
from chalicelib.core.settings import settings
from chalicelib.feed.models import FeedEntry
from chalicelib.graph.models import Follow
from chalicelib.posts import cards
from chalicelib.posts.models import Post
from chalicelib.posts.status import READY

# Marker items sort after every post id ("~" > "z"), so feed queries stop before them.
_MARKER = "~big#"
_END = "~"


def entry(owner_id: str, post_id: str, author_id: str) -> FeedEntry:
    return FeedEntry(owner_id, post_id, author_id=author_id, author_post=f"{author_id}#{post_id}")


def fan_out(post_id: str, author_id: str) -> int:
    """Write a newly ready post into its readers' feeds; returns how many entries it wrote."""
    author = User.get(author_id)
    if int(author.followers_count) > settings().feed_fanout_max_followers:
        become_large(author)
        entry(author_id, post_id, author_id).save()  # the author still sees it at once
        return 1
    readers = [author_id, *followers_of(author_id)]
    with FeedEntry.batch_write() as batch:
        for reader in readers:
            batch.save(entry(reader, post_id, author_id))
    return len(readers)


def followers_of(user_id: str) -> Iterable[str]:
    for edge in Follow.followers_by_time.query(user_id):
        yield edge.follower_id


def on_follow(follower_id: str, followee_id: str) -> None:
    """A new follow: copy in the followee's recent posts, or, for a large account, a marker."""
    followee = User.get(followee_id)
    if followee_is_large(followee):
        FeedEntry(
            follower_id,
            _MARKER + followee_id,
            author_id=followee_id,
            author_post=f"{followee_id}#{_MARKER}",
        ).save()
        return
    recent = [
        p.post_id
        for p in Post.by_author.query(
            followee_id, scan_index_forward=False, limit=settings().feed_backfill_posts * 2
        )
    ]
    ready = [p for p in Post.batch_get(recent) if p.status == READY] if recent else []
    ready.sort(key=lambda p: p.post_id, reverse=True)
    with FeedEntry.batch_write() as batch:
        for post in ready[: settings().feed_backfill_posts]:
            batch.save(entry(follower_id, post.post_id, followee_id))


def on_unfollow(follower_id: str, followee_id: str) -> int:
    """Unfollowed (or blocked): the followee's posts and marker leave the follower's feed."""
    stale = list(
        FeedEntry.by_author.query(follower_id, FeedEntry.author_post.startswith(f"{followee_id}#"))
    )
    with FeedEntry.batch_write() as batch:
        for item in stale:
            batch.delete(FeedEntry(follower_id, item.post_id))
    return len(stale)


def remove_post(post_id: str, author_id: str) -> None:
    """A deleted post leaves every feed it was written into."""
    with FeedEntry.batch_write() as batch:
        for reader in [author_id, *followers_of(author_id)]:
            batch.delete(FeedEntry(reader, post_id))


def followee_is_large(user: User) -> bool:
    limit = settings().feed_fanout_max_followers
    return bool(user.feed_pull) or int(user.followers_count) > limit


def become_large(author: User) -> None:
    """The first post after an account outgrew fan-out: give every follower a marker, once.
    (An account that shrinks again stays read-merged; both ways show the same feed.)"""
    if not update_if(author, [User.feed_pull.set(True)], User.feed_pull.does_not_exist()):
        return  # done before
    with FeedEntry.batch_write() as batch:
        for follower in followers_of(author.user_id):
            batch.save(
                FeedEntry(
                    follower,
                    _MARKER + author.user_id,
                    author_id=author.user_id,
                    author_post=f"{author.user_id}#{_MARKER}",
                )
            )


def read(viewer_id: str, limit: int, cursor: str | None) -> Page:
    before = decode_position(cursor) or _END
    # Wave 1: the feed partition, and which large accounts the viewer follows.
    page_query = pool().submit(_feed_entries, viewer_id, before, limit)
    large = large_followed(viewer_id)
    candidates = page_query.result()
    # Wave 2: the recent posts of those accounts, merged in.
    for recent in pool().map(lambda author: _recent_posts(author, before, limit), large):
        candidates.update(recent)
    ordered = sorted(candidates.items(), reverse=True)[:limit]
    # Wave 3: posts, authors, flags, relationships and mutes in one batch (cards.in_feed):
    # a muted account's posts stay in the partition (unmuting brings them back) and are
    # left out here.
    items = cards.in_feed(viewer_id, ordered)
    more = len(candidates) > limit or (len(ordered) == limit)
    return Page(
        items=items, next_cursor=encode_position(ordered[-1][0]) if ordered and more else None
    )


def large_followed(viewer_id: str) -> list[str]:
    """The large accounts the viewer follows: one Query of their feed partition's markers
    (the story tray merges these accounts' stories in the same way)."""
    return [m.author_id for m in FeedEntry.query(viewer_id, FeedEntry.post_id.startswith(_MARKER))]


def _feed_entries(viewer_id: str, before: str, limit: int) -> dict[str, str]:
    result = FeedEntry.query(
        viewer_id, FeedEntry.post_id < before, scan_index_forward=False, limit=limit
    )
    return {item.post_id: item.author_id for item in result}


def _recent_posts(author_id: str, before: str, limit: int) -> dict[str, str]:
    result = Post.by_author.query(
        author_id, Post.post_id < before, scan_index_forward=False, limit=limit
    )
    return {item.post_id: author_id for item in result}
