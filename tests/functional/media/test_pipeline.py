"""The pipeline as the media job calls it (functions/media/jobs.py)."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image, ImageCms

from imaging.decode import ImageRejected
from imaging.pipeline import ProcessedImage, process


def jpeg_segments(data: bytes) -> list[int]:
    """The markers of a JPEG's header segments, up to the start of the scan."""
    markers, at = [], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return markers


def phone_photo(photo) -> bytes:
    """A JPEG like a phone's: EXIF with GPS position and camera, an ICC profile, a comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = 1
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 29.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 17.0, 40.0)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    photo(1600, 1200).save(
        buffer, "JPEG", exif=exif.tobytes(), icc_profile=srgb, comment=b"at home"
    )
    return buffer.getvalue()


def test_no_metadata_reaches_any_output(photo):
    data = phone_photo(photo)
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the input really has a position
    assert b"GPS" in data or b"Exif" in data

    processed = process(data, "valencia")

    for rendition in processed.renditions:
        image = Image.open(io.BytesIO(rendition.data))
        assert len(image.getexif()) == 0, rendition.name
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info), rendition.name
        segments = jpeg_segments(rendition.data)
        # APP1 (EXIF, XMP), APP2 (ICC) and COM would each be a leak; APP0 (JFIF) is fine.
        assert not {0xE1, 0xE2, 0xFE} & set(segments), (rendition.name, segments)


def test_process_returns_what_the_media_job_stores(photo, encoded):
    processed = process(encoded(photo(1600, 1200)), "clarendon")

    assert isinstance(processed, ProcessedImage)
    assert (processed.width, processed.height) == (1600, 1200)
    assert isinstance(processed.placeholder, str) and len(processed.placeholder) == 28
    assert isinstance(processed.faces, list)
    for rendition in processed.renditions:
        assert rendition.data[:3] == b"\xff\xd8\xff"
        assert isinstance(rendition.width, int) and isinstance(rendition.height, int)


def test_every_filter_runs_through_the_pipeline(photo, encoded):
    from imaging.filters import FILTERS

    data = encoded(photo(800, 600))
    larges = {name: process(data, name).renditions[0].data for name in FILTERS}
    assert len(set(larges.values())) == len(FILTERS)


def test_heic_goes_through(photo):
    pillow_heif = pytest.importorskip("pillow_heif")
    buffer = io.BytesIO()
    pillow_heif.from_pillow(photo(640, 480)).save(buffer, quality=80)  # x265 is slow

    processed = process(buffer.getvalue(), "juno")

    assert (processed.width, processed.height) == (640, 480)
    assert [(r.width, r.height) for r in processed.renditions][-2:] == [(320, 240), (150, 150)]


def test_a_refused_photo_says_why():
    with pytest.raises(ImageRejected) as refused:
        process(b"%PDF-1.7 not a photo", "normal")
    assert refused.value.reason == "not an image"


def test_an_unknown_filter_fails_before_decoding():
    with pytest.raises(ValueError, match="filter"):
        process(b"not even an image", "sepia")
