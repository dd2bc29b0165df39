"""Face detection against annotated photos, boxes mapped back to the upright image, and the
face-aware thumb."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from face_truth import Box, annotations, matched
from PIL import Image

from imaging.faces import cnn_model_path, detect
from imaging.pipeline import process
from imaging.renditions import square_box

SAMPLE = Path(__file__).parent / "data" / "sample.jpg"
# The sample's faces, from dlib's training.xml, in pixels of its 500 x 375.
SAMPLE_FACES = [(104, 162, 76, 76), (232, 218, 63, 63), (344, 155, 90, 90)]


def sample_truth(width: int = 500, height: int = 375) -> list[Box]:
    return [(x / width, y / height, w / width, h / height) for x, y, w, h in SAMPLE_FACES]


def test_hog_finds_the_annotated_faces(eval_faces):
    # 9 PASCAL VOC photos, 43 faces of 37 to 109 px. Measured: all 43 found, none spurious.
    # They are ~500 px, so this is the upsampled search a small photo gets: searched as they
    # are, HOG (an 80 px window) would find 11.
    total = found = spurious = 0
    for photo, truth in annotations(eval_faces):
        faces = process(photo.read_bytes(), "normal").faces
        image_found, image_spurious = matched(truth, faces)
        total, found, spurious = total + len(truth), found + image_found, spurious + image_spurious
    assert total == 43
    assert found / total >= 0.9
    assert spurious <= 2


def test_boxes_are_fractions_of_the_full_photo(encoded):
    # 2000 x 1500: decoded, reduced to 1080, then searched at 640; the boxes must still
    # land on the faces of the original.
    big = Image.open(SAMPLE).resize((2000, 1500), Image.Resampling.BICUBIC)

    faces = process(encoded(big, quality=92), "normal").faces

    assert matched(sample_truth(), faces) == (3, 0)
    for face in faces:
        assert 0 <= face.x <= face.x + face.w <= 1 and 0 <= face.y <= face.y + face.h <= 1


def test_boxes_are_relative_to_the_upright_photo(encoded):
    # Stored sideways with orientation 6 (show it rotated 90° clockwise): upright, it is
    # the sample again, and so are the faces.
    sideways = Image.open(SAMPLE).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6

    processed = process(encoded(sideways, exif=exif.tobytes(), quality=95), "normal")

    assert (processed.width, processed.height) == (500, 375)
    assert matched(sample_truth(), processed.faces) == (3, 0)


def test_faces_are_found_whatever_the_filter():
    data = SAMPLE.read_bytes()
    assert process(data, "moon").faces == process(data, "normal").faces


def test_no_faces_in_a_photo_without_any(photo, encoded):
    assert process(encoded(photo(640, 480)), "normal").faces == []


def test_thumb_is_centred_on_the_faces(encoded):
    # The sample on the right of a wide grey canvas: the centre square would show the
    # canvas; the thumb must show the faces, centred on the box that holds them.
    canvas = Image.new("RGB", (1500, 375), (128, 128, 128))
    canvas.paste(Image.open(SAMPLE), (800, 0))

    processed = process(encoded(canvas, quality=95), "normal")

    large, thumb = (
        Image.open(io.BytesIO(r.data)).convert("RGB")
        for r in processed.renditions
        if r.name in ("large", "thumb")
    )
    left, top, right, bottom = square_box(*large.size, processed.faces)
    faces_centre = (min(f.x for f in processed.faces) + max(f.x + f.w for f in processed.faces)) / 2
    assert (left + right) / 2 / large.width == pytest.approx(faces_centre, abs=0.01)
    assert (left + right) / 2 / large.width == pytest.approx((800 + 269) / 1500, abs=0.02)

    def difference(box: tuple[int, int, int, int]) -> float:
        expected = large.resize(thumb.size, Image.Resampling.LANCZOS, box=box)
        return float(np.abs(np.asarray(expected, float) - np.asarray(thumb, float)).mean())

    centre = ((large.width - large.height) // 2, 0, (large.width + large.height) // 2, large.height)
    assert difference((left, top, right, bottom)) < 4
    assert difference(centre) > 20


def test_cnn_detector_finds_a_face(encoded):
    assert cnn_model_path().is_file()
    # One face of the sample, cropped small: the CNN takes ~1 s per 100k pixels here.
    x, y, w, h = SAMPLE_FACES[2]
    crop = (x - 50, y - 50, x + w + 50, y + h + 50)
    image = Image.open(SAMPLE).crop(crop)
    truth = [(50 / image.width, 50 / image.height, w / image.width, h / image.height)]

    faces = process(encoded(image, quality=95), "normal", detector="cnn").faces

    assert matched(truth, faces) == (1, 0)


def test_an_unknown_detector_is_a_value_error(photo):
    with pytest.raises(ValueError, match="detector"):
        detect(photo(64, 64), "haar")


@pytest.mark.parametrize(
    "size",
    [
        (500, 375),  # the sample as it is: under 1000 px, searched at 640 upsampled once
        (1440, 1080),  # a phone-sized photo: its 1080 px large is searched as it is
        (3000, 2250),  # shrunk on load, then the same
    ],
)
def test_the_sample_s_faces_are_found_at_any_size(encoded, size):
    image = Image.open(SAMPLE)
    if image.size != size:
        image = image.resize(size, Image.Resampling.BICUBIC)

    faces = process(encoded(image, quality=92), "normal").faces

    assert matched(sample_truth(), faces) == (3, 0)
