"""Restarts the REST API when its code changes.

`chalice local`'s own autoreload polls every file under the project directory once a second:
the whole `.venv`, and `.local`, where the emulator's log and the search index change all
the time, so it restarted the API every second or two while `make run` was up. This watches
only what the API runs: `app.py`, `chalicelib/**/*.py` and `.chalice/config.json`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("local_cloud")


def code_files(repository: Path) -> list[Path]:
    return [
        repository / "app.py",
        *sorted((repository / "chalicelib").rglob("*.py")),
        repository / ".chalice" / "config.json",
    ]


def _mtimes(files: list[Path]) -> dict[Path, float]:
    found = {}
    for path in files:
        try:
            found[path] = path.stat().st_mtime
        except FileNotFoundError:
            continue
    return found


class CodeWatcher:
    """Calls ``on_change(path)`` (from its own thread) when a code file is edited, added or
    removed; polls every ``interval`` seconds."""

    def __init__(
        self, repository: Path, on_change: Callable[[Path], None], interval: float = 1.0
    ) -> None:
        self.repository = repository
        self.on_change = on_change
        self.interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="code-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        seen = _mtimes(code_files(self.repository))
        while not self._stopped.wait(self.interval):
            now = _mtimes(code_files(self.repository))
            changed = [p for p in seen.keys() | now.keys() if seen.get(p) != now.get(p)]
            seen = now
            if changed:
                try:
                    self.on_change(sorted(changed)[0])
                except Exception:
                    log.exception("restarting after a code change failed")
