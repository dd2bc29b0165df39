"""One uploaded photo, from its bytes to everything a post (``process``) or a profile photo
(``process_avatar``) needs to show it.

decode (shrink-on-load for JPEG) -> ``large`` at 1080 px -> faces on the unfiltered ``large``
(a photo under 1000 px: on a 640 px copy, upsampled) -> the filter, once, on ``large`` ->
``medium`` from it, ``small`` from ``medium``, the face-aware ``thumb`` from the smallest
rendition twice its size -> BlurHash placeholder. A profile photo: the same decoding and
faces, then two squares around the largest face and their placeholder, no filter. A story:
decoded for a 1920 px side, faces on a 1080 px copy, a 9:16 cover crop placed on them as the
thumb is (``story``, ``preview``) and its placeholder.
docs/media.md explains each choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from . import filters
from .decode import decode
from .faces import DETECTORS, Face, detect
from .placeholder import placeholder
from .renditions import (
    AVATAR_LARGE,
    AVATAR_SMALL,
    LARGE,
    LARGE_RESAMPLE,
    MEDIUM,
    STORY_PREVIEW,
    STORY_SIZE,
    Rendition,
    avatar_box,
    cascade,
    cover,
    fit,
    render,
    square,
    story_box,
    thumb,
)

# Where faces are looked for. Without upsampling, HOG finds a face from ~60 px (its window
# is 80 px, a face's box a little smaller); upsampled once, from ~30 px. A photo of at least
# FACE_DIRECT_SIDE x FACE_DIRECT_SHORT px is searched as it is, on ``large``: every one of
# dlib's 43 annotated faces (7 % of the long side and more) is found there, 43/43 at 1000
# and 1080 px, 42 at 960, 41 at 900, 35 at 800, in 0.7x the time of a 640 px copy
# upsampled once (bench/media, docs/media.md), which finds faces down to ~5 % of the long
# side against ~5.5 % at 1080. Anything else takes that 640 px copy, upsampled: a small
# photo has no 60 px faces to spare (11/43 at ~500 px without upsampling), and in a wide one
# people fill the height, so their faces are small beside its width (the sample on a
# 1500 x 375 canvas: 1 of 3 faces at 1080 x 270, 3 upsampled).
FACE_DIRECT_SIDE, FACE_DIRECT_SHORT = 1000, 600
FACE_SIDE = MEDIUM


@dataclass(frozen=True)
class ProcessedImage:
    width: int  # of the upright original
    height: int
    renditions: list[Rendition]  # large, medium, small, thumb
    placeholder: str  # BlurHash
    faces: list[Face]  # fractions of the upright image, largest first


@dataclass(frozen=True)
class ProcessedAvatar:
    renditions: list[Rendition]  # large, small: squares
    placeholder: str  # BlurHash
    faces: list[Face]  # fractions of the upright image, largest first
    crop: tuple[float, float, float, float]  # the square's x, y, w, h: fractions of the image


@dataclass(frozen=True)
class ProcessedStory:
    renditions: list[Rendition]  # story (9:16, at most 1080 x 1920), preview (360 x 640)
    placeholder: str  # BlurHash of the preview
    faces: list[Face]  # those the crop was placed on: fractions of the upright image


def find_faces(image: Image.Image, detector: str) -> list[Face]:
    """Faces in the (unfiltered) working image, as fractions of it: the image itself when it
    is large enough not to need upsampling, else a 640 px copy upsampled once."""
    if max(image.size) >= FACE_DIRECT_SIDE and min(image.size) >= FACE_DIRECT_SHORT:
        return detect(image, detector, upsample=0)
    return detect(fit(image, FACE_SIDE), detector, upsample=1)


def process(data: bytes, filter_name: str, detector: str = "hog") -> ProcessedImage:
    """Renditions, placeholder and faces of the photo in ``data`` with ``filter_name``.

    Raises ``imaging.decode.ImageRejected`` for a file that cannot be used as a photo and
    ``ValueError`` for an unknown filter or detector (a bug upstream, not a bad upload).
    """
    look = filters.get(filter_name)  # before decoding: a bad name should fail fast
    decoded = decode(data, fit=LARGE)
    large = fit(decoded.image, LARGE, LARGE_RESAMPLE)
    # On the unfiltered pixels: a filter (black and white, vignette) must not move faces.
    faces = find_faces(large, detector)

    large = look.apply(large)
    medium, small = cascade(large)
    return ProcessedImage(
        width=decoded.width,
        height=decoded.height,
        renditions=[
            render("large", large),
            render("medium", medium),
            render("small", small),
            render("thumb", thumb([large, medium, small], faces)),
        ],
        placeholder=placeholder(small),
        faces=faces,
    )


def process_avatar(data: bytes, detector: str = "hog") -> ProcessedAvatar:
    """The two square renditions of a profile photo and their placeholder: decoded, upright,
    without metadata exactly as a post's photo (``ImageRejected`` alike), cut around the
    largest face (``renditions.avatar_box``)."""
    if detector not in DETECTORS:
        raise ValueError(f"unknown face detector {detector!r}, expected one of {DETECTORS}")
    image = fit(decode(data, fit=LARGE).image, LARGE, LARGE_RESAMPLE)
    faces = find_faces(image, detector)
    box = avatar_box(*image.size, faces)
    large = square(image, box, AVATAR_LARGE)
    small = fit(large, AVATAR_SMALL)
    width, height = image.size
    return ProcessedAvatar(
        renditions=[render("large", large), render("small", small)],
        placeholder=placeholder(small),
        faces=faces,
        crop=(
            box[0] / width,
            box[1] / height,
            (box[2] - box[0]) / width,
            (box[3] - box[1]) / height,
        ),
    )


def process_story(data: bytes, detector: str | None = "hog") -> ProcessedStory:
    """A story's two 9:16 renditions and their placeholder: decoded, upright and without
    metadata exactly as a post's photo (``ImageRejected`` alike). Decoded for a 1920 px long
    side, so a portrait photo's crop is a full 1080 x 1920 and a landscape one's as sharp as
    its height allows. No filter. The crop is placed on the faces as the thumb's square is
    (``story_box``), centred without any; ``detector`` None skips looking (a story video's
    poster, whose clip is cut at the centre)."""
    if detector is not None and detector not in DETECTORS:
        raise ValueError(f"unknown face detector {detector!r}, expected one of {DETECTORS}")
    image = decode(data, fit=STORY_SIZE[1]).image
    image = fit(image, STORY_SIZE[1], LARGE_RESAMPLE)
    faces = story_faces(image, detector) if detector is not None else []
    story = cover(image, story_box(*image.size, faces), STORY_SIZE)
    preview = cover(story, (0, 0, *story.size), STORY_PREVIEW)
    return ProcessedStory(
        renditions=[render("story", story), render("preview", preview)],
        placeholder=placeholder(preview),
        faces=faces,
    )


def story_faces(image: Image.Image, detector: str) -> list[Face]:
    """Faces of a story's 1920 px working image, found as a post's are (``find_faces``) on a
    ``large``-sized copy: HOG's time grows with pixels, and 1080 px already finds every
    annotated dlib face. Bilinear: the copy is only looked at, never shown, and HOG reads
    gradients that Lanczos would sharpen for nobody. Not looked for when the photo is already
    9:16, as the box then has nowhere to move."""
    if story_box(*image.size) == (0, 0, *image.size):
        return []
    return find_faces(fit(image, LARGE, Image.Resampling.BILINEAR), detector)
