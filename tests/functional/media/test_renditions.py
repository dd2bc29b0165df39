"""Sizes, crops and encoding of the renditions, through the whole pipeline."""

from __future__ import annotations

import io

import numpy as np
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


def decoded_renditions(data: bytes, filter_name: str = "normal") -> dict[str, Image.Image]:
    return {
        r.name: Image.open(io.BytesIO(r.data)).convert("RGB")
        for r in process(data, filter_name).renditions
    }


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, float) - np.asarray(b, float)).mean())


def test_a_sideways_phone_photo_comes_out_upright_in_every_rendition(encoded):
    # Stored landscape (as a phone's sensor reads it) with a red top-left corner and EXIF
    # orientation 6 ("turn 90° clockwise to show"): every rendition is portrait, red top
    # right, whether it was shrunk on load and resized once (large) or cascaded (the rest).
    stored = Image.new("RGB", (2400, 1800), (20, 20, 200))
    stored.paste((230, 0, 0), (0, 0, 600, 600))
    exif = Image.Exif()
    exif[0x0112] = 6

    images = decoded_renditions(encoded(stored, exif=exif.tobytes(), quality=95))

    assert {name: image.size for name, image in images.items()} == {
        "large": (810, 1080),
        "medium": (480, 640),
        "small": (240, 320),
        "thumb": (150, 150),
    }
    for name in ("large", "medium", "small"):
        image = images[name]
        red, _, blue = image.getpixel((image.width - image.width // 20, image.height // 20))
        assert red > 200 and blue < 50, name
        red, _, blue = image.getpixel((image.width // 20, image.height // 20))
        assert red < 50 and blue > 150, name


def test_smaller_renditions_look_like_the_large_one_shrunk(photo, encoded):
    # medium, small and thumb are each made from the rendition above them (cheaper): they
    # must still be what shrinking `large` straight to their size gives, crop included.
    images = decoded_renditions(encoded(photo(2400, 1800), quality=95))
    large = images["large"]

    for name in ("medium", "small"):
        expected = large.resize(images[name].size, Image.Resampling.LANCZOS)
        assert mean_difference(images[name], expected) < 2.5, name
    box = square_box(*large.size, [])
    expected = large.resize((150, 150), Image.Resampling.LANCZOS, box=box)
    assert mean_difference(images["thumb"], expected) < 3.5  # 20 px off centre: 6


def test_a_wide_panorama_keeps_a_full_size_thumb(photo, encoded):
    # 4:1: small is 320 x 80 and medium 640 x 160, too thin for a sharp 150 px square; the
    # thumb is cut from large and is the full 150 px, the centre of the panorama.
    images = decoded_renditions(encoded(photo(4000, 1000), quality=95))

    assert images["large"].size == (1080, 270)
    assert images["small"].size == (320, 80)
    assert images["thumb"].size == (150, 150)
    expected = images["large"].resize(
        (150, 150), Image.Resampling.LANCZOS, box=square_box(1080, 270, [])
    )
    assert mean_difference(images["thumb"], expected) < 2.5
