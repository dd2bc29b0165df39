"""What every HTTP route shares: authentication, checked input, the error shape, access logs.

One middleware guards every route (deny by default: only PUBLIC_PATHS skip the token check)
and turns any error, including Chalice's own 404/405/415, into
``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.core import inputs, quotas
from chalicelib.core.errors import GlimpseError, PayloadTooLarge, Unauthenticated, ValidationError
from chalicelib.core.observability import logger, metrics, tracer
from chalicelib.core.pagination import parse_limit
from chalicelib.core.principal import Principal
from chalicelib.core.settings import settings

PUBLIC_PATHS = frozenset(
    {
        "/auth/register",
        "/auth/login",
        "/auth/login/2fa",
        "/auth/refresh",
        "/auth/logout",
        "/auth/email/verify",
        "/auth/password/forgot",
        "/auth/password/reset",
        "/health",
    }
)

_BODY = "glimpse_body"

# Chalice's own error codes, in our vocabulary.
_CHALICE_CODES = {
    "BadRequestError": "bad_request",
    "NotFoundError": "not_found",
    "MethodNotAllowedError": "method_not_allowed",
    "UnsupportedMediaType": "unsupported_media_type",
    "RequestTimeoutError": "request_timeout",
    "InternalServerError": "internal_error",
}


class ApiBlueprint(Blueprint):
    """A Blueprint whose views may raise GlimpseError and get the right error response."""

    def route(self, path: str, **kwargs: Any) -> Callable[[Callable], Callable]:
        register = super().route(path, **kwargs)

        def decorator(view: Callable) -> Callable:
            @functools.wraps(view)
            def answered(*args: Any, **view_kwargs: Any) -> Any:
                try:
                    return view(*args, **view_kwargs)
                except GlimpseError as error:
                    return error_response(error)

            register(answered)
            return view

        return decorator


def error_response(error: GlimpseError) -> Response:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    headers = {"Content-Type": "application/json"}
    if "field" in error.details:
        body["field"] = error.details["field"]
    if "retry_after" in error.details:
        headers["Retry-After"] = str(error.details["retry_after"])
    return Response({"error": body}, status_code=error.status, headers=headers)


def caller(request: Request) -> Principal:
    """The authenticated caller the middleware put on the request."""
    return request.context["glimpse_principal"]


def json_body(request: Request) -> dict[str, Any]:
    """The body the middleware parsed and checked (``inputs``): a JSON object, or {}."""
    body = request.context.get(_BODY, {})
    if not isinstance(body, dict):
        raise ValidationError("The request body must be a JSON object", code="invalid_json")
    return body


def page_args(request: Request) -> tuple[int, str | None]:
    params = request.query_params or {}
    return parse_limit(params.get("limit")), params.get("cursor")


Authenticate = Callable[[str], Principal]  # a bearer token → who it proves, or Unauthenticated


def middleware(authenticate: Authenticate) -> Callable[[Request, Callable], Response]:
    """The one middleware of every route. ``authenticate`` checks a bearer token (the
    accounts context supplies it: signature, claims, a live session), so this edge knows
    nothing of accounts."""

    @tracer.capture_method(capture_response=False)
    def http_middleware(request: Request, get_response: Callable[[Request], Response]) -> Response:
        return _handle(request, get_response, authenticate)

    return http_middleware


def _handle(
    request: Request, get_response: Callable[[Request], Response], authenticate: Authenticate
) -> Response:
    started = time.perf_counter()
    logger.set_correlation_id(request.context.get("requestId"))
    route = request.context.get("resourcePath", "unknown")
    try:
        _guard(request, route, authenticate)
        response = get_response(request)
    except GlimpseError as error:
        response = error_response(error)
    except Exception:
        logger.exception("Unhandled error", extra={"route": route})
        response = Response(
            {"error": {"code": "internal_error", "message": "Something went wrong on our side"}},
            status_code=500,
        )
    response = _in_our_error_shape(response)
    elapsed_ms = (time.perf_counter() - started) * 1000
    logger.info(
        "request",
        extra={
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(elapsed_ms, 1),
        },
    )
    metrics.add_metric(name="RequestLatency", unit=MetricUnit.Milliseconds, value=elapsed_ms)
    if response.status_code >= 500:
        metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()
    return response


def _guard(request: Request, route: str, authenticate: Authenticate) -> None:
    body = request.raw_body or b""
    if len(body) > settings().max_body_bytes:
        raise PayloadTooLarge(f"The request body is larger than {settings().max_body_bytes} bytes")
    # All client input is checked here, once, before any handler or the auth check sees it.
    for params in (request.query_params, request.uri_params):
        for name, value in (params or {}).items():
            inputs.check_text(value, name)
    for name, value in (request.uri_params or {}).items():
        if len(value) > inputs.PATH_SEGMENT_MAX:  # DynamoDB refuses keys this long
            raise ValidationError(f"{name} is too long to be one", field=name)
    content_type = (request.headers or {}).get("content-type", "application/json")
    if body.strip() and content_type.split(";")[0].strip().lower() == "application/json":
        request.context[_BODY] = inputs.parse_json(body)  # other types: Chalice's 415
    if route in PUBLIC_PATHS:
        address = (request.context.get("identity") or {}).get("sourceIp") or "unknown"
        quotas.take_request(request.method, route, address, public=True)
        return
    header = (request.headers or {}).get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send an access token: Authorization: Bearer <token>")
    principal = authenticate(token.strip())
    request.context["glimpse_principal"] = principal
    # Counted once the caller is known: nobody can spend another account's allowance.
    quotas.take_request(request.method, route, principal.user_id, public=False)


def _in_our_error_shape(response: Response) -> Response:
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        response.body = {
            "error": {
                "code": _CHALICE_CODES.get(body["Code"], "error"),
                "message": body.get("Message", ""),
            }
        }
        response.headers["Content-Type"] = "application/json"
    return response
