"""One uploaded photo, from its bytes to everything a post needs to show it.

decode (shrink-on-load for JPEG) -> ``large`` at 1080 px -> faces on an unfiltered 640 px
copy -> the filter, once, on ``large`` -> ``medium``, ``small`` and the face-aware ``thumb``
from the filtered ``large`` -> BlurHash placeholder. docs/media.md explains each choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import filters
from .decode import decode
from .faces import Face, detect
from .placeholder import placeholder
from .renditions import LARGE, MEDIUM, SMALL, Rendition, fit, render, thumb

# Faces are looked for at this size: large enough for ~40 px faces with one upsampling,
# ~3x cheaper than at 1080.
FACE_SIDE = MEDIUM


@dataclass(frozen=True)
class ProcessedImage:
    width: int  # of the upright original
    height: int
    renditions: list[Rendition]  # large, medium, small, thumb
    placeholder: str  # BlurHash
    faces: list[Face]  # fractions of the upright image, largest first


def process(data: bytes, filter_name: str, detector: str = "hog") -> ProcessedImage:
    """Renditions, placeholder and faces of the photo in ``data`` with ``filter_name``.

    Raises ``imaging.decode.ImageRejected`` for a file that cannot be used as a photo and
    ``ValueError`` for an unknown filter or detector (a bug upstream, not a bad upload).
    """
    look = filters.get(filter_name)  # before decoding: a bad name should fail fast
    decoded = decode(data, fit=LARGE)
    large = fit(decoded.image, LARGE)
    # On the unfiltered pixels: a filter (black and white, vignette) must not move faces.
    faces = detect(fit(large, FACE_SIDE), detector)

    large = look.apply(large)
    # Both from `large`, not one from the other, so that rounding never drifts the proportions.
    medium, small = fit(large, MEDIUM), fit(large, SMALL)
    return ProcessedImage(
        width=decoded.width,
        height=decoded.height,
        renditions=[
            render("large", large),
            render("medium", medium),
            render("small", small),
            render("thumb", thumb(large, faces)),
        ],
        placeholder=placeholder(small),
        faces=faces,
    )
