"""The unit tier: pure logic, no IO. The network is switched off for every test here
(pytest-socket), so a test that reaches AWS, the local cloud or anything else fails at once
instead of quietly depending on it; such tests belong in tests/functional."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    disable_socket(allow_unix_socket=False)
    yield
    enable_socket()
