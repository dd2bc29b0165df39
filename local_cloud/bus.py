"""The event bus: what AWS Lambda's event source mappings and EventBridge do, done locally.

moto stores stream records and queue messages but never invokes a function, so the bus polls
them and calls the handlers with the payloads Lambda would send:

- ``StreamPoller``: a DynamoDB stream → a Chalice ``on_dynamodb_record`` handler. Batches are
  retried from the first reported failure (``batchItemFailures``), as with Lambda's
  ``ReportBatchItemFailures``, then skipped after ``max_attempts``.
- ``QueueWorker``: an SQS queue → a handler. Messages a handler reports as failed stay on the
  queue and come back after ``retry_delay`` seconds; the queue's redrive policy moves them to
  the dead-letter queue after ``maxReceiveCount`` receives, exactly as in AWS.
- ``Scheduler``: ``@app.schedule`` handlers, fired on their ``rate(...)`` and on demand.

Which handler listens to what is read from where it is declared: the Chalice app's
``event_sources`` and the template's ``AWS::Lambda::EventSourceMapping`` resources.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import importlib.util
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local_cloud.lambda_context import LambdaContext
from local_cloud.provision import Stack

log = logging.getLogger("local_cloud.bus")

Handler = Callable[[dict[str, Any], Any], Any]
REPOSITORY = Path(__file__).resolve().parents[1]


def _jsonable(value: Any) -> Any:
    """boto3's parsed response → the JSON Lambda would have received."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    return value


def failed_ids(result: Any) -> set[str] | None:
    """The ``itemIdentifier``s of a partial batch response; None when the answer has none."""
    if isinstance(result, dict) and "batchItemFailures" in result:
        return {failure["itemIdentifier"] for failure in result["batchItemFailures"]}
    return None


class Consumer(threading.Thread):
    """A daemon thread that polls until ``stop()``; one failed poll never kills it."""

    poll_pause = 0.2

    def __init__(self, name: str, handler: Handler, function_name: str, region: str) -> None:
        super().__init__(name=name, daemon=True)
        self.handler = handler
        self.function_name = function_name
        self.region = region
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()

    def run(self) -> None:
        while not self._stopped.is_set():
            try:
                busy = self.poll()
            except Exception:
                log.exception("%s: polling failed", self.name)
                busy = False
            if not busy:
                self._stopped.wait(self.poll_pause)

    def poll(self) -> bool:
        """One round; True when there was work (poll again at once)."""
        raise NotImplementedError

    def invoke(self, event: dict[str, Any]) -> Any:
        context = LambdaContext(function_name=self.function_name, region=self.region)
        return self.handler(event, context)


class StreamPoller(Consumer):
    def __init__(
        self,
        stack: Stack,
        stream_arn: str,
        handler: Handler,
        function_name: str,
        batch_size: int = 100,
        max_attempts: int = 3,
    ) -> None:
        super().__init__(
            f"stream:{stream_arn.split('/')[1]}", handler, function_name, stack.session.region_name
        )
        self.streams = stack.client("dynamodbstreams")
        self.stream_arn = stream_arn
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        # The last sequence number seen per shard. A fresh iterator is asked for on every
        # poll: moto's own TransactWriteItems puts back a copy of the table when it fails, and
        # an iterator kept across polls went on reading the stale copy's stream. The emulator
        # we start no longer does that (local_cloud/moto_server.py); another one might.
        self._positions: dict[str, str | None] = {}
        self._shards_checked = float("-inf")
        # Lambda polls a shard about four times a second; every poll is two emulator calls.
        self.poll_pause = 0.25
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._attempts: dict[str, int] = {}

    def poll(self) -> bool:
        busy = False
        for shard_id in self._shards():
            records = self._pending.pop(shard_id, None) or self._read(shard_id)
            if records:
                busy = True
                self._deliver(shard_id, records)
        return busy

    def _shards(self) -> list[str]:
        # Shards change rarely; asking every poll would double the load on the emulator.
        if time.monotonic() < self._shards_checked + 5:
            return list(self._positions)
        self._shards_checked = time.monotonic()
        description = self.streams.describe_stream(StreamArn=self.stream_arn)
        shards = [shard["ShardId"] for shard in description["StreamDescription"]["Shards"]]
        first_poll = not self._positions
        for shard_id in shards:
            if shard_id not in self._positions:
                self._positions[shard_id] = None
                if first_poll:  # only what happens from now on: skip an earlier session's
                    while self._read(shard_id):
                        pass
        return shards

    def _read(self, shard_id: str) -> list[dict[str, Any]]:
        position = self._positions[shard_id]
        where = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position}
            if position
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = self.streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard_id, **where
        )["ShardIterator"]
        response = self.streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
        records = [
            {**_jsonable(record), "eventSourceARN": self.stream_arn}
            for record in response["Records"]
        ]
        if records:
            self._positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
        return records

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        try:
            failed = failed_ids(self.invoke({"Records": records}))
        except Exception:
            log.exception("%s: the handler raised; the whole batch is retried", self.name)
            failed = {records[0]["dynamodb"]["SequenceNumber"]}
        if not failed:
            self._attempts.pop(shard_id, None)
            return
        # Lambda resumes from the earliest failed record: it and everything after it again.
        first = next(i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] in failed)
        attempts = self._attempts.get(shard_id, 0) + 1
        if attempts >= self.max_attempts:
            log.error(
                "%s: %d record(s) dropped after %d attempts",
                self.name,
                len(records) - first,
                attempts,
            )
            self._attempts.pop(shard_id, None)
            return
        self._attempts[shard_id] = attempts
        self._pending[shard_id] = records[first:]


class QueueWorker(Consumer):
    def __init__(
        self,
        stack: Stack,
        queue_url: str,
        handler: Handler,
        function_name: str,
        batch_size: int = 10,
        retry_delay: int = 2,
    ) -> None:
        super().__init__(
            f"queue:{queue_url.rsplit('/', 1)[-1]}",
            handler,
            function_name,
            stack.session.region_name,
        )
        self.sqs = stack.client("sqs")
        self.queue_url = queue_url
        self.queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.batch_size = min(batch_size, 10)
        self.retry_delay = retry_delay
        self.poll_pause = 0.0  # the long poll below is the pause

    def poll(self) -> bool:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            # Short enough for a quick Ctrl-C, long enough not to spin.
            WaitTimeSeconds=1,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return False
        records = [self._record(message) for message in messages]
        try:
            failed = failed_ids(self.invoke({"Records": records}))
            if failed is None:
                failed = set()
        except Exception:
            log.exception("%s: the handler raised; every message will be retried", self.name)
            failed = {message["MessageId"] for message in messages}
        for message in messages:
            if message["MessageId"] in failed:
                # Back on the queue soon rather than after the full visibility timeout.
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self.retry_delay,
                )
            else:
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return True

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = {
            name: {
                "dataType": value["DataType"],
                "stringValue": value.get("StringValue"),
                "binaryValue": _jsonable(value.get("BinaryValue")),
                "stringListValues": [],
                "binaryListValues": [],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        }
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": attributes,
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }


_RATE = re.compile(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> float | None:
    """Seconds between runs of ``rate(...)``; None for ``cron(...)``, which runs on demand only."""
    match = _RATE.fullmatch(expression.strip())
    if not match:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


class Scheduler(Consumer):
    """Fires each ``@app.schedule`` handler every ``rate``; ``fire(name)`` runs one now."""

    def __init__(self, jobs: dict[str, tuple[Handler, str, float | None]], region: str) -> None:
        super().__init__("scheduler", lambda event, context: None, "scheduler", region)
        self.jobs = jobs
        self.poll_pause = 1.0
        now = time.monotonic()
        self._due = {name: now + every for name, (_, _, every) in jobs.items() if every}

    def poll(self) -> bool:
        now = time.monotonic()
        for name, due in list(self._due.items()):
            if now >= due:
                self._due[name] = now + (self.jobs[name][2] or 0)
                self.fire(name)
        return False

    def fire(self, name: str) -> Any:
        handler, expression, _ = self.jobs[name]
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [f"arn:aws:events:{self.region}:123456789012:rule/{name}"],
            "detail": {},
        }
        log.info("scheduler: firing %s (%s)", name, expression)
        try:
            return handler(event, LambdaContext(function_name=name, region=self.region))
        except Exception:
            log.exception("scheduler: %s failed", name)
            return None


def import_handler(spec: str) -> Handler:
    """``functions/media/handler.lambda_handler`` → that function, with its directory as the
    code root (as Lambda's task root is in the container image)."""
    path, function = spec.rsplit(".", 1)
    source = REPOSITORY / f"{path}.py"
    code_root = str(source.parent)
    if code_root not in sys.path:
        sys.path.insert(0, code_root)
    # Several functions have a handler.py: each is loaded under a name of its own.
    name = f"{source.parent.name}_{source.stem}"
    if name not in sys.modules:
        spec_ = importlib.util.spec_from_file_location(name, source)
        module = importlib.util.module_from_spec(spec_)
        sys.modules[name] = module
        try:
            spec_.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return getattr(sys.modules[name], function)


class EventBus:
    """Every consumer of one app and one stack, started and stopped together."""

    def __init__(self, consumers: list[Consumer], scheduler: Scheduler) -> None:
        self.consumers = consumers
        self.scheduler = scheduler

    @classmethod
    def wire(cls, app: Any, stack: Stack, stage: str, retry_delay: int = 2) -> EventBus:
        from chalice.app import DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig

        region = stack.session.region_name
        consumers: list[Consumer] = []
        jobs: dict[str, tuple[Handler, str, float | None]] = {}
        for source in app.event_sources:
            handler = app.handler_map[source.name]
            function_name = f"{app.app_name}-{stage}-{source.name}"
            if isinstance(source, DynamoDBEventConfig):
                consumers.append(
                    StreamPoller(
                        stack, source.stream_arn, handler, function_name, source.batch_size
                    )
                )
            elif isinstance(source, SQSEventConfig):
                queue_url = stack.client("sqs").get_queue_url(QueueName=source.queue)["QueueUrl"]
                consumers.append(
                    QueueWorker(
                        stack, queue_url, handler, function_name, source.batch_size, retry_delay
                    )
                )
            elif isinstance(source, ScheduledEventConfig):
                expression = str(
                    source.schedule_expression.to_string()
                    if hasattr(source.schedule_expression, "to_string")
                    else source.schedule_expression
                )
                jobs[source.name] = (handler, expression, rate_seconds(expression))
            else:
                log.warning("no local delivery for %s (%s)", source.name, type(source).__name__)
        consumers.extend(_template_mappings(stack, retry_delay))
        jobs.update(template_schedules(stack.template))
        return cls(consumers, Scheduler(jobs, region))

    def start(self) -> None:
        for consumer in [*self.consumers, self.scheduler]:
            consumer.start()
            log.info("bus: %s → %s", consumer.name, consumer.function_name)

    def stop(self) -> None:
        everyone = [*self.consumers, self.scheduler]
        for consumer in everyone:
            consumer.stop()
        for consumer in everyone:
            consumer.join(timeout=5)


def _template_mappings(stack: Stack, retry_delay: int) -> list[Consumer]:
    """Queue → function mappings declared in the template for functions outside Chalice.

    The functions themselves are conditional on being deployed to AWS, so they are read from
    the template rather than the stack; their ``Metadata.LocalHandler`` says what to call.
    """
    consumers: list[Consumer] = []
    resources = stack.template["Resources"]
    for mapping in resources.values():
        if mapping["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        properties = mapping["Properties"]
        function_id = properties["FunctionName"]["Ref"]
        queue_id = properties["EventSourceArn"]["Fn::GetAtt"][0]
        if resources[queue_id]["Type"] != "AWS::SQS::Queue":
            continue
        try:
            handler = local_handler(stack.template, function_id)
        except ImportError as missing:
            # The imaging stack (Pillow, dlib) is heavy; the rest of the cloud works without it.
            log.error(
                "%s is not served: %s (run `make run`, which installs "
                "functions/media/requirements.txt)",
                function_id,
                missing,
            )
            continue
        function_name = stack.resolve(resources[function_id]["Properties"]["FunctionName"])
        consumers.append(
            QueueWorker(
                stack,
                stack.physical_ids[queue_id],
                handler,
                function_name,
                properties.get("BatchSize", 10),
                retry_delay,
            )
        )
    return consumers


def local_handler(template: dict[str, Any], function_id: str) -> Handler:
    """The handler a template function's ``Metadata.LocalHandler`` names."""
    return import_handler(template["Resources"][function_id]["Metadata"]["LocalHandler"])


def template_schedules(template: dict[str, Any]) -> dict[str, tuple[Handler, str, float | None]]:
    """``AWS::Events::Rule`` schedules whose target is a function with a local handler."""
    jobs: dict[str, tuple[Handler, str, float | None]] = {}
    resources = template["Resources"]
    for rule in resources.values():
        properties = rule.get("Properties", {})
        if rule["Type"] != "AWS::Events::Rule" or "ScheduleExpression" not in properties:
            continue
        for target in properties.get("Targets", []):
            arn = target["Arn"]
            if not isinstance(arn, dict) or "Fn::GetAtt" not in arn:
                # Not a function: the distributed recommender's state machine (declared for
                # RecommenderScale=distributed; the local stack runs the one-run rule).
                continue
            function_id = arn["Fn::GetAtt"][0]
            try:
                handler = local_handler(template, function_id)
            except ImportError as missing:
                log.error("%s is not scheduled: %s", function_id, missing)
                continue
            expression = properties["ScheduleExpression"]
            jobs[function_id] = (handler, expression, rate_seconds(expression))
    return jobs
