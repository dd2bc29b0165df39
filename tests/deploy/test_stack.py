"""The production stack, validated without an AWS account: the merged template lints clean,
its wiring is complete, each role reaches exactly what its code uses, and the template
deploys into the emulator's CloudFormation as far as it supports the resource types."""

from __future__ import annotations

import ast
import importlib
import json
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
    linted = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(path)], capture_output=True, text=True
    )
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


def _is_table(value: object) -> bool:
    """A PynamoDB model of a table (not ``core.dynamodb.Model``, the base every one has)."""
    from pynamodb.models import Model

    return (
        isinstance(value, type)
        and issubclass(value, Model)
        and hasattr(getattr(value, "Meta", None), "table_name")
    )


def _models_imported(source: str) -> set[type]:
    """The PynamoDB models a module's source imports by name from chalicelib (the contexts'
    models modules, and core's upload slots)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("chalicelib."):
            module = importlib.import_module(node.module)
            found |= {getattr(module, alias.name, None) for alias in node.names}
    return {m for m in found if _is_table(m)}


def test_the_api_role_reaches_exactly_the_tables_its_models_name() -> None:
    template = stack.load_template()
    names = _template_table_names(template)
    # Every module that declares a model: the contexts' models.py, and core's counters.
    modules = [
        importlib.import_module(".".join(path.relative_to(REPOSITORY).with_suffix("").parts))
        for path in (REPOSITORY / "chalicelib").rglob("*.py")
        if "(Model)" in path.read_text()
    ]
    used = {
        cls.Meta.table_name for module in modules for cls in vars(module).values() if _is_table(cls)
    }
    granted = _table_ids(stack.api_policy(template)["Statement"][0]["Resource"])
    assert {names[t] for t in granted} == used


def test_the_api_role_scans_exactly_the_tables_the_code_sweeps() -> None:
    """Scan is granted on the tables ``core.dynamodb.sweep`` is called on (an account's
    deletion), and on no other: the first argument of every ``sweep(...)`` in chalicelib."""
    swept = set()
    for path in (REPOSITORY / "chalicelib").rglob("*.py"):
        source = path.read_text()
        if "sweep(" not in source or path.name == "dynamodb.py":
            continue
        module = importlib.import_module(
            ".".join(path.relative_to(REPOSITORY).with_suffix("").parts)
        )
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "sweep":
                swept.add(getattr(module, node.args[0].id).Meta.table_name)
    template = stack.load_template()
    names = _template_table_names(template)
    (scan,) = [
        s for s in stack.api_policy(template)["Statement"] if s.get("Action") == ["dynamodb:Scan"]
    ]
    assert {names[t] for t in _table_ids(scan["Resource"])} == swept
    assert len(swept) == len(stack.SWEPT_TABLES)


def test_the_media_role_reaches_exactly_what_the_media_function_uses() -> None:
    template = stack.load_template()
    statements = template["Resources"]["MediaFunctionRole"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    dynamodb = next(s for s in statements if s["Action"][0].startswith("dynamodb:"))
    granted = _table_ids(dynamodb["Resource"])
    jobs = (REPOSITORY / "functions" / "media" / "jobs.py").read_text()
    from chalicelib.accounts.models import User
    from chalicelib.connections.models import LiveConnection, Presence
    from chalicelib.posts.models import RemovedImage
    from chalicelib.stories.models import Story

    names = _template_table_names(template)
    used = {m.Meta.table_name for m in _models_imported(jobs)}
    # registry.notify reads the author's presence and drops connections found gone;
    # Powertools idempotency its own table; media.record_image counts the author's post
    # and accounts.avatars records a profile photo; media.removed_near reads the hashes of
    # the photos the moderators removed.
    used |= {
        RemovedImage.Meta.table_name,
        Story.Meta.table_name,  # stories.media records a story's renditions
        Presence.Meta.table_name,
        LiveConnection.Meta.table_name,
        names["IdempotencyTable"],
        User.Meta.table_name,
    }
    assert {names[t] for t in granted} == used


def test_the_template_deploys_into_the_emulator_with_the_functions() -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        clients = deploy._Clients(boto3.Session(region_name="us-east-1"), None)
        deploy._deploy(
            clients,
            "glimpse-ci",
            stack.load_template(),
            {
                "Stage": "ci",
                "MediaImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/glimpse-ci-media:1",
                "RecommenderImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/rec:1",
            },
        )
        # moto's state is per process: the functional tier's stack may be there too.
        functions = boto3.client("lambda").list_functions()["Functions"]
        assert sorted(
            f["FunctionName"] for f in functions if "glimpse-ci-" in f["FunctionName"]
        ) == [
            "glimpse-ci-media",
            "glimpse-ci-recommender",
        ]
        (rule,) = boto3.client("events").list_rules(NamePrefix="glimpse-ci")["Rules"]
        assert rule["ScheduleExpression"] == "rate(1 hour)"
        assert boto3.client("lambda").list_event_source_mappings()["EventSourceMappings"]
        repositories = boto3.client("ecr").describe_repositories()["repositories"]
        assert sorted(
            r["repositoryName"] for r in repositories if "glimpse-ci-" in r["repositoryName"]
        ) == [
            "glimpse-ci-media",
            "glimpse-ci-recommender",
        ]
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
        "PolicyDocument"
    ]["Statement"]
    granted = set()
    for statement in statements:
        if statement["Action"][0].startswith("dynamodb:"):
            resources = statement["Resource"]
            granted |= _table_ids(resources if isinstance(resources, list) else [resources])
    job = (REPOSITORY / "functions" / "recommender" / "handler.py").read_text()
    names = _template_table_names(template)
    used = {m.Meta.table_name for m in _models_imported(job)}
    assert {names[t] for t in granted} == used


def test_the_distributed_recommender_is_a_state_machine_with_a_distributed_map() -> None:
    template = stack.load_template()
    resources = template["Resources"]
    machine = resources["RecommenderStateMachine"]
    assert machine["Condition"] == "RecommenderDistributed"  # off by default and locally
    states = machine["Properties"]["Definition"]["States"]
    assert states["Fit"]["Parameters"]["Payload"] == {"step": "fit"}
    assert states["Score"]["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    # One hourly schedule whichever the mode: the function's, or the state machine's.
    assert resources["RecommenderSchedule"]["Condition"] == "RecommenderInOneRun"
    assert resources["RecommenderStateMachineSchedule"]["Condition"] == "RecommenderDistributed"
    assert resources["RecommenderSparkApplication"]["Type"] == "AWS::EMRServerless::Application"
    assert template["Parameters"]["RecommenderScale"]["Default"] == "one-run"


def test_mediaconvert_is_wired_to_the_media_function_only_when_it_is_on() -> None:
    template = stack.load_template()
    resources, conditions = template["Resources"], template["Conditions"]
    assert template["Parameters"]["MediaConvert"]["Default"] == "off"  # and locally
    # The rule (and its permission) exists only with both the function and MediaConvert=on.
    on = {"Fn::And": [{"Condition": "HasMediaFunction"}, {"Condition": "UseMediaConvert"}]}
    assert conditions["MediaFunctionUsesMediaConvert"] == on
    rule = resources["MediaConvertJobStateChange"]
    assert rule["Type"] == "AWS::Events::Rule"
    assert rule["Condition"] == "MediaFunctionUsesMediaConvert"
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.mediaconvert"]
    assert pattern["detail-type"] == ["MediaConvert Job State Change"]
    assert sorted(pattern["detail"]["status"]) == ["COMPLETE", "ERROR"]
    # Only this stage's jobs: what mediaconvert_jobs.submit writes in the user metadata.
    assert pattern["detail"]["userMetadata"] == {
        "application": ["glimpse"],
        "stage": [{"Ref": "Stage"}],
    }
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["MediaFunction", "Arn"]}
    permission = resources["MediaConvertJobStateChangePermission"]
    assert permission["Condition"] == "MediaFunctionUsesMediaConvert"
    assert permission["Properties"]["SourceArn"] == {
        "Fn::GetAtt": ["MediaConvertJobStateChange", "Arn"]
    }
    assert permission["Properties"]["Principal"] == "events.amazonaws.com"
    # The settings that turn the hand-off on reach the function only under the condition.
    variables = resources["MediaFunction"]["Properties"]["Environment"]["Variables"]
    for name in ("MEDIACONVERT_JOB_TEMPLATE", "MEDIACONVERT_ROLE_ARN"):
        condition, value, otherwise = variables[name]["Fn::If"]
        assert condition == "UseMediaConvert" and otherwise == {"Ref": "AWS::NoValue"}
    assert variables["MEDIACONVERT_JOB_TEMPLATE"]["Fn::If"][1] == {"Ref": "MediaConvertJobTemplate"}
    # And so do the grants: CreateJob, passing MediaConvertRole, reading back the renditions.
    statements = resources["MediaFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    granted = [s["Fn::If"] for s in statements if "Fn::If" in s]
    assert {condition for condition, _, _ in granted} == {"UseMediaConvert"}
    actions = {action for _, statement, _ in granted for action in statement["Action"]}
    assert actions == {"mediaconvert:CreateJob", "iam:PassRole", "s3:GetObject"}
    for name in ("MediaConvertRole", "MediaConvertJobTemplate"):
        assert resources[name]["Condition"] == "UseMediaConvert"
    # The job's outputs are named by the template's name modifiers, as the code reads them
    # (read from the source: this tier does not import the media function's image).
    source = (REPOSITORY / "functions" / "media" / "mediaconvert_jobs.py").read_text()
    (assigned,) = [
        node.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "OUTPUTS"
    ]
    outputs = resources["MediaConvertJobTemplate"]["Properties"]["SettingsJson"]["OutputGroups"]
    modifiers = [output["NameModifier"] for output in outputs[0]["Outputs"]]
    assert modifiers == list(ast.literal_eval(assigned).values())
