"""The production stack: what `chalice package` generates, merged with infra/template.yaml.

Chalice writes the API's functions, the REST and websocket APIs and one role per function;
the template holds everything stateful and the functions Chalice does not know (media,
recommender). Merging them makes one stack whose functions reference its tables and queues
directly, so nothing is copied between stacks by hand:

- every Chalice function gets its runtime settings as references (bucket names, queue URL,
  the websocket API's @connections endpoint) and a log group with a retention;
- each ``on_dynamodb_record`` source, packaged with a placeholder ARN (the stream does not
  exist before the stack), points at its table's ``StreamArn``;
- every Chalice role gets the API's least-privilege policy (``api_policy``) instead of the
  wildcard one Chalice would generate.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from infra.template import env_name, load_template

REPOSITORY = Path(__file__).resolve().parents[1]
LOG_RETENTION_DAYS = 30
_PLACEHOLDER = "arn:aws:dynamodb:us-east-1:000000000000:table/placeholder/stream/"

# Tables the API's code may not touch: the media function's idempotency records.
_NOT_FOR_THE_API = {"IdempotencyTable"}
# Tables an account's deletion reads whole (chalicelib.core.dynamodb.sweep, from the
# contexts' erasure modules): what names the account where no index reaches. Nothing else
# of the API may Scan (tests/deploy/test_stack.py keeps this list and the code in step).
SWEPT_TABLES = (
    "ActivityTable",
    "CommentsTable",
    "InteractionsTable",
    "PostsTable",
    "RecentSearchesTable",
    "SavesTable",
)


def stream_outputs(template: dict[str, Any]) -> dict[str, str]:
    """``USERS_STREAM_ARN`` → ``UsersTable``: the settings that name a stream, and its table."""
    found = {}
    for key, output in template["Outputs"].items():
        value = output["Value"]
        if isinstance(value, dict) and value.get("Fn::GetAtt", [None, None])[1] == "StreamArn":
            found[env_name(key)] = value["Fn::GetAtt"][0]
    return found


def chalice_package(stage: str, out: Path) -> dict[str, Any]:
    """Runs `chalice package` and returns its (SAM) template; deployment.zip lands in ``out``."""
    template = load_template()
    env = {
        **os.environ,
        "GLIMPSE_STAGE": stage,
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    }
    for setting in stream_outputs(template):
        env[setting] = _PLACEHOLDER + setting
    chalice = Path(sys.executable).with_name("chalice")
    subprocess.run(
        [str(chalice), "package", "--stage", stage, "--template-format", "yaml", str(out)],
        cwd=REPOSITORY,
        env=env,
        check=True,
    )
    return yaml.safe_load((out / "sam.yaml").read_text())


def merge(sam: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(template)
    merged["Transform"] = sam["Transform"]
    clash = set(sam["Resources"]) & set(template["Resources"])
    if clash:
        raise ValueError(f"chalice and infra/template.yaml both define {sorted(clash)}")
    merged["Resources"].update(copy.deepcopy(sam["Resources"]))
    merged["Outputs"].update(copy.deepcopy(sam.get("Outputs", {})))
    streams = stream_outputs(template)
    policy = api_policy(template)
    for logical_id, resource in list(merged["Resources"].items()):
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        properties["Environment"]["Variables"].update(runtime_env())
        for event in properties.get("Events", {}).values():
            stream = event["Properties"].get("Stream", "")
            if event["Type"] == "DynamoDB" and stream.startswith(_PLACEHOLDER):
                table = streams[stream.removeprefix(_PLACEHOLDER)]
                event["Properties"]["Stream"] = {"Fn::GetAtt": [table, "StreamArn"]}
        role = properties["Role"]["Fn::GetAtt"][0]
        merged["Resources"][role]["Properties"]["Policies"] = [
            {"PolicyName": "glimpse-api", "PolicyDocument": policy}
        ]
        merged["Resources"][f"{logical_id}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"},
                "RetentionInDays": LOG_RETENTION_DAYS,
            },
        }
    # The media function pushes post.ready through the websocket API Chalice created.
    media = merged["Resources"].get("MediaFunction")
    if media is not None:
        media["Properties"]["Environment"]["Variables"]["WEBSOCKET_ENDPOINT_URL"] = runtime_env()[
            "WEBSOCKET_ENDPOINT_URL"
        ]
    return merged


def runtime_env() -> dict[str, Any]:
    return {
        "UPLOADS_BUCKET": {"Ref": "UploadsBucket"},
        "MEDIA_BUCKET": {"Ref": "MediaBucket"},
        "MEDIA_QUEUE_URL": {"Ref": "MediaQueue"},
        "POST_DEADLINE_QUEUE_URL": {"Ref": "PostDeadlineQueue"},
        "ACCOUNT_JOBS_QUEUE_URL": {"Ref": "AccountJobsQueue"},
        "EXPORTS_BUCKET": {"Ref": "ExportsBucket"},
        "MAIL_FROM": {"Ref": "MailFrom"},
        # Empty with PushNotifications=off: devices are then refused (push_unavailable).
        "APNS_PLATFORM_APPLICATION_ARN": {
            "Fn::If": ["UsePush", {"Fn::GetAtt": ["ApnsPlatformApplication", "Arn"]}, ""]
        },
        "FCM_PLATFORM_APPLICATION_ARN": {
            "Fn::If": ["UsePush", {"Fn::GetAtt": ["FcmPlatformApplication", "Arn"]}, ""]
        },
        "WEBSOCKET_ENDPOINT_URL": {
            "Fn::Sub": "https://${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api"
        },
        "OPENSEARCH_URL": {
            "Fn::If": ["HasSearchDomain", {"Fn::Sub": "https://${SearchDomain.DomainEndpoint}"}, ""]
        },
    }


def api_tables(template: dict[str, Any]) -> list[str]:
    return sorted(
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::DynamoDB::Table" and logical_id not in _NOT_FOR_THE_API
    )


def api_policy(template: dict[str, Any]) -> dict[str, Any]:
    """What the API's functions (routes, websocket handlers, stream and queue consumers) may
    do: their tables and indexes (a Scan of the few an account's deletion sweeps), their
    streams, the buckets' prefixes, the queues, account mail, the JWT signing key, the
    websocket connections; nothing else."""
    tables = api_tables(template)
    resources = template["Resources"]
    streamed = [t for t in tables if "StreamSpecification" in resources[t]["Properties"]]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "dynamodb:GetItem",
                    "dynamodb:BatchGetItem",
                    "dynamodb:Query",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:ConditionCheckItem",
                ],
                "Resource": [
                    ref
                    for table in tables
                    for ref in (
                        {"Fn::GetAtt": [table, "Arn"]},
                        {"Fn::Sub": f"${{{table}.Arn}}/index/*"},
                    )
                ],
            },
            {
                # An account's deletion, a background job, reads these whole (SWEPT_TABLES).
                "Effect": "Allow",
                "Action": ["dynamodb:Scan"],
                "Resource": [{"Fn::GetAtt": [table, "Arn"]} for table in SWEPT_TABLES],
            },
            {
                "Effect": "Allow",
                "Action": [
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                ],
                "Resource": [{"Fn::GetAtt": [table, "StreamArn"]} for table in streamed],
            },
            {
                # The presigned POST is signed with these credentials: it needs PutObject.
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": {"Fn::Sub": "${UploadsBucket.Arn}/uploads/*"},
            },
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:DeleteObject"],
                "Resource": [
                    {"Fn::Sub": "${MediaBucket.Arn}/posts/*"},
                    {"Fn::Sub": "${MediaBucket.Arn}/avatars/*"},
                    {"Fn::Sub": "${MediaBucket.Arn}/stories/*"},
                ],
            },
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [
                    {"Fn::GetAtt": ["MediaBucket", "Arn"]},
                    {"Fn::GetAtt": ["UploadsBucket", "Arn"]},
                ],
                "Condition": {"StringLike": {"s3:prefix": ["posts/*", "avatars/*", "uploads/*"]}},
            },
            {
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": [
                    {"Fn::GetAtt": ["MediaQueue", "Arn"]},
                    {"Fn::GetAtt": ["PostDeadlineQueue", "Arn"]},
                    {"Fn::GetAtt": ["AccountJobsQueue", "Arn"]},
                ],
            },
            {
                # The deadline and account-job consumers are the API's functions.
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": [
                    {"Fn::GetAtt": ["PostDeadlineQueue", "Arn"]},
                    {"Fn::GetAtt": ["AccountJobsQueue", "Arn"]},
                ],
            },
            {
                # An account's deletion takes its uploads; its export is built and served.
                "Effect": "Allow",
                "Action": ["s3:DeleteObject"],
                "Resource": {"Fn::Sub": "${UploadsBucket.Arn}/uploads/*"},
            },
            {
                # Exports are written as multipart uploads (aborted on a failure), served
                # presigned, and deleted with their account.
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                ],
                "Resource": {"Fn::Sub": "${ExportsBucket.Arn}/exports/*"},
            },
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": {"Fn::GetAtt": ["ExportsBucket", "Arn"]},
                "Condition": {"StringLike": {"s3:prefix": ["exports/*"]}},
            },
            {
                "Effect": "Allow",
                "Action": ["ses:SendEmail", "ses:SendRawEmail"],
                "Resource": {
                    "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:"
                    "identity/${MailFrom}"
                },
            },
            {
                "Effect": "Allow",
                "Action": ["ssm:GetParameter"],
                "Resource": {
                    "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:"
                    "${AWS::AccountId}:parameter/glimpse/${Stage}/jwt-secret"
                },
            },
            {
                # Mobile push (chalicelib/notifications): endpoints of the stack's two
                # platform applications, created, read, published to and deleted.
                "Effect": "Allow",
                "Action": [
                    "sns:CreatePlatformEndpoint",
                    "sns:GetEndpointAttributes",
                    "sns:SetEndpointAttributes",
                    "sns:DeleteEndpoint",
                    "sns:Publish",
                ],
                "Resource": [
                    {
                        "Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:"
                        "app/APNS/glimpse-${Stage}-apns"
                    },
                    {
                        "Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:"
                        "app/GCM/glimpse-${Stage}-fcm"
                    },
                    {
                        "Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:"
                        "endpoint/*/glimpse-${Stage}-*"
                    },
                ],
            },
            {
                "Effect": "Allow",
                "Action": ["execute-api:ManageConnections"],
                "Resource": {
                    "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:"
                    "${AWS::AccountId}:${WebsocketAPI}/api/*"
                },
            },
            {
                "Fn::If": [
                    "HasSearchDomain",
                    {
                        "Effect": "Allow",
                        "Action": [
                            "es:ESHttpGet",
                            "es:ESHttpHead",
                            "es:ESHttpPost",
                            "es:ESHttpPut",
                            "es:ESHttpDelete",
                        ],
                        "Resource": {"Fn::Sub": "${SearchDomain.Arn}/*"},
                    },
                    {"Ref": "AWS::NoValue"},
                ]
            },
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                ],
                "Resource": "*",
            },
        ],
    }


def build(stage: str, out: Path) -> Path:
    """The merged template at ``out/template.yaml``, beside ``out/deployment.zip``."""
    out.mkdir(parents=True, exist_ok=True)
    merged = merge(chalice_package(stage, out), load_template())
    path = out / "template.yaml"
    path.write_text(yaml.safe_dump(merged, sort_keys=False))
    return path
