"""docs/openapi.yaml stays in step with the code: the same routes, the same security, and every
error code the code can raise written down (a new code or route fails here until documented)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from app import app
from chalicelib.core import errors
from chalicelib.core.http import _CHALICE_CODES, PUBLIC_PATHS

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# code="user_not_found" in a raise, "code": "internal_error" in a literal body
CODE_LITERAL = re.compile(r"""\bcode"?\s*[=:]\s*"([a-z_]+)\"""")


def documented_operations() -> dict[tuple[str, str], dict]:
    return {
        (method.upper(), path): operation
        for path, item in SPEC["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def served_routes() -> set[tuple[str, str]]:
    return {(method, path) for path, entries in app.routes.items() for method in entries}


def raised_codes() -> set[str]:
    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.GlimpseError)
    ]
    codes = {error_class.code for error_class in classes} | set(_CHALICE_CODES.values())
    chalicelib = ROOT / "chalicelib"
    for source in chalicelib.rglob("*.py"):
        codes |= set(CODE_LITERAL.findall(source.read_text()))
    return codes


def test_the_document_is_a_valid_openapi_spec() -> None:
    validate(SPEC)


def test_the_document_has_exactly_the_routes_the_app_serves() -> None:
    documented, served = set(documented_operations()), served_routes()
    missing, extra = sorted(served - documented), sorted(documented - served)
    assert not missing and not extra, (
        f"docs/openapi.yaml is out of step with the app.\n"
        f"  served but not documented: {missing}\n"
        f"  documented but not served: {extra}"
    )


@pytest.mark.parametrize(("method", "path"), sorted(documented_operations()))
def test_security_matches_the_auth_middleware(method: str, path: str) -> None:
    operation = documented_operations()[(method, path)]
    if path in PUBLIC_PATHS:
        assert operation.get("security") == [], f"{method} {path} is public: security: []"
    else:
        assert operation.get("security", SPEC["security"]) == [{"bearerAuth": []}]
        assert "401" in operation["responses"], f"{method} {path} must declare 401"


def test_every_error_code_the_code_raises_is_documented() -> None:
    schemas = SPEC["components"]["schemas"]
    documented = set(schemas["ErrorCode"]["enum"]) | set(schemas["WebsocketErrorCode"]["enum"])
    undocumented = sorted(raised_codes() - documented)
    assert not undocumented, f"add these error codes to docs/openapi.yaml: {undocumented}"
