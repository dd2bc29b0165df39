"""Unit tests run the logic in-process against moto's in-memory AWS (mock_aws), with the
tables created by deploying infra/template.yaml, so they see the real keys and indexes."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before chalicelib is imported anywhere: settings are read once per process.
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.update(
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

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"


@pytest.fixture(scope="session")
def aws() -> Iterator[None]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("cloudformation").create_stack(
            StackName="glimpse-unit",
            TemplateBody=TEMPLATE.read_text(),
            Parameters=[{"ParameterKey": "Stage", "ParameterValue": "unit"}],
        )
        yield


@pytest.fixture
def new_username() -> str:
    return "u_" + secrets.token_hex(5)


@pytest.fixture
def make_user(aws: None):
    """Registers a fresh user and returns (user, signed-in result)."""
    from chalicelib import accounts

    def make(private: bool = False) -> accounts.SignedIn:
        name = "u_" + secrets.token_hex(5)
        signed_in = accounts.register(name, f"{name}@example.com", "correct horse")
        if private:
            from chalicelib import profiles

            profiles.update_me(signed_in.user.user_id, {"is_private": True})
        return signed_in

    return make
