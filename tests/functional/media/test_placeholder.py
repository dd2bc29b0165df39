"""The BlurHash placeholder: valid, and it looks like the photo when decoded."""

from __future__ import annotations

import blurhash
import numpy as np
from PIL import Image

from imaging.placeholder import placeholder


def decoded(hash_: str, width: int, height: int) -> np.ndarray:
    return np.array(blurhash.decode(hash_, width, height), dtype=np.float32)


def test_components_follow_the_orientation(photo):
    assert blurhash.components(placeholder(photo(300, 200))) == (4, 3)
    assert blurhash.components(placeholder(photo(200, 300))) == (3, 4)
    assert len(placeholder(photo(300, 200))) == 4 + 2 * 4 * 3


def linear(srgb: np.ndarray) -> np.ndarray:
    value = srgb / 255
    return np.where(value <= 0.04045, value / 12.92, ((value + 0.055) / 1.055) ** 2.4)


def test_it_round_trips_to_the_photos_colours(photo):
    image = photo(400, 300)

    back = decoded(placeholder(image), 32, 24)

    small = np.asarray(image.resize((32, 24), Image.Resampling.BOX), dtype=np.float32)
    # BlurHash averages light, not sRGB values: compare the average colours in linear light.
    average_back, average = linear(back).mean(axis=(0, 1)), linear(small).mean(axis=(0, 1))
    assert np.abs(average_back - average).max() < 0.03
    # Roughly right everywhere, not just on average: a 4x3 hash is very blurry.
    assert np.abs(back - small).mean() < 40


def test_it_keeps_where_colours_are():
    image = Image.new("RGB", (300, 200), (220, 30, 30))
    image.paste((30, 30, 220), (150, 0, 300, 200))

    back = decoded(placeholder(image), 30, 20)

    left, right = back[:, :8].mean(axis=(0, 1)), back[:, -8:].mean(axis=(0, 1))
    assert left[0] > left[2] + 60 and right[2] > right[0] + 60
