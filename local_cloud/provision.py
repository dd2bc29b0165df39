"""Deploys infra/template.yaml into the emulator, exactly as CloudFormation would in AWS.

The stack is created through the emulator's own CloudFormation, so the resources come from
the one template and nowhere else. moto's CloudFormation ignores a few properties and types
(seen with moto 5.2: S3 NotificationConfiguration and LifecycleConfiguration, DynamoDB
TimeToLiveSpecification, AWS::SQS::QueuePolicy, AWS::CloudWatch::Alarm); ``apply_skipped``
then sets those through the services' own APIs, read from the same template. Re-applying them
is harmless where an emulator did honour them.

A type an emulator's CloudFormation cannot create at all is left out of what it deploys
(``MADE_THROUGH_APIS``) and made by ``apply_skipped`` too: LocalStack's community
provider of ``AWS::SES::EmailIdentity`` raises NotImplementedError on create, which failed
the whole stack, and moto's skips the type.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from infra.template import env_name, load_template, template_source

log = logging.getLogger("local_cloud.provision")

# Resource types the emulators' CloudFormation cannot create; apply_skipped makes them.
MADE_THROUGH_APIS = frozenset({"AWS::SES::EmailIdentity"})


@dataclass
class Stack:
    """A deployed stack: what it is called, its resources' physical ids and its outputs."""

    name: str
    template: dict[str, Any]
    parameters: dict[str, str]
    physical_ids: dict[str, str]
    outputs: dict[str, str]
    session: Any  # boto3.Session, bound to the emulator

    def env(self) -> dict[str, str]:
        return {env_name(key): value for key, value in self.outputs.items()}

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Resources of one type by logical id, leaving out those a false Condition skips."""
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
            and ("Condition" not in resource or self.condition(resource["Condition"]))
        }

    def condition(self, name: str) -> bool:
        return bool(self._evaluate(self.template["Conditions"][name]))

    def client(self, service: str) -> Any:
        return self.session.client(service)

    # -- intrinsic functions, as far as this template uses them ------------------------------

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                return self._ref(argument)
            if function == "Fn::GetAtt":
                return self._get_att(*argument)
            if function == "Fn::Sub":
                return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1)), argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _evaluate(self, expression: Any) -> Any:
        """Fn::Equals/Not/And/Or and Condition references, for the template's Conditions."""
        if not isinstance(expression, dict):
            return self.resolve(expression)
        ((function, argument),) = expression.items()
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Equals":
            left, right = (self._evaluate(item) for item in argument)
            return left == right
        if function == "Fn::Not":
            return not self._evaluate(argument[0])
        if function == "Fn::And":
            return all(self._evaluate(item) for item in argument)
        if function == "Fn::Or":
            return any(self._evaluate(item) for item in argument)
        return self.resolve(expression)

    def _ref(self, name: str) -> str:
        pseudo = {"AWS::AccountId": self._account_id(), "AWS::Region": self.session.region_name}
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.template.get("Parameters", {}):
            return self.template["Parameters"][name].get("Default", "")
        return self.physical_ids[name]

    def _sub(self, name: str) -> str:
        if "." in name:
            return self._get_att(*name.split(".", 1))
        return self._ref(name)

    def _get_att(self, logical_id: str, attribute: str) -> str:
        resource_type = self.template["Resources"][logical_id]["Type"]
        physical_id = self.physical_ids[logical_id]
        if resource_type == "AWS::SQS::Queue" and attribute == "QueueName":
            return physical_id.rsplit("/", 1)[-1]
        if resource_type == "AWS::SQS::Queue" and attribute == "Arn":
            attributes = self.client("sqs").get_queue_attributes(
                QueueUrl=physical_id, AttributeNames=["QueueArn"]
            )
            return attributes["Attributes"]["QueueArn"]
        if resource_type == "AWS::DynamoDB::Table" and attribute in ("Arn", "StreamArn"):
            table = self.client("dynamodb").describe_table(TableName=physical_id)["Table"]
            return table["TableArn"] if attribute == "Arn" else table["LatestStreamArn"]
        if resource_type == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{physical_id}"
        raise NotImplementedError(f"Fn::GetAtt {logical_id}.{attribute} ({resource_type})")

    def _account_id(self) -> str:
        return self.client("sts").get_caller_identity()["Account"]


def deploy(session: Any, stage: str, template: dict[str, Any] | None = None) -> Stack:
    """Creates (or finds) the stack ``glimpse-<stage>`` and applies what the emulator skipped."""
    template = template or load_template()
    name = f"glimpse-{stage}"
    cloudformation = session.client("cloudformation")
    parameters = {"Stage": stage}
    existing = {
        s["StackName"]
        for s in cloudformation.list_stacks()["StackSummaries"]
        if s["StackStatus"] != "DELETE_COMPLETE"
    }
    if name not in existing:
        body = json.dumps(_deployable(template), separators=(",", ":"))
        source = template_source(
            session.client("s3"), f"glimpse-{stage}-templates", session.region_name, body
        )
        cloudformation.create_stack(
            StackName=name,
            **source,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_IAM"],
        )
        cloudformation.get_waiter("stack_create_complete").wait(
            StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
    description = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    resources = cloudformation.describe_stack_resources(StackName=name)["StackResources"]
    stack = Stack(
        name=name,
        template=template,
        parameters=parameters,
        # moto lists the resources it did not create (unsupported types) without ids.
        physical_ids={
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in resources
            if "LogicalResourceId" in r and "PhysicalResourceId" in r
        },
        outputs={o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])},
        session=session,
    )
    apply_skipped(stack)
    return stack


def _deployable(template: dict[str, Any]) -> dict[str, Any]:
    """The template without the resources apply_skipped makes (nothing refers to them)."""
    resources = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] not in MADE_THROUGH_APIS
    }
    return {**template, "Resources": resources}


def apply_skipped(stack: Stack) -> None:
    s3, dynamodb, sqs = stack.client("s3"), stack.client("dynamodb"), stack.client("sqs")
    for logical_id, resource in stack.resources("AWS::S3::Bucket").items():
        bucket = stack.physical_ids[logical_id]
        properties = stack.resolve(resource.get("Properties", {}))
        if "NotificationConfiguration" in properties:
            s3.put_bucket_notification_configuration(
                Bucket=bucket,
                NotificationConfiguration=_notifications(properties["NotificationConfiguration"]),
            )
        if "LifecycleConfiguration" in properties:
            s3.put_bucket_lifecycle_configuration(
                Bucket=bucket,
                LifecycleConfiguration=_lifecycle(properties["LifecycleConfiguration"]),
            )
    for logical_id, resource in stack.resources("AWS::DynamoDB::Table").items():
        ttl = resource.get("Properties", {}).get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            current = dynamodb.describe_time_to_live(TableName=stack.physical_ids[logical_id])
            if current["TimeToLiveDescription"]["TimeToLiveStatus"] != "ENABLED":
                dynamodb.update_time_to_live(
                    TableName=stack.physical_ids[logical_id],
                    TimeToLiveSpecification={
                        "Enabled": True,
                        "AttributeName": ttl["AttributeName"],
                    },
                )
    cloudwatch = stack.client("cloudwatch")
    for resource in stack.resources("AWS::CloudWatch::Alarm").values():
        cloudwatch.put_metric_alarm(**stack.resolve(resource["Properties"]))
    ses = stack.client("ses")
    for resource in stack.resources("AWS::SES::EmailIdentity").values():
        # AWS sends a confirmation mail to the address; the emulator takes it as confirmed.
        ses.verify_email_identity(
            EmailAddress=stack.resolve(resource["Properties"])["EmailIdentity"]
        )
    for resource in stack.resources("AWS::SQS::QueuePolicy").values():
        properties = stack.resolve(resource["Properties"])
        for queue_url in properties["Queues"]:
            sqs.set_queue_attributes(
                QueueUrl=queue_url,
                Attributes={"Policy": json.dumps(properties["PolicyDocument"])},
            )
    _push_applications(stack)


def _push_applications(stack: Stack) -> None:
    """With PushNotifications off (always, locally) the stack declares no platform
    applications: the emulator's SNS gets one per platform, with stand-in credentials, so
    devices register and pushes publish as in AWS (``python -m local_cloud pushes`` shows
    them). Found again by name on a second launch."""
    sns = stack.client("sns")
    found = {
        app["PlatformApplicationArn"].rsplit("/", 1)[-1]: app["PlatformApplicationArn"]
        for app in sns.list_platform_applications().get("PlatformApplications", [])
    }
    for output, platform, suffix in (
        ("ApnsPlatformApplicationArn", "APNS", "apns"),
        ("FcmPlatformApplicationArn", "GCM", "fcm"),
    ):
        if stack.outputs.get(output):
            continue  # declared by the stack (PushNotifications=on)
        name = f"{stack.name}-{suffix}"
        stack.outputs[output] = (
            found.get(name)
            or sns.create_platform_application(
                Name=name,
                Platform=platform,
                Attributes={"PlatformCredential": "local", "PlatformPrincipal": "local"},
            )["PlatformApplicationArn"]
        )


def _notifications(config: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's NotificationConfiguration → the S3 API's (queue targets)."""
    queues = []
    for entry in config.get("QueueConfigurations", []):
        target: dict[str, Any] = {"QueueArn": entry["Queue"], "Events": [entry["Event"]]}
        rules = entry.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        if rules:
            target["Filter"] = {
                "Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}
            }
        queues.append(target)
    return {"QueueConfigurations": queues}


def _lifecycle(config: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's LifecycleConfiguration → the S3 API's (expiration rules)."""
    rules = []
    for rule in config["Rules"]:
        api_rule: dict[str, Any] = {
            "ID": rule["Id"],
            "Status": rule["Status"],
            "Filter": {"Prefix": rule.get("Prefix", "")},
        }
        if "ExpirationInDays" in rule:
            api_rule["Expiration"] = {"Days": rule["ExpirationInDays"]}
        rules.append(api_rule)
    return {"Rules": rules}
