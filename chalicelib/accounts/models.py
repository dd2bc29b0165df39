"""The accounts' tables: users, the claims on unique names, login sessions, login tries,
and the single-use tokens account mail carries."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.core.dynamodb import Model, meta


class Avatar(MapAttribute):
    """A profile photo through the media pipeline (``accounts.avatars``): ``processing``, then
    ``ready`` with its two square renditions (media bucket keys, their side in px) and a
    placeholder, or ``failed`` with a reason. ``status``, ``upload_id`` and ``requested_at``
    are those of the latest photo set; the renditions and placeholder are those of the newest
    one that got ready, so the previous photo keeps showing while a new one is processed (and
    if it fails)."""

    status = UnicodeAttribute(default="processing")
    upload_id = UnicodeAttribute()
    requested_at = NumberAttribute(null=True)
    large_key = UnicodeAttribute(null=True)
    large_side = NumberAttribute(null=True)
    small_key = UnicodeAttribute(null=True)
    small_side = NumberAttribute(null=True)
    placeholder = UnicodeAttribute(null=True)
    failure_reason = UnicodeAttribute(null=True)


class TwoFactor(MapAttribute):
    """TOTP: the shared secret (base32), whether it is confirmed, the last time step a code
    was accepted for (a code is never accepted twice), the recovery codes' hashes."""

    secret = UnicodeAttribute()
    enabled = BooleanAttribute(default=False)
    last_step = NumberAttribute(default=0)
    recovery_hashes = ListAttribute(of=UnicodeAttribute, default=list)


class Export(MapAttribute):
    """The latest export of the account: ``building``, then ``ready`` (its key in the exports
    bucket)."""

    status = UnicodeAttribute()
    requested_at = NumberAttribute()
    key = UnicodeAttribute(null=True)
    ready_at = NumberAttribute(null=True)


class User(Model):
    Meta = meta("users")

    user_id = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    email = UnicodeAttribute()
    full_name = UnicodeAttribute(default="")
    bio = UnicodeAttribute(default="")
    is_private = BooleanAttribute(default=False)
    password_hash = UnicodeAttribute()
    created_at = NumberAttribute()
    followers_count = NumberAttribute(default=0)
    following_count = NumberAttribute(default=0)
    posts_count = NumberAttribute(default=0)
    # Set once the account outgrew fan-out on write: its posts are merged into feeds on read.
    feed_pull = BooleanAttribute(null=True)
    email_verified = BooleanAttribute(default=False)
    avatar = Avatar(null=True)
    two_factor = TwoFactor(null=True)
    export = Export(null=True)
    # Set when the account's deletion began: it shows nowhere and can do nothing from then.
    deleted_at = NumberAttribute(null=True)
    # Until when (ms) a moderator suspended the account: till then it cannot sign in and
    # shows nowhere (``accounts.standing``); then it is back as it was.
    suspended_until = NumberAttribute(null=True)
    # A moderator: granted by an operator (``python -m chalicelib.moderation.grant``), never
    # through the API.
    moderator = BooleanAttribute(null=True)


class HiddenWords(Model):
    """One account's hidden words (``accounts.hidden_words``). An item of its own, not a map
    on the user: every list of people reads user items, and these may be 5 KB."""

    Meta = meta("hidden-words")

    user_id = UnicodeAttribute(hash_key=True)
    words = ListAttribute(of=UnicodeAttribute, default=list)
    use_default = BooleanAttribute(default=False)
    updated_at = NumberAttribute()


class UniqueKey(Model):
    """A claim on a unique value: ``username#alice`` or ``email#alice@example.com``."""

    Meta = meta("unique-keys")

    key = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()


class SessionsByUser(GlobalSecondaryIndex):
    Meta = meta("sessions", index="sessions_by_user", projection=AllProjection())

    user_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class Session(Model):
    """A login session: one refresh-token family, rotated in place on every refresh."""

    Meta = meta("sessions")

    session_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    # Hashes of secrets already rotated away: presenting one again means the token leaked.
    previous_hashes = ListAttribute(of=UnicodeAttribute, default=list)
    revoked = BooleanAttribute(default=False)
    created_at = NumberAttribute()
    expires_at = TTLAttribute()
    user_agent = UnicodeAttribute(null=True)
    last_used_at = NumberAttribute(null=True)

    by_user = SessionsByUser()


class TokensByUser(GlobalSecondaryIndex):
    Meta = meta("account-tokens", index="tokens_by_user")

    user_id = UnicodeAttribute(hash_key=True)
    token_hash = UnicodeAttribute(range_key=True)


class AccountToken(Model):
    """A token sent by mail (``verify_email``, ``reset_password``) or the second step of a
    two-factor login (``login_challenge``): random, single-use, stored as its SHA-256 only,
    expiring."""

    Meta = meta("account-tokens")

    token_hash = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    user_id = UnicodeAttribute()
    email = UnicodeAttribute(null=True)  # verify_email: the address it proves
    created_at = NumberAttribute()
    expires_at = TTLAttribute()

    by_user = TokensByUser()
