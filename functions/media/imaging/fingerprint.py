"""A photo's perceptual hash (pHash), so that a photo the moderators removed is known again
when it is uploaded anew, resized or re-encoded (``posts.media.removed_near``).

The DCT hash imagehash.phash computes, without scipy: the photo in grey at 32 x 32
(Lanczos), its 2-D DCT-II, the 8 x 8 lowest frequencies, one bit each for above their
median. A DCT-II is one matrix product per axis here (the constant factor scipy's
unnormalised transform adds does not move the median test). 64 bits; two copies of one
photo differ in a few bits, two different photos in about half of them (tests/functional/
media/test_fingerprint.py measures both).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps

SIDE, LOW = 32, 8
_n = np.arange(SIDE)
_DCT = np.cos(np.pi * np.outer(_n, 2 * _n + 1) / (2 * SIDE))  # rows: frequencies


# A photo with (next to) no detail at this size (one colour, a faint gradient) has no hash
# worth keeping: its bits are noise, and a removed flat photo would refuse every flat one.
FLAT = 2.0  # standard deviation of the 32 x 32 grey pixels, of 255


def of_image(image: Image.Image) -> int | None:
    grey = ImageOps.exif_transpose(image).convert("L").resize((SIDE, SIDE), Image.LANCZOS)
    pixels = np.asarray(grey, dtype=np.float64)
    if pixels.std() < FLAT:
        return None
    low = (_DCT @ pixels @ _DCT.T)[:LOW, :LOW]
    bits = (low > np.median(low)).flatten()
    return int("".join("1" if bit else "0" for bit in bits), 2)


def of_bytes(data: bytes) -> int | None:
    """The hash of an encoded photo (already accepted by ``decode``: not a bomb). A JPEG is
    decoded at a reduced size (draft), which is all the hash needs."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (4 * SIDE, 4 * SIDE))
        return of_image(image)


def distance(one: int, other: int) -> int:
    return (one ^ other).bit_count()
