"""The emulator's POST Object checks (local_cloud/s3_post_policy.py) on their own: forms
signed by botocore exactly as the API signs them, and what S3 answers to each variation.
tests/integration/test_upload_policy.py drives the same checks through the local cloud."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.config import Config
from botocore.session import get_session
from urllib3 import encode_multipart_formdata

from local_cloud.s3_post_policy import (
    PostForm,
    Refused,
    check,
    read_form,
    sigv4_signature,
)

BUCKET = "glimpse-unit-uploads"
KEYS = {"local": "local-secret"}
KEY = "uploads/alice/01J"
FILE = b"\xff\xd8\xff" + b"x" * 97


def presigned(signature_version: str = "s3v4", key: str = KEY, **options: Any) -> dict:
    client = get_session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:4566",
        aws_access_key_id="local",
        aws_secret_access_key=KEYS["local"],
        config=Config(signature_version=signature_version),
    )
    options.setdefault("Fields", {"Content-Type": "image/jpeg"})
    options.setdefault(
        "Conditions", [{"Content-Type": "image/jpeg"}, ["content-length-range", 1, 100]]
    )
    return client.generate_presigned_post(Bucket=BUCKET, Key=key, ExpiresIn=900, **options)[
        "fields"
    ]


def form(
    fields: dict[str, str] | list[tuple[str, Any]],
    file: bytes | None = FILE,
    after: list[tuple[str, str]] = (),
) -> PostForm:
    parts = list(fields.items()) if isinstance(fields, dict) else list(fields)
    if file is not None:
        parts.append(("file", ("photo.jpg", file, "image/jpeg")))
    body, content_type = encode_multipart_formdata([*parts, *after])
    return read_form(body, content_type)


def refusal(posted: PostForm, bucket: str = BUCKET, **options: Any) -> tuple[int, str, str]:
    with pytest.raises(Refused) as refused:
        check(posted, bucket, KEYS, **options)
    return refused.value.status, refused.value.code, refused.value.message


SIGNED_AS = {
    "x-amz-algorithm": "AWS4-HMAC-SHA256",
    "x-amz-credential": "local/20260101/us-east-1/s3/aws4_request",
    "x-amz-date": "20260101T000000Z",
}


def sign(policy: dict[str, Any]) -> dict[str, str]:
    """A SigV4 form for ``policy``, signed here (for policies botocore would not write)."""
    encoded = base64.b64encode(json.dumps(policy).encode()).decode()
    signature = sigv4_signature(KEYS["local"], "20260101", "us-east-1", "s3", encoded)
    return {**SIGNED_AS, "policy": encoded, "x-amz-signature": signature}


def in_an_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("version", ["s3v4", "s3"])
def test_what_botocore_signs_passes_with_sigv4_and_sigv2(version: str) -> None:
    check(form(presigned(version)), BUCKET, KEYS)


def test_each_condition_is_checked_and_named_as_s3_names_it() -> None:
    fields = presigned()
    assert refusal(form({**fields, "key": "uploads/bob/01J"}))[2] == (
        'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "uploads/alice/01J"]'
    )
    assert refusal(form(fields), bucket="another-bucket")[:2] == (403, "AccessDenied")
    assert refusal(form({**fields, "Content-Type": "image/png"}))[2].endswith(
        '["eq", "$Content-Type", "image/jpeg"]'
    )


def test_sizes_outside_the_range_are_too_large_or_too_small() -> None:
    fields = presigned()
    assert refusal(form(fields, b"x" * 101))[:2] == (400, "EntityTooLarge")
    assert refusal(form(fields, b""))[:2] == (400, "EntityTooSmall")
    check(form(fields, b"x" * 100), BUCKET, KEYS)


def test_starts_with_conditions_are_case_insensitive_and_see_the_filename() -> None:
    conditions = [
        {"BuCkEt": BUCKET},
        ["StArTs-WiTh", "$KeY", "uploads/alice/"],
        ["starts-with", "$Content-Type", ""],
        *({name: value} for name, value in SIGNED_AS.items()),
    ]
    policy = {"expiration": in_an_hour(), "conditions": conditions}
    fields = {"key": "uploads/alice/${filename}", "Content-Type": "anything", **sign(policy)}
    check(form(fields), BUCKET, KEYS)
    outside = {**fields, "key": "other/${filename}"}
    assert refusal(form(outside))[2].endswith('["starts-with", "$KeY", "uploads/alice/"]')


def test_fields_the_policy_does_not_name_are_extra_unless_ignored() -> None:
    fields = presigned()
    assert refusal(form({**fields, "acl": "public-read", "x-amz-meta-a": "1"}))[2] == (
        "Invalid according to Policy: Extra input fields: acl, x-amz-meta-a"
    )
    check(form({**fields, "x-ignore-anything": "1"}), BUCKET, KEYS)


def test_fields_after_the_file_are_ignored_and_never_reach_moto() -> None:
    posted = form(presigned(), after=[("acl", "public-read"), ("key", "elsewhere")])
    check(posted, BUCKET, KEYS)
    again = read_form(posted.encode(), f"multipart/form-data; boundary={posted.boundary.decode()}")
    assert again.get("acl") is None and again.key == KEY and again.file is not None
    assert again.file.data == FILE


def test_a_repeated_field_counts_once_the_first_time() -> None:
    fields = list(presigned().items())
    posted = form([*fields, ("key", "uploads/bob/01J")])
    check(posted, BUCKET, KEYS)
    assert posted.key == KEY
    assert b"uploads/bob" not in posted.encode()


def test_signatures_and_credentials() -> None:
    fields = presigned()
    unsigned = {k: v for k, v in fields.items() if k != "x-amz-signature"}
    assert refusal(form(unsigned))[:2] == (400, "InvalidArgument")
    assert refusal(form({**fields, "x-amz-signature": "0" * 64}))[:2] == (
        403,
        "SignatureDoesNotMatch",
    )
    stranger = fields["x-amz-credential"].replace("local/", "stranger/")
    assert refusal(form({**fields, "x-amz-credential": stranger}))[:2] == (
        403,
        "InvalidAccessKeyId",
    )
    v2 = presigned("s3")
    assert refusal(form({**v2, "signature": "AAAA"}))[:2] == (403, "SignatureDoesNotMatch")
    anonymous = {"key": KEY, "Content-Type": "image/jpeg"}
    assert refusal(form(anonymous)) == (403, "AccessDenied", "Access Denied")
    policy_only = {k: v for k, v in fields.items() if k not in (*SIGNED_AS, "x-amz-signature")}
    assert refusal(form(policy_only)) == (403, "AccessDenied", "Access Denied")


def test_a_tampered_policy_fails_its_signature_before_anything_else() -> None:
    fields = presigned()
    policy = json.loads(base64.b64decode(fields["policy"]))
    policy["conditions"] = policy["conditions"][:1]
    tampered = base64.b64encode(json.dumps(policy).encode()).decode()
    assert refusal(form({**fields, "policy": tampered}, b"x" * 1000))[:2] == (
        403,
        "SignatureDoesNotMatch",
    )


def test_expiry_and_malformed_policies() -> None:
    fields = presigned()
    later = datetime.now(UTC) + timedelta(minutes=16)
    assert refusal(form(fields), now=later) == (
        403,
        "AccessDenied",
        "Invalid according to Policy: Policy expired.",
    )
    garbage = {**fields, **sign({"x": 1})}
    garbage["policy"] = "bm90IGpzb24="  # "not json", and signed as such
    garbage["x-amz-signature"] = sigv4_signature(
        KEYS["local"], "20260101", "us-east-1", "s3", garbage["policy"]
    )
    assert refusal(form(garbage))[:2] == (400, "InvalidPolicyDocument")
    no_expiration = {**fields, **sign({"conditions": []})}
    assert refusal(form(no_expiration))[2] == "Invalid Policy: Policy missing expiration."
    two_properties = {
        **fields,
        **sign({"expiration": in_an_hour(), "conditions": [{"a": "1", "b": "2"}]}),
    }
    assert refusal(form(two_properties))[:2] == (400, "InvalidPolicyDocument")


def test_the_shape_of_the_form() -> None:
    fields = presigned()
    assert refusal(form(fields, file=None))[:2] == (400, "IncorrectNumberOfFilesInPostRequest")
    no_key = {k: v for k, v in fields.items() if k != "key"}
    assert refusal(form(no_key))[:2] == (400, "InvalidArgument")
    big = {**fields, "x-ignore-padding": "p" * 21_000}
    assert refusal(form(big))[:2] == (400, "MaxPostPreDataLengthExceeded")
    with pytest.raises(Refused) as not_a_form:
        read_form(b"key=x&file=y", "application/x-www-form-urlencoded")
    assert (not_a_form.value.status, not_a_form.value.code) == (412, "PreconditionFailed")
    with pytest.raises(Refused) as malformed:
        read_form(b"--b\r\nno headers here", "multipart/form-data; boundary=b")
    assert malformed.value.code == "MalformedPOSTRequest"


def test_the_error_document_is_s3s_xml() -> None:
    document = Refused(400, "EntityTooLarge", "a <b> & c", ProposedSize=3).xml("REQ")
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>')
    assert b"<Message>a &lt;b&gt; &amp; c</Message><ProposedSize>3</ProposedSize>" in document
    assert b"<RequestId>REQ</RequestId><HostId>" in document


@pytest.mark.parametrize(
    ("host", "path", "query", "bucket"),
    [
        ("127.0.0.1:4566", "/uploads-bucket", "", "uploads-bucket"),
        ("127.0.0.1:4566", "/uploads-bucket/", "", "uploads-bucket"),
        ("uploads-bucket.s3.amazonaws.com", "/", "", "uploads-bucket"),
        ("127.0.0.1:4566", "/uploads-bucket/a/key", "", None),
        ("127.0.0.1:4566", "/uploads-bucket", "delete", None),
        ("127.0.0.1:4566", "/", "", None),
    ],
)
def test_which_requests_are_post_object(
    host: str, path: str, query: str, bucket: str | None
) -> None:
    from local_cloud.s3_post_policy import _bucket_posted_to

    environ = {
        "REQUEST_METHOD": "POST",
        "HTTP_HOST": host,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "4566",
    }
    assert _bucket_posted_to(environ) == bucket
