"""The local S3 enforces presigned POST policies as S3 does (local_cloud/s3_post_policy.py):
the upload slot ``POST /uploads`` hands out stores exactly the photo it was made for, and
every hostile variant of it is refused with S3's status and error code and leaves nothing in
the bucket (so nothing reaches the media queue either)."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ElementTree
from typing import Any

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import EMULATOR, RunningCloud
from tests.integration.conftest import Account, Api, eventually

pytestmark = pytest.mark.integration


def new_slot(api: Api, account: Account, size: int, content_type: str = "image/jpeg") -> dict:
    response = api.call(
        "POST", "/uploads", {"content_type": content_type, "size": size}, token=account.access_token
    )
    assert response.status_code == 201, response.text
    return response.json()


def post(
    slot: dict, fields: dict[str, str], data: bytes, content_type: str = "image/jpeg"
) -> requests.Response:
    return requests.post(
        slot["url"], data=fields, timeout=30, files={"file": ("photo.jpg", data, content_type)}
    )


# LocalStack's community S3 accepts these uploads (no signature check on POST forms, no
# "Extra input fields" rule): AWS refuses them, the moto lane proves we do; README says so.
LOCALSTACK_S3_GAP = pytest.mark.skipif(
    EMULATOR == "localstack",
    reason="LocalStack's community S3 does not check POST form signatures or extra fields",
)


def s3_error(response: requests.Response) -> tuple[int, str, str]:
    error = ElementTree.fromstring(response.content)
    return response.status_code, error.findtext("Code") or "", error.findtext("Message") or ""


def stored(cloud: RunningCloud, key: str) -> bool:
    try:
        cloud.client("s3").head_object(Bucket=cloud.env["UPLOADS_BUCKET"], Key=key)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "404"
        return False
    return True


def key_of(slot: dict) -> str:
    return slot["fields"]["key"]


@pytest.fixture(scope="module")
def owner(api: Api) -> Account:
    return api.register()


def test_the_slots_own_upload_is_stored_and_the_post_turns_ready(
    api: Api, local_cloud: RunningCloud, owner: Account, photo: bytes
) -> None:
    slot = new_slot(api, owner, len(photo))
    assert slot["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    sent = post(slot, slot["fields"], photo)
    assert sent.status_code == 204, sent.text
    assert stored(local_cloud, key_of(slot))
    created = api.call(
        "POST",
        "/posts",
        {"upload_ids": [slot["upload_id"]], "caption": "ok"},
        token=owner.access_token,
    )
    assert created.status_code == 201, created.text
    post_id = created.json()["post_id"]
    eventually(
        lambda: (
            api.call("GET", f"/posts/{post_id}", token=owner.access_token).json().get("status")
            == "ready"
        ),
        "the post to turn ready",
        timeout=90,
    )


def test_one_users_policy_does_not_upload_under_another_users_key(
    api: Api, local_cloud: RunningCloud, owner: Account, photo: bytes
) -> None:
    mine, theirs = new_slot(api, owner, len(photo)), new_slot(api, api.register(), len(photo))
    sent = post(mine, {**mine["fields"], "key": key_of(theirs)}, photo)
    status, code, message = s3_error(sent)
    # AWS words it ["eq", "$key", "<key>"], LocalStack {"key": "<key>"}: both name the key.
    assert (status, code) == (403, "AccessDenied")
    assert message.startswith("Invalid according to Policy: Policy Condition failed:")
    assert key_of(mine) in message
    assert not stored(local_cloud, key_of(theirs))
    assert not stored(local_cloud, key_of(mine))


def test_a_key_outside_uploads_is_refused(
    api: Api, local_cloud: RunningCloud, owner: Account, photo: bytes
) -> None:
    slot = new_slot(api, owner, len(photo))
    elsewhere = f"media/{owner.user_id}/{slot['upload_id']}/1080.jpg"
    status, code, message = s3_error(post(slot, {**slot["fields"], "key": elsewhere}, photo))
    assert (status, code) == (403, "AccessDenied")
    assert message.startswith("Invalid according to Policy: Policy Condition failed:")
    assert not stored(local_cloud, elsewhere)


def test_a_file_three_times_the_declared_size_is_too_large(
    api: Api, local_cloud: RunningCloud, owner: Account, photo: bytes
) -> None:
    slot = new_slot(api, owner, len(photo))
    sent = post(slot, slot["fields"], photo * 3)
    assert s3_error(sent)[:2] == (400, "EntityTooLarge")
    error = ElementTree.fromstring(sent.content)
    assert error.findtext("ProposedSize") == str(3 * len(photo))
    assert error.findtext("MaxSizeAllowed") == str(len(photo))
    assert not stored(local_cloud, key_of(slot))


def test_an_empty_file_is_too_small(
    api: Api, local_cloud: RunningCloud, owner: Account, photo: bytes
) -> None:
    slot = new_slot(api, owner, len(photo))
    assert s3_error(post(slot, slot["fields"], b""))[:2] == (400, "EntityTooSmall")
    assert not stored(local_cloud, key_of(slot))


def test_another_content_type_is_refused(
    api: Api, local_cloud: RunningCloud, owner: Account
) -> None:
    page = b"<script>alert(1)</script>"
    slot = new_slot(api, owner, len(page))
    sent = post(slot, {**slot["fields"], "Content-Type": "text/html"}, page, "text/html")
    status, code, message = s3_error(sent)
    assert (status, code) == (403, "AccessDenied")
    assert message.startswith("Invalid according to Policy: Policy Condition failed:")
    assert "Content-Type" in message and "image/jpeg" in message
    assert not stored(local_cloud, key_of(slot))


def test_a_form_without_its_signature_is_refused(
    api: Api, local_cloud: RunningCloud, owner: Account, photo: bytes
) -> None:
    slot = new_slot(api, owner, len(photo))
    unsigned = {k: v for k, v in slot["fields"].items() if k != "x-amz-signature"}
    status, code, message = s3_error(post(slot, unsigned, photo))
    assert (status, code) == (400, "InvalidArgument")
    assert message.startswith("Bucket POST must contain a field named 'X-Amz-Signature'.")
    assert not stored(local_cloud, key_of(slot))


@LOCALSTACK_S3_GAP
def test_an_anonymous_post_to_the_private_bucket_is_denied(
    api: Api, local_cloud: RunningCloud, owner: Account, photo: bytes
) -> None:
    slot = new_slot(api, owner, len(photo))
    anonymous = {"key": key_of(slot), "Content-Type": "image/jpeg"}
    assert s3_error(post(slot, anonymous, photo)) == (403, "AccessDenied", "Access Denied")
    assert not stored(local_cloud, key_of(slot))


@LOCALSTACK_S3_GAP
def test_a_tampered_policy_does_not_match_its_signature(
    api: Api, local_cloud: RunningCloud, owner: Account, photo: bytes
) -> None:
    slot = new_slot(api, owner, len(photo))
    policy = json.loads(base64.b64decode(slot["fields"]["policy"]))
    policy["conditions"] = [
        c
        for c in policy["conditions"]
        if not (isinstance(c, list) and c[0] == "content-length-range")
    ]
    tampered = base64.b64encode(json.dumps(policy).encode()).decode()
    sent = post(slot, {**slot["fields"], "policy": tampered}, photo * 3)
    assert s3_error(sent)[:2] == (403, "SignatureDoesNotMatch")
    assert not stored(local_cloud, key_of(slot))


def test_an_expired_policy_is_refused(
    api: Api, local_cloud: RunningCloud, owner: Account, photo: bytes
) -> None:
    # Signed with the local cloud's own credentials, exactly as the API signs, but the
    # expiration a minute ago: only the clock is wrong.
    slot = new_slot(api, owner, len(photo))
    s3 = local_cloud.boto3_session().client(
        "s3", endpoint_url=local_cloud.endpoint_url, config=Config(signature_version="s3v4")
    )
    expired = s3.generate_presigned_post(
        Bucket=local_cloud.env["UPLOADS_BUCKET"],
        Key=key_of(slot),
        Fields={"Content-Type": "image/jpeg"},
        Conditions=[{"Content-Type": "image/jpeg"}, ["content-length-range", 1, len(photo)]],
        ExpiresIn=-60,
    )
    sent = post(slot, expired["fields"], photo)
    assert s3_error(sent) == (403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    assert not stored(local_cloud, key_of(slot))


@LOCALSTACK_S3_GAP
def test_a_field_the_policy_does_not_name_is_refused(
    api: Api, local_cloud: RunningCloud, owner: Account, photo: bytes
) -> None:
    slot = new_slot(api, owner, len(photo))
    widened: dict[str, Any] = {**slot["fields"], "acl": "public-read", "x-ignore-note": "ok"}
    sent = post(slot, widened, photo)
    assert s3_error(sent) == (
        403,
        "AccessDenied",
        "Invalid according to Policy: Extra input fields: acl",
    )
    assert not stored(local_cloud, key_of(slot))
