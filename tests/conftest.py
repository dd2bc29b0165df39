"""The local cloud, as ``make run`` starts it, for the tests that drive it from outside.

One cloud per test session: ``python -m local_cloud run`` on free ports with its own state
directory, so tests never collide with a developer's ``make run`` or with each other.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_cloud import harness
from local_cloud.harness import RunningCloud, shut_down

REPOSITORY = Path(__file__).resolve().parents[1]

# The settings of every test that runs the code in this process (tests/unit, tests/media),
# set before any test module imports chalicelib: settings are read once per process and the
# table models name their tables at import. The local cloud launched below gets none of this
# (launch() leaves all of it out).
IN_PROCESS_ENV = dict(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    GLIMPSE_STAGE="unit",
    JWT_SECRET="unit-test-secret-" + "x" * 32,
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_METRICS_DISABLED="true",
    UPLOADS_BUCKET="glimpse-unit-uploads-123456789012",
    MEDIA_BUCKET="glimpse-unit-media-123456789012",
    MEDIA_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/glimpse-unit-media",
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.update(IN_PROCESS_ENV)



def launch(state_dir: Path, *extra: str, autoreload: bool = False) -> RunningCloud:
    # The in-process tests' settings must not leak into the cloud's own processes. A "large
    # account" (merged into feeds when read) from 4 followers, to reach that path cheaply.
    env = {"FEED_FANOUT_MAX_FOLLOWERS": "3", **os.environ}
    return harness.launch(state_dir, *extra, env=env, leave_out=IN_PROCESS_ENV,
                          autoreload=autoreload)


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    cloud = launch(tmp_path_factory.mktemp("local-cloud"))
    try:
        yield cloud
    finally:
        shut_down(cloud)
