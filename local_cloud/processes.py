"""Child processes that die with their parent and stop politely."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Each child gets its own session so a Ctrl-C reaches only the launcher, which then stops
    # the children in order. PDEATHSIG covers the launcher being killed outright (Linux only).
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    **popen: Any,
) -> subprocess.Popen:
    return subprocess.Popen(
        list(command),
        env=None if env is None else dict(env),
        cwd=cwd,
        start_new_session=True,
        preexec_fn=_die_with_parent,
        **popen,
    )


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGINT first (servers shut down cleanly on it), then SIGTERM, then SIGKILL."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            # The whole group: `chalice local` with autoreload runs the server in a child.
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue
