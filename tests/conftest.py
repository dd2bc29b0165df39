"""The local cloud, as ``make run`` starts it, for the tests that drive it from outside.

One cloud per test session: ``python -m local_cloud run`` on free ports with its own state
directory, so tests never collide with a developer's ``make run`` or with each other.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_cloud import harness
from local_cloud.harness import RunningCloud, shut_down

REPOSITORY = Path(__file__).resolve().parents[1]

# The settings of every test that runs the code in this process (tests/unit, tests/functional),
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
    POST_DEADLINE_QUEUE_URL=(
        "https://sqs.us-east-1.amazonaws.com/123456789012/glimpse-unit-post-deadlines"
    ),
    ACCOUNT_JOBS_QUEUE_URL=(
        "https://sqs.us-east-1.amazonaws.com/123456789012/glimpse-unit-account-jobs"
    ),
    EXPORTS_BUCKET="glimpse-unit-exports-123456789012",
    # Created in moto by tests/functional/conftest.py (the stack declares them only with
    # PushNotifications=on); moto's ARNs are made from the names.
    APNS_PLATFORM_APPLICATION_ARN="arn:aws:sns:us-east-1:123456789012:app/APNS/glimpse-unit-apns",
    FCM_PLATFORM_APPLICATION_ARN="arn:aws:sns:us-east-1:123456789012:app/GCM/glimpse-unit-fcm",
    # A search index of this test process's own, not a file every run shares.
    SEARCH_SQLITE_PATH=str(Path(tempfile.mkdtemp(prefix="glimpse-tests-")) / "search.sqlite"),
)
MEDIA_DEADLINE_SECONDS = 15
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.update(IN_PROCESS_ENV)


# The emulator the integration suite runs against: moto (the default, fast) or localstack
# (`make test-localstack`): the same tests, AWS's behaviour asserted in both.
EMULATOR = os.environ.get("TEST_EMULATOR", "moto")


def launch(
    state_dir: Path, *extra: str, autoreload: bool = False, limits_lifted: bool = True
) -> RunningCloud:
    # The in-process tests' settings must not leak into the cloud's own processes. A "large
    # account" (merged into feeds when read) from 4 followers, to reach that path cheaply; a
    # post whose photo never arrives fails after 15 s instead of 30 minutes.
    # The suite is a crowd of scripts (a thousand accounts signing up from 127.0.0.1, one
    # account sent hundreds of generated requests by schemathesis): rate limits are lifted for
    # the clouds it shares; tests/integration/test_rate_limits_http.py runs one of its own
    # with the defaults.
    from chalicelib.core.settings import RATE_LIMITS

    lifted = ",".join(f"{kind}=1000000/60" for kind in RATE_LIMITS)
    env = {
        "FEED_FANOUT_MAX_FOLLOWERS": "3",
        "RATE_LIMITS": lifted if limits_lifted else "",
        "MEDIA_DEADLINE_SECONDS": str(MEDIA_DEADLINE_SECONDS),
        **os.environ,
    }
    return harness.launch(
        state_dir,
        "--emulator",
        EMULATOR,
        *extra,
        env=env,
        leave_out=IN_PROCESS_ENV,
        autoreload=autoreload,
    )


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    cloud = launch(tmp_path_factory.mktemp("local-cloud"))
    try:
        yield cloud
    finally:
        shut_down(cloud)
