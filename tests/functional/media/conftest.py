"""Tests of the photo pipeline (functions/media/imaging). Images are made here with Pillow;
face detection is checked against dlib's annotated example photos in data/dlib-faces."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[3]
# functions/media is the Lambda task root: the package is imported as `imaging` there.
sys.path.insert(0, str(REPO / "functions" / "media"))

# dlib's annotated example photos (examples/faces), committed so CI measures recall too.
EVAL_FACES = Path(__file__).parent / "data" / "dlib-faces"


def synthetic_photo(width: int, height: int, seed: int = 7) -> Image.Image:
    """Smooth colour gradients, a few blocks and some grain: every tone from dark to light,
    so that every filter has something to change, and texture for the JPEG encoder."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    pixels = np.stack(
        [255 * x / width, 255 * y / height, 255 * (1 - x / width) * (1 - y / height)], axis=-1
    )
    for _ in range(6):
        left, top = rng.integers(0, width // 2), rng.integers(0, height // 2)
        pixels[top : top + height // 4, left : left + width // 4] = rng.integers(0, 256, 3)
    pixels += rng.normal(0, 6, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def encode(image: Image.Image, format: str = "JPEG", **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **params)
    return buffer.getvalue()


@pytest.fixture
def photo() -> Callable[..., Image.Image]:
    """``photo(width, height)``: a synthetic photo."""
    return synthetic_photo


@pytest.fixture
def encoded() -> Callable[..., bytes]:
    """``encoded(image, format="JPEG", **save_params)``: the file's bytes."""
    return encode


@pytest.fixture(scope="session")
def eval_faces() -> Path:
    return EVAL_FACES
