"""The sizes a post's image is served at, and how each is cut and encoded.

``large``, ``medium`` and ``small`` keep the photo's proportions with their long side at most
1080, 640 and 320 px; ``thumb`` is a square of at most 150 px for profile grids. Nothing is
ever upscaled: a rendition of a smaller photo keeps the photo's own size (a 500 px photo has
a 500 px ``large`` and ``medium``), so every name always exists and the app picks by name.

A profile photo has two squares, ``large`` (320) and ``small`` (110), cut around the largest
face (``avatar_box``).

A story fills a phone's screen: ``story`` is the largest 9:16 box of the photo (a cover crop,
``story_box``) placed on its faces as the thumb is, centred without any, at most 1080 x 1920,
and ``preview`` the same at most 360 x 640 (the tray, a reply's message). Never upscaled
either: a small photo's story keeps its pixels.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from .faces import Face

LARGE, MEDIUM, SMALL, THUMB = 1080, 640, 320, 150
# A profile photo's two squares: the profile page (and 2x/3x list rows), and list rows.
AVATAR_LARGE, AVATAR_SMALL = 320, 110
# An avatar's square spans this many times the largest face's box. dlib's boxes run from the
# brows to the chin, so 3x is head and shoulders: the face a third of the avatar's width.
AVATAR_FACE_SPAN = 3.0
# A story's two 9:16 sizes: the full screen, and the tray's and a reply's preview.
STORY_SIZE, STORY_PREVIEW = (1080, 1920), (360, 640)
JPEG_QUALITY = 85
# The filter from the decoded photo to ``large``. Lanczos, as for every other size: a 12 MP
# JPEG decoded at 3/8 (decode.py) is a 1.4x shrink from 1512 px, and the renditions are then
# 0.87-0.89x libvips' one-decode cascade (CPU, same run, bench/media) with the same PSNR as
# before against an exact resize of the full decode. Bicubic (support 2 against 3) would
# make them 0.81-0.83x at 0.15 dB less: not needed, and every photo would pay in sharpness.
LARGE_RESAMPLE = Image.Resampling.LANCZOS


@dataclass(frozen=True)
class Rendition:
    name: str
    data: bytes  # JPEG
    width: int
    height: int


def fitted_size(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """``size`` scaled down so that its long side is at most ``long_side`` (never up)."""
    width, height = size
    if max(width, height) <= long_side:
        return size
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def fit(
    image: Image.Image,
    long_side: int,
    resample: Image.Resampling = Image.Resampling.LANCZOS,
) -> Image.Image:
    """``image`` scaled down so that its long side is at most ``long_side``."""
    return resized(image, fitted_size(image.size, long_side), resample)


def resized(
    image: Image.Image,
    size: tuple[int, int],
    resample: Image.Resampling = Image.Resampling.LANCZOS,
) -> Image.Image:
    """``image`` resampled to ``size`` (``image`` itself if it already has that size)."""
    if image.size == size:
        return image
    # reducing_gap: a cheap integer box reduction first when shrinking a lot, then the filter
    # over the last >= 3x, which looks the same as the filter all the way.
    return image.resize(size, resample, reducing_gap=3.0)


def cascade(large: Image.Image) -> tuple[Image.Image, Image.Image]:
    """``medium`` and ``small`` of ``large``, each from the one above it.

    Each step shrinks at most 2x. Lanczos reads 6 source pixels a side per output pixel for
    every 1x it shrinks: 320 from 640 reads 12, from 1080 it read 20, in an image of 2.8x
    the pixels; 54 dB PSNR between the two results. The sizes are those of ``large``
    scaled, as if each were made from it, so rounding never drifts the proportions from one
    step to the next (a 1080 x 720 photo has a 640 x 427 medium and a 320 x 213 small, not
    320 x 214).
    """
    medium = resized(large, fitted_size(large.size, MEDIUM))
    small = resized(medium, fitted_size(large.size, SMALL))
    return medium, small


def square_box(width: int, height: int, faces: Sequence[Face]) -> tuple[int, int, int, int]:
    """The largest square of a ``width`` x ``height`` image, centred on the faces if any
    (``face_window``). The largest square rather than a close-up: the thumb stands for the
    whole photo in a grid."""
    side = min(width, height)
    return face_window(width, height, side, side, faces)


def face_window(
    width: int, height: int, box_w: int, box_h: int, faces: Sequence[Face]
) -> tuple[int, int, int, int]:
    """A ``box_w`` x ``box_h`` window of a ``width`` x ``height`` image, centred on the faces,
    then pushed back inside the image; without faces, the centre. The thumb's square and a
    story's 9:16 box are both placed here, so both follow faces the same way.

    On each axis the window holds as many whole faces as fit (``_faces_span``) and is centred
    on the box that holds those: a group wider than the window keeps most of its people
    whole, where centring on all of them could cut every one in half.
    """
    x = _place(width, box_w, [(face.x, face.x + face.w) for face in faces])
    y = _place(height, box_h, [(face.y, face.y + face.h) for face in faces])
    return x, y, x + box_w, y + box_h


def _place(length: int, window: int, spans: Sequence[tuple[float, float]]) -> int:
    """Where a ``window`` px run starts along an axis of ``length`` px holding ``spans``
    (faces' start and end, fractions of the axis)."""
    if window >= length:
        return 0
    chosen = _faces_span(length, window, spans)
    if chosen is None:
        return (length - window) // 2  # as FFmpeg's crop centres a story video's cut
    centre = (chosen[0] + chosen[1]) / 2 * length
    return min(max(round(centre - window / 2), 0), length - window)


def _faces_span(
    length: int, window: int, spans: Sequence[tuple[float, float]]
) -> tuple[float, float] | None:
    """The extent of the most faces that fit in ``window`` px together (ties: the most face,
    then the one nearest the middle, where an uncut photo's subject usually is); all of them
    when they fit. None without faces."""
    if not spans:
        return None
    fraction = window / length
    best: tuple[int, float, float] | None = None
    extent: tuple[float, float] | None = None
    # The best run starts at some face's start: try each (a photo has a few dozen at most).
    for start, _ in spans:
        inside = [(s, e) for s, e in spans if s >= start and e <= start + fraction]
        if not inside:  # a face wider than the window: it is the run on its own
            inside = [(s, e) for s, e in spans if s == start]
        left, right = min(s for s, _ in inside), max(e for _, e in inside)
        score = (len(inside), sum(e - s for s, e in inside), -abs((left + right) / 2 - 0.5))
        if best is None or score > best:
            best, extent = score, (left, right)
    return extent


def avatar_box(width: int, height: int, faces: Sequence[Face]) -> tuple[int, int, int, int]:
    """A profile photo's square in a ``width`` x ``height`` image: centred on the largest
    face (``faces`` come largest first), then pushed back inside the image; without a face,
    the largest square in the centre.

    Around a face, the square spans ``AVATAR_FACE_SPAN`` times the face, so a person far away
    still fills the avatar, but never less than ``AVATAR_LARGE`` px (nor more than the image's
    short side), so the large rendition is never upscaled from a close crop.
    """
    short = min(width, height)
    if not faces:
        return square_box(width, height, [])
    face = faces[0]
    face_side = max(face.w * width, face.h * height)
    side = min(short, max(round(AVATAR_FACE_SPAN * face_side), AVATAR_LARGE))
    centre_x = (face.x + face.w / 2) * width
    centre_y = (face.y + face.h / 2) * height
    x = min(max(round(centre_x - side / 2), 0), width - side)
    y = min(max(round(centre_y - side / 2), 0), height - side)
    return x, y, x + side, y + side


def square(image: Image.Image, box: tuple[int, int, int, int], side: int) -> Image.Image:
    """The square ``box`` of ``image``, at most ``side`` px (never upscaled)."""
    side = min(side, box[2] - box[0])
    return image.resize((side, side), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def story_box(width: int, height: int, faces: Sequence[Face] = ()) -> tuple[int, int, int, int]:
    """The largest 9:16 box of a ``width`` x ``height`` image: a cover crop (a landscape photo
    loses its sides, a panorama of a phone's height its top and bottom), placed on the faces
    as the thumb's square is (``face_window``: as many as fit), centred without any."""
    box_w, box_h = STORY_SIZE
    if width * box_h > height * box_w:  # wider than 9:16: full height
        w, h = max(1, round(height * box_w / box_h)), height
    else:
        w, h = width, max(1, round(width * box_h / box_w))
    return face_window(width, height, w, h, faces)


def cover(image: Image.Image, box: tuple[int, int, int, int], size: tuple[int, int]) -> Image.Image:
    """The 9:16 ``box`` of ``image`` at most ``size`` (never upscaled)."""
    width = min(size[0], box[2] - box[0])
    height = max(1, round(width * size[1] / size[0]))
    return image.resize((width, height), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def thumb(renditions: Sequence[Image.Image], faces: Sequence[Face]) -> Image.Image:
    """The thumb, cut from the smallest of ``renditions`` (largest first) that is at least
    twice its size.

    Its square is the largest of the photo, so any rendition makes the same thumb, and a
    smaller one is cheaper to shrink: ``medium``'s 480 px square of a 4:3 photo instead of
    ``large``'s 810 (1.9 against 5.1 ms). At least twice: resampling a resampled image again
    by little blurs what the first pass kept (``small``'s 240 px square gives 1.4 dB less);
    so a wide panorama, whose renditions are thin, takes ``large`` as before.
    """
    side = min(THUMB, *renditions[0].size)
    source = next(
        (image for image in reversed(renditions[1:]) if min(image.size) >= 2 * side),
        renditions[0],
    )
    return square(source, square_box(*source.size, faces), side)


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
