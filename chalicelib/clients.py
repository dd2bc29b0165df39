"""AWS clients, created once per process on first use (so routes that never touch S3 or SQS
do not pay for them at cold start).

botocore rather than boto3: PynamoDB already loads botocore, and botocore's S3 client has
generate_presigned_post/url itself, so the API needs no boto3 import at all.
"""

from __future__ import annotations

import functools
from typing import Any

from chalicelib.settings import settings


@functools.cache
def client(service: str, endpoint_url: str | None = None) -> Any:
    """A client for ``service``, at ``endpoint_url`` if given, else at the configured AWS."""
    import botocore.session
    from botocore.config import Config

    s = settings()
    return botocore.session.get_session().create_client(
        service,
        region_name=s.region,
        endpoint_url=endpoint_url or s.endpoint_url,
        config=Config(signature_version="s3v4") if service == "s3" else None,
    )
