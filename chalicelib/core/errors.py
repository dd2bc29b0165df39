"""Domain errors. Each carries the HTTP status and the stable snake_case code the app sees.

Business logic raises these; the HTTP edge turns them into
``{"error": {"code": ..., "message": ...}}`` and the websocket edge into an error event.
"""

from __future__ import annotations


class GlimpseError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class ValidationError(GlimpseError):
    status = 400
    code = "validation_error"


class Unauthenticated(GlimpseError):
    status = 401
    code = "unauthenticated"


class Forbidden(GlimpseError):
    status = 403
    code = "forbidden"


class NotFound(GlimpseError):
    status = 404
    code = "not_found"


class Conflict(GlimpseError):
    status = 409
    code = "conflict"


class PayloadTooLarge(GlimpseError):
    status = 413
    code = "payload_too_large"


class Throttled(GlimpseError):
    status = 429
    code = "too_many_requests"
