"""Sizes, crops and encoding of the renditions, through the whole pipeline."""

from __future__ import annotations

import io

import pytest
from PIL import Image, JpegImagePlugin

from imaging.faces import Face
from imaging.pipeline import process
from imaging.renditions import fit, square_box


def sizes(data: bytes) -> dict[str, tuple[int, int]]:
    return {r.name: (r.width, r.height) for r in process(data, "normal").renditions}


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ((2400, 1600), {"large": (1080, 720), "medium": (640, 427), "small": (320, 213)}),
        ((1200, 1600), {"large": (810, 1080), "medium": (480, 640), "small": (240, 320)}),
        # Never upscaled: a rendition larger than the photo keeps the photo's size.
        ((500, 400), {"large": (500, 400), "medium": (500, 400), "small": (320, 256)}),
        ((100, 60), {"large": (100, 60), "medium": (100, 60), "small": (100, 60)}),
    ],
)
def test_rendition_sizes(photo, encoded, original, expected):
    got = sizes(encoded(photo(*original)))
    assert {name: got[name] for name in expected} == expected


def test_thumb_is_a_150_px_square(photo, encoded):
    assert sizes(encoded(photo(900, 500)))["thumb"] == (150, 150)


def test_thumb_of_a_tiny_photo_is_not_upscaled(photo, encoded):
    assert sizes(encoded(photo(100, 60)))["thumb"] == (60, 60)


def test_renditions_come_in_a_fixed_order(photo, encoded):
    processed = process(encoded(photo(300, 200)), "normal")
    assert [r.name for r in processed.renditions] == ["large", "medium", "small", "thumb"]
    assert (processed.width, processed.height) == (300, 200)


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP"])
def test_outputs_are_progressive_420_jpegs(photo, encoded, format):
    for rendition in process(encoded(photo(700, 500), format), "clarendon").renditions:
        image = Image.open(io.BytesIO(rendition.data))
        assert image.format == "JPEG"
        assert image.info.get("progressive") and image.info.get("progression")
        assert JpegImagePlugin.get_sampling(image) == 2  # 4:2:0
        assert image.size == (rendition.width, rendition.height)


def test_fit_never_upscales(photo):
    image = photo(300, 200)
    assert fit(image, 1080) is image
    assert fit(image, 150).size == (150, 100)


def test_square_box_without_faces_is_the_centre():
    assert square_box(1000, 600, []) == (200, 0, 800, 600)
    assert square_box(600, 1000, []) == (0, 200, 600, 800)


def test_square_box_is_centred_on_the_faces():
    # Two faces to the right: the square's centre is the centre of the box holding both.
    faces = [Face(x=0.60, y=0.3, w=0.05, h=0.1), Face(x=0.75, y=0.4, w=0.05, h=0.1)]
    left, top, right, bottom = square_box(1000, 600, faces)
    assert (right - left, bottom - top) == (600, 600)
    assert (left + right) / 2 == pytest.approx(0.70 * 1000, abs=1)


def test_square_box_stays_inside_the_image():
    at_the_edge = [Face(x=0.92, y=0.1, w=0.08, h=0.1)]
    assert square_box(1000, 600, at_the_edge) == (400, 0, 1000, 600)
    at_the_top = [Face(x=0.4, y=0.0, w=0.2, h=0.1)]
    assert square_box(600, 1000, at_the_top) == (0, 0, 600, 600)
