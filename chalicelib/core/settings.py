"""All configuration, read once from the environment.

Nothing else in the code base reads ``os.environ``: it asks for ``settings()``. Locally the
values come from ``make run`` (which reads them off the emulator's stack outputs); in AWS from
the Chalice stage and the deployed stack.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import NamedTuple

# Per account per window unless said otherwise: (uses, seconds). Generous for a person (the
# busiest human thumb stays far below), tight for a script. ``signin`` is per network
# address, for the public /auth routes: an office or a phone carrier's NAT puts many people
# behind one address, and the per-account lockout and mail caps do the fine-grained part.
RATE_LIMITS = {
    "post": (60, 3600),  # posts and stories
    "upload": (300, 3600),  # a carousel is up to 20 uploads
    "comment": (60, 60),
    "reaction": (120, 60),  # likes, saves, "not interested", and taking them back
    "follow": (60, 60),  # follows, blocks, answers to follow requests
    "message": (120, 60),  # REST and websocket sends, new conversations, adding members
    "signal": (600, 60),  # websocket typing and read receipts
    "search": (120, 60),
    "event": (600, 60),  # the app's dwell and view reports
    # Reports of abuse: a person reports a few things a day; a brigade reports hundreds.
    "report": (30, 3600),
    "account": (30, 60),  # profile, password, email, 2FA, deletion
    "write": (120, 60),  # any other write
    "signin": (300, 60),
}


def _limits(raw: str | None) -> dict[str, tuple[int, int]]:
    """RATE_LIMITS="comment=20/60,post=10/3600": these kinds changed, the rest as above."""
    limits = dict(RATE_LIMITS)
    for part in filter(None, (raw or "").replace(" ", "").split(",")):
        kind, _, value = part.partition("=")
        uses, _, seconds = value.partition("/")
        if kind not in limits:
            raise ValueError(f"RATE_LIMITS names {kind!r}; the kinds are {sorted(limits)}")
        limits[kind] = (int(uses), int(seconds))
    return limits


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return int(raw) if raw not in (None, "") else default


class Settings(NamedTuple):
    stage: str
    region: str
    # Where AWS lives: None means the real AWS endpoints. botocore also honours
    # AWS_ENDPOINT_URL by itself; we keep it here so PynamoDB and every client agree.
    endpoint_url: str | None

    # JWT signing: either a literal secret (local, tests) or the name of an SSM SecureString
    # parameter holding it (AWS). Exactly one of the two is needed.
    jwt_secret: str | None
    jwt_secret_parameter: str | None
    jwt_issuer: str
    jwt_audience: str
    access_token_seconds: int
    refresh_token_seconds: int

    # Brute-force protection: at most this many passwords are tried on one account in a
    # window; after that it is locked for the rest of it.
    login_max_failures: int
    login_lockout_seconds: int
    # How long one process trusts that a session it checked is still live: the bound on how
    # long an access token still works after its session ends (logout, revocation).
    session_check_seconds: int

    max_body_bytes: int
    # kind -> (uses, seconds): what each account may do per window (core/quotas.py).
    rate_limits: Mapping[str, tuple[int, int]]

    users_stream_arn: str
    follows_stream_arn: str
    posts_stream_arn: str
    follow_requests_stream_arn: str
    likes_stream_arn: str
    comments_stream_arn: str
    hashtags_stream_arn: str
    places_stream_arn: str
    interactions_stream_arn: str
    stories_stream_arn: str
    restricts_stream_arn: str

    # Home feed: authors with more followers than this are not fanned out on write; their
    # recent posts are merged in when a feed is read. Following someone copies in this many
    # of their recent posts.
    feed_fanout_max_followers: int
    feed_backfill_posts: int
    # Stories: how long one is shown (read-time check and the TTL its rows carry).
    story_lifetime_seconds: int

    # Media: where uploads land, where renditions go, the queue that feeds the media function.
    uploads_bucket: str
    media_bucket: str
    media_queue_url: str
    # A post whose media are not all processed this long after it was created turns failed;
    # the delayed messages that say so go through this queue.
    media_deadline_seconds: int
    post_deadline_queue_url: str
    models_bucket: str
    recommender_shard_queue_url: str
    upload_max_bytes: int
    # Videos: their own limits (S3's policy enforces the size, the media function the rest).
    video_max_bytes: int
    video_max_seconds: int
    # A story's video is shorter than a post's (Instagram: 60 s): refused past this, with a
    # reason the author is told.
    story_video_max_seconds: int
    # The most work one media function run takes on, in seconds of 1080p30 video (a 4K clip
    # counts 4x, 60 fps 2x): measured in bench/media, docs/media.md "Video". Heavier videos
    # are handed to AWS Elemental MediaConvert when it is on (below), refused otherwise.
    video_function_budget: float
    # AWS Elemental MediaConvert (the stack's MediaConvert=on): the job template and the role
    # it assumes to read the upload and write the renditions. Both set is "on". The endpoint
    # is the account's own (DescribeEndpoints); unset, the regional one.
    mediaconvert_job_template: str | None
    mediaconvert_role_arn: str | None
    mediaconvert_endpoint_url: str | None
    upload_url_seconds: int
    media_url_seconds: int
    # dlib's HOG detector (fast, frontal faces) or its CNN one (slower, more angles).
    face_detector: str
    # Search: "sqlite" (embedded, one file shared by the local processes) or "opensearch".
    search_engine: str
    search_sqlite_path: str
    opensearch_url: str | None
    # Account mail (SES): the sender, and how long the tokens it carries live.
    mail_from: str
    verify_email_seconds: int
    reset_password_seconds: int
    # Mail to one address: at most this many in an hour (verification, reset, "someone
    # tried to sign up"), so nobody can use the app to flood an inbox.
    mail_per_address_per_hour: int
    # Account jobs (deletion, export) and where exports are kept.
    account_jobs_queue_url: str
    exports_bucket: str
    export_url_seconds: int
    # Where the local websocket gateway serves the @connections API; None in AWS, where
    # Chalice derives it from the API id.
    websocket_endpoint_url: str | None
    # SNS mobile push: the stack's platform applications (chalicelib/notifications). Unset,
    # devices of that platform are refused (400 push_unavailable).
    apns_platform_application_arn: str | None
    fcm_platform_application_arn: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        stage = env.get("GLIMPSE_STAGE", "local")
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        return cls(
            stage=stage,
            region=region,
            endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            jwt_secret=env.get("JWT_SECRET") or None,
            jwt_secret_parameter=env.get("JWT_SECRET_PARAMETER") or None,
            jwt_issuer=env.get("JWT_ISSUER", f"glimpse-{stage}"),
            jwt_audience=env.get("JWT_AUDIENCE", "glimpse-app"),
            access_token_seconds=_int(env, "ACCESS_TOKEN_SECONDS", 15 * 60),
            refresh_token_seconds=_int(env, "REFRESH_TOKEN_SECONDS", 30 * 24 * 3600),
            login_max_failures=_int(env, "LOGIN_MAX_FAILURES", 5),
            login_lockout_seconds=_int(env, "LOGIN_LOCKOUT_SECONDS", 15 * 60),
            session_check_seconds=_int(env, "SESSION_CHECK_SECONDS", 5),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 64 * 1024),
            rate_limits=_limits(env.get("RATE_LIMITS")),
            users_stream_arn=env.get("USERS_STREAM_ARN", ""),
            follows_stream_arn=env.get("FOLLOWS_STREAM_ARN", ""),
            posts_stream_arn=env.get("POSTS_STREAM_ARN", ""),
            follow_requests_stream_arn=env.get("FOLLOW_REQUESTS_STREAM_ARN", ""),
            likes_stream_arn=env.get("LIKES_STREAM_ARN", ""),
            comments_stream_arn=env.get("COMMENTS_STREAM_ARN", ""),
            hashtags_stream_arn=env.get("HASHTAGS_STREAM_ARN", ""),
            places_stream_arn=env.get("PLACES_STREAM_ARN", ""),
            interactions_stream_arn=env.get("INTERACTIONS_STREAM_ARN", ""),
            stories_stream_arn=env.get("STORIES_STREAM_ARN", ""),
            restricts_stream_arn=env.get("RESTRICTS_STREAM_ARN", ""),
            feed_fanout_max_followers=_int(env, "FEED_FANOUT_MAX_FOLLOWERS", 5000),
            feed_backfill_posts=_int(env, "FEED_BACKFILL_POSTS", 20),
            story_lifetime_seconds=_int(env, "STORY_LIFETIME_SECONDS", 24 * 3600),
            uploads_bucket=env.get("UPLOADS_BUCKET", ""),
            media_bucket=env.get("MEDIA_BUCKET", ""),
            media_queue_url=env.get("MEDIA_QUEUE_URL", ""),
            media_deadline_seconds=_int(env, "MEDIA_DEADLINE_SECONDS", 30 * 60),
            post_deadline_queue_url=env.get("POST_DEADLINE_QUEUE_URL", ""),
            models_bucket=env.get("MODELS_BUCKET", ""),
            recommender_shard_queue_url=env.get("RECOMMENDER_SHARD_QUEUE_URL", ""),
            upload_max_bytes=_int(env, "UPLOAD_MAX_BYTES", 20 * 1024 * 1024),
            video_max_bytes=_int(env, "VIDEO_MAX_BYTES", 200 * 1024 * 1024),
            video_max_seconds=_int(env, "VIDEO_MAX_SECONDS", 90),
            story_video_max_seconds=_int(env, "STORY_VIDEO_MAX_SECONDS", 60),
            video_function_budget=float(env.get("VIDEO_FUNCTION_BUDGET") or 300),
            mediaconvert_job_template=env.get("MEDIACONVERT_JOB_TEMPLATE") or None,
            mediaconvert_role_arn=env.get("MEDIACONVERT_ROLE_ARN") or None,
            mediaconvert_endpoint_url=env.get("MEDIACONVERT_ENDPOINT_URL") or None,
            upload_url_seconds=_int(env, "UPLOAD_URL_SECONDS", 15 * 60),
            media_url_seconds=_int(env, "MEDIA_URL_SECONDS", 6 * 3600),
            face_detector=env.get("FACE_DETECTOR", "hog"),
            mail_from=env.get("MAIL_FROM", "no-reply@glimpse.example"),
            verify_email_seconds=_int(env, "VERIFY_EMAIL_SECONDS", 48 * 3600),
            reset_password_seconds=_int(env, "RESET_PASSWORD_SECONDS", 30 * 60),
            mail_per_address_per_hour=_int(env, "MAIL_PER_ADDRESS_PER_HOUR", 5),
            account_jobs_queue_url=env.get("ACCOUNT_JOBS_QUEUE_URL", ""),
            exports_bucket=env.get("EXPORTS_BUCKET", ""),
            export_url_seconds=_int(env, "EXPORT_URL_SECONDS", 3600),
            websocket_endpoint_url=env.get("WEBSOCKET_ENDPOINT_URL") or None,
            apns_platform_application_arn=env.get("APNS_PLATFORM_APPLICATION_ARN") or None,
            fcm_platform_application_arn=env.get("FCM_PLATFORM_APPLICATION_ARN") or None,
            search_engine=env.get("SEARCH_ENGINE")
            or ("opensearch" if env.get("OPENSEARCH_URL") else "sqlite"),
            search_sqlite_path=env.get("SEARCH_SQLITE_PATH", "/tmp/glimpse-search.sqlite"),
            opensearch_url=env.get("OPENSEARCH_URL") or None,
        )

    @property
    def mediaconvert_on(self) -> bool:
        """Videos past ``video_function_budget`` go to MediaConvert rather than being refused."""
        return bool(self.mediaconvert_job_template and self.mediaconvert_role_arn)

    def table(self, name: str) -> str:
        """Physical name of a table declared in infra/template.yaml."""
        return self.resource_name(name)

    def resource_name(self, name: str) -> str:
        """Physical name of a table or queue declared in infra/template.yaml."""
        return f"glimpse-{self.stage}-{name}"


@functools.cache
def settings() -> Settings:
    return Settings.from_env()
