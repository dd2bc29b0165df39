"""The template everything is built from (infra/template.yaml), and how its outputs are
named as settings. Production's stack (infra/stack.py) and the local cloud
(local_cloud/provision.py) both read it through here: one loader, one naming rule."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parent / "template.yaml"


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def env_name(output_key: str) -> str:
    """``UsersStreamArn`` → ``USERS_STREAM_ARN``: how stack outputs become settings."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", output_key).upper()


# CloudFormation takes a template body of at most 51,200 bytes; a larger one must come from S3
# (TemplateURL, up to 1 MB). LocalStack enforces the limit as AWS does; moto does not.
BODY_LIMIT = 51_200


def template_source(s3: Any, bucket: str, region: str, body: str) -> dict[str, str]:
    """``TemplateBody`` when it fits, else the body put in ``bucket`` (made if missing) and
    its ``TemplateURL``: the keyword CreateStack and CreateChangeSet take."""
    if len(body.encode()) <= BODY_LIMIT:
        return {"TemplateBody": body}
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=bucket)
    key = f"templates/{hashlib.sha256(body.encode()).hexdigest()[:16]}.template"
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
    # Path style on the regional endpoint: what AWS, LocalStack and moto all read.
    return {"TemplateURL": f"https://s3.{region}.amazonaws.com/{bucket}/{key}"}
