"""The function images carry exactly the part of chalicelib their handler imports: what the
Dockerfile copies is compared with what a fresh interpreter loads when it imports the handler
(a module missing from the image would fail its first invocation; one too many is weight
and attack surface the function never uses)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
LOADED = """
import os, sys
os.environ.setdefault("GLIMPSE_STAGE", "unit")
os.environ.setdefault("JWT_SECRET", "unit")
sys.path[:0] = [sys.argv[1], "."]
__import__("handler")
print("\\n".join(m for m in sys.modules if m.startswith("chalicelib")))
"""


def copied(dockerfile: Path) -> set[str]:
    """The chalicelib files the image's COPY instructions take, as paths."""
    text = dockerfile.read_text().replace("\\\n", " ")
    files = set()
    for line in text.splitlines():
        if line.startswith("COPY "):
            files |= {part for part in line.split()[1:-1] if part.startswith("chalicelib")}
    return files


def imported(function: str) -> set[str]:
    names = subprocess.run(
        [sys.executable, "-c", LOADED, str(REPOSITORY / "functions" / function)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    files = set()
    for name in names:
        path = name.replace(".", "/")
        files.add(f"{path}/__init__.py" if (REPOSITORY / path).is_dir() else f"{path}.py")
    return files


@pytest.mark.parametrize("function", ["media", "recommender"])
def test_the_image_carries_exactly_what_the_handler_imports(function: str) -> None:
    dockerfile = REPOSITORY / "functions" / function / "Dockerfile"
    assert not re.search(r"COPY chalicelib/ ", dockerfile.read_text()), "copies all of chalicelib"
    needed, taken = imported(function), copied(dockerfile)
    assert needed - taken == set(), f"{function}: the image lacks {sorted(needed - taken)}"
    assert taken - needed == set(), f"{function}: the image carries {sorted(taken - needed)}"
