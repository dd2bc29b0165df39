"""The local cloud itself: provisioned from infra/template.yaml, events delivered, one at a time,
stopped cleanly. Everything here is observed from outside, through boto3, HTTP and sockets."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import requests
import websockets
import yaml

from tests.conftest import REPOSITORY, RunningCloud, launch, shut_down

pytestmark = pytest.mark.integration

TEMPLATE = yaml.safe_load((REPOSITORY / "infra" / "template.yaml").read_text())


def declared(resource_type: str) -> dict[str, dict]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in TEMPLATE["Resources"].items()
        if resource["Type"] == resource_type and "Condition" not in resource
    }


def physical(name: str) -> str:
    return name.replace("${Stage}", "local").replace("${AWS::AccountId}", "123456789012")


def test_tables_are_the_templates(local_cloud: RunningCloud) -> None:
    dynamodb = local_cloud.client("dynamodb")
    for properties in declared("AWS::DynamoDB::Table").values():
        name = physical(properties["TableName"]["Fn::Sub"])
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == properties["KeySchema"], name
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            wanted = {index["IndexName"]: index["KeySchema"] for index in properties.get(kind, [])}
            actual = {index["IndexName"]: index["KeySchema"] for index in table.get(kind, [])}
            assert actual == wanted, (name, kind)
        stream = properties.get("StreamSpecification")
        assert table.get("StreamSpecification", {}).get("StreamViewType") == (
            stream and stream["StreamViewType"]
        ), name
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if "TimeToLiveSpecification" in properties:
            assert ttl["TimeToLiveStatus"] == "ENABLED", name
            assert ttl["AttributeName"] == properties["TimeToLiveSpecification"]["AttributeName"]
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED", name


def test_queues_buckets_and_their_wiring(local_cloud: RunningCloud) -> None:
    sqs, s3 = local_cloud.client("sqs"), local_cloud.client("s3")
    queue_url = local_cloud.env["MEDIA_QUEUE_URL"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":glimpse-local-media-dlq")
    assert redrive["maxReceiveCount"] == 3
    policy = json.loads(attributes["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}

    uploads = local_cloud.env["UPLOADS_BUCKET"]
    notifications = s3.get_bucket_notification_configuration(Bucket=uploads)
    (target,) = notifications["QueueConfigurations"]
    assert target["QueueArn"] == local_cloud.env["MEDIA_QUEUE_ARN"]
    # S3 takes and gives the rule's name in either case ("prefix", "Prefix"): AWS's is not set.
    rules = target["Filter"]["Key"]["FilterRules"]
    assert [(r["Name"].lower(), r["Value"]) for r in rules] == [("prefix", "uploads/")]
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=uploads)["Rules"]
    assert rule["Expiration"] == {"Days": 2}
    assert local_cloud.env["MEDIA_BUCKET"] in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def test_a_message_the_handler_cannot_take_ends_in_the_dead_letter_queue(
    local_cloud: RunningCloud,
) -> None:
    """The bus invokes the media function with the real SQS payload; a message it fails on
    is retried, then the queue's redrive policy moves it aside: nothing is lost."""
    sqs = local_cloud.client("sqs")
    sqs.send_message(QueueUrl=local_cloud.env["MEDIA_QUEUE_URL"], MessageBody="not json {")
    dead_letters = local_cloud.env["MEDIA_DEAD_LETTER_QUEUE_URL"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        received = sqs.receive_message(QueueUrl=dead_letters, WaitTimeSeconds=1)
        bodies = [message["Body"] for message in received.get("Messages", [])]
        if "not json {" in bodies:
            return
    pytest.fail("the message never reached the dead-letter queue:\n" + local_cloud.log()[-3000:])


def test_websocket_api_lets_in_only_a_valid_token(local_cloud: RunningCloud) -> None:
    api = local_cloud.api_url
    name = f"ws_{int(time.time() * 1000) % 10**9}"
    signed = requests.post(
        f"{api}/auth/register",
        timeout=30,
        json={
            "username": name,
            "email": f"{name}@example.com",
            "password": "correct horse battery",
        },
    ).json()

    async def scenario() -> dict:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(f"{local_cloud.ws_url}?token=forged"):
                pass
        assert refused.value.response.status_code == 401
        url = f"{local_cloud.ws_url}?token={signed['access_token']}"
        async with websockets.connect(url) as socket:
            await socket.send(json.dumps({"action": "dance"}))
            return json.loads(await asyncio.wait_for(socket.recv(), timeout=10))

    reply = asyncio.run(scenario())
    assert reply == {"type": "error", "code": "unknown_action", "message": "Unknown action 'dance'"}


def test_a_second_launch_says_who_is_running(local_cloud: RunningCloud, tmp_path: Path) -> None:
    same_dir = _run_to_exit(local_cloud.state_dir, tmp_path / "same.log")
    assert same_dir.returncode == 2
    assert "already running" in same_dir.output and "Ctrl-C" in same_dir.output

    api_port = local_cloud.api_url.rsplit(":", 1)[1]
    busy_port = _run_to_exit(tmp_path / "other", tmp_path / "port.log", "--api-port", api_port)
    assert busy_port.returncode == 2
    assert f"port {api_port} is taken" in busy_port.output


def test_seeded_cloud_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    cloud = launch(tmp_path / "seeded", "--seed")
    ports = [
        int(url.rsplit(":", 1)[1].split("/")[0])
        for url in (cloud.api_url, cloud.ws_url, cloud.endpoint_url)
    ]
    try:
        login = requests.post(
            f"{cloud.api_url}/auth/login",
            timeout=30,
            json={"login": "erin", "password": "glimpse-demo-1"},
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        erin = requests.get(
            f"{cloud.api_url}/me", timeout=30, headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert erin["is_private"] is True and erin["followers_count"] == 1
    finally:
        status = shut_down(cloud)
    assert status == 0
    assert "stopped" in cloud.log()
    for port in ports:
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)


def test_the_api_restarts_on_a_code_change_and_only_then(tmp_path: Path) -> None:
    # The state inside the repository, as with `make run`: the emulator's log and the search
    # index change there all the time, and must not restart the API.
    state = REPOSITORY / ".local" / f"test-reload-{tmp_path.name}"
    cloud = launch(state, autoreload=True)
    try:
        time.sleep(4)
        assert "restarting the REST API" not in cloud.log()
        assert "Restarting" not in cloud.log()  # chalice's own reloader
        code = REPOSITORY / "chalicelib" / "core" / "ids.py"
        code.touch()
        deadline = time.monotonic() + 30
        while cloud.log().count("REST API on") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "chalicelib/core/ids.py changed: restarting the REST API" in cloud.log()
        assert requests.get(f"{cloud.api_url}/health", timeout=10).status_code == 200
        assert cloud.log().count("restarting the REST API") == 1
    finally:
        shut_down(cloud)
        import shutil

        shutil.rmtree(state, ignore_errors=True)


class _Exit:
    def __init__(self, returncode: int, output: str) -> None:
        self.returncode, self.output = returncode, output


def _run_to_exit(state_dir: Path, log: Path, *extra: str) -> _Exit:
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "local_cloud",
        "run",
        "--state-dir",
        str(state_dir),
        "--no-autoreload",
        "--emulator-port",
        "0",
        "--ws-port",
        "0",
        *extra,
    ]
    if "--api-port" not in extra:
        command += ["--api-port", "0"]
    done = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, timeout=60)
    return _Exit(done.returncode, done.stdout + done.stderr)
