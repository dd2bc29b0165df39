"""S3's checks of a browser-based upload (POST Object), which moto's server does not make.

moto stores whatever is POSTed to a bucket: another user's key, a file three times the size
the policy allows, no signature at all. S3 refuses all of that, and the app's uploads rely
on it (``chalicelib/uploads.py`` hands out a presigned POST whose policy fixes the key, the
content type and the size). ``install()`` puts these checks in front of moto's S3, in the
emulator process, before moto reads the request; what is refused is never stored, so no
``ObjectCreated`` notification reaches the media queue either.

What S3 checks, in the order a request meets them here, and how it answers. The rules are
the S3 API reference's ("POST Object", "POST Policy", "Browser-Based Uploads Using POST");
codes and messages are S3's where its error list or LocalStack's AWS-validated POST policy
code gives them, close paraphrases where neither does (a malformed condition, an unknown
algorithm). The size is checked last because S3 only knows it once the file, the last
part, has streamed in:

- a POST to a bucket must be ``multipart/form-data`` (412 PreconditionFailed), well formed
  (400 MalformedPOSTRequest), with the file last (fields after it are ignored, so they are
  dropped before moto sees the form), the fields before it under 20 KB
  (400 MaxPostPreDataLengthExceeded), exactly one file (400
  IncorrectNumberOfFilesInPostRequest) and a ``key`` (400 InvalidArgument);
- without a policy the request is anonymous: 403 AccessDenied (Glimpse's buckets are
  private; a publicly writable bucket is not modelled);
- SigV4 (``x-amz-algorithm``, ``-credential``, ``-date``, ``-signature``: all or 400
  InvalidArgument) or the legacy SigV2 (``AWSAccessKeyId``, ``signature``); the access key
  must be one the emulator knows (403 InvalidAccessKeyId) and the signature the HMAC of the
  base64 policy with its secret (403 SignatureDoesNotMatch, which is also what a tampered
  policy gets);
- the policy must be base64 JSON with an expiration and conditions (400
  InvalidPolicyDocument), not expired (403 AccessDenied "Policy expired."), every condition
  must hold (403 AccessDenied "Policy Condition failed: [...]"), every field but ``file``,
  ``policy``, the signature and ``x-ignore-*`` must be named by a condition (403
  AccessDenied "Extra input fields: ..."), and the file's size must be within
  ``content-length-range`` (400 EntityTooSmall / EntityTooLarge).

Not checked: bucket ACLs and policies (a private bucket is assumed), the credential's
region and date against the bucket and ``x-amz-date``, session tokens, Content-MD5 and
checksums, the 5 GB object limit. A repeated field counts once, the first time (S3's
answer to repeats is not documented). A POST to a bucket that does not exist is checked
like any other; moto answers NoSuchBucket once it passes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from moto.s3.responses import S3Response
from moto.s3.utils import bucket_name_from_url
from werkzeug.datastructures import Headers
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData
from werkzeug.wrappers import Request
from werkzeug.wsgi import get_input_stream

log = logging.getLogger(__name__)

# S3 reads at most this much of the form before the file.
MAX_PRE_DATA_BYTES = 20 * 1024
V4_FIELDS = ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")
V2_FIELDS = ("awsaccesskeyid", "signature")
V4_ALGORITHM = "AWS4-HMAC-SHA256"
# How S3 names a missing signature field in its InvalidArgument answer.
_ARGUMENT_NAMES = {
    "awsaccesskeyid": "AWSAccessKeyId",
    "signature": "Signature",
    **{name: name.title() for name in V4_FIELDS},
}
_EXPIRATION_FORMATS = ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ")


class Refused(Exception):
    """An answer S3 gives instead of storing the upload, as S3's XML error document."""

    def __init__(self, status: int, code: str, message: str, **details: object) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def xml(self, request_id: str) -> bytes:
        elements = [
            ("Code", self.code),
            ("Message", self.message),
            *self.details.items(),
            ("RequestId", request_id),
            ("HostId", _host_id()),
        ]
        inner = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in elements)
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>{inner}</Error>'.encode()

    def respond(self, start_response: Callable[..., Any]) -> list[bytes]:
        request_id = secrets.token_hex(8).upper()
        body = self.xml(request_id)
        status = f"{self.status} {HTTPStatus(self.status).phrase}"
        start_response(
            status,
            [
                ("Content-Type", "application/xml"),
                ("Content-Length", str(len(body))),
                ("x-amz-request-id", request_id),
            ],
        )
        return [body]


def _host_id() -> str:
    return base64.b64encode(secrets.token_bytes(48)).decode()


def _access_denied(message: str = "Access Denied") -> Refused:
    return Refused(403, "AccessDenied", message)


def _policy_failed(why: str) -> Refused:
    return _access_denied(f"Invalid according to Policy: {why}")


def _invalid_policy(why: str) -> Refused:
    return Refused(400, "InvalidPolicyDocument", f"Invalid Policy: {why}")


def _invalid_argument(message: str, name: str, value: str = "") -> Refused:
    return Refused(400, "InvalidArgument", message, ArgumentName=name, ArgumentValue=value)


@dataclass
class Part:
    """One part of the multipart body, its headers kept as sent so moto reads the same."""

    name: str
    headers: Headers
    data: bytes
    filename: str | None = None

    @property
    def value(self) -> str:
        return self.data.decode("utf-8", "replace")


@dataclass
class PostForm:
    """The form as S3 reads it: the fields before the file (the first of each name, names
    compared without case) and the file; whatever follows the file is ignored."""

    boundary: bytes
    fields: list[Part] = field(default_factory=list)
    file: Part | None = None
    pre_data_bytes: int = 0

    def get(self, name: str) -> str | None:
        for part in self.fields:
            if part.name.lower() == name:
                return part.value
        return None

    @property
    def key(self) -> str | None:
        """The object's key, with ``${filename}`` replaced as S3 does before any check."""
        key = self.get("key")
        if key is None or self.file is None:
            return key
        return key.replace("${filename}", (self.file.filename or "").rsplit("/", 1)[-1])

    def encode(self) -> bytes:
        """The body moto gets: exactly the parts that were checked."""
        out = io.BytesIO()
        for part in [*self.fields, *([self.file] if self.file else [])]:
            out.write(b"--" + self.boundary + b"\r\n")
            for name, value in part.headers.items():
                out.write(f"{name}: {value}\r\n".encode())
            out.write(b"\r\n" + part.data + b"\r\n")
        out.write(b"--" + self.boundary + b"--\r\n")
        return out.getvalue()


def read_form(body: bytes, content_type: str) -> PostForm:
    """Parses a POST Object body; raises Refused as S3 does for a body it cannot read."""
    kind, options = parse_options_header(content_type)
    if kind.lower() != "multipart/form-data":
        raise Refused(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            Condition="Bucket POST must be of the enclosure-type multipart/form-data",
        )
    malformed = Refused(
        400,
        "MalformedPOSTRequest",
        "The body of your POST request is not well-formed multipart/form-data.",
    )
    boundary = options.get("boundary", "").encode()
    if not boundary:
        raise malformed
    decoder = MultipartDecoder(boundary)
    decoder.receive_data(body)
    decoder.receive_data(None)
    form = PostForm(boundary)
    seen: set[str] = set()
    current: Part | None = None
    chunks: list[bytes] = []
    try:
        while not isinstance(event := decoder.next_event(), Epilogue | NeedData):
            if isinstance(event, Field | File):
                filename = event.filename if isinstance(event, File) else None
                current, chunks = Part(event.name or "", event.headers, b"", filename), []
            elif isinstance(event, Data) and current is not None:
                chunks.append(event.data)
                if event.more_data:
                    continue
                current.data = b"".join(chunks)
                if current.name.lower() == "file":
                    form.file = current
                    break  # S3 ignores every field after the file
                form.pre_data_bytes += len(current.data) + len(current.name)
                if current.name.lower() not in seen:
                    seen.add(current.name.lower())
                    form.fields.append(current)
    except ValueError:
        raise malformed from None
    return form


def check(
    form: PostForm, bucket: str, access_keys: Mapping[str, str], now: datetime | None = None
) -> None:
    """Raises Refused with S3's answer unless S3 would store this upload in ``bucket``.

    ``access_keys`` maps the access key ids the emulator knows to their secrets."""
    if form.pre_data_bytes > MAX_PRE_DATA_BYTES:
        raise Refused(
            400,
            "MaxPostPreDataLengthExceeded",
            "Your POST request fields preceding the upload file were too large.",
        )
    if form.file is None:
        raise Refused(
            400,
            "IncorrectNumberOfFilesInPostRequest",
            "POST requires exactly one file upload per request.",
        )
    if not form.get("key"):
        raise _invalid_argument(
            "Bucket POST must contain a field named 'key'.  If it is "
            "specified, please check the order of the fields.",
            "key",
        )
    encoded_policy = form.get("policy")
    if not encoded_policy:
        raise _access_denied()  # anonymous, and the bucket is not publicly writable
    signature_fields = _verify_signature(form, encoded_policy, access_keys)
    policy = _decode(encoded_policy)
    _check_expiration(policy, now or datetime.now(UTC))
    conditions, ranges = _parse_conditions(policy)
    for condition in conditions:
        condition.check(form, bucket)
    named = {condition.name for condition in conditions}
    exempt = {"file", "policy", *signature_fields}
    extra = [
        part.name
        for part in form.fields
        if part.name.lower() not in named | exempt and not part.name.lower().startswith("x-ignore-")
    ]
    if extra:
        raise _policy_failed(f"Extra input fields: {', '.join(extra)}")
    size = len(form.file.data)
    for low, high in ranges:
        if size < low:
            raise Refused(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                ProposedSize=size,
                MinSizeAllowed=low,
            )
        if size > high:
            raise Refused(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                ProposedSize=size,
                MaxSizeAllowed=high,
            )


def _verify_signature(form: PostForm, policy: str, access_keys: Mapping[str, str]) -> set[str]:
    """Checks the signature of ``policy``; returns the signature's fields that need no
    condition (SigV4: the signature; SigV2: the signature and the access key id)."""
    present = {part.name.lower() for part in form.fields}
    if present & set(V4_FIELDS):
        _require(form, V4_FIELDS)
        algorithm = form.get("x-amz-algorithm") or ""
        if algorithm != V4_ALGORITHM:
            raise _invalid_argument(
                f'X-Amz-Algorithm only supports "{V4_ALGORITHM}"', "X-Amz-Algorithm", algorithm
            )
        credential = form.get("x-amz-credential") or ""
        scope = credential.split("/")
        if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
            raise _invalid_argument(
                "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
                'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
                "X-Amz-Credential",
                credential,
            )
        access_key, date, region, service, _ = scope
        if service != "s3":
            raise _invalid_argument(
                f'Error parsing the X-Amz-Credential parameter; incorrect service "{service}". '
                'This endpoint belongs to "s3".',
                "X-Amz-Credential",
                credential,
            )
        secret = _secret(access_keys, access_key)
        expected = sigv4_signature(secret, date, region, service, policy)
        provided = form.get("x-amz-signature") or ""
        exempt = {"x-amz-signature"}
    elif present & set(V2_FIELDS):
        _require(form, V2_FIELDS)
        access_key = form.get("awsaccesskeyid") or ""
        secret = _secret(access_keys, access_key)
        expected = sigv2_signature(secret, policy)
        provided = form.get("signature") or ""
        exempt = set(V2_FIELDS)
    else:
        raise _access_denied()
    if not hmac.compare_digest(expected.encode(), provided.encode()):
        raise Refused(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you "
            "provided. Check your key and signing method.",
            AWSAccessKeyId=access_key,
            StringToSign=policy,
            SignatureProvided=provided,
        )
    return exempt


def _require(form: PostForm, names: Iterable[str]) -> None:
    for name in names:
        if form.get(name) is None:
            argument = _ARGUMENT_NAMES[name]
            raise _invalid_argument(
                f"Bucket POST must contain a field named '{argument}'.  "
                "If it is specified, please check the order of the fields.",
                argument,
            )


def _secret(access_keys: Mapping[str, str], access_key: str) -> str:
    if access_key not in access_keys:
        raise Refused(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            AWSAccessKeyId=access_key,
        )
    return access_keys[access_key]


def sigv4_signature(secret: str, date: str, region: str, service: str, policy: str) -> str:
    """SigV4 for a POST: the hex HMAC of the base64 policy with the scope's signing key."""
    key = ("AWS4" + secret).encode()
    for step in (date, region, service, "aws4_request"):
        key = hmac.new(key, step.encode(), hashlib.sha256).digest()
    return hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()


def sigv2_signature(secret: str, policy: str) -> str:
    """SigV2 for a POST: the base64 HMAC-SHA1 of the base64 policy with the secret."""
    digest = hmac.new(secret.encode(), policy.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _decode(encoded: str) -> dict[str, Any]:
    try:
        policy = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError, RecursionError):
        raise _invalid_policy("Invalid JSON.") from None
    if not isinstance(policy, dict):
        raise _invalid_policy("Invalid JSON.")
    return policy


def _check_expiration(policy: dict[str, Any], now: datetime) -> None:
    expiration = policy.get("expiration")
    if expiration is None:
        raise _invalid_policy("Policy missing expiration.")
    for pattern in _EXPIRATION_FORMATS:
        try:
            expires = datetime.strptime(str(expiration), pattern).replace(tzinfo=UTC)
            break
        except ValueError:
            continue
    else:
        raise _invalid_policy(f"Invalid 'expiration' value: '{expiration}'")
    if now > expires:
        raise _policy_failed("Policy expired.")


@dataclass(frozen=True)
class Condition:
    """``eq`` or ``starts-with`` on one form field (``bucket``: the request's bucket)."""

    operation: str  # "eq" or "starts-with"
    name: str  # lower case, without the "$"
    spelling: str  # as the policy wrote it, for the error message
    value: str

    def check(self, form: PostForm, bucket: str) -> None:
        if self.name == "bucket":
            actual = bucket
        elif self.name == "key":
            actual = form.key or ""
        else:
            actual = form.get(self.name) or ""
        holds = actual == self.value if self.operation == "eq" else actual.startswith(self.value)
        if not holds:
            stated = json.dumps([self.operation, f"${self.spelling}", self.value])
            raise _policy_failed(f"Policy Condition failed: {stated}")


def _parse_conditions(policy: dict[str, Any]) -> tuple[list[Condition], list[tuple[int, int]]]:
    raw = policy.get("conditions")
    if not isinstance(raw, list):
        raise _invalid_policy("Policy missing conditions.")
    conditions: list[Condition] = []
    ranges: list[tuple[int, int]] = []
    for condition in raw:
        if isinstance(condition, dict):
            if len(condition) != 1:
                raise _invalid_policy(
                    "Invalid Simple-Condition: Simple-Conditions must have "
                    "exactly one property specified."
                )
            ((name, value),) = condition.items()
            conditions.append(Condition("eq", name.lower(), name, _text(value, condition)))
            continue
        if not isinstance(condition, list) or not condition or not isinstance(condition[0], str):
            raise _invalid_policy(f"Invalid Condition: {json.dumps(condition)}")
        operation = condition[0].lower()
        if operation == "content-length-range":
            ranges.append(_range(condition))
        elif operation in ("eq", "starts-with"):
            if (
                len(condition) != 3
                or not isinstance(condition[1], str)
                or not condition[1].startswith("$")
            ):
                raise _invalid_policy(f"Invalid Condition: {json.dumps(condition)}")
            name = condition[1][1:]
            value = _text(condition[2], condition)
            conditions.append(Condition(operation, name.lower(), name, value))
        else:
            raise _invalid_policy(f"Invalid Condition: unknown operation '{condition[0]}'")
    return conditions, ranges


def _text(value: object, condition: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _invalid_policy(f"Invalid Condition: {json.dumps(condition)}")


def _range(condition: list[Any]) -> tuple[int, int]:
    try:
        _, low, high = condition
        return int(low), int(high)
    except (TypeError, ValueError):
        raise _invalid_policy(
            f"Invalid content-length-range condition: {json.dumps(condition)}"
        ) from None


# -- in front of moto's server ------------------------------------------------------------------


def screen(environ: dict[str, Any], bucket: str, access_keys: Mapping[str, str]) -> None:
    """Checks the POST Object in ``environ`` and, if S3 would store it, leaves in its place
    a body of exactly the checked parts for moto to read. Raises Refused otherwise."""
    # The whole body, read before answering either way: the connection is kept alive, and
    # an unread body would be taken for the next request.
    body = get_input_stream(environ).read()
    form = read_form(body, environ.get("CONTENT_TYPE", ""))
    check(form, bucket, access_keys)
    checked = form.encode()
    environ["wsgi.input"] = io.BytesIO(checked)
    environ["CONTENT_LENGTH"] = str(len(checked))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ.pop("wsgi.input_terminated", None)


def _bucket_posted_to(environ: dict[str, Any]) -> str | None:
    """The bucket of a POST Object request (a POST to a bucket, not to a key, and not the
    ``?delete`` of DeleteObjects), None for any other request."""
    # Most POSTs the emulator gets are DynamoDB's and SQS's, which name their operation in
    # X-Amz-Target: they are let through before anything costs more than a lookup.
    if environ.get("REQUEST_METHOD") != "POST" or "HTTP_X_AMZ_TARGET" in environ:
        return None
    if "delete" in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True):
        return None
    request = Request(environ)
    path = request.path.strip("/")
    if S3Response.subdomain_based_buckets(request):
        return bucket_name_from_url(request.url) if not path else None
    return path if path and "/" not in path else None


def install(access_keys: Mapping[str, str]) -> None:
    """Puts the checks in front of moto's S3 in this process (moto's server)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    dispatch = DomainDispatcherApplication.__call__
    known = dict(access_keys)
    if not known:
        log.warning("no access keys given: every signed POST upload will be refused")

    def __call__(
        self: DomainDispatcherApplication,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
    ) -> Iterable[bytes]:
        bucket = _bucket_posted_to(environ)
        if bucket is not None and self.get_application(environ) is self.app_instances.get("s3"):
            try:
                screen(environ, bucket, known)
            except Refused as refused:
                log.info("POST to %s refused: %s", bucket, refused)
                return refused.respond(start_response)
        return dispatch(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__
