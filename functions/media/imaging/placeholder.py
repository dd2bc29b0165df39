"""The placeholder the app paints while a photo loads: a BlurHash (https://blurha.sh).

About 30 characters stored on the post itself, so a feed page can show every photo's
colours before any image request. Encoded with the ``blurhash`` package (pure Python,
no dependencies) from a 32 px copy: the hash keeps only a few cosine components, so more
pixels change nothing but the time.
"""

from __future__ import annotations

import blurhash
import numpy as np
from PIL import Image

SAMPLE_SIDE = 32
# Components along the long and the short side: 4 x 3 is what the BlurHash authors suggest
# for photos, and keeps the hash at 28 characters.
LONG_COMPONENTS, SHORT_COMPONENTS = 4, 3


def placeholder(image: Image.Image) -> str:
    """The BlurHash of ``image`` (RGB)."""
    sample = image.copy()
    # BOX: the hash is an average over areas anyway, and it is the cheapest filter.
    sample.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE), Image.Resampling.BOX)
    landscape = sample.width >= sample.height
    x_components = LONG_COMPONENTS if landscape else SHORT_COMPONENTS
    y_components = SHORT_COMPONENTS if landscape else LONG_COMPONENTS
    return blurhash.encode(np.asarray(sample.convert("RGB")), x_components, y_components)
