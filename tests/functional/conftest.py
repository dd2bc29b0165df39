"""Unit tests run the logic in-process against moto's in-memory AWS (mock_aws), with the
tables created by deploying infra/template.yaml, so they see the real keys and indexes."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

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
        # What local_cloud/provision.py does for the local cloud: push's platform apps.
        sns = boto3.client("sns")
        for platform, name in (("APNS", "glimpse-unit-apns"), ("GCM", "glimpse-unit-fcm")):
            sns.create_platform_application(
                Name=name, Platform=platform, Attributes={"PlatformCredential": "unit"}
            )
        yield


@pytest.fixture
def new_username() -> str:
    return "u_" + secrets.token_hex(5)


@pytest.fixture
def make_user(aws: None):
    """Registers a fresh user and returns (user, signed-in result)."""
    from chalicelib.accounts import auth

    def make(private: bool = False) -> auth.SignedIn:
        name = "u_" + secrets.token_hex(5)
        signed_in = auth.register(name, f"{name}@example.com", "correct horse")
        if private:
            from chalicelib.accounts import profiles

            profiles.update_me(signed_in.user.user_id, {"is_private": True})
        return signed_in

    return make


@pytest.fixture
def aws_calls(monkeypatch: pytest.MonkeyPatch) -> Callable[[], contextlib.AbstractContextManager]:
    """``with aws_calls() as calls:`` — the AWS operations the block makes, in order
    (``"Query"``, ``"SendMessage"``): what a path costs in round trips, and whether two
    paths do the same work."""
    from botocore.client import BaseClient

    @contextlib.contextmanager
    def recording() -> Iterator[list[str]]:
        calls: list[str] = []
        original = BaseClient._make_api_call

        def counted(client: Any, operation: str, params: dict) -> Any:
            calls.append(operation)
            return original(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", counted)
        try:
            yield calls
        finally:
            monkeypatch.setattr(BaseClient, "_make_api_call", original)

    return recording
