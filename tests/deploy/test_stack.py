"""The production stack, validated without an AWS account: the merged template lints clean,
its wiring is complete, each role reaches exactly what its code uses, and the template
deploys into the emulator's CloudFormation as far as it supports the resource types."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from infra import deploy, stack

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = stack.build("ci", tmp_path_factory.mktemp("stack"))
    return path, yaml.safe_load(path.read_text())


def test_the_merged_template_lints_clean(merged: tuple[Path, dict]) -> None:
    path, _ = merged
    linted = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), str(path)],
                            capture_output=True, text=True)  # fmt: skip
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_every_chalice_function_is_wired_to_the_stack(merged: tuple[Path, dict]) -> None:
    _, template = merged
    resources = template["Resources"]
    functions = {k: r for k, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    assert {"APIHandler", "WebsocketConnect", "OnPostChange"} <= set(functions)
    for logical_id, function in functions.items():
        properties = function["Properties"]
        assert properties["Environment"]["Variables"]["MEDIA_BUCKET"] == {"Ref": "MediaBucket"}
        assert f"{logical_id}LogGroup" in resources
        role = resources[properties["Role"]["Fn::GetAtt"][0]]
        assert role["Properties"]["Policies"][0]["PolicyName"] == "glimpse-api"
        for event in properties.get("Events", {}).values():
            if event["Type"] == "DynamoDB":
                table, attribute = event["Properties"]["Stream"]["Fn::GetAtt"]
                assert attribute == "StreamArn"
                assert "StreamSpecification" in resources[table]["Properties"]


def _table_ids(statement_resources: list) -> set[str]:
    return {r["Fn::GetAtt"][0] for r in statement_resources if "Fn::GetAtt" in r}


def _template_table_names(template: dict) -> dict[str, str]:
    """Logical id → the table's name for stage "unit" (what the test settings use)."""
    return {
        logical_id: r["Properties"]["TableName"]["Fn::Sub"].replace("${Stage}", "unit")
        for logical_id, r in template["Resources"].items()
        if r["Type"] == "AWS::DynamoDB::Table"
    }


def test_the_api_role_reaches_exactly_the_tables_its_models_name() -> None:
    from pynamodb.models import Model

    from chalicelib import tables

    template = stack.load_template()
    names = _template_table_names(template)
    used = {cls.Meta.table_name for cls in vars(tables).values()
            if isinstance(cls, type) and issubclass(cls, Model) and cls is not Model}  # fmt: skip
    granted = _table_ids(stack.api_policy(template)["Statement"][0]["Resource"])
    assert {names[t] for t in granted} == used


def test_the_media_role_reaches_exactly_what_the_media_function_uses() -> None:
    template = stack.load_template()
    statements = template["Resources"]["MediaFunctionRole"]["Properties"]["Policies"][0][
        "PolicyDocument"]["Statement"]
    dynamodb = next(s for s in statements if s["Action"][0].startswith("dynamodb:"))
    granted = _table_ids(dynamodb["Resource"])
    jobs = (REPOSITORY / "functions" / "media" / "jobs.py").read_text()
    imported = re.search(r"from chalicelib.tables import (.+)", jobs).group(1)
    from chalicelib import tables

    names = _template_table_names(template)
    models = {getattr(tables, name.strip()) for name in imported.split(",")}
    used = {m.Meta.table_name for m in models if hasattr(m, "Meta")}
    # connections.notify reads the live connections; Powertools idempotency its own table;
    # posts.record_image adds the ready post to its author's count.
    used |= {tables.LiveConnection.Meta.table_name, names["IdempotencyTable"],
             tables.User.Meta.table_name}  # fmt: skip
    assert {names[t] for t in granted} == used


def test_the_template_deploys_into_the_emulator_with_the_functions() -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        clients = deploy._Clients(boto3.Session(region_name="us-east-1"), None)
        deploy._deploy(clients, "glimpse-ci", stack.load_template(), {
            "Stage": "ci",
            "MediaImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/glimpse-ci-media:1",
            "RecommenderImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/rec:1",
        })  # fmt: skip
        functions = boto3.client("lambda").list_functions()["Functions"]
        assert sorted(f["FunctionName"] for f in functions) == [
            "glimpse-ci-media", "glimpse-ci-recommender"]
        (rule,) = boto3.client("events").list_rules()["Rules"]
        assert rule["ScheduleExpression"] == "rate(1 hour)"
        assert boto3.client("lambda").list_event_source_mappings()["EventSourceMappings"]
        repositories = boto3.client("ecr").describe_repositories()["repositories"]
        assert sorted(r["repositoryName"] for r in repositories) == [
            "glimpse-ci-media", "glimpse-ci-recommender"]
        buckets = {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
        assert "glimpse-ci-uploads-123456789012" in buckets


def test_localstack_gets_the_stack_without_paid_features(merged: tuple[Path, dict]) -> None:
    _, template = merged
    trimmed = deploy.without_paid_features(json.loads(json.dumps(template)))
    text = json.dumps(trimmed)
    assert "AWS::ApiGatewayV2" not in text and "WebsocketAPI" not in text
    assert "APIHandler" in trimmed["Resources"] and "UsersTable" in trimmed["Resources"]


def test_the_recommender_role_reaches_exactly_what_the_job_uses() -> None:
    template = stack.load_template()
    statements = template["Resources"]["RecommenderFunctionRole"]["Properties"]["Policies"][0][
        "PolicyDocument"]["Statement"]
    granted = set()
    for statement in statements:
        if statement["Action"][0].startswith("dynamodb:"):
            resources = statement["Resource"]
            granted |= _table_ids(resources if isinstance(resources, list) else [resources])
    job = (REPOSITORY / "functions" / "recommender" / "handler.py").read_text()
    imported = re.search(r"from chalicelib.tables import (.+)", job).group(1)
    from chalicelib import tables

    names = _template_table_names(template)
    used = {getattr(tables, name.strip()).Meta.table_name for name in imported.split(",")}
    assert {names[t] for t in granted} == used
