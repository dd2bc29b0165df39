"""One command to AWS, one to LocalStack: ``python -m infra.deploy --stage dev [--target …]``.

1. Build the stack (infra/stack.py): `chalice package`, merged with infra/template.yaml.
2. Upload the API's deployment.zip to an artifacts bucket and point the functions at it.
3. Create the JWT signing key in SSM the first time (a random SecureString).
4. Deploy the stack with a CloudFormation change set and wait.
5. Where Docker runs, build the media and recommender images, push them to the stack's ECR
   repositories and deploy again with their URIs (the functions exist only once images do).
6. Print the stage's outputs: the REST API's URL and the websocket URL.

LocalStack's open-source image has neither websocket APIs nor container-image Lambdas, so
``--target localstack`` deploys the same stack without the websocket API and the media
function; `make run EMULATOR=localstack` is the way to run the whole app against it.
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from infra import stack
from infra.template import template_source

# Resources LocalStack's open-source edition cannot create (paid features).
_NOT_ON_LOCALSTACK = ("AWS::ApiGatewayV2::",)


def session_for(target: str) -> Any:
    import boto3

    if target == "localstack":
        from localstack_client.config import get_service_endpoint

        return boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        ), get_service_endpoint("s3")
    return boto3.Session(), None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy")
    parser.add_argument("--stage", required=True, help="e.g. dev or prod")
    parser.add_argument("--target", choices=["aws", "localstack"], default="aws")
    parser.add_argument("--no-image", action="store_true", help="skip the media image")
    parser.add_argument(
        "--search-instance", default="t3.small.search", help="OpenSearch instance type (AWS only)"
    )
    args = parser.parse_args(argv)

    session, endpoint = session_for(args.target)
    clients = _Clients(session, endpoint)
    out = stack.REPOSITORY / ".local" / "deploy" / args.stage
    shutil.rmtree(out, ignore_errors=True)
    template = yaml.safe_load(stack.build(args.stage, out).read_text())
    if args.target == "localstack":
        template = without_paid_features(template)
    _upload_code(clients, args.stage, out / "deployment.zip", template)
    _ensure_jwt_secret(clients, args.stage)
    name = f"glimpse-{args.stage}"
    parameters = {
        "Stage": args.stage,
        "MediaImageUri": "",
        "RecommenderImageUri": "",
        "SearchInstanceType": args.search_instance if args.target == "aws" else "",
    }
    outputs = _deploy(clients, name, template, parameters)
    if args.target == "aws" and not args.no_image and _docker_works():
        for parameter, repository, dockerfile in _IMAGES:
            parameters[parameter] = _push_image(clients, outputs[repository], dockerfile)
        outputs = _deploy(clients, name, template, parameters)
    for key in ("EndpointURL", "WebsocketConnectEndpointURL", "UploadsBucket", "MediaBucket"):
        if key in outputs:
            print(f"{key}: {outputs[key]}")
    return 0


def without_paid_features(template: dict[str, Any]) -> dict[str, Any]:
    resources = template["Resources"]
    for resource in resources.values():
        properties = resource.get("Properties", {})
        properties.get("Environment", {}).get("Variables", {}).pop("WEBSOCKET_ENDPOINT_URL", None)
        policies = properties.get("Policies", []) if resource["Type"] == "AWS::IAM::Role" else []
        for policy in policies:
            document = policy["PolicyDocument"]
            document["Statement"] = [
                statement
                for statement in document["Statement"]
                if "WebsocketAPI" not in yaml.safe_dump(statement)
            ]
    dropped = {
        k
        for k, r in resources.items()
        if r["Type"].startswith(_NOT_ON_LOCALSTACK) or "WebsocketAPI" in yaml.safe_dump(r)
    }
    for logical_id in dropped:
        del resources[logical_id]
    template["Outputs"] = {
        k: v
        for k, v in template["Outputs"].items()
        if not any(d in yaml.safe_dump(v) for d in dropped)
    }
    return template


class _Clients:
    def __init__(self, session: Any, endpoint: str | None) -> None:
        self.session, self.endpoint = session, endpoint

    def __call__(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint)


def _upload_code(clients: _Clients, stage: str, package: Path, template: dict) -> None:
    account = clients("sts").get_caller_identity()["Account"]
    bucket = f"glimpse-{stage}-artifacts-{account}"
    s3 = clients("s3")
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=bucket)
    key = f"api/{hashlib.sha256(package.read_bytes()).hexdigest()[:16]}.zip"
    s3.upload_file(str(package), bucket, key)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = f"s3://{bucket}/{key}"


def _ensure_jwt_secret(clients: _Clients, stage: str) -> None:
    ssm, name = clients("ssm"), f"/glimpse/{stage}/jwt-secret"
    try:
        ssm.get_parameter(Name=name)
    except ssm.exceptions.ParameterNotFound:
        ssm.put_parameter(Name=name, Type="SecureString", Value=secrets.token_urlsafe(48))


def _deploy(clients: _Clients, name: str, template: dict, parameters: dict) -> dict[str, str]:
    cloudformation = clients("cloudformation")
    try:
        cloudformation.describe_stacks(StackName=name)
        kind = "UPDATE"
    except cloudformation.exceptions.ClientError:
        kind = "CREATE"
    change_set = f"deploy-{secrets.token_hex(4)}"
    account = clients("sts").get_caller_identity()["Account"]
    source = template_source(
        clients("s3"),
        f"{name}-artifacts-{account}",
        clients.session.region_name or "us-east-1",
        yaml.safe_dump(template, sort_keys=False),
    )
    cloudformation.create_change_set(
        StackName=name,
        ChangeSetName=change_set,
        ChangeSetType=kind,
        **source,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    waiter = cloudformation.get_waiter("change_set_create_complete")
    try:
        waiter.wait(StackName=name, ChangeSetName=change_set)
    except Exception:
        status = cloudformation.describe_change_set(StackName=name, ChangeSetName=change_set)
        if "didn't contain changes" in status.get("StatusReason", ""):
            return _outputs(cloudformation, name)
        raise
    cloudformation.execute_change_set(StackName=name, ChangeSetName=change_set)
    done = "stack_create_complete" if kind == "CREATE" else "stack_update_complete"
    print(f"deploying {name} ({kind.lower()}) ...", flush=True)
    cloudformation.get_waiter(done).wait(
        StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 180}
    )
    return _outputs(cloudformation, name)


def _outputs(cloudformation: Any, name: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def _docker_works() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


_IMAGES = (
    ("MediaImageUri", "MediaRepositoryUri", "functions/media/Dockerfile"),
    ("RecommenderImageUri", "RecommenderRepositoryUri", "functions/recommender/Dockerfile"),
)


def _push_image(clients: _Clients, repository: str, dockerfile: str) -> str:
    import base64

    tag = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=stack.REPOSITORY,
        ).stdout.strip()
        or "latest"
    )
    image = f"{repository}:{tag}"
    token = clients("ecr").get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)
    subprocess.run(
        ["docker", "login", "--username", user, "--password-stdin", token["proxyEndpoint"]],
        input=password.encode(),
        check=True,
    )
    subprocess.run(
        ["docker", "build", "-f", dockerfile, "-t", image, "."], cwd=stack.REPOSITORY, check=True
    )
    subprocess.run(["docker", "push", image], check=True)
    return image


if __name__ == "__main__":
    sys.exit(main())
