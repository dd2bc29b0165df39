"""All configuration, read once from the environment.

Nothing else in the code base reads ``os.environ``: it asks for ``settings()``. Locally the
values come from ``make run`` (which reads them off the emulator's stack outputs); in AWS from
the Chalice stage and the deployed stack.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return int(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
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

    # Brute-force protection: after this many failures an account is locked for a while.
    login_max_failures: int
    login_lockout_seconds: int

    max_body_bytes: int

    users_stream_arn: str
    follows_stream_arn: str
    posts_stream_arn: str
    follow_requests_stream_arn: str
    likes_stream_arn: str
    comments_stream_arn: str
    hashtags_stream_arn: str
    places_stream_arn: str

    # Home feed: authors with more followers than this are not fanned out on write; their
    # recent posts are merged in when a feed is read. Following someone copies in this many
    # of their recent posts.
    feed_fanout_max_followers: int
    feed_backfill_posts: int

    # Media: where uploads land, where renditions go, the queue that feeds the media function.
    uploads_bucket: str
    media_bucket: str
    media_queue_url: str
    models_bucket: str
    recommender_shard_queue_url: str
    upload_max_bytes: int
    upload_url_seconds: int
    media_url_seconds: int
    # dlib's HOG detector (fast, frontal faces) or its CNN one (slower, more angles).
    face_detector: str
    # Search: "sqlite" (embedded, one file shared by the local processes) or "opensearch".
    search_engine: str
    search_sqlite_path: str
    opensearch_url: str | None
    # Where the local websocket gateway serves the @connections API; None in AWS, where
    # Chalice derives it from the API id.
    websocket_endpoint_url: str | None

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
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 64 * 1024),
            users_stream_arn=env.get("USERS_STREAM_ARN", ""),
            follows_stream_arn=env.get("FOLLOWS_STREAM_ARN", ""),
            posts_stream_arn=env.get("POSTS_STREAM_ARN", ""),
            follow_requests_stream_arn=env.get("FOLLOW_REQUESTS_STREAM_ARN", ""),
            likes_stream_arn=env.get("LIKES_STREAM_ARN", ""),
            comments_stream_arn=env.get("COMMENTS_STREAM_ARN", ""),
            hashtags_stream_arn=env.get("HASHTAGS_STREAM_ARN", ""),
            places_stream_arn=env.get("PLACES_STREAM_ARN", ""),
            feed_fanout_max_followers=_int(env, "FEED_FANOUT_MAX_FOLLOWERS", 5000),
            feed_backfill_posts=_int(env, "FEED_BACKFILL_POSTS", 20),
            uploads_bucket=env.get("UPLOADS_BUCKET", ""),
            media_bucket=env.get("MEDIA_BUCKET", ""),
            media_queue_url=env.get("MEDIA_QUEUE_URL", ""),
            models_bucket=env.get("MODELS_BUCKET", ""),
            recommender_shard_queue_url=env.get("RECOMMENDER_SHARD_QUEUE_URL", ""),
            upload_max_bytes=_int(env, "UPLOAD_MAX_BYTES", 20 * 1024 * 1024),
            upload_url_seconds=_int(env, "UPLOAD_URL_SECONDS", 15 * 60),
            media_url_seconds=_int(env, "MEDIA_URL_SECONDS", 6 * 3600),
            face_detector=env.get("FACE_DETECTOR", "hog"),
            websocket_endpoint_url=env.get("WEBSOCKET_ENDPOINT_URL") or None,
            search_engine=env.get("SEARCH_ENGINE")
            or ("opensearch" if env.get("OPENSEARCH_URL") else "sqlite"),
            search_sqlite_path=env.get("SEARCH_SQLITE_PATH", "/tmp/glimpse-search.sqlite"),
            opensearch_url=env.get("OPENSEARCH_URL") or None,
        )

    def table(self, name: str) -> str:
        """Physical name of a table declared in infra/template.yaml."""
        return f"glimpse-{self.stage}-{name}"


@functools.cache
def settings() -> Settings:
    return Settings.from_env()
