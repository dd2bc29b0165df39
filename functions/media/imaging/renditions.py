"""The sizes a post's image is served at, and how each is cut and encoded.

``large``, ``medium`` and ``small`` keep the photo's proportions with their long side at most
1080, 640 and 320 px; ``thumb`` is a square of at most 150 px for profile grids. Nothing is
ever upscaled: a rendition of a smaller photo keeps the photo's own size (a 500 px photo has
a 500 px ``large`` and ``medium``), so every name always exists and the app picks by name.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from .faces import Face

LARGE, MEDIUM, SMALL, THUMB = 1080, 640, 320, 150
JPEG_QUALITY = 85


@dataclass(frozen=True)
class Rendition:
    name: str
    data: bytes  # JPEG
    width: int
    height: int


def fit(image: Image.Image, long_side: int) -> Image.Image:
    """``image`` scaled down so that its long side is at most ``long_side``."""
    width, height = image.size
    if max(width, height) <= long_side:
        return image
    scale = long_side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # reducing_gap: a cheap integer box reduction first when shrinking a lot, then Lanczos
    # over the last >= 3x, which looks the same as Lanczos all the way.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def square_box(width: int, height: int, faces: Sequence[Face]) -> tuple[int, int, int, int]:
    """The largest square of a ``width`` x ``height`` image, centred on the faces if any.

    Centred on the box that holds all of them, then pushed back inside the image. The
    largest square rather than a close-up: the thumb stands for the whole photo in a grid.
    """
    side = min(width, height)
    if faces:
        left = min(face.x for face in faces)
        right = max(face.x + face.w for face in faces)
        top = min(face.y for face in faces)
        bottom = max(face.y + face.h for face in faces)
        centre_x, centre_y = (left + right) / 2 * width, (top + bottom) / 2 * height
    else:
        centre_x, centre_y = width / 2, height / 2
    x = min(max(round(centre_x - side / 2), 0), width - side)
    y = min(max(round(centre_y - side / 2), 0), height - side)
    return x, y, x + side, y + side


def thumb(image: Image.Image, faces: Sequence[Face]) -> Image.Image:
    box = square_box(*image.size, faces)
    side = min(THUMB, box[2] - box[0])
    return image.resize((side, side), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def encode_jpeg(image: Image.Image) -> bytes:
    """A progressive JPEG with no metadata at all.

    Progressive because the app shows a blurry whole photo early on slow networks (and it is
    a few % smaller); 4:2:0 because photos don't need full-resolution chroma at quality 85.
    No ``exif``/``icc_profile`` arguments: outputs are plain sRGB, which is what an untagged
    JPEG means.
    """
    if image.mode != "RGB":
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(
        buffer,
        "JPEG",
        quality=JPEG_QUALITY,
        optimize=True,
        progressive=True,
        subsampling="4:2:0",
    )
    return buffer.getvalue()


def render(name: str, image: Image.Image) -> Rendition:
    return Rendition(name=name, data=encode_jpeg(image), width=image.width, height=image.height)
