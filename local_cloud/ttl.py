"""DynamoDB's Time to Live, done locally: neither emulator deletes expired items (moto stores
a table's TTL setting and does nothing with it; LocalStack's DynamoDB is moto's here, see
local_cloud/localstack_plugin), so the sweeper does what DynamoDB's background process does.

Every ``interval`` seconds, for each table the template declares a TTL on, it finds the items
whose TTL attribute (a Number of epoch seconds) is in the past and deletes each one with a
condition that it still is, so an item whose expiry moved meanwhile stays. The deletions go
through the table's stream like any other, which is how DynamoDB's own arrive: the app's
stream handlers see expired stories go (their files and tray rows follow), as in AWS.

AWS deletes an expired item "within a few days" of its expiry (the DynamoDB developer guide,
"Working with Time to Live"; typically within 48 hours), so every read must check the expiry
itself, as the app does. Locally the delay is at most ``interval`` (60 s by default, ``python
-m local_cloud run --ttl-sweep-seconds``): inside AWS's bound, and short enough to see.
``python -m local_cloud ttl-sweep`` runs one pass at once against the running cloud: what a
test (or a developer who moved an expiry into the past) calls instead of waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger("local_cloud.ttl")

DEFAULT_INTERVAL = 60.0


def ttl_tables(dynamodb: Any) -> dict[str, str]:
    """Table name → its TTL attribute, for every table of the emulator with TTL on (provision
    turns it on from the template's ``TimeToLiveSpecification``s)."""
    found = {}
    for page in dynamodb.get_paginator("list_tables").paginate():
        for table in page["TableNames"]:
            ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") == "ENABLED":
                found[table] = ttl["AttributeName"]
    return found


class TtlSweeper(threading.Thread):
    """Deletes the expired items of the TTL tables every ``interval`` seconds."""

    def __init__(
        self,
        dynamodb: Any,
        interval: float = DEFAULT_INTERVAL,
        tables: dict[str, str] | None = None,
    ) -> None:
        """``tables``: table → TTL attribute; by default every table with TTL on."""
        super().__init__(name="ttl-sweeper", daemon=True)
        self.interval = interval
        self._dynamodb = dynamodb
        self.tables = ttl_tables(dynamodb) if tables is None else tables
        self._keys: dict[str, list[str]] = {}
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.sweep()
            except Exception:  # noqa: BLE001 - one failed sweep must not end the sweeping
                log.exception("TTL sweep failed")

    def sweep(self, now: float | None = None) -> int:
        """One pass over every TTL table; the number of items deleted."""
        moment = int(now if now is not None else time.time())
        deleted = 0
        for table, attribute in self.tables.items():
            deleted += self._sweep_table(table, attribute, moment)
        if deleted:
            log.info("TTL: %d expired items deleted", deleted)
        return deleted

    def _sweep_table(self, table: str, attribute: str, now: int) -> int:
        keys = {f"#k{i}": key for i, key in enumerate(self._key_names(table))}
        expired = {
            "ExpressionAttributeNames": {"#ttl": attribute},
            "ExpressionAttributeValues": {":now": {"N": str(now)}},
        }
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName=table,
            FilterExpression="#ttl < :now",
            ProjectionExpression=", ".join(keys),
            ExpressionAttributeNames={**keys, "#ttl": attribute},
            ExpressionAttributeValues=expired["ExpressionAttributeValues"],
        )
        deleted = 0
        for page in pages:
            for key in page.get("Items", []):
                try:
                    self._dynamodb.delete_item(
                        TableName=table, Key=key, ConditionExpression="#ttl < :now", **expired
                    )
                    deleted += 1
                except self._dynamodb.exceptions.ConditionalCheckFailedException:
                    pass  # its expiry moved meanwhile: it stays
        return deleted

    def _key_names(self, table: str) -> list[str]:
        if table not in self._keys:
            schema: list[dict[str, Any]] = self._dynamodb.describe_table(TableName=table)["Table"][
                "KeySchema"
            ]
            self._keys[table] = [key["AttributeName"] for key in schema]
        return self._keys[table]
