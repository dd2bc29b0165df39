"""Where the faces are, with dlib: for the face-aware thumb crop and for the app (tagging).

Two detectors. ``hog`` (the default) is dlib's frontal HOG + linear SVM: fast on a CPU,
misses faces seen from the side. ``cnn`` is dlib's MMOD CNN from face_recognition_models:
finds turned and partly hidden faces too, but is about a hundred times slower on a CPU
(docs/media.md has the numbers). Both run on a reduced rendition and report boxes as
fractions of the image, so they hold for every size of it.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

DETECTORS = ("hog", "cnn")
# By default one 2x upsampling for both: their windows are ~80 px, so without it the faces of
# a group photo (40-50 px in a 640 px rendition) are missed. Measured on the dlib example
# photos at ~500 px: HOG finds 11 of 43 faces without, 43 with; the CNN 10 without, 41 with
# (at 4x its time). The pipeline passes 0 for an image large enough not to need it.
UPSAMPLE = 1


@dataclass(frozen=True)
class Face:
    """A face's box as fractions (0..1) of the image's width and height, from its top left."""

    x: float
    y: float
    w: float
    h: float


def detect(image: Image.Image, detector: str = "hog", upsample: int = UPSAMPLE) -> list[Face]:
    """Faces in ``image``, largest first; ``upsample``: how many times dlib doubles it first."""
    if detector == "hog":
        pixels = np.asarray(image.convert("L"))  # HOG sees gradients only: grey is enough
        rectangles = list(_hog()(pixels, upsample))
    elif detector == "cnn":
        pixels = np.asarray(image.convert("RGB"))
        rectangles = [found.rect for found in _cnn()(pixels, upsample)]
    else:
        raise ValueError(f"unknown face detector {detector!r}, expected one of {DETECTORS}")
    faces = [_normalised(rect, image.width, image.height) for rect in rectangles]
    faces = [face for face in faces if face.w > 0 and face.h > 0]
    return sorted(faces, key=lambda face: face.w * face.h, reverse=True)


def _normalised(rect: Any, width: int, height: int) -> Face:
    # dlib's right/bottom are inclusive, and boxes near an edge may stick out of the image.
    left, top = max(rect.left(), 0), max(rect.top(), 0)
    right, bottom = min(rect.right() + 1, width), min(rect.bottom() + 1, height)
    return Face(
        x=left / width,
        y=top / height,
        w=max(right - left, 0) / width,
        h=max(bottom - top, 0) / height,
    )


# Built once per process, on first use: loading takes ~0.3 s (HOG) and dlib would weigh on
# the cold start of every caller that imports this module without detecting anything.
@functools.cache
def _hog() -> Any:
    import dlib

    return dlib.get_frontal_face_detector()


@functools.cache
def _cnn() -> Any:
    import dlib

    return dlib.cnn_face_detection_model_v1(str(cnn_model_path()))


def cnn_model_path() -> Path:
    """mmod_human_face_detector.dat from the face_recognition_models package.

    Found without importing the package: its helpers import pkg_resources, i.e. need
    setuptools at run time, which recent setuptools no longer provides.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face_recognition_models is not installed")
    package = Path(next(iter(spec.submodule_search_locations)))
    return package / "models" / "mmod_human_face_detector.dat"
