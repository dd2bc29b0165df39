"""The custom resource that makes the stack's SNS platform applications (APNs, FCM) from
their SSM credentials: CloudFormation has no resource type for them, so the template carries
a small inline function (PushPlatformFunction). The local cloud never runs it (push is off
locally), so its code is run here directly, against moto's SNS and SSM, with CloudFormation's
events and a recording stand-in for ``cfnresponse`` (the module Lambda provides to inline
code)."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.template import load_template

SSM_NAMES = {"credential": "/glimpse/ci/apns-key", "principal": "/glimpse/ci/apns-cert"}


@pytest.fixture
def resource(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, list[dict]]]:
    """The inline handler, loaded from the template, and what it answered CloudFormation."""
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    answers: list[dict] = []
    cfnresponse = types.ModuleType("cfnresponse")
    cfnresponse.SUCCESS, cfnresponse.FAILED = "SUCCESS", "FAILED"

    def send(event: dict, context: Any, status: str, data: dict, physical_id: str) -> None:
        answers.append({"status": status, "data": data, "physical_id": physical_id})

    cfnresponse.send = send
    monkeypatch.setitem(sys.modules, "cfnresponse", cfnresponse)
    code = load_template()["Resources"]["PushPlatformFunction"]["Properties"]["Code"]["ZipFile"]
    module = types.ModuleType("push_platform_resource")
    with mock_aws():
        exec(compile(code, "PushPlatformFunction.ZipFile", "exec"), module.__dict__)  # noqa: S102
        ssm = boto3.client("ssm")
        ssm.put_parameter(Name=SSM_NAMES["credential"], Value="key-1", Type="SecureString")
        ssm.put_parameter(Name=SSM_NAMES["principal"], Value="cert-1", Type="SecureString")
        yield module.handler, answers


def _event(request: str, physical_id: str | None = None, **props: str | None) -> dict:
    """A CloudFormation request for the APNs application; a property given as None is left
    out (the FCM application has no PrincipalParameter)."""
    event: dict[str, Any] = {
        "RequestType": request,
        "ResourceProperties": {
            "Name": "glimpse-ci-apns",
            "Platform": "APNS",
            "CredentialParameter": SSM_NAMES["credential"],
            "PrincipalParameter": SSM_NAMES["principal"],
            **props,
        },
    }
    event["ResourceProperties"] = {k: v for k, v in event["ResourceProperties"].items() if v}
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    return event


def _applications() -> dict[str, dict]:
    sns = boto3.client("sns")
    return {
        app["PlatformApplicationArn"]: app["Attributes"]
        for app in sns.list_platform_applications()["PlatformApplications"]
    }


def test_create_update_delete_follow_the_stack(resource: tuple[Any, list[dict]]) -> None:
    handler, answers = resource
    handler(_event("Create"), None)
    created = answers[-1]
    assert created["status"] == "SUCCESS"
    arn = created["physical_id"]
    assert arn.startswith("arn:aws:sns:") and created["data"] == {"Arn": arn}
    assert list(_applications()) == [arn]

    # New credentials in SSM, then a stack update: the same application, updated in place.
    boto3.client("ssm").put_parameter(
        Name=SSM_NAMES["credential"], Value="key-2", Type="SecureString", Overwrite=True
    )
    handler(_event("Update", arn), None)
    assert answers[-1] == {"status": "SUCCESS", "data": {"Arn": arn}, "physical_id": arn}
    assert list(_applications()) == [arn]

    handler(_event("Delete", arn), None)
    assert answers[-1]["status"] == "SUCCESS"
    assert _applications() == {}


def test_fcm_needs_no_principal(resource: tuple[Any, list[dict]]) -> None:
    handler, answers = resource
    handler(_event("Create", Name="glimpse-ci-fcm", Platform="GCM", PrincipalParameter=None), None)
    assert answers[-1]["status"] == "SUCCESS"
    assert answers[-1]["physical_id"].split(":")[-1] == "app/GCM/glimpse-ci-fcm"


def test_a_missing_credential_fails_the_resource_and_its_rollback_succeeds(
    resource: tuple[Any, list[dict]],
) -> None:
    handler, answers = resource
    handler(_event("Create", CredentialParameter="/glimpse/ci/not-there"), None)
    failed = answers[-1]
    assert failed["status"] == "FAILED" and "not-there" in failed["data"]["Error"]
    assert _applications() == {}
    # CloudFormation then deletes the resource it never got: nothing to delete, no error.
    handler(_event("Delete", failed["physical_id"]), None)
    assert answers[-1]["status"] == "SUCCESS"
