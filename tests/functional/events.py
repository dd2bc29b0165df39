"""The events AWS sends to Glimpse's functions, captured in tests/events/*.json, loaded with
real ids filled in; and what a test needs to run the real handlers with them in-process.

Each fixture is one whole invocation payload, as Lambda hands it to the handler, cut down to
the fields AWS always sends (plus the ones a Glimpse handler reads). ``"{name}"`` marks a
value the test fills in (``load(..., name=...)``): ids of objects it created, a token, a
nested payload. The shapes come from AWS's documented samples and from the test events of
Powertools for AWS Lambda (aws-powertools/powertools-lambda-python, ``tests/events/``):

- ``dynamodb_<table>_<insert|modify|remove>``: a DynamoDB Streams batch of one record of a
  table with ``StreamViewType: NEW_AND_OLD_IMAGES`` (INSERT carries ``NewImage``, MODIFY both
  images, REMOVE ``OldImage``, in DynamoDB JSON); each image is the item as PynamoDB stores
  it. From the sample event of the Lambda developer guide ("Using AWS Lambda with Amazon
  DynamoDB") and Powertools' ``dynamoStreamEvent.json``.
- ``s3_object_created``: S3's event notification (``eventVersion`` 2.1) of a browser POST
  upload (``ObjectCreated:Post``), which S3 sends to the media queue as a message body;
  ``s3_test_event``: the ``s3:TestEvent`` S3 sends there once, when the notification is set
  up. From the S3 user guide ("Event message structure") and Powertools' ``s3Event.json``.
- ``sqs_media``, ``sqs_post_deadline``: an SQS batch of one message, from the media queue (its
  body an S3 notification) and from the post-deadlines queue (its body what
  ``posts.media.schedule_deadline`` sends, ``{"post_id", "due"}``); the body, and the MD5
  SQS gives of it, are filled in. From the sample event of the Lambda developer guide
  ("Using Lambda with Amazon SQS") and Powertools' ``sqsEvent.json``.
- ``websocket_connect``, ``websocket_message``, ``websocket_disconnect``: API Gateway's
  websocket events (``$connect`` with the ``?token=`` query, a frame on ``$default``,
  ``$disconnect``). From the API Gateway developer guide (websocket API integration
  requests) and Powertools' ``apiGatewayWebSocketApi{Connect,Message,Disconnect}.json``.
- ``eventbridge_scheduled``: what an EventBridge schedule rule (the recommender's
  ``rate(1 hour)``) delivers. From the EventBridge user guide (scheduled events) and
  Powertools' ``eventBridgeEvent.json``.
- ``eventbridge_mediaconvert_complete``, ``eventbridge_mediaconvert_error``: EventBridge's
  "MediaConvert Job State Change" for a job the media function submitted (its
  ``userMetadata``), ended COMPLETE (``outputGroupDetails``: each output's file, duration and
  size) or ERROR (``errorCode``, ``errorMessage``), as the ``MediaConvertJobStateChange`` rule
  delivers it. From the MediaConvert user guide ("Using EventBridge with MediaConvert": the
  COMPLETE and ERROR event samples); exercised in tests/functional/media/test_mediaconvert.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from local_cloud.bus import import_handler
from local_cloud.lambda_context import LambdaContext

EVENTS = Path(__file__).resolve().parents[1] / "events"
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def names() -> list[str]:
    """Every captured event's name."""
    return sorted(path.stem for path in EVENTS.glob("*.json"))


def load(name: str, **values: object) -> dict[str, Any]:
    """tests/events/<name>.json with each ``{placeholder}`` in its strings replaced by
    ``values`` (``str()`` of each). A placeholder without a value, or a value the fixture
    has no place for, is an error: a fixture and its test cannot drift apart silently."""
    event = json.loads((EVENTS / f"{name}.json").read_text())
    wanted = placeholders(event)
    given = {key: str(value) for key, value in values.items()}
    if wanted != set(given):
        raise KeyError(
            f"{name}.json: missing {sorted(wanted - set(given))}, "
            f"unused {sorted(set(given) - wanted)}"
        )
    return _fill(event, given)


def placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        return set().union(*map(placeholders, value))
    return set()


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda match: values[match.group(1)], value)
    if isinstance(value, dict):
        return {_fill(key, values): _fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, values) for item in value]
    return value


def context(function_name: str) -> LambdaContext:
    """The context object Lambda passes along with the event."""
    return LambdaContext(function_name=function_name, region="us-east-1")


def function_handler(spec: str) -> Any:
    """A function of its own container image (``functions/media/handler.lambda_handler``),
    imported with its directory as the code root, as the local cloud does."""
    return import_handler(spec)


@contextlib.contextmanager
def stack_environment(**env: str) -> Iterator[None]:
    """Settings the deployed functions get from the stack (infra/stack.py ``runtime_env``)
    that tests/conftest.py's IN_PROCESS_ENV leaves out, set for the duration. Settings are
    read once per process: the cache (and the search engine they choose) is cleared on the
    way in and out, and read again at once, while the environment is this process's own."""
    from chalicelib.core.settings import settings
    from chalicelib.search.engines import engine

    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    settings.cache_clear()
    engine.cache_clear()
    settings()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        settings.cache_clear()
        engine.cache_clear()
        settings()
