"""An export of a busy account: time and peak memory of the job, and the deletion job after it.

    .venv/bin/python bench/export/run.py [--posts 120] [--photos-per-post 2]

Against the local emulator (moto's server in a child process, so its storage is not counted
in this process's memory): a busy account is written straight into the tables (posts whose
renditions are real 1080 px JPEGs of noise, about 0.5 MB each, as incompressible as photos;
likes, comments, saves, follows both ways, conversations with messages, searches, sessions).
Then ``lifecycle.archive.build`` runs once, measured:

- wall time;
- the peak of Python allocations during the build (``tracemalloc``): what would grow with the
  account if the zip or the photos were held in memory;
- the process's peak resident memory (``ru_maxrss``, a high-water mark: measured in a fresh
  child process, interpreter and imports included);

twice: cold (the first build in a fresh process, which also loads botocore's service models
per client and per thread of the DynamoDB pool) and warm (the next one).
- the zip's size.

Then ``lifecycle.deletion.run`` on the same account (the job alone: no stream consumers run
here, so what the streams take afterwards is not timed).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY))

from local_cloud import harness  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=120)
    parser.add_argument("--photos-per-post", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(json.loads(args.child))
        return

    with harness.deployed_here("export"):
        started = time.monotonic()
        world = build_world(args.posts, args.photos_per_post)
        print(f"world: {json.dumps(world['counts'])} in {time.monotonic() - started:.0f} s")
        child = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(world)],
            env=os.environ,
            capture_output=True,
            text=True,
            check=False,
        )
        sys.stdout.write(child.stdout)
        if child.returncode:
            sys.stderr.write(child.stderr)
            raise SystemExit(child.returncode)


def noise_jpeg(rng: random.Random, side: int = 1080) -> bytes:
    from PIL import Image

    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def build_world(posts: int, photos_per_post: int) -> dict:
    from chalicelib.accounts import auth, sessions
    from chalicelib.core.clients import client
    from chalicelib.core.ids import new_id, now_ms
    from chalicelib.core.settings import settings
    from chalicelib.graph.models import Follow
    from chalicelib.messaging.models import Conversation, InboxEntry, Message
    from chalicelib.posts.models import Comment, Like, Place, Post, PostImage, Rendition, Save
    from chalicelib.search.models import RecentSearch

    rng = random.Random(7)
    me = auth.register("busy", "busy@example.com", "correct horse battery").user
    others = [
        auth.register(f"friend{n}", f"friend{n}@example.com", "correct horse battery").user
        for n in range(20)
    ]
    s3, bucket = client("s3"), settings().media_bucket
    photos = [noise_jpeg(rng) for _ in range(8)]  # reused: S3 stores each object anyway
    stored = 0
    with Post.batch_write() as batch:
        for n in range(posts):
            post_id = new_id()
            images = []
            for index in range(photos_per_post):
                data = photos[(n + index) % len(photos)]
                renditions = []
                for name, side in (("1080", 1080), ("640", 640), ("320", 320), ("thumb", 150)):
                    key = f"posts/{post_id}/{index}/{name}.jpg"
                    body = data if name == "1080" else data[: 1000 + side]
                    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="image/jpeg")
                    stored += len(body)
                    renditions.append(
                        Rendition(name=name, key=key, width=side, height=side, bytes=len(body))
                    )
                images.append(
                    PostImage(
                        upload_id=new_id(),
                        status="ready",
                        width=1080,
                        height=1080,
                        renditions=renditions,
                    )
                )
            batch.save(
                Post(
                    post_id,
                    author_id=me.user_id,
                    created_at=now_ms(),
                    status="ready",
                    caption=f"post {n} #busy with @friend{n % 20}",
                    hashtags=["busy"],
                    mentions=[f"friend{n % 20}"],
                    place=Place(name="Somewhere", lat=1.5, lng=2.5) if n % 3 == 0 else None,
                    images=images,
                )
            )
    their_posts = [new_id() for _ in range(400)]
    with (
        Like.batch_write() as likes,
        Comment.batch_write() as comments,
        Save.batch_write() as saves,
    ):
        for n, post_id in enumerate(their_posts):
            author = others[n % 20].user_id
            likes.save(Like(post_id, me.user_id, author_id=author, created_at=now_ms()))
            if n % 2 == 0:
                comments.save(
                    Comment(
                        post_id,
                        new_id(),
                        author_id=me.user_id,
                        post_author_id=author,
                        text=f"comment {n} " * 5,
                        created_at=now_ms(),
                    )
                )
            if n % 4 == 0:
                saves.save(Save(me.user_id, post_id, author_id=author, saved_at=now_ms()))
    with Follow.batch_write() as batch:
        for other in others:
            batch.save(Follow(me.user_id, other.user_id, created_at=now_ms()))
            batch.save(Follow(other.user_id, me.user_id, created_at=now_ms()))
    messages = 0
    for n in range(20):
        conversation_id = new_id()
        members = [me.user_id, others[n].user_id, others[(n + 1) % 20].user_id]
        Conversation(
            conversation_id,
            kind="group",
            name=f"g{n}",
            member_ids=members,
            created_by=me.user_id,
            created_at=now_ms(),
        ).save()
        with InboxEntry.batch_write() as inbox, Message.batch_write() as batch:
            for member in members:
                inbox.save(InboxEntry(member, conversation_id, updated_at=now_ms()))
            for m in range(50):
                batch.save(
                    Message(
                        conversation_id,
                        new_id(),
                        sender_id=members[m % 3],
                        text=f"message {m} " * 8,
                        created_at=now_ms(),
                    )
                )
                messages += 1
    with RecentSearch.batch_write() as batch:
        for n in range(30):
            batch.save(
                RecentSearch(
                    me.user_id,
                    new_id(),
                    text=f"friend{n % 20}",
                    kind="user",
                    target_id=others[n % 20].user_id,
                    expires_at=datetime.now(UTC) + timedelta(days=30),
                )
            )
    for _ in range(5):
        sessions.start(me.user_id, "Glimpse/1.0")
    return {
        "user_id": me.user_id,
        "counts": {
            "posts": posts,
            "photos": posts * photos_per_post,
            "photo_bytes": sum(
                len(photos[(n + i) % len(photos)])
                for n in range(posts)
                for i in range(photos_per_post)
            ),
            "media_objects_bytes": stored,
            "likes": len(their_posts),
            "comments": len(their_posts) // 2,
            "saves": len(their_posts) // 4,
            "follows": 40,
            "messages": messages,
        },
    }


def measure(world: dict) -> None:
    from chalicelib.accounts.models import Export, User
    from chalicelib.core.ids import new_id, now_ms
    from chalicelib.lifecycle import archive, deletion

    user_id = world["user_id"]
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Twice: in a fresh process (a cold Lambda: botocore loads its service models, ~10 MB of
    # Python objects per client and per thread of the DynamoDB pool, whatever the account),
    # then again (a warm one: what the build itself holds).
    for run in ("cold", "warm"):
        key = f"exports/{user_id}/{new_id()}.zip"
        User(user_id).update(
            actions=[User.export.set(Export(status="building", requested_at=now_ms(), key=key))]
        )
        tracemalloc.start()
        started = time.monotonic()
        report = archive.build({"kind": "export", "user_id": user_id, "key": key})
        took = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            f"export ({run}): {report['bytes'] / 1e6:.1f} MB zip ({report['photos']} photos, "
            f"{report['messages']} messages) in {took:.1f} s; peak Python allocations "
            f"{peak / 1e6:.1f} MB; process peak RSS {rss_kb / 1024:.0f} MB (interpreter and "
            f"imports: {base_kb / 1024:.0f} MB)"
        )
    started = time.monotonic()
    removed = deletion.run({"kind": "delete", "user_id": user_id}, seconds=3600)
    print(f"deletion job: {time.monotonic() - started:.1f} s; removed {json.dumps(removed)}")


if __name__ == "__main__":
    main()
