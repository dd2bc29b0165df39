"""An account's deletion job in-process on moto: a crash halfway finishes on the next
delivery, a job out of time hands over to the next, and neither counts anything twice.
(Streams do not run here; tests/integration/test_account_deletion_http.py has the whole
cascade over HTTP.)"""

from __future__ import annotations

import json

import pytest

from chalicelib.accounts import auth, closing, profiles
from chalicelib.accounts.models import UniqueKey, User
from chalicelib.core import dynamodb
from chalicelib.core.errors import NotFound, Unauthenticated
from chalicelib.core.ids import new_id, now_ms
from chalicelib.graph import follows
from chalicelib.lifecycle import deletion
from chalicelib.messaging import conversations, messages
from chalicelib.messaging.models import Conversation, InboxEntry
from chalicelib.posts import captions, comments, likes
from chalicelib.posts.models import Post, Save
from chalicelib.posts.status import READY


def ready_post(author_id: str, caption: str = "") -> str:
    post_id = new_id()
    Post(
        post_id,
        author_id=author_id,
        created_at=now_ms(),
        status=READY,
        caption=caption,
        mentions=captions.mentions(caption),
    ).save()
    return post_id


def counts(post_id: str) -> tuple[int, int]:
    post = Post.get(post_id, consistent_read=True)
    return int(post.likes_count), int(post.comments_count)


@pytest.fixture
def world(make_user):
    alice, bob, carol = make_user().user, make_user().user, make_user().user
    follows.follow(bob.user_id, alice.username)
    follows.follow(alice.user_id, bob.username)
    follows.follow(carol.user_id, bob.username)
    bobs = ready_post(bob.user_id, f"with @{alice.username}!")
    likes.like(alice.user_id, bobs)
    likes.like(carol.user_id, bobs)
    comments.add(alice.user_id, bobs, "nice")
    comments.add(carol.user_id, bobs, f"@{alice.username} look")
    direct = conversations.start(bob.user_id, [alice.username])
    messages.send(bob.user_id, {"conversation_id": direct.conversation_id, "text": "hi"})
    messages.send(alice.user_id, {"conversation_id": direct.conversation_id, "text": "one"})
    messages.send(alice.user_id, {"conversation_id": direct.conversation_id, "text": "two"})
    group = conversations.start(alice.user_id, [bob.username, carol.username], name="trip")
    messages.send(alice.user_id, {"conversation_id": group.conversation_id, "text": "go"})
    return alice, bob, carol, bobs, direct.conversation_id, group.conversation_id


def unread(user_id: str, conversation_id: str) -> int:
    return int(InboxEntry.get(user_id, conversation_id, consistent_read=True).unread)


def test_a_wrong_password_deletes_nothing(make_user) -> None:
    alice = make_user().user
    with pytest.raises(Unauthenticated) as refused:
        closing.close(alice.user_id, "not the password")
    assert refused.value.code == "invalid_credentials"
    assert profiles.by_id(alice.user_id).deleted_at is None


def test_a_crash_halfway_finishes_on_the_next_delivery(world, monkeypatch) -> None:
    alice, bob, carol, bobs, direct, group = world
    bob_reads = messages.mark_read(bob.user_id, direct)["last_read_id"]  # "hi" and "one"
    messages.send(alice.user_id, {"conversation_id": direct, "text": "three"})
    messages.send(bob.user_id, {"conversation_id": direct, "text": "bye"})
    messages.send(alice.user_id, {"conversation_id": direct, "text": "four"})
    assert bob_reads and unread(bob.user_id, direct) == 1  # "four": "three" was read by "bye"
    assert unread(carol.user_id, group) == 1
    closing.close(alice.user_id, "correct horse")
    with pytest.raises(NotFound):
        profiles.by_id(alice.user_id)  # gone for everyone from the request on

    real = deletion.posts.erase_comments

    def crash(user_id, tick):  # noqa: ANN001, ANN202
        raise RuntimeError("the Lambda died here")

    monkeypatch.setattr(deletion.posts, "erase_comments", crash)
    with pytest.raises(RuntimeError):
        deletion.run({"kind": "delete", "user_id": alice.user_id})
    # Halfway: the likes went (counted once), the comments not yet, the user is still there.
    assert counts(bobs) == (1, 2)
    monkeypatch.setattr(deletion.posts, "erase_comments", real)
    removed = deletion.run({"kind": "delete", "user_id": alice.user_id})  # the redelivery
    assert removed["likes"] == 0 and removed["comments"] == 1  # what was left, once
    again = deletion.run({"kind": "delete", "user_id": alice.user_id})  # and once more
    assert again["comments"] == 0 and again["graph"]["follows"] == 0

    assert counts(bobs) == (1, 1)
    bob_now, carol_now = profiles.by_id(bob.user_id), profiles.by_id(carol.user_id)
    assert (int(bob_now.followers_count), int(bob_now.following_count)) == (1, 0)
    assert (int(carol_now.followers_count), int(carol_now.following_count)) == (0, 1)
    assert unread(bob.user_id, direct) == 0  # alice's two unread messages went
    assert unread(carol.user_id, group) == 0
    assert Conversation.get(direct).member_ids == [bob.user_id]
    assert Conversation.get(group).member_ids == [bob.user_id, carol.user_id]
    assert Conversation.get(group).created_by is None
    assert Post.get(bobs).caption == "with @[deleted]!"
    with pytest.raises(User.DoesNotExist):
        User.get(alice.user_id)
    for key in (f"username#{alice.username}", f"email#{alice.email}"):
        with pytest.raises(UniqueKey.DoesNotExist):
            UniqueKey.get(key)
    # Both are free again.
    auth.register(alice.username, alice.email, "another password")


def test_a_job_out_of_time_hands_over_to_the_next(world, monkeypatch) -> None:
    alice, bob, carol, bobs, *_ = world
    for n in range(40):  # what makes the sweep's Scans longer than a few pages of 2
        comments.add(carol.user_id, bobs, f"comment {n}")
    closing.close(alice.user_id, "correct horse")
    left: list[dict] = []
    monkeypatch.setattr(deletion.jobs, "enqueue", lambda kind, **job: left.append(job))
    first = deletion.run({"kind": "delete", "user_id": alice.user_id}, seconds=0)
    # Out of time at once: the sweep took a change or a page of each segment and kept its
    # place.
    assert first == {} and [(job["user_id"], job["step"]) for job in left] == [(alice.user_id, 0)]
    assert list(left[0]["scans"]) == ["Interaction"]
    assert sorted(left[0]["scans"]["Interaction"]) == ["0", "1", "2", "3"]

    # From here each job's time is up at its fourth tick: before its third item in most
    # steps, after a change or a page (of 2 here) or so per segment in a sweep, whatever the
    # tables hold by now. The sweep step needs many jobs, each going on from the last's place.
    def four_ticks(self: deletion.Deletion) -> None:
        self.ticks = getattr(self, "ticks", 0) + 1
        if self.ticks > 3:
            raise deletion.OutOfTime()

    monkeypatch.setattr(deletion.Deletion, "tick", four_ticks)
    monkeypatch.setattr(dynamodb, "SWEEP_PAGE", 2)
    handed: list[dict] = []
    for _ in range(5000):
        job = json.loads(json.dumps(left.pop()))  # as it travels: an SQS message's body
        handed.append(job)
        deletion.run({"kind": "delete", **job})
        if not left:
            break
    assert not left
    in_sweep = [job for job in handed if job["step"] == 0]
    assert len(in_sweep) > 5  # 42 comments in pages of 2, some 4 to 7 pages a job
    places = [
        place for job in in_sweep for table in job["scans"].values() for place in table.values()
    ]
    assert any(place != dynamodb.DONE for place in places)  # mid-table, not started again
    with pytest.raises(User.DoesNotExist):
        User.get(alice.user_id)
    bob_now = profiles.by_id(bob.user_id)  # carol still follows him; alice is gone both ways
    assert (int(bob_now.followers_count), int(bob_now.following_count)) == (1, 0)
    assert Post.get(bobs).caption == "with @[deleted]!"
    assert counts(bobs) == (1, 41)


class Job:
    """A job of the sweep below: out of time at its ``ticks``-th tick (in any segment)."""

    def __init__(self, scans: dict, ticks: int) -> None:
        self.scans, self.left = scans, ticks

    def tick(self) -> None:
        self.left -= 1
        if self.left <= 0:
            raise deletion.OutOfTime()


def test_a_sweep_larger_than_a_job_goes_on_where_the_last_stopped(monkeypatch) -> None:
    author = new_id()
    with Save.batch_write() as batch:
        for n in range(600):
            batch.save(
                Save(new_id(), new_id(), author_id=author if n % 2 else new_id(), saved_at=n)
            )
    monkeypatch.setattr(dynamodb, "SWEEP_PAGE", 10)
    seen: list[tuple[str, str]] = []

    def note(save: Save) -> bool:
        seen.append((save.user_id, save.post_id))
        return False

    scans: dict = {}
    jobs_run, finished = 0, False
    while not finished and jobs_run < 1000:
        job = Job(json.loads(json.dumps(scans)), ticks=3)  # passed on in a message
        jobs_run += 1
        try:
            dynamodb.sweep(Save, note, job, filter_condition=Save.author_id == author)
            finished = True
        except deletion.OutOfTime:
            scans = job.scans
    assert finished and jobs_run > 5  # it took many jobs...
    assert len(seen) == len(set(seen)) == 300  # ...and saw every save of the author once
