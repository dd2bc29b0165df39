"""An account's deletion job in-process on moto: a crash halfway finishes on the next
delivery, a job out of time hands over to the next, and neither counts anything twice.
(Streams do not run here; tests/integration/test_account_deletion_http.py has the whole
cascade over HTTP.)"""

from __future__ import annotations

import pytest

from chalicelib.accounts import auth, closing, profiles
from chalicelib.accounts.models import UniqueKey, User
from chalicelib.core.errors import NotFound, Unauthenticated
from chalicelib.core.ids import new_id, now_ms
from chalicelib.graph import follows
from chalicelib.lifecycle import deletion
from chalicelib.messaging import conversations, messages
from chalicelib.messaging.models import Conversation, InboxEntry
from chalicelib.posts import captions, comments, likes
from chalicelib.posts.models import Post
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
    alice, bob, *_ = world
    closing.close(alice.user_id, "correct horse")
    left: list[dict] = []
    monkeypatch.setattr(deletion.jobs, "enqueue", lambda kind, **job: left.append(job))
    first = deletion.run({"kind": "delete", "user_id": alice.user_id}, seconds=0)
    assert first == {} and left == [{"user_id": alice.user_id, "step": 0}]
    # Each job gets enough for one step: a step redone from its start must fit in a job, and
    # the sweep's unfiltered Scans read every comment the suite has written by now.
    for _ in range(100):
        job = left.pop()
        deletion.run({"kind": "delete", **job}, seconds=0.5)
        if not left:
            break
    assert not left
    with pytest.raises(User.DoesNotExist):
        User.get(alice.user_id)
    bob_now = profiles.by_id(bob.user_id)  # carol still follows him; alice is gone both ways
    assert (int(bob_now.followers_count), int(bob_now.following_count)) == (1, 0)
