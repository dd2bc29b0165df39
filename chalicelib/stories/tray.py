"""The tray (``GET /stories``): the accounts you follow with a live story for you, those
with one you have not seen first, then by their newest story.

Fan-out on write, like the home feed: when a story turns ready or goes, the stories stream
rewrites the author's row in each follower's tray partition (``refresh``: the newest live
story that reader may see, or no row). Reading a page is then two waves whatever the number
of accounts followed: (1) one Query of the reader's partition, rows and seen markers alike
(a row is ~150 bytes: a 1 MB page holds some 6,000 accounts), and beside it one Query of
the large accounts followed (below), (2) one BatchGetItem (chunks of 100 keys, side by side)
of the page's accounts, stories and the policy's facts, so a row that went stale since it
was written (an unfollow, a block, a mute, a close friend no more, a story deleted) is left
out at read time.

Large accounts (the home feed's rule: more followers than ``feed_fanout_max_followers``, or
once so: ``feed.home.followee_is_large``) are not fanned out: a million followers would cost
a million writes per story change, and see it late. ``refresh`` writes nothing for them,
and so sends no ``story.new`` (a million pushes per story: a push storm; their followers
see it at their next tray read). Each of their followers holds the home feed's marker
(``feed.home.become_large``, written once per account) and ``read`` merges their stories
in: the markers are wave 1's second Query, and, only when some are found, a wave between
(1) and (2) sends one Query of each large account's live stories and one BatchGetItem of
the reader's close-friend rows among them, side by side; the newest story the reader may
be shown becomes a row, ordered (seen, unseen first) and checked in wave 2 like the others.
Three waves then: 2 + L Queries for L large accounts followed, plus the BatchGetItems.
An account that crosses the threshold keeps the rows written before until they expire
(read replaces a marked account's row with the merge); one that shrinks again stays merged
(the marker stays), as in the home feed: both ways show the same tray.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.accounts import profiles
from chalicelib.accounts.models import User
from chalicelib.core.dynamodb import Key, batch_get, pool
from chalicelib.core.ids import new_id
from chalicelib.core.pagination import decode_offset, encode_offset
from chalicelib.core.settings import settings
from chalicelib.feed import home
from chalicelib.graph import visibility
from chalicelib.graph.models import Follow
from chalicelib.stories import audience
from chalicelib.stories.audience import CLOSE_FRIENDS, EVERYONE
from chalicelib.stories.media import READY
from chalicelib.stories.models import CloseFriend, Story, TrayEntry

SEEN = "~seen#"  # sorts after every author id: markers never mix with rows
_MAX_OFFSET = 100_000


def refresh(author_id: str) -> dict[str, str]:
    """Every follower's row for this author, from the author's live ready stories now:
    idempotent, so a redelivered or reordered stream record changes nothing. Returns each
    reader's story now in its row (readers whose row was deleted are left out): none for a
    large account, whose stories readers merge in at read time."""
    if _pulled(author_id):
        return {}
    now = datetime.now(UTC)
    stories = [
        s for s in Story.by_author.query(author_id) if s.status == READY and audience.live(s, now)
    ]
    newest = {kind: _newest(stories, kind) for kind in (EVERYONE, CLOSE_FRIENDS)}
    friends: set[str] = set()
    if newest[CLOSE_FRIENDS] is not None:
        friends = {row.friend_id for row in CloseFriend.query(author_id)}
    written: dict[str, str] = {}
    with TrayEntry.batch_write() as batch:
        for edge in Follow.followers_by_time.query(author_id):
            reader = edge.follower_id
            candidates = [newest[EVERYONE]]
            if reader in friends:
                candidates.append(newest[CLOSE_FRIENDS])
            story = max((s for s in candidates if s), key=lambda s: s.story_id, default=None)
            if story is None:
                batch.delete(TrayEntry(reader, author_id))
            else:
                batch.save(row(reader, story))
                written[reader] = story.story_id
    return written


def followed(reader_id: str, author_id: str) -> None:
    """A new follow: the author's newest live story for this reader enters the tray at once
    (else it would wait for the author's next story); an unfollow takes the row out. A large
    account's stories are merged in at read time (the feed's own follow reaction writes the
    marker), so no row for it."""
    if _pulled(author_id):
        return
    now = datetime.now(UTC)
    stories = [
        s for s in Story.by_author.query(author_id) if s.status == READY and audience.live(s, now)
    ]
    if any(s.audience == CLOSE_FRIENDS for s in stories):
        try:
            CloseFriend.get(author_id, reader_id)
        except CloseFriend.DoesNotExist:
            stories = [s for s in stories if s.audience == EVERYONE]
    if stories:
        row(reader_id, stories[-1]).save()


def unfollowed(reader_id: str, author_id: str) -> None:
    TrayEntry(reader_id, author_id).delete()


def row(reader_id: str, story: Story) -> TrayEntry:
    return TrayEntry(
        reader_id,
        story.author_id,
        author_id=story.author_id,
        story_id=story.story_id,
        expires_at=story.expires_at,
    )


def mark_seen(viewer_id: str, story: Story) -> None:
    """The viewer saw ``story``: the author's row reads as seen unless a newer story came."""
    try:
        TrayEntry(viewer_id, SEEN + story.author_id).update(
            actions=[
                TrayEntry.author_id.set(story.author_id),
                TrayEntry.story_id.set(story.story_id),
                TrayEntry.expires_at.set(story.expires_at),
            ],
            # Only forward: seeing an older story after a newer one must not make it unseen.
            condition=TrayEntry.story_id.does_not_exist() | (TrayEntry.story_id < story.story_id),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def read(viewer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    offset = decode_offset(cursor, _MAX_OFFSET)
    now = datetime.now(UTC)
    rows: dict[str, TrayEntry] = {}
    seen: dict[str, str] = {}
    # Wave 1: the whole partition (expired rows are skipped: TTL lags) and, side by side, the
    # large accounts followed (the home feed's markers).
    marked = pool().submit(home.large_followed, viewer_id)
    for item in TrayEntry.query(viewer_id):
        if item.expires_at <= now:
            continue
        if item.entry_key.startswith(SEEN):
            seen[item.author_id] = item.story_id
        else:
            rows[item.author_id] = item
    large = marked.result()
    # Only with large accounts followed, a wave between 1 and 2: their live stories, merged
    # in as rows. A row of a marked account is from before it crossed the threshold (or a
    # stale one): the merge replaces it.
    known: dict[str, Story] = {}
    if large:
        for author in large:
            rows.pop(author, None)
        for story in _merged(viewer_id, large, now):
            rows[story.author_id] = row(viewer_id, story)
            known[story.story_id] = story
    ordered = sorted(rows.values(), key=lambda r: r.story_id, reverse=True)
    ordered.sort(key=lambda r: seen.get(r.author_id, "") >= r.story_id)  # stable: unseen first
    page = ordered[offset : offset + limit]
    authors = [r.author_id for r in page]
    # Wave 2: accounts, edges, mutes, close-friend rows and the stories, in one batch.
    sight = visibility.look(
        viewer_id,
        authors,
        extra=[
            *visibility.feed_keys(viewer_id, authors),
            *audience.keys(viewer_id, authors),
            *((Story, r.story_id, None) for r in page if r.story_id not in known),
        ],
    )
    items = []
    for r in page:
        story = known.get(r.story_id) or sight.found.get((Story, r.story_id, None))
        user = sight.content_of(r.author_id)
        if (
            user is None
            or not isinstance(story, Story)
            or not sight.relationship(r.author_id).following
            or not sight.in_feeds(r.author_id)  # muted: out of the tray, as of the feed
            or not audience.may_see(story, sight, sight.found)
        ):
            continue
        items.append(
            {
                "author": profiles.summary(user),
                "latest_story_id": r.story_id,
                "latest_at": int(story.created_at),
                "seen": seen.get(r.author_id, "") >= r.story_id,
            }
        )
    more = offset + limit < len(ordered)
    return {"items": items, "next_cursor": encode_offset(offset + limit) if more else None}


def forget_author(author_id: str) -> int:
    """Every reader's row and seen marker of this author (an account's deletion)."""
    keys = [(e.user_id, e.entry_key) for e in TrayEntry.by_author.query(author_id)]
    with TrayEntry.batch_write() as batch:
        for user_id, entry_key in keys:
            batch.delete(TrayEntry(user_id, entry_key))
    return len(keys)


def forget_reader(user_id: str) -> int:
    """An account's own tray partition (an account's deletion)."""
    keys = [e.entry_key for e in TrayEntry.query(user_id)]
    with TrayEntry.batch_write() as batch:
        for entry_key in keys:
            batch.delete(TrayEntry(user_id, entry_key))
    return len(keys)


def _newest(stories: list[Story], kind: str) -> Story | None:
    of_kind = [s for s in stories if s.audience == kind]
    return of_kind[-1] if of_kind else None  # the query sorts by story id, oldest first


def _pulled(author_id: str) -> bool:
    """A large account (the home feed's rule): its readers merge its stories in when they
    read their tray. The first time, every follower gets the feed's marker (once per
    account, shared with the home feed), so their reads find it."""
    try:
        author = User.get(author_id)
    except User.DoesNotExist:
        return False  # an account being erased: its rows go with it (forget_author)
    if not home.followee_is_large(author):
        return False
    if not author.feed_pull:
        home.become_large(author)
    return True


def _merged(viewer_id: str, authors: list[str], now: datetime) -> list[Story]:
    """The newest live story of each large account that this reader may be shown, as
    ``refresh`` would have written it: a close-friends story only for a close friend. One
    Query per account and one BatchGetItem of the close-friend rows, side by side."""
    # Stories are time-sorted ids: only the last lifetime's can be live (TTL lags by days).
    since_ms = int(now.timestamp() * 1000) - settings().story_lifetime_seconds * 1000
    since = new_id(since_ms)[:10]  # the first 10 characters are the milliseconds
    queries = [pool().submit(_live, author, since, now) for author in authors]
    friends: dict[Key, object] = dict(batch_get(audience.keys(viewer_id, authors)))
    merged = []
    for author, query in zip(authors, queries, strict=True):
        stories = query.result()
        kinds = (
            {EVERYONE, CLOSE_FRIENDS} if (CloseFriend, author, viewer_id) in friends else {EVERYONE}
        )
        shown = [s for s in stories if s.audience in kinds]
        if shown:
            merged.append(shown[-1])  # the query sorts by story id, oldest first
    return merged


def _live(author_id: str, since: str, now: datetime) -> list[Story]:
    return [
        s
        for s in Story.by_author.query(author_id, Story.story_id >= since)
        if s.status == READY and audience.live(s, now)
    ]
