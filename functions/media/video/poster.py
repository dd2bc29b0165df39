"""The poster frame: what a feed shows before a video plays, chosen from frames spread over
the clip (``transcode.POSTER_CANDIDATES``, the middle of each eighth).

The rule, in order: a blank frame (almost one flat colour: a black fade, a lens cap) is never
chosen; a blurred frame (edge energy below ``BLURRED`` of the sharpest candidate's: motion,
focus hunting) is never chosen; of the rest, frames with faces win (more faces, then a larger
face), and otherwise the sharpest. Should every frame be blank or blurred, the sharpest one is
taken anyway: a video always has a poster. ``reason`` says which of these decided.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from imaging.faces import Face, detect
from imaging.renditions import fit

# Scored at this size: large enough for edges and faces of a few percent of the frame.
SCORE_SIDE = 640
BLANK_STD = 8.0  # luma standard deviation; a dark room with a face in it is ~25
BLURRED = 0.35


@dataclass(frozen=True)
class Poster:
    time_s: float
    image: Image.Image
    reason: str  # "faces", "sharpest" or "fallback"
    faces: list[Face]


@dataclass(frozen=True)
class _Scored:
    time_s: float
    image: Image.Image
    small: Image.Image
    blank: bool
    sharpness: float


def choose(candidates: list[tuple[float, Image.Image]], detector: str = "hog") -> Poster:
    """The poster among ``(seconds, upright frame)`` candidates (at least one)."""
    scored = [_score(time_s, image) for time_s, image in candidates]
    sharpest = max(scored, key=lambda s: s.sharpness)
    usable = [s for s in scored if not s.blank and s.sharpness >= BLURRED * sharpest.sharpness]
    if not usable:
        return Poster(sharpest.time_s, sharpest.image, "fallback", [])
    with_faces = [(s, detect(s.small, detector)) for s in usable]
    with_faces = [(s, faces) for s, faces in with_faces if faces]
    if with_faces:
        best, faces = max(
            with_faces,
            key=lambda pair: (len(pair[1]), max(f.w * f.h for f in pair[1]), pair[0].sharpness),
        )
        return Poster(best.time_s, best.image, "faces", faces)
    best = max(usable, key=lambda s: s.sharpness)
    return Poster(best.time_s, best.image, "sharpest", [])


def _score(time_s: float, image: Image.Image) -> _Scored:
    small = fit(image.convert("RGB"), SCORE_SIDE)
    luma = np.asarray(small.convert("L"), dtype=np.float32)
    return _Scored(time_s, image, small, float(luma.std()) < BLANK_STD, _sharpness(luma))


def _sharpness(luma: np.ndarray) -> float:
    """Variance of the Laplacian: high where there are crisp edges, low when blurred."""
    if min(luma.shape) < 3:
        return 0.0
    laplacian = (
        luma[:-2, 1:-1] + luma[2:, 1:-1] + luma[1:-1, :-2] + luma[1:-1, 2:] - 4 * luma[1:-1, 1:-1]
    )
    return float(laplacian.var())
