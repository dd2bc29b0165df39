"""AWS clients, created once per process on first use (so routes that never touch S3 or SQS
do not pay for them at cold start).

botocore rather than boto3: PynamoDB already loads botocore, and botocore's S3 client has
generate_presigned_post/url itself, so the API needs no boto3 import at all.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from chalicelib.core.settings import settings

# A botocore session is not thread-safe (its clients are): clients are created one at a time.
creating = threading.Lock()


@functools.cache
def session() -> Any:
    """The process's one botocore session, every client's (DynamoDB's too, core.dynamodb):
    the endpoint rules, retry settings and credentials load once, not once per client
    (~50 ms each, bench/first_calls)."""
    import botocore.session

    return botocore.session.get_session()


@functools.cache
def client(service: str, endpoint_url: str | None = None) -> Any:
    """A client for ``service``, at ``endpoint_url`` if given, else at the configured AWS."""
    from botocore.config import Config

    s = settings()
    with creating:
        return session().create_client(
            service,
            region_name=s.region,
            endpoint_url=endpoint_url or s.endpoint_url,
            config=Config(signature_version="s3v4") if service == "s3" else None,
        )


def mediaconvert() -> Any:
    """MediaConvert's client, at the account's endpoint when one is configured (the regional
    endpoint serves CreateJob too); one per process, like every client here."""
    return client("mediaconvert", settings().mediaconvert_endpoint_url)


class Session:
    """The two things ``app.websocket_api`` asks of "a boto3 session" (``client()`` and
    ``region_name``), served by the clients above: the websocket API can send without the
    API Lambda importing boto3 (about 25 ms of every cold start)."""

    @property
    def region_name(self) -> str:
        return settings().region

    def client(self, service: str, endpoint_url: str | None = None) -> Any:
        return client(service, endpoint_url)
