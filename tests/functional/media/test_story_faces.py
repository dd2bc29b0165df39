"""A story photo's 9:16 crop follows its faces (``story_box`` through ``face_window``, the
thumb's placement): on real dlib photos pasted into wide canvases, the face is found again in
the rendition; a photo without faces is still cut at the centre."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from face_truth import Box, iou
from PIL import Image

from imaging.faces import Face, detect
from imaging.pipeline import process_story
from imaging.renditions import face_window, square_box, story_box

DATA = Path(__file__).parent / "data"
# One face of dlib's 2008_002506.jpg (testing.xml: left 329, top 78, 109 x 109), cut out with
# a margin so HOG sees a whole head: the region below, then the face inside it.
FACE_PHOTO, FACE_REGION, FACE_IN_REGION = "2008_002506.jpg", (280, 30, 490, 240), (49, 48, 109, 109)
SCALE = 2  # the region at 2x: 420 px, a face of 218 px (a phone photo's close-up)


def wide_canvas(paste_x: int, size: tuple[int, int] = (2400, 1350)) -> tuple[Image.Image, Box]:
    """A 16:9 grey canvas with the face pasted at ``paste_x``, and the face's annotated box as
    fractions of the canvas."""
    region = Image.open(DATA / "dlib-faces" / FACE_PHOTO).convert("RGB").crop(FACE_REGION)
    region = region.resize((region.width * SCALE, region.height * SCALE), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", size, (128, 128, 128))
    top = (size[1] - region.height) // 2
    canvas.paste(region, (paste_x, top))
    x, y, w, h = (SCALE * v for v in FACE_IN_REGION)
    return canvas, ((paste_x + x) / size[0], (top + y) / size[1], w / size[0], h / size[1])


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def story_of(data: bytes, detector: str | None = "hog") -> tuple[Image.Image, list[Face]]:
    processed = process_story(data, detector=detector)
    story = next(r for r in processed.renditions if r.name == "story")
    return Image.open(io.BytesIO(story.data)).convert("RGB"), processed.faces


def test_a_face_near_the_left_edge_is_in_the_story() -> None:
    canvas, truth = wide_canvas(paste_x=40)
    story, faces = story_of(jpeg(canvas))

    # Found on the detection copy where dlib's annotation puts it.
    assert len(faces) == 1
    assert iou(truth, (faces[0].x, faces[0].y, faces[0].w, faces[0].h)) >= 0.5
    # The box (of the 1920 x 1080 working image) holds the whole annotated face; the centred
    # one would have held none of it.
    left, _, right, _ = story_box(1920, 1080, faces)
    assert (
        left * 2400 / 1920 <= truth[0] * 2400
        and (truth[0] + truth[2]) * 2400 <= right * 2400 / 1920
    )
    centred = story_box(1920, 1080)
    assert (truth[0] + truth[2]) * 1920 < centred[0]
    # And dlib finds the face again in the rendition itself, where the box says it is.
    assert story.size == (608, 1081)  # ``cover`` keeps 9:16 from the width: 608 * 16 / 9
    again = detect(story, "hog")
    assert len(again) == 1
    found = (
        (left + again[0].x * story.width) / 1920,
        again[0].y,
        again[0].w * story.width / 1920,
        again[0].h,
    )
    assert iou(truth, found) >= 0.5


def test_the_box_is_centred_on_the_face_when_it_can_be() -> None:
    canvas, truth = wide_canvas(paste_x=700)
    _, faces = story_of(jpeg(canvas))
    left, _, right, _ = story_box(1920, 1080, faces)
    assert (left + right) / 2 / 1920 == pytest.approx(truth[0] + truth[2] / 2, abs=0.01)


def test_a_photo_without_faces_is_cut_at_the_centre(photo) -> None:
    image = photo(2400, 1350)
    story, faces = story_of(jpeg(image))
    assert faces == []
    working = image.resize((1920, 1080), Image.Resampling.LANCZOS)

    def difference(box: tuple[int, int, int, int]) -> float:
        expected = working.resize(story.size, Image.Resampling.LANCZOS, box=box)
        return float(np.abs(np.asarray(expected, float) - np.asarray(story, float)).mean())

    assert story_box(1920, 1080, []) == (656, 0, 1264, 1080)
    assert difference((656, 0, 1264, 1080)) < 4
    assert difference((0, 0, 608, 1080)) > 20


def test_without_a_detector_the_crop_stays_centred() -> None:
    # A story video's poster: its clip is cut at the centre, so is the poster.
    canvas, _ = wide_canvas(paste_x=40)
    story, faces = story_of(jpeg(canvas), detector=None)
    assert faces == []
    assert detect(story, "hog") == []


def test_an_unknown_detector_is_refused() -> None:
    with pytest.raises(ValueError):
        process_story(b"not even decoded", detector="sift")


def test_a_9_16_photo_is_not_searched(photo) -> None:
    # No room to move the box: nothing to look for (and nothing paid).
    _, faces = story_of(jpeg(photo(1080, 1920)))
    assert faces == []


def test_the_window_holds_as_many_faces_as_fit() -> None:
    # Three faces on the left close together, one alone on the right: a 300 px window of a
    # 1000 px image takes the three, centred on them, not the middle of all four.
    group = [Face(x=x, y=0.4, w=0.06, h=0.1) for x in (0.05, 0.13, 0.21)]
    alone = [Face(x=0.85, y=0.4, w=0.1, h=0.1)]
    left, top, right, bottom = face_window(1000, 600, 300, 600, group + alone)
    assert (top, bottom) == (0, 600)
    assert (left, right) == (10, 310)  # centred on the three: 50..270
    # All fit: centred on all of them, as the thumb always was.
    assert face_window(1000, 600, 600, 600, group) == square_box(1000, 600, group)
    assert face_window(1000, 600, 600, 600, group)[0] == 0  # 160 - 300: pushed back inside


def test_between_as_many_faces_the_larger_wins() -> None:
    small = Face(x=0.1, y=0.4, w=0.05, h=0.05)
    large = Face(x=0.8, y=0.4, w=0.12, h=0.12)
    left, _, right, _ = face_window(1000, 600, 300, 600, [small, large])
    assert left <= 800 and right >= 920


def test_a_face_wider_than_the_window_is_centred() -> None:
    huge = Face(x=0.2, y=0.0, w=0.5, h=1.0)
    left, _, right, _ = face_window(1000, 600, 300, 600, [huge])
    assert (left + right) / 2 == pytest.approx(450, abs=1)


def test_a_tall_photo_slides_vertically() -> None:
    # A screenshot-like 1000 x 2600 (narrower than 9:16): full width, the box moves down to
    # a face at the bottom.
    face = Face(x=0.4, y=0.9, w=0.2, h=0.05)
    left, top, right, bottom = story_box(1000, 2600, [face])
    assert (left, right, bottom - top) == (0, 1000, 1778)
    assert bottom == 2600


def test_a_group_wider_than_the_story_keeps_as_many_whole_faces_as_fit() -> None:
    # dlib's 2008_007676 (7 annotated faces across 107..403 of its 500 px) at 4x on the left of
    # a 2400 x 1350 canvas: the 9:16 box (608 of the 1920 px working width) cannot hold them
    # all; it must hold as many whole ones as any box could, more than the centre's.
    photo = Image.open(DATA / "dlib-faces" / "2008_007676.jpg").convert("RGB")
    photo = photo.resize((2000, 1336), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (2400, 1350), (128, 128, 128))
    canvas.paste(photo, (0, 7))
    boxes = [(226, 37), (194, 44), (262, 37), (366, 37), (314, 37), (107, 52), (137, 44)]
    truth = [(4 * left / 2400, 4 * (left + w) / 2400) for left, w in boxes]

    _, faces = story_of(jpeg(canvas))
    left, _, right, _ = story_box(1920, 1080, faces)

    def whole(a: float, b: float) -> int:
        return sum(a <= s and e <= b for s, e in truth)

    best = max(whole(s, s + 608 / 1920) for s, _ in truth)
    centred = story_box(1920, 1080)
    assert best == 4 and whole(centred[0] / 1920, centred[2] / 1920) == 3
    assert whole(left / 1920, right / 1920) == best
