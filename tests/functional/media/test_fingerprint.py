"""The perceptual hash that knows a removed photo again (imaging/fingerprint.py), measured on
the test photos: copies resized to a half and a quarter, re-encoded at JPEG quality 40 and as
PNG differ from the original in at most 2 of 64 bits; any two different photos in 22 or
more. ``posts.media.REMOVED_DISTANCE`` (8) sits between, and its bands find every hash that
close."""

from __future__ import annotations

import io
import itertools
import random
from pathlib import Path

import pytest
from PIL import Image

from chalicelib.posts import media
from imaging import fingerprint

DATA = Path(__file__).parent / "data"
# sample.jpg is a copy of one of dlib's photos: the different photos are dlib's.
PHOTOS = sorted((DATA / "dlib-faces").glob("*.jpg"))


def encoded(image: Image.Image, kind: str = "JPEG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, kind, **options)
    return buffer.getvalue()


def copies(image: Image.Image) -> dict[str, bytes]:
    w, h = image.size
    return {
        "half": encoded(image.resize((w // 2, h // 2)), quality=90),
        "quarter at q60": encoded(image.resize((w // 4, h // 4)), quality=60),
        "q40": encoded(image, quality=40),
        "png": encoded(image, "PNG"),
    }


@pytest.mark.parametrize("path", PHOTOS, ids=lambda p: p.name)
def test_a_resized_or_re_encoded_copy_is_within_2_bits(path: Path) -> None:
    original = fingerprint.of_bytes(path.read_bytes())
    with Image.open(path) as image:
        for name, data in copies(image).items():
            assert fingerprint.distance(original, fingerprint.of_bytes(data)) <= 2, name


def test_a_photo_without_detail_has_no_hash() -> None:
    flat = Image.new("RGB", (320, 240), (200, 120, 60))
    assert fingerprint.of_bytes(encoded(flat)) is None
    assert all(fingerprint.of_bytes(path.read_bytes()) is not None for path in PHOTOS)


def test_different_photos_are_far_apart() -> None:
    hashes = [fingerprint.of_bytes(path.read_bytes()) for path in PHOTOS]
    apart = [fingerprint.distance(a, b) for a, b in itertools.combinations(hashes, 2)]
    assert min(apart) >= 22
    assert min(apart) > 2 * media.REMOVED_DISTANCE


def test_every_hash_within_the_distance_shares_a_band() -> None:
    chance = random.Random(19)
    for _ in range(2000):
        one = chance.getrandbits(64)
        flipped = chance.sample(range(64), chance.randint(0, media.REMOVED_DISTANCE))
        other = one
        for bit in flipped:
            other ^= 1 << bit
        assert set(media.bands(one)) & set(media.bands(other))
