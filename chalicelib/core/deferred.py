"""Modules a route needs, imported on the route's first call instead of at cold start.

Every Lambda of the app (the REST API, the websocket handlers, each stream and queue
consumer) imports app.py, and so every routes module. If those imported their logic, each
function's cold start would load every context: 40 PynamoDB models and 130 modules, though a
cold container's first request needs one context's share. So a routes module names its logic
the way Python 3.15 will let it say `lazy from chalicelib.feed import activity, home` (PEP
810)::

    if TYPE_CHECKING:  # what type checkers and import-linter read
        from chalicelib.feed import activity, home
    else:
    activity, home = deferred("chalicelib.feed", "activity, home")

and its handlers use ``home.read(...)`` as with a plain import. bench/cold_start measures the
cold import and what a first request adds to it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

_declared: list[DeferredModule] = []


class DeferredModule:
    """Stands for a module until an attribute is read, then imports it and forwards.

    The first read imports under the import system's per-module lock, so threads that race
    to it all get the module once it has finished loading. The class has no public names:
    they would shadow the module's own.
    """

    __slots__ = ("_deferred_name", "_deferred_module")

    def __init__(self, name: str) -> None:
        self._deferred_name = name
        self._deferred_module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:  # only for names the slots do not hold
        return getattr(_resolve(self), attribute)

    def __repr__(self) -> str:
        state = "imported" if self._deferred_module is not None else "not imported yet"
        return f"<deferred module {self._deferred_name!r}, {state}>"


def deferred(package: str, names: str) -> Any:
    """The modules ``names`` ("a, b", as in the import it stands for) of ``package``, each
    imported on first use; one name gives one module, several a tuple in their order."""
    modules = tuple(DeferredModule(f"{package}.{name.strip()}") for name in names.split(","))
    _declared.extend(modules)
    return modules[0] if len(modules) == 1 else modules


def import_all() -> list[str]:
    """Import every deferred module declared so far (what a container that has served every
    route holds); returns their names. For the tests and bench/cold_start."""
    return [_resolve(module).__name__ for module in _declared]


def _resolve(module: DeferredModule) -> ModuleType:
    loaded = module._deferred_module
    if loaded is None:
        loaded = module._deferred_module = importlib.import_module(module._deferred_name)
    return loaded
