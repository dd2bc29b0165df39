"""dlib's annotated example photos and how a detection is matched to an annotated face:
shared by the face tests and bench/media, so both count found faces the same way."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from pathlib import Path
from typing import Any

Box = tuple[float, float, float, float]  # x, y, w, h as fractions of the image
FOLDER = Path(__file__).parent / "data" / "dlib-faces"


def annotations(folder: Path = FOLDER) -> list[tuple[Path, list[Box]]]:
    """(photo, its faces) from training.xml and testing.xml."""
    found = []
    for name in ("testing.xml", "training.xml"):
        for image in ElementTree.parse(folder / name).getroot().iter("image"):
            width, height = int(image.get("width")), int(image.get("height"))
            boxes = [
                (
                    int(box.get("left")) / width,
                    int(box.get("top")) / height,
                    int(box.get("width")) / width,
                    int(box.get("height")) / height,
                )
                for box in image.iter("box")
            ]
            found.append((folder / image.get("file"), boxes))
    return found


def iou(a: Box, b: Box) -> float:
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    overlap = max(width, 0) * max(height, 0)
    return overlap / (a[2] * a[3] + b[2] * b[3] - overlap)


def matched(truth: list[Box], faces: Sequence[Any]) -> tuple[int, int]:
    """(annotated faces found, detections matching no annotated face), at IoU >= 0.3."""
    boxes = [(f.x, f.y, f.w, f.h) for f in faces]
    found = sum(any(iou(t, b) >= 0.3 for b in boxes) for t in truth)
    spurious = sum(not any(iou(t, b) >= 0.3 for t in truth) for b in boxes)
    return found, spurious
