"""Profile photos (``imaging.pipeline.process_avatar``): the square around the largest face,
the centre square without one, the sizes, and the same refusals and metadata stripping as a
post's photo."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image

from imaging.decode import ImageRejected
from imaging.faces import Face
from imaging.pipeline import ProcessedAvatar, process_avatar
from imaging.renditions import AVATAR_LARGE, AVATAR_SMALL, avatar_box

SAMPLE = Path(__file__).parent / "data" / "sample.jpg"
# The sample's largest face (dlib's training.xml), in pixels of its 500 x 375.
LARGEST_FACE = (344, 155, 90, 90)
APP1, APP2, COM, SOS = 0xE1, 0xE2, 0xFE, 0xDA


def header_segments(jpeg: bytes) -> set[int]:
    markers, at = set(), 2
    while at + 4 <= len(jpeg) and jpeg[at] == 0xFF and jpeg[at + 1] != SOS:
        markers.add(jpeg[at + 1])
        at += 2 + int.from_bytes(jpeg[at + 2 : at + 4], "big")
    return markers


def centre(box: tuple[float, float, float, float]) -> tuple[float, float]:
    x, y, w, h = box
    return x + w / 2, y + h / 2


def sample_off_centre(encoded) -> tuple[bytes, tuple[float, float]]:
    """The sample photo at twice its size, pasted near the right edge of a plain 1600 x 1000
    wall: the largest face is far from the middle. Returns the JPEG and that face's centre
    (fractions of the wall)."""
    wall = Image.new("RGB", (1600, 1000), (128, 120, 112))
    scale, at = 2, (560, 200)
    wall.paste(Image.open(SAMPLE).resize((1000, 750), Image.Resampling.LANCZOS), at)
    x, y, w, h = LARGEST_FACE
    face_centre = ((at[0] + scale * (x + w / 2)) / 1600, (at[1] + scale * (y + h / 2)) / 1000)
    return encoded(wall, quality=92), face_centre


def test_the_square_is_centred_on_the_largest_face(encoded):
    data, face_centre = sample_off_centre(encoded)

    made = process_avatar(data)

    assert isinstance(made, ProcessedAvatar)
    largest = made.faces[0]
    found = centre((largest.x, largest.y, largest.w, largest.h))
    assert found == pytest.approx(face_centre, abs=0.02)  # the detector found that face
    x, y, w, h = made.crop
    assert w * 1600 == pytest.approx(h * 1000, abs=2)  # a square of the photo
    assert centre(made.crop) == pytest.approx(face_centre, abs=0.02)
    assert abs(centre(made.crop)[0] - 0.5) > 0.25  # nowhere near the middle
    # Head and shoulders, not the whole photo: 3 times the face, within the photo.
    assert w < 0.5 and 0 <= x <= x + w <= 1 and 0 <= y <= y + h <= 1


def test_the_avatar_shows_the_face(encoded):
    data, face_centre = sample_off_centre(encoded)
    made = process_avatar(data)
    large = Image.open(io.BytesIO(made.renditions[0].data)).convert("RGB")
    # The wall is one flat grey; the face and the people around it are not: most of the
    # avatar is photo, not wall.
    pixels = np.asarray(large, dtype=np.int16)
    wall = np.all(np.abs(pixels - (128, 120, 112)) < 6, axis=-1)
    assert wall.mean() < 0.2


def test_without_a_face_it_is_the_centre_square(photo, encoded):
    made = process_avatar(encoded(photo(900, 500)))

    assert made.faces == []
    assert made.crop == pytest.approx((200 / 900, 0.0, 500 / 900, 1.0))


def test_renditions_are_square_jpegs_of_the_stated_sizes(photo, encoded):
    made = process_avatar(encoded(photo(1600, 1200)))

    assert [(r.name, r.width, r.height) for r in made.renditions] == [
        ("large", AVATAR_LARGE, AVATAR_LARGE),
        ("small", AVATAR_SMALL, AVATAR_SMALL),
    ]
    for rendition in made.renditions:
        image = Image.open(io.BytesIO(rendition.data))
        assert image.format == "JPEG" and image.size == (rendition.width, rendition.height)
    assert isinstance(made.placeholder, str) and len(made.placeholder) == 28


def test_a_small_photo_is_not_upscaled(photo, encoded):
    made = process_avatar(encoded(photo(200, 150)))
    assert [(r.width, r.height) for r in made.renditions] == [(150, 150), (110, 110)]


def test_no_exif_gps_icc_or_comment_reaches_the_avatar(photo):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 29.0)
    buffer = io.BytesIO()
    photo(1200, 900).save(buffer, "JPEG", exif=exif.tobytes(), comment=b"at home")
    assert Image.open(io.BytesIO(buffer.getvalue())).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    for rendition in process_avatar(buffer.getvalue()).renditions:
        image = Image.open(io.BytesIO(rendition.data))
        assert len(image.getexif()) == 0
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
        assert not {APP1, APP2, COM} & header_segments(rendition.data)


def test_the_photo_is_turned_upright_before_the_crop(photo, encoded):
    # Stored 1600 x 1200, EXIF says "rotate 90° clockwise": upright it is a portrait, whose
    # centre square spans its whole width.
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    made = process_avatar(encoded(photo(1600, 1200), exif=exif.tobytes()))
    assert made.crop == pytest.approx((0.0, 0.125, 1.0, 0.75), abs=0.002)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (SAMPLE.read_bytes()[:3000], "file is truncated or corrupt"),
        (b"GIF89a" + b"\x00" * 64, "image type is not supported"),
        (b"%PDF-1.7 not a photo", "not an image"),
    ],
    ids=["truncated", "gif", "pdf"],
)
def test_a_file_refused_for_a_post_is_refused_for_an_avatar(data, reason):
    with pytest.raises(ImageRejected) as refused:
        process_avatar(data)
    assert refused.value.reason == reason


def test_a_decompression_bomb_is_refused_before_decoding(encoded):
    # A PNG claiming 30000 x 30000: refused from its header.
    header = encoded(Image.new("L", (16, 16)), "PNG")
    bomb = header[:16] + (30000).to_bytes(4, "big") * 2 + header[24:]
    with pytest.raises(ImageRejected) as refused:
        process_avatar(bomb)
    assert refused.value.reason in ("image is too large", "file is truncated or corrupt")


def test_an_unknown_detector_fails_before_decoding():
    with pytest.raises(ValueError, match="detector"):
        process_avatar(b"not even an image", detector="eyes")


# -- the crop alone ------------------------------------------------------------------------------


def test_the_box_follows_the_largest_face_not_the_others():
    # Largest first, as faces.detect returns them: the square goes to the first one.
    faces = [Face(x=0.70, y=0.40, w=0.10, h=0.16), Face(x=0.10, y=0.40, w=0.05, h=0.08)]
    left, top, right, bottom = avatar_box(1000, 600, faces)
    assert right - left == bottom - top == 320  # 3 x 100 px is under the 320 px floor
    assert ((left + right) / 2, (top + bottom) / 2) == pytest.approx((750, 288), abs=1)


def test_the_box_spans_three_faces_and_stays_inside():
    big_face = [Face(x=0.40, y=0.30, w=0.25, h=0.40)]  # 250 x 240 px of 1000 x 600
    left, top, right, bottom = avatar_box(1000, 600, big_face)
    assert right - left == 600  # 3 x 250 is more than the short side: the short side
    at_the_edge = [Face(x=0.92, y=0.02, w=0.06, h=0.1)]
    assert avatar_box(1000, 600, at_the_edge) == (680, 0, 1000, 320)
