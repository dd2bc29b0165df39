"""The interaction log in S3, for the recommender: what the interactions table's stream
delivers, one object per batch, so that the hourly job reads only what is new instead of
Scanning the table (issue 18).

- ``recommender/interactions/log/<ms>-<uuid>.jsonl``: a batch of new interactions, a JSON row
  each (``user_id, item_type, item_id, kind, weight, at``). Written here, folded into the
  snapshot and deleted by the job (functions/recommender/interaction_log.py).
- ``recommender/interactions/users.txt`` and ``posts.txt``: the snapshot's ids, one a line, a
  line's number being the code its rows carry in ``snapshot.npz`` (numbers only).

Erasure works on those text objects without numpy (the API has none): an account's id and
its posts' ids become empty lines, which the job reads as rows to drop; pending batches are
rewritten without the lines that name them. The similarity model's post list
(``recommender/posts.txt``) is blanked the same way.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from chalicelib.core.clients import client
from chalicelib.core.ids import now_ms
from chalicelib.core.settings import settings

PREFIX = "recommender/interactions/"
LOG = PREFIX + "log/"
VOCABULARIES = (PREFIX + "users.txt", PREFIX + "posts.txt", "recommender/posts.txt")
FIELDS = ("user_id", "item_type", "item_id", "kind")


def append(event: dict[str, Any]) -> int:
    """A stream batch of the interactions table: its new items as one log object. Removals
    (expiry, erasure) are not logged: the job keeps 90 days as the table does, and erasure
    edits the log itself."""
    # Imported here: boto3.dynamodb (decimal and all) costs every API cold start ~12 ms, and
    # only this stream's batches need it.
    from boto3.dynamodb.types import TypeDeserializer

    decode = TypeDeserializer().deserialize
    rows = []
    for record in event.get("Records", []):
        image = record.get("dynamodb", {}).get("NewImage")
        if record.get("eventName") not in ("INSERT", "MODIFY") or not image:
            continue
        item = {key: decode(value) for key, value in image.items()}
        rows.append(
            {
                **{name: str(item.get(name, "")) for name in FIELDS},
                "weight": float(item.get("weight", 0)),
                "at": int(item.get("at", 0)),
            }
        )
    bucket = settings().models_bucket
    if rows and bucket:
        client("s3").put_object(
            Bucket=bucket,
            Key=f"{LOG}{now_ms():013d}-{uuid.uuid4().hex}.jsonl",
            Body="\n".join(json.dumps(row) for row in rows).encode(),
        )
    return len(rows)


def forget(ids: Iterable[str]) -> int:
    """Every mention of these ids (an account and its posts) in the log, the snapshot's ids
    and the model's post list. Returns how many lines went."""
    wanted = set(ids)
    bucket = settings().models_bucket
    if not wanted or not bucket:
        return 0
    s3 = client("s3")
    gone = 0
    for key in VOCABULARIES:
        try:
            lines = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().split("\n")
        except s3.exceptions.NoSuchKey:
            continue
        kept = ["" if line in wanted else line for line in lines]
        if kept != lines:
            gone += sum(1 for line in lines if line in wanted)
            s3.put_object(Bucket=bucket, Key=key, Body="\n".join(kept).encode())
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=LOG):
        for listed in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read().decode()
            lines = body.split("\n")
            kept = [line for line in lines if not _names(line, wanted)]
            if len(kept) != len(lines):
                gone += len(lines) - len(kept)
                s3.put_object(Bucket=bucket, Key=listed["Key"], Body="\n".join(kept).encode())
    return gone


def _names(line: str, wanted: set[str]) -> bool:
    if not line.strip():
        return False
    row = json.loads(line)
    return row.get("user_id") in wanted or row.get("item_id") in wanted
