"""What users do for themselves (issue 19): the blocked list, removing a follower, muting,
restricting. In-process on moto, through each context's logic."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.accounts import hidden_words, profiles
from chalicelib.core.errors import Forbidden, NotFound, ValidationError
from chalicelib.core.ids import new_id, now_ms
from chalicelib.feed import home
from chalicelib.graph import blocks, erasure, follows, mutes, people, restricts
from chalicelib.graph.models import Mute, Restrict
from chalicelib.messaging import conversations, messages
from chalicelib.posts import cards, comments, visible
from chalicelib.posts.models import Post
from chalicelib.posts.status import READY
from chalicelib.recommendations import explore
from chalicelib.recommendations.models import Recommendation


def counts(user_id: str) -> tuple[int, int]:
    user = profiles.by_id(user_id)
    return int(user.followers_count), int(user.following_count)


# -- the blocked list ------------------------------------------------------------------------


def test_the_blocked_list_is_your_own_blocks_newest_first_in_pages(make_user) -> None:
    me, others = make_user().user, [make_user().user for _ in range(3)]
    stranger_blocker = make_user().user
    for other in others:
        blocks.block(me.user_id, other.username)
        time.sleep(0.002)  # apart in time: the list is by when
    blocks.block(stranger_blocker.user_id, me.username)  # their block is not on my list
    first = blocks.blocked(me.user_id, 2, None)
    assert [row["username"] for row in first.items] == [others[2].username, others[1].username]
    assert all(row["relationship"]["blocked"] for row in first.items)
    rest = blocks.blocked(me.user_id, 2, first.next_cursor)
    assert [row["username"] for row in rest.items] == [others[0].username]
    assert rest.next_cursor is None or blocks.blocked(me.user_id, 2, rest.next_cursor).items == []
    blocks.unblock(me.user_id, others[1].username)
    left = blocks.blocked(me.user_id, 20, None).items
    assert [row["username"] for row in left] == [others[2].username, others[0].username]
    assert blocks.blocked(stranger_blocker.user_id, 20, None).items[0]["user_id"] == me.user_id
    assert blocks.blocked(others[0].user_id, 20, None).items == []


# -- removing a follower ---------------------------------------------------------------------


def test_removing_a_follower_drops_the_edge_and_both_counts(make_user) -> None:
    me, fan = make_user().user, make_user().user
    follows.follow(fan.user_id, me.username)
    assert counts(me.user_id) == (1, 0) and counts(fan.user_id) == (0, 1)
    follows.remove_follower(me.user_id, fan.username)
    assert counts(me.user_id) == (0, 0) and counts(fan.user_id) == (0, 0)
    assert follows.followers(me.user_id, me.username, 20, None).items == []
    follows.remove_follower(me.user_id, fan.username)  # idempotent, counts untouched
    assert counts(me.user_id) == (0, 0) and counts(fan.user_id) == (0, 0)


def test_a_removed_follower_of_a_private_account_must_ask_again(make_user) -> None:
    me, fan = make_user(private=True).user, make_user().user
    follows.follow(fan.user_id, me.username)
    follows.approve(me.user_id, fan.username)
    follows.remove_follower(me.user_id, fan.username)
    assert follows.follow(fan.user_id, me.username) == "requested"


def test_removing_yourself_or_nobody_is_refused(make_user) -> None:
    me = make_user().user
    with pytest.raises(ValidationError) as refused:
        follows.remove_follower(me.user_id, me.username)
    assert refused.value.code == "cannot_remove_self"
    with pytest.raises(NotFound):
        follows.remove_follower(me.user_id, "nobody_by_that_name")


# -- muting ----------------------------------------------------------------------------------


def ready_post(author_id: str) -> str:
    post_id = new_id()
    Post(post_id, author_id=author_id, created_at=now_ms(), status=READY, caption="").save()
    return post_id


def feed_ids(viewer_id: str) -> list[str]:
    return [card["post_id"] for card in home.read(viewer_id, 50, None).items]


def test_a_muted_account_leaves_your_feed_and_explore_but_not_its_profile(make_user) -> None:
    me, loud, quiet, other = (make_user().user for _ in range(4))
    for followee in (loud, quiet):
        follows.follow(me.user_id, followee.username)
    follows.follow(other.user_id, loud.username)
    posts = {who.user_id: ready_post(who.user_id) for who in (loud, quiet)}
    for who in (loud, quiet):
        home.fan_out(posts[who.user_id], who.user_id)
    Recommendation(
        me.user_id,
        "explore",
        items=[{"id": posts[loud.user_id], "author_id": loud.user_id, "source": "fresh"}],
        computed_at=now_ms(),
        expires_at=datetime.now(UTC) + timedelta(days=1),
    ).save()
    assert set(feed_ids(me.user_id)) == set(posts.values())

    assert mutes.mute(me.user_id, loud.username) == "muted"
    assert mutes.mute(me.user_id, loud.username) == "muted"  # idempotent
    assert feed_ids(me.user_id) == [posts[quiet.user_id]]
    assert explore.explore(me.user_id, 10)["items"] == []
    assert feed_ids(other.user_id) == [posts[loud.user_id]]  # only the muter's feeds change
    # Still followed, still visible where named: the profile's grid, the post itself.
    assert counts(me.user_id) == (0, 2)
    grid = cards.by_author(me.user_id, loud.username, 10, None)["items"]
    assert [card["post_id"] for card in grid] == [posts[loud.user_id]]
    assert visible.get(me.user_id, posts[loud.user_id]).post_id == posts[loud.user_id]

    assert mutes.unmute(me.user_id, loud.username) == "none"
    assert mutes.unmute(me.user_id, loud.username) == "none"  # idempotent
    assert set(feed_ids(me.user_id)) == set(posts.values())  # nothing was deleted
    assert len(explore.explore(me.user_id, 10)["items"]) == 1


def test_muting_yourself_or_nobody_is_refused(make_user) -> None:
    me, blocker = make_user().user, make_user().user
    with pytest.raises(ValidationError) as refused:
        mutes.mute(me.user_id, me.username)
    assert refused.value.code == "cannot_mute_self"
    with pytest.raises(NotFound):
        mutes.mute(me.user_id, "nobody_by_that_name")
    blocks.block(blocker.user_id, me.username)
    with pytest.raises(NotFound):  # a blocker does not exist for you
        mutes.mute(me.user_id, blocker.username)


def test_an_account_erased_takes_its_mutes_both_ways(make_user) -> None:
    gone, muted, muter = (make_user().user for _ in range(3))
    mutes.mute(gone.user_id, muted.username)
    mutes.mute(muter.user_id, gone.username)
    assert erasure.forget(gone.user_id, lambda: None)["mutes"] == 2
    assert list(Mute.query(gone.user_id)) == []
    assert list(Mute.muted_by.query(gone.user_id)) == []
    assert not mutes.is_muted(muter.user_id, gone.user_id)


# -- restricting -----------------------------------------------------------------------------


def comment_ids(viewer_id: str, post_id: str) -> list[str]:
    return [c["comment_id"] for c in comments.listing(viewer_id, post_id, None, 50, None).items]


def comments_count(post_id: str) -> int:
    return int(Post.get(post_id, consistent_read=True).comments_count)


def test_a_restricted_accounts_comments_wait_for_the_owner(make_user) -> None:
    owner, pest, fan = (make_user().user for _ in range(3))
    post = ready_post(owner.user_id)
    assert restricts.restrict(owner.user_id, pest.username) == "restricted"
    assert restricts.restrict(owner.user_id, pest.username) == "restricted"  # idempotent
    waiting = comments.add(pest.user_id, post, "hello @" + fan.username)
    assert waiting["pending"] is True
    said = comments.add(fan.user_id, post, "hi")
    assert "pending" not in said
    assert comments_count(post) == 1  # the waiting one does not count
    # Its author and the owner see it; nobody else does.
    assert waiting["comment_id"] in comment_ids(pest.user_id, post)
    assert waiting["comment_id"] in comment_ids(owner.user_id, post)
    assert comment_ids(fan.user_id, post) == [said["comment_id"]]
    # Only the owner approves.
    with pytest.raises(Forbidden):
        comments.approve(pest.user_id, post, waiting["comment_id"])
    approved = comments.approve(owner.user_id, post, waiting["comment_id"])
    assert "pending" not in approved
    assert comments.approve(owner.user_id, post, waiting["comment_id"]) == approved
    assert comments_count(post) == 2
    assert waiting["comment_id"] in comment_ids(fan.user_id, post)
    with pytest.raises(NotFound):
        comments.approve(owner.user_id, post, "no-such-comment")
    # Comments on others' posts, and on the owner's after unrestricting, are not held.
    other_post = ready_post(fan.user_id)
    assert "pending" not in comments.add(pest.user_id, other_post, "elsewhere")
    assert restricts.unrestrict(owner.user_id, pest.username) == "none"
    assert "pending" not in comments.add(pest.user_id, post, "free again")


def test_deleting_a_waiting_comment_moves_no_count(make_user) -> None:
    owner, pest = make_user().user, make_user().user
    post = ready_post(owner.user_id)
    restricts.restrict(owner.user_id, pest.username)
    waiting = comments.add(pest.user_id, post, "wait")
    comments.remove(owner.user_id, post, waiting["comment_id"])
    assert comments_count(post) == 0
    assert comment_ids(owner.user_id, post) == []


def test_a_restricted_accounts_new_conversation_is_a_request(make_user) -> None:
    owner, pest, friend = (make_user().user for _ in range(3))
    for who in (pest, friend):
        follows.follow(owner.user_id, who.username)  # owner follows both: normally active
    restricts.restrict(owner.user_id, pest.username)
    conversations.start(pest.user_id, [owner.username])
    conversations.start(friend.user_id, [owner.username])
    folders = {
        row["conversation_id"]: row["folder"]
        for folder in ("active", "request")
        for row in conversations.inbox(owner.user_id, folder, 20, None).items
    }
    assert folders[conversations.direct_id(owner.user_id, pest.user_id)] == "request"
    assert folders[conversations.direct_id(owner.user_id, friend.user_id)] == "active"


def test_restricting_yourself_or_nobody_is_refused_and_erasure_takes_restricts(
    make_user,
) -> None:
    me, other = make_user().user, make_user().user
    with pytest.raises(ValidationError) as refused:
        restricts.restrict(me.user_id, me.username)
    assert refused.value.code == "cannot_restrict_self"
    with pytest.raises(NotFound):
        restricts.restrict(me.user_id, "nobody_by_that_name")
    restricts.restrict(me.user_id, other.username)
    restricts.restrict(other.user_id, me.username)
    assert erasure.forget(me.user_id, lambda: None)["restricts"] == 2
    assert list(Restrict.query(me.user_id)) == []
    assert list(Restrict.restricted_by.query(me.user_id)) == []


# -- hidden words ----------------------------------------------------------------------------


def test_hidden_words_hide_others_comments_from_the_owner_only(make_user) -> None:
    owner, troll, fan = (make_user().user for _ in range(3))
    post = ready_post(owner.user_id)
    assert hidden_words.get(owner.user_id) == {"words": [], "use_default": False}
    saved = hidden_words.put(owner.user_id, {"words": ["Spoiler"], "use_default": True})
    assert saved == {"words": ["Spoiler"], "use_default": True}
    assert hidden_words.get(owner.user_id) == saved
    rude = comments.add(troll.user_id, post, "you IDIOT")["comment_id"]  # the default list
    spoils = comments.add(fan.user_id, post, "SPOILER: it ends")["comment_id"]
    fine = comments.add(fan.user_id, post, "no spoilers here")["comment_id"]
    mine = comments.add(owner.user_id, post, "spoiler from me")["comment_id"]
    assert set(comment_ids(owner.user_id, post)) == {fine, mine}
    assert set(comment_ids(troll.user_id, post)) == {rude, spoils, fine, mine}
    assert comments_count(post) == 4  # hidden from one reader, still counted
    hidden_words.put(owner.user_id, {"words": [], "use_default": False})
    assert set(comment_ids(owner.user_id, post)) == {rude, spoils, fine, mine}


def test_hidden_words_hide_message_requests(make_user) -> None:
    me, stranger, other = (make_user().user for _ in range(3))
    hidden_words.put(me.user_id, {"words": ["crypto"], "use_default": False})
    for sender, text in ((stranger, "Buy CRYPTO now"), (other, "hello there")):
        messages.send(sender.user_id, {"to": me.username, "text": text})
    shown = conversations.inbox(me.user_id, "request", 20, None).items
    assert [c["conversation_id"] for c in shown] == [
        conversations.direct_id(me.user_id, other.user_id)
    ]


def test_a_waiting_comments_mentions_are_told_only_once_approved(make_user) -> None:
    from chalicelib.feed import activity, reactions
    from chalicelib.posts.models import Comment

    owner, pest, friend = (make_user().user for _ in range(3))
    post = ready_post(owner.user_id)
    restricts.restrict(owner.user_id, pest.username)
    waiting = comments.add(pest.user_id, post, f"look @{friend.username}")

    def image() -> dict:
        item = Comment.get(post, waiting["comment_id"], consistent_read=True)
        return {k: v for k, v in item.attribute_values.items() if v is not None}

    def mentions() -> list[str]:
        return [i["kind"] for i in activity.listing(friend.user_id, 20, None).items]

    before = image()
    reactions.on_comment(None, before)
    assert mentions() == []  # only its author and the owner may see it yet
    comments.approve(owner.user_id, post, waiting["comment_id"])
    reactions.on_comment(before, image())
    assert mentions() == ["mention"]


def test_a_comment_with_the_owners_hidden_words_makes_no_activity_for_the_owner(
    make_user,
) -> None:
    from chalicelib.feed import activity, reactions
    from chalicelib.posts.models import Comment

    owner, troll = make_user().user, make_user().user
    post = ready_post(owner.user_id)
    hidden_words.put(owner.user_id, {"words": ["spoiler"]})
    for text in ("SPOILER ahead", "lovely"):
        said = comments.add(troll.user_id, post, text)
        item = Comment.get(post, said["comment_id"], consistent_read=True)
        reactions.on_comment(None, {k: v for k, v in item.attribute_values.items() if v})
    texts = [i.get("text") for i in activity.listing(owner.user_id, 20, None).items]
    assert len(texts) == 1 and "lovely" in str(texts[0])


def test_the_profile_says_what_you_chose_and_never_what_they_did(make_user) -> None:
    me, other = make_user().user, make_user().user
    mutes.mute(me.user_id, other.username)
    restricts.restrict(me.user_id, other.username)
    mine = people.view(me.user_id, other.username)
    assert (mine["muted"], mine["restricted"]) == (True, True)
    theirs = people.view(other.user_id, me.username)
    assert (theirs["muted"], theirs["restricted"]) == (False, False)
    own = people.view(me.user_id, me.username)
    assert (own["muted"], own["restricted"]) == (False, False)
