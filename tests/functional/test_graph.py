import pytest

from chalicelib.accounts import profiles
from chalicelib.core.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.graph import blocks, follows, people, reactions


def counts(user_id: str) -> tuple[int, int]:
    user = profiles.by_id(user_id)
    return int(user.followers_count), int(user.following_count)


def test_following_a_public_account_is_immediate_and_counted(make_user) -> None:
    alice, bob = make_user().user, make_user().user
    assert follows.follow(alice.user_id, bob.username) == "following"
    assert follows.follow(alice.user_id, bob.username) == "following"  # idempotent
    assert counts(bob.user_id) == (1, 0)
    assert counts(alice.user_id) == (0, 1)
    assert follows.unfollow(alice.user_id, bob.username) == "none"
    assert follows.unfollow(alice.user_id, bob.username) == "none"
    assert counts(bob.user_id) == (0, 0)
    assert counts(alice.user_id) == (0, 0)


def test_a_private_account_approves_requests(make_user) -> None:
    owner, fan = make_user(private=True).user, make_user().user
    assert follows.follow(fan.user_id, owner.username) == "requested"
    assert counts(owner.user_id) == (0, 0)
    pending = follows.pending_requests(owner.user_id, 20, None).items
    assert [row["username"] for row in pending] == [fan.username]
    follows.approve(owner.user_id, fan.username)
    assert counts(owner.user_id) == (1, 0)
    assert follows.pending_requests(owner.user_id, 20, None).items == []
    with pytest.raises(NotFound):
        follows.approve(owner.user_id, fan.username)


def test_denied_and_withdrawn_requests_leave_no_trace(make_user) -> None:
    owner, fan, other = make_user(private=True).user, make_user().user, make_user().user
    follows.follow(fan.user_id, owner.username)
    follows.deny(owner.user_id, fan.username)
    follows.follow(other.user_id, owner.username)
    follows.unfollow(other.user_id, owner.username)
    assert follows.pending_requests(owner.user_id, 20, None).items == []
    with pytest.raises(NotFound):
        follows.deny(owner.user_id, fan.username)
    assert counts(owner.user_id) == (0, 0)


def test_private_lists_are_for_approved_followers(make_user) -> None:
    owner, fan, stranger = make_user(private=True).user, make_user().user, make_user().user
    follows.follow(fan.user_id, owner.username)
    follows.approve(owner.user_id, fan.username)
    assert len(follows.followers(fan.user_id, owner.username, 20, None).items) == 1
    assert len(follows.followers(owner.user_id, owner.username, 20, None).items) == 1
    with pytest.raises(Forbidden):
        follows.followers(stranger.user_id, owner.username, 20, None)
    with pytest.raises(Forbidden):
        follows.following(stranger.user_id, owner.username, 20, None)


def test_block_cuts_both_ways_and_hides_each_from_the_other(make_user) -> None:
    alice, bob, carol = make_user().user, make_user().user, make_user().user
    follows.follow(alice.user_id, bob.username)
    follows.follow(bob.user_id, alice.username)
    follows.follow(carol.user_id, alice.username)
    blocks.block(alice.user_id, bob.username)
    blocks.block(alice.user_id, bob.username)  # idempotent
    assert counts(alice.user_id) == (1, 0)  # carol still follows alice
    assert counts(bob.user_id) == (0, 0)
    with pytest.raises(NotFound):
        people.view(bob.user_id, alice.username)
    assert people.view(alice.user_id, bob.username)["relationship"]["blocked"] is True
    with pytest.raises(NotFound):
        follows.follow(bob.user_id, alice.username)
    with pytest.raises(Forbidden):
        follows.follow(alice.user_id, bob.username)
    with pytest.raises(NotFound):
        follows.followers(bob.user_id, alice.username, 20, None)
    # carol, who can see both, does not see bob in alice's followers either way
    page = follows.followers(carol.user_id, alice.username, 20, None)
    names = [row["username"] for row in page.items]
    assert names == [carol.username]
    blocks.unblock(alice.user_id, bob.username)
    assert follows.follow(bob.user_id, alice.username) == "following"


def test_a_follow_landing_while_a_block_is_written_is_cut_too(make_user, monkeypatch) -> None:
    alice, bob = make_user().user, make_user().user
    read = blocks.relationships.between
    landed = []

    def read_then_bob_follows(viewer_id: str, other_id: str):  # noqa: ANN202
        found = read(viewer_id, other_id)
        if not landed:  # bob's follow commits after the block read "no ties", before its write
            landed.append("reading")
            landed[0] = follows.follow(bob.user_id, alice.username)
        return found

    monkeypatch.setattr(blocks.relationships, "between", read_then_bob_follows)
    blocks.block(alice.user_id, bob.username)
    assert landed == ["following"]
    assert counts(alice.user_id) == (0, 0)
    assert counts(bob.user_id) == (0, 0)
    monkeypatch.undo()
    blocks.unblock(alice.user_id, bob.username)
    assert people.view(alice.user_id, bob.username)["relationship"]["followed_by"] is False


def test_a_block_cancels_pending_requests(make_user) -> None:
    owner, fan = make_user(private=True).user, make_user().user
    follows.follow(fan.user_id, owner.username)
    blocks.block(owner.user_id, fan.username)
    assert follows.pending_requests(owner.user_id, 20, None).items == []


def test_nobody_follows_or_blocks_themselves(make_user) -> None:
    alice = make_user().user
    with pytest.raises(ValidationError):
        follows.follow(alice.user_id, alice.username)
    with pytest.raises(ValidationError):
        blocks.block(alice.user_id, alice.username)


def test_followers_page_newest_first_without_gaps_or_duplicates(make_user) -> None:
    star = make_user().user
    fans = [make_user().user for _ in range(7)]
    for fan in fans:
        follows.follow(fan.user_id, star.username)
    seen, cursor = [], None
    while True:
        page = follows.followers(star.user_id, star.username, 3, cursor)
        seen += [row["username"] for row in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [fan.username for fan in reversed(fans)]


def test_going_public_lets_pending_requesters_in(make_user) -> None:
    owner = make_user(private=True).user
    fans = [make_user().user for _ in range(3)]
    for fan in fans:
        follows.follow(fan.user_id, owner.username)
    profiles.update_me(owner.user_id, {"is_private": False})
    reactions.on_user({"is_private": True}, {"is_private": False, "user_id": owner.user_id})
    assert counts(owner.user_id) == (3, 0)
    assert follows.pending_requests(owner.user_id, 20, None).items == []


def test_profile_edits_are_validated(make_user) -> None:
    me = make_user().user
    with pytest.raises(ValidationError):
        profiles.update_me(me.user_id, {"bio": "x" * 151})
    with pytest.raises(ValidationError):
        profiles.update_me(me.user_id, {"is_private": "yes"})
    with pytest.raises(ValidationError):
        profiles.update_me(me.user_id, {"followers_count": 10**6})
    updated = profiles.update_me(me.user_id, {"bio": "hello", "full_name": " Me "})
    assert (updated.bio, updated.full_name) == ("hello", "Me")


def test_rename_frees_the_old_name(make_user) -> None:
    me, other = make_user().user, make_user().user
    new_name = me.username + "_2"
    profiles.update_me(me.user_id, {"username": new_name})
    assert profiles.by_username(new_name).user_id == me.user_id
    with pytest.raises(NotFound):
        profiles.by_username(me.username)
    profiles.update_me(other.user_id, {"username": me.username})
    assert profiles.by_username(me.username).user_id == other.user_id


def test_renaming_to_a_taken_name_is_a_conflict_and_changes_nothing(make_user) -> None:
    me, other = make_user().user, make_user().user
    with pytest.raises(Conflict) as taken:
        profiles.update_me(me.user_id, {"username": other.username, "bio": "new bio"})
    assert taken.value.code == "username_taken"
    unchanged = profiles.by_id(me.user_id)
    assert (unchanged.username, unchanged.bio) == (me.username, "")
    assert profiles.by_username(me.username).user_id == me.user_id
