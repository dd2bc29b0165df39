"""Deferred modules (chalicelib/core/deferred.py): a route's logic is imported on its first
call, the app's cold start loads none of it, and what type checkers and import-linter read
under TYPE_CHECKING is what runs."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from chalicelib.core.deferred import DeferredModule, deferred

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A throwaway package whose module counts how often its body runs (slowly, so threads
    that race to the first read overlap)."""
    name = f"deferred_probe_{tmp_path.name}".replace("-", "_")
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("runs = []\n")
    (tmp_path / name / "logic.py").write_text(
        f"import time\nimport {name}\n{name}.runs.append(1)\ntime.sleep(0.05)\n"
        "def answer():\n    return 42\n"
    )
    (tmp_path / name / "other.py").write_text("VALUE = 'other'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in [m for m in sys.modules if m.startswith(name)]:
        del sys.modules[module]


def test_the_module_is_imported_on_the_first_read_not_before(package: str) -> None:
    logic = deferred(package, "logic")
    assert f"{package}.logic" not in sys.modules
    assert "not imported yet" in repr(logic)

    assert logic.answer() == 42
    assert logic.answer() == 42
    assert sys.modules[package].runs == [1]
    assert "imported" in repr(logic) and "not" not in repr(logic)


def test_several_names_give_modules_in_their_order(package: str) -> None:
    logic, other = deferred(package, "logic, other")
    assert isinstance(logic, DeferredModule) and isinstance(other, DeferredModule)
    assert (other.VALUE, logic.answer()) == ("other", 42)


def test_a_missing_name_is_an_attribute_error_naming_it(package: str) -> None:
    logic = deferred(package, "logic")
    with pytest.raises(AttributeError, match="no_such_function"):
        logic.no_such_function  # noqa: B018


def test_threads_racing_to_the_first_read_all_get_the_loaded_module(package: str) -> None:
    logic = deferred(package, "logic")
    start, answers = threading.Barrier(16), []

    def first_call() -> None:
        start.wait()
        answers.append(logic.answer())

    threads = [threading.Thread(target=first_call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [42] * 16
    assert sys.modules[package].runs == [1]  # one body run, no half-loaded module seen


def test_importing_the_app_loads_no_route_logic_and_every_deferred_name_exists() -> None:
    """In a fresh interpreter, as a cold Lambda: what app.py loads, then every route's."""
    probe = (
        "import json, sys\n"
        "import app\n"
        "cold = sorted(m for m in sys.modules if m.startswith('chalicelib'))\n"
        "from chalicelib.core import deferred\n"
        "names = deferred.import_all()\n"
        "print(json.dumps({'cold': cold, 'deferred': names}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPOSITORY, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.splitlines()[-1])
    cold, names = set(out["cold"]), out["deferred"]
    for logic in (
        "chalicelib.feed.home",
        "chalicelib.posts.authoring",
        "chalicelib.stories.tray",
        "chalicelib.messaging.realtime",
        "chalicelib.moderation.actions",
        "chalicelib.lifecycle.export",
        "chalicelib.search.query",
        "chalicelib.accounts.two_factor",
    ):
        assert logic in names
        assert logic not in cold, f"{logic} is imported at cold start"
    # What every request needs stays eager: the edge and who the caller is.
    assert {"chalicelib.core.http", "chalicelib.accounts.sessions"} <= cold


Binding = tuple[str, str, str]  # package, module, the name it is bound to


def _deferred_by_module() -> dict[Path, tuple[set[Binding], set[Binding]]]:
    """Each file calling deferred(): the modules it imports under TYPE_CHECKING and those it
    defers at run time."""
    found = {}
    for path in [REPOSITORY / "app.py", *sorted((REPOSITORY / "chalicelib").rglob("*.py"))]:
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if not (isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"):
                continue
            typed = {
                (imp.module, alias.name, alias.asname or alias.name)
                for imp in node.body
                if isinstance(imp, ast.ImportFrom)
                for alias in imp.names
                if alias.name[0].islower()  # modules; classes are annotations only
            }
            run_time = set()
            for assign in node.orelse:
                call = assign.value
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "deferred":
                    package, names = (arg.value for arg in call.args)
                    target = assign.targets[0]
                    bound = [e.id for e in getattr(target, "elts", [target])]
                    modules = [name.strip() for name in names.split(",")]
                    run_time |= {(package, m, b) for m, b in zip(modules, bound, strict=True)}
            if run_time:
                found[path.relative_to(REPOSITORY)] = (typed, run_time)
    return found


def test_what_import_linter_reads_is_what_is_deferred() -> None:
    found = _deferred_by_module()
    assert len(found) >= 17  # every routes module and app.py
    for path, (typed, run_time) in found.items():
        assert typed == run_time, f"{path}: TYPE_CHECKING imports {typed}, defers {run_time}"
