"""The home feed's cost: DynamoDB round trips and time per page, and fan-out throughput.

    .venv/bin/python bench/feed/run.py [--posts 300] [--followers 10000] [--runs 5] [--tray-only]

Runs against the local emulator (moto's server in a child process, the stack deployed from
infra/template.yaml), so every DynamoDB call is a real HTTP round trip. Side by side:

- ``home.read`` (Query + merged large accounts + one parallel BatchGetItem), and
- a naive page: the same Query, then one GetItem per post, per author, per like flag and per
  save flag.

"calls" counts DynamoDB requests; "waves" counts the sequential round trips a page waits for
(calls sent side by side share a wave). Then fan-out on write for an author with
``--followers`` followers: feed items written per second. Then the stories tray
(``stories.tray.read``) of a reader following 10, 100 and 1,000 accounts with a live story
each: calls, waves and time per page, and of a reader following 10 such accounts and 1, 10
or 50 large ones, merged at read time (``--tray-only`` runs just that).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY))

from local_cloud import harness  # noqa: E402


class CallLog:
    """Every botocore call's operation and (start, end), to count calls and waves."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, float]] = []
        self._lock = threading.Lock()

    def install(self) -> None:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        log = self

        def counted(client, operation, params):  # noqa: ANN001, ANN202
            start = time.perf_counter()
            try:
                return original(client, operation, params)
            finally:
                with log._lock:
                    log.calls.append((operation, start, time.perf_counter()))

        BaseClient._make_api_call = counted

    def measure(self, action):  # noqa: ANN001, ANN201
        self.calls.clear()
        start = time.perf_counter()
        result = action()
        elapsed = time.perf_counter() - start
        return result, elapsed, list(self.calls)


def waves(calls: list[tuple[str, float, float]]) -> int:
    """Sequential round trips: a call starting after every earlier one ended opens a wave."""
    count, horizon = 0, float("-inf")
    for _, start, end in sorted(calls, key=lambda call: call[1]):
        if start >= horizon:
            count += 1
            horizon = end
        else:
            horizon = max(horizon, end)
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tray-only", action="store_true")
    args = parser.parse_args()

    with harness.deployed_here("feed", FEED_FANOUT_MAX_FOLLOWERS=str(args.followers * 2)):
        run(args)


def run(args: argparse.Namespace) -> None:
    from chalicelib.accounts.models import User
    from chalicelib.core.ids import new_id, now_ms
    from chalicelib.feed import home
    from chalicelib.feed.models import FeedEntry
    from chalicelib.graph.models import Follow
    from chalicelib.posts.models import Like, Post, Save

    def user(name: str) -> User:
        account = User(
            new_id(),
            username=name,
            email=f"{name}@example.com",
            password_hash="-",
            created_at=now_ms(),
        )
        account.save()
        return account

    if args.tray_only:
        tray_bench(args, user)
        return
    print(f"seeding: 1 reader following 20 authors, {args.posts} ready posts ...", flush=True)
    reader = user("reader")
    authors = [user(f"author{n}") for n in range(20)]
    with Follow.batch_write() as batch:
        for author in authors:
            batch.save(Follow(reader.user_id, author.user_id, created_at=now_ms()))
    entries = []
    with Post.batch_write() as batch:
        for n in range(args.posts):
            author = authors[n % len(authors)]
            post = Post(new_id(), author_id=author.user_id, created_at=now_ms(), status="ready")
            batch.save(post)
            entries.append(home.entry(reader.user_id, post.post_id, author.user_id))
    with FeedEntry.batch_write() as batch:
        for entry in entries:
            batch.save(entry)
    with Like.batch_write() as likes, Save.batch_write() as saves:
        for entry in entries[::3]:
            likes.save(
                Like(entry.post_id, reader.user_id, author_id=entry.author_id, created_at=now_ms())
            )
            saves.save(
                Save(reader.user_id, entry.post_id, author_id=entry.author_id, saved_at=now_ms())
            )

    def naive_page(limit: int) -> list[dict]:
        result = FeedEntry.query(
            reader.user_id, FeedEntry.post_id < "~", scan_index_forward=False, limit=limit
        )
        cards = []
        for entry in result:
            post = Post.get(entry.post_id)
            author = User.get(entry.author_id)
            liked = Like.count(entry.post_id, Like.user_id == reader.user_id) > 0
            saved = Save.count(reader.user_id, Save.post_id == entry.post_id) > 0
            cards.append(
                {"post": post.post_id, "author": author.username, "liked": liked, "saved": saved}
            )
        return cards

    log = CallLog()
    log.install()
    print(f"\n/feed page, median of {args.runs} runs (emulator over HTTP)")
    header = ("page", "version", "items", "calls", "waves", "ms", "ratio")
    print("{:>5} {:<8} {:>5} {:>6} {:>6} {:>8} {:>6}".format(*header))
    for limit in (20, 50, 100):
        rows = {}
        for name, action in (
            ("feed", lambda limit=limit: home.read(reader.user_id, limit, None).items),
            ("naive", lambda limit=limit: naive_page(limit)),
        ):
            samples = [log.measure(action) for _ in range(args.runs)]
            items, _, calls = samples[-1]
            rows[name] = (
                len(items),
                len(calls),
                waves(calls),
                statistics.median(s[1] for s in samples) * 1000,
            )
        for name, (items, calls, wave_count, ms) in rows.items():
            ratio = ms / rows["feed"][3]
            print(
                f"{limit:>5} {name:<8} {items:>5} {calls:>6} {wave_count:>6} {ms:>8.1f} "
                f"{ratio:>5.1f}x"
            )

    # One of the 20 authors outgrows fan-out: its posts are merged in when the feed is read.
    home.become_large(User.get(authors[0].user_id))
    print("\nwith one followed large account merged at read time")
    for limit in (20, 50, 100):
        samples = [
            log.measure(lambda limit=limit: home.read(reader.user_id, limit, None).items)
            for _ in range(args.runs)
        ]
        items, _, calls = samples[-1]
        ms = statistics.median(s[1] for s in samples) * 1000
        print(
            f"{limit:>5} {'merged':<8} {len(items):>5} {len(calls):>6} {waves(calls):>6} {ms:>8.1f}"
        )

    print(f"\nfan-out on write: an author with {args.followers} followers", flush=True)
    star = user("star")
    with Follow.batch_write() as batch:
        for n in range(args.followers):
            batch.save(Follow(f"f{n:06d}", star.user_id, created_at=now_ms()))
    star.update(actions=[User.followers_count.set(args.followers)])
    post = Post(new_id(), author_id=star.user_id, created_at=now_ms(), status="ready")
    post.save()
    _, elapsed, calls = log.measure(lambda: home.fan_out(post.post_id, star.user_id))
    writes = sum(1 for op, *_ in calls if op == "BatchWriteItem")
    print(
        f"{args.followers + 1} feed items in {elapsed:.2f} s = "
        f"{(args.followers + 1) / elapsed:,.0f} items/s ({writes} BatchWriteItem calls, "
        f"{len(calls) - writes} others)"
    )

    tray_bench(args, user, log)


def live_story(author_id: str, expires):  # noqa: ANN001, ANN201 - chalicelib loads late
    """A ready story of everyone's, as the media function and the stream leave one."""
    from chalicelib.core.ids import new_id, now_ms
    from chalicelib.stories.models import Story

    return Story(
        new_id(),
        author_id=author_id,
        upload_id="-",
        audience="everyone",
        status="ready",
        created_at=now_ms(),
        expires_at=expires,
    )


def tray_bench(args: argparse.Namespace, user, log: CallLog | None = None) -> None:  # noqa: ANN001
    """The tray for 10, 100 and 1,000 accounts followed, each with one live story: the rows
    the stories stream would have written (``tray.row``), then pages of 20 and of 100."""
    from datetime import UTC, datetime, timedelta

    from chalicelib.core.ids import now_ms
    from chalicelib.graph.models import Follow
    from chalicelib.stories import tray
    from chalicelib.stories.models import Story, TrayEntry

    if log is None:
        log = CallLog()
        log.install()
    print("\nstories tray: a reader following N accounts with a live story each", flush=True)
    print(f"{'N':>5} {'page':>5} {'items':>5} {'calls':>6} {'waves':>6} {'ms':>8}")
    expires = datetime.now(UTC) + timedelta(hours=24)
    for count in (10, 100, 1000):
        reader = user(f"tray_reader{count}")
        authors = [user(f"tray{count}_{n}") for n in range(count)]
        stories = [live_story(author.user_id, expires) for author in authors]
        with Follow.batch_write() as follows, Story.batch_write() as written:
            for author, story in zip(authors, stories, strict=True):
                follows.save(Follow(reader.user_id, author.user_id, created_at=now_ms()))
                written.save(story)
        with TrayEntry.batch_write() as rows:
            for story in stories:
                rows.save(tray.row(reader.user_id, story))

        def per_author(reader_id: str = reader.user_id) -> list[str]:
            # The alternative without the index: the follows, then each account's stories.
            followed = [f.followee_id for f in Follow.query(reader_id)]
            return [a for a in followed if any(True for _ in Story.by_author.query(a, limit=1))]

        samples = [log.measure(per_author) for _ in range(min(args.runs, 3))]
        found, _, calls = samples[-1]
        ms = statistics.median(elapsed for _, elapsed, _ in samples) * 1000
        print(
            f"{count:>5} {'all':>5} {len(found):>5} {len(calls):>6} {waves(calls):>6} "
            f"{ms:>8.1f}  (a Query per account, no tray index)",
            flush=True,
        )
        for limit in (20, 100):
            samples = [
                log.measure(lambda: tray.read(reader.user_id, limit, None))  # noqa: B023
                for _ in range(args.runs)
            ]
            page, _, calls = samples[-1]
            ms = statistics.median(elapsed for _, elapsed, _ in samples) * 1000
            print(
                f"{count:>5} {limit:>5} {len(page['items']):>5} {len(calls):>6} "
                f"{waves(calls):>6} {ms:>8.1f}",
                flush=True,
            )
    tray_large_bench(args, user, log)


def tray_large_bench(args: argparse.Namespace, user, log: CallLog) -> None:  # noqa: ANN001
    """A reader following 10 fanned-out accounts and L large ones (no tray rows: each holds
    the feed's marker, written by ``home.on_follow``), each with one live story: a page of 20
    costs one Query per large account more, in one wave more."""
    from datetime import UTC, datetime, timedelta

    from chalicelib.core.ids import now_ms
    from chalicelib.feed import home
    from chalicelib.graph.models import Follow
    from chalicelib.stories import tray
    from chalicelib.stories.models import Story, TrayEntry

    print("\nstories tray: 10 fanned-out accounts + L large ones, merged at read time")
    print(f"{'L':>5} {'page':>5} {'items':>5} {'calls':>6} {'waves':>6} {'ms':>8}")
    expires = datetime.now(UTC) + timedelta(hours=24)
    for large_count in (1, 10, 50):
        reader = user(f"tray_mixed{large_count}")
        small = [user(f"tray_mixed{large_count}_s{n}") for n in range(10)]
        large = [user(f"tray_mixed{large_count}_l{n}") for n in range(large_count)]
        for author in large:
            author.feed_pull = True  # what home.become_large leaves: a large account
            author.save()
        everyone = [*small, *large]
        stories = {author.user_id: live_story(author.user_id, expires) for author in everyone}
        with Follow.batch_write() as follows, Story.batch_write() as written:
            for author_id, story in stories.items():
                follows.save(Follow(reader.user_id, author_id, created_at=now_ms()))
                written.save(story)
        with TrayEntry.batch_write() as rows:
            for author in small:
                rows.save(tray.row(reader.user_id, stories[author.user_id]))
        for author in large:
            home.on_follow(reader.user_id, author.user_id)  # the marker, no tray row
        reader_id = reader.user_id
        samples = [
            log.measure(lambda r=reader_id: tray.read(r, 20, None)) for _ in range(args.runs)
        ]
        page, _, calls = samples[-1]
        ms = statistics.median(elapsed for _, elapsed, _ in samples) * 1000
        print(
            f"{large_count:>5} {20:>5} {len(page['items']):>5} {len(calls):>6} "
            f"{waves(calls):>6} {ms:>8.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
