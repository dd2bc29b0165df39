"""A template past CloudFormation's 51,200-byte body limit goes by S3 (TemplateURL), in the
local cloud and in a real deploy alike; LocalStack refuses the body, as AWS does."""

from __future__ import annotations

import json

import boto3

from infra.template import BODY_LIMIT, load_template, template_source


def test_a_small_body_is_sent_as_is_and_a_large_one_through_s3(aws: None) -> None:
    s3 = boto3.client("s3")
    assert template_source(s3, "glimpse-unit-templates", "us-east-1", "{}") == {
        "TemplateBody": "{}"
    }
    body = json.dumps(load_template())
    assert len(body) > BODY_LIMIT  # ours is past it: the reason for all this
    source = template_source(s3, "glimpse-unit-templates", "us-east-1", body)
    bucket, key = source["TemplateURL"].split("amazonaws.com/", 1)[1].split("/", 1)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode() == body
    created = boto3.client("cloudformation").validate_template(TemplateURL=source["TemplateURL"])
    assert "Parameters" in created
