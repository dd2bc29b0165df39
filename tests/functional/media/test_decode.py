"""What is accepted as a photo, what is refused and why, and how it comes out."""

from __future__ import annotations

import contextlib
import io
import random
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageFile

from imaging import decode as decoding
from imaging.decode import ImageRejected, decode, sniff


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` but holds only a few bytes of pixels: how a
    decompression bomb or an absurd image looks before anything is decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def rejection(data: bytes) -> str:
    with pytest.raises(ImageRejected) as refused:
        decode(data)
    return refused.value.reason


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP"])
def test_the_type_comes_from_the_bytes(photo, encoded, format):
    decoded = decode(encoded(photo(64, 48), format))
    assert decoded.format == format
    assert (decoded.width, decoded.height) == (64, 48)
    assert decoded.image.mode == "RGB"


def test_multi_picture_jpegs_are_read_as_their_first_picture(encoded):
    # MPO: what some phones write for portrait or 3D shots; it is a JPEG to everyone else.
    first, second = Image.new("RGB", (64, 48), (200, 10, 10)), Image.new("RGB", (64, 48))
    decoded = decode(encoded(first, "MPO", save_all=True, append_images=[second]))
    assert decoded.format == "JPEG"
    assert decoded.image.getpixel((5, 5))[0] > 180


def test_heic_is_accepted(photo):
    pillow_heif = pytest.importorskip("pillow_heif")
    buffer = io.BytesIO()
    pillow_heif.from_pillow(photo(320, 240)).save(buffer, quality=80)

    decoded = decode(buffer.getvalue())

    assert decoded.format == "HEIF"
    assert decoded.image.size == (320, 240)
    assert decoded.image.mode == "RGB"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, this is a text file named photo.jpg\n" * 10,
        b"<html><body>not a photo</body></html>",
        bytes(range(256)) * 4,
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2",  # an MP4
    ],
)
def test_what_is_not_an_image_is_refused(data):
    assert rejection(data) == decoding.NOT_AN_IMAGE


@pytest.mark.parametrize("format", ["GIF", "BMP", "TIFF"])
def test_other_image_types_are_refused(photo, encoded, format):
    assert rejection(encoded(photo(64, 48), format)) == decoding.UNSUPPORTED


def test_avif_is_refused_as_unsupported():
    avif = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 64
    assert rejection(avif) == decoding.UNSUPPORTED


def test_sniffing_ignores_what_the_client_called_it(photo, encoded):
    # A PNG uploaded as "photo.jpg" with Content-Type image/jpeg is still read as a PNG.
    assert sniff(encoded(photo(32, 32), "PNG")) == "PNG"


@pytest.mark.parametrize("size", [(30_000, 30_000), (8_000, 7_000)])
def test_decompression_bombs_are_refused_from_the_header(size):
    # 900 MP trips Pillow's own bomb check, 56 MP only ours (50 MP); both are tiny files.
    data = png_header(*size)
    assert len(data) < 200
    assert rejection(data) == decoding.TOO_LARGE


@pytest.mark.parametrize("size", [(10, 10), (15, 400), (12_001, 1_000), (2_100, 100)])
def test_absurd_dimensions_are_refused(size):
    assert rejection(png_header(*size)) == decoding.OUT_OF_RANGE


def test_a_png_missing_its_pixels_is_refused():
    assert rejection(png_header(100, 100)) == decoding.CORRUPT


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP"])
def test_truncated_files_are_refused(photo, encoded, format):
    data = encoded(photo(200, 150), format)
    assert rejection(data[: len(data) // 2]) == decoding.CORRUPT


def test_a_truncated_heic_is_refused(photo):
    pillow_heif = pytest.importorskip("pillow_heif")
    buffer = io.BytesIO()
    pillow_heif.from_pillow(photo(256, 192)).save(buffer, quality=80)
    data = buffer.getvalue()
    assert rejection(data[: len(data) // 2]) == decoding.CORRUPT


def test_truncated_images_stay_refused_process_wide():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP"])
def test_damaged_files_raise_nothing_but_image_rejected(photo, encoded, format):
    original = encoded(photo(96, 64), format)
    rng = random.Random(format)
    for _ in range(40):
        data = bytearray(original[: rng.randrange(1, len(original) + 1)])
        for _ in range(rng.randrange(0, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        # A damaged file may still decode, or be refused: anything else fails the test.
        with contextlib.suppress(ImageRejected):
            decode(bytes(data))


def test_exif_orientation_is_applied(encoded):
    # Stored landscape with a red top-left corner; orientation 6 means "rotate 90° clockwise
    # to show", so the photo is portrait and the red corner ends up top right.
    stored = Image.new("RGB", (400, 300), (20, 20, 200))
    stored.paste((230, 0, 0), (0, 0, 80, 80))
    exif = Image.Exif()
    exif[0x0112] = 6

    decoded = decode(encoded(stored, exif=exif.tobytes(), quality=95))

    assert decoded.image.size == (300, 400)
    assert (decoded.width, decoded.height) == (300, 400)
    red, _, blue = decoded.image.getpixel((300 - 20, 20))
    assert red > 200 and blue < 50


def test_large_jpegs_shrink_on_load_but_report_their_full_size(photo, encoded):
    data = encoded(photo(2400, 1800))

    drafted = decode(data, fit=1080)
    full = decode(data)

    # Halved by the JPEG decoder: the largest power of two that keeps the long side >= 1080.
    assert drafted.image.size == (1200, 900)
    assert full.image.size == (2400, 1800)
    assert (drafted.width, drafted.height) == (2400, 1800)


def test_shrink_on_load_keeps_the_full_size_upright(photo, encoded):
    exif = Image.Exif()
    exif[0x0112] = 8
    decoded = decode(encoded(photo(2400, 1800), exif=exif.tobytes()), fit=1080)
    assert decoded.image.size == (900, 1200)
    assert (decoded.width, decoded.height) == (1800, 2400)


def test_no_metadata_survives_decoding(photo, encoded):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encoded(photo(64, 48), exif=exif.tobytes(), icc_profile=srgb, comment=b"secret")
    assert {"exif", "icc_profile", "comment"} <= set(Image.open(io.BytesIO(data)).info)

    assert decode(data).image.info == {}


def swapped_primaries_profile() -> bytes:
    """sRGB with its red and blue primaries exchanged: a valid profile far from sRGB, so
    honouring it is visible (stored red means blue)."""
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack_from(">I", profile, 128)
    entries = {}
    for index in range(count):
        signature, offset, size = struct.unpack_from(">4sII", profile, 132 + 12 * index)
        entries[signature] = (index, offset, size)
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    struct.pack_into(">4sII", profile, 132 + 12 * red[0], b"rXYZ", blue[1], blue[2])
    struct.pack_into(">4sII", profile, 132 + 12 * blue[0], b"bXYZ", red[1], red[2])
    return bytes(profile)


@pytest.mark.parametrize("format", ["JPEG", "PNG"])
def test_an_embedded_profile_is_converted_to_srgb(encoded, format):
    data = encoded(
        Image.new("RGB", (64, 64), (200, 30, 30)), format, icc_profile=swapped_primaries_profile()
    )

    image = decode(data).image

    red, _, blue = image.getpixel((32, 32))
    assert blue > 150 and red < 80
    assert "icc_profile" not in image.info


def test_a_broken_profile_is_ignored(encoded):
    data = encoded(Image.new("RGB", (64, 64), (200, 30, 30)), icc_profile=b"not a profile")
    red, green, blue = decode(data).image.getpixel((32, 32))
    assert red > 180 and green < 50 and blue < 50


def test_cmyk_becomes_rgb(encoded):
    data = encoded(Image.new("CMYK", (64, 64), (0, 255, 255, 0)), quality=95)
    image = decode(data).image
    assert image.mode == "RGB"
    red, green, blue = image.getpixel((32, 32))
    assert red > 230 and green < 30 and blue < 30


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_transparency_is_composited_on_white(encoded, mode):
    if mode == "P":
        image = Image.new("P", (64, 64), 0)
        image.putpalette([10, 200, 10] * 256)
        data = encoded(image, "PNG", transparency=0)
    else:
        data = encoded(Image.new(mode, (64, 64), (0,) * (len(mode) - 1) + (0,)), "PNG")

    assert decode(data).image.getpixel((10, 10)) == (255, 255, 255)


def test_sixteen_bit_grey_is_scaled_not_clipped(encoded):
    ramp = (np.arange(256 * 64, dtype=np.uint16).reshape(64, 256) * 4).astype(np.uint16)
    data = encoded(Image.fromarray(ramp), "PNG")

    grey = np.asarray(decode(data).image)[..., 0]

    assert grey.min() == 0 and grey.max() >= 254
    assert 100 < grey.mean() < 155  # a clipping conversion would be ~255 almost everywhere


@pytest.mark.parametrize("mode", ["RGB", "L", "CMYK"])
@pytest.mark.parametrize("progressive", [False, True])
def test_a_12_mp_jpeg_decodes_at_three_eighths_with_the_right_pixels(
    photo, encoded, mode, progressive
):
    # 4032 x 3024 (a phone's 12 MP): 1/4 would be 1008 px, under 1080, so libjpeg-turbo
    # decodes it at 3/8, 1512 x 1134, rather than 1/2. The pixels must be the photo's.
    image = photo(4032, 3024).convert(mode)
    data = encoded(image, quality=92, progressive=progressive)

    decoded = decode(data, fit=1080)

    assert decoded.image.size == (1512, 1134)
    assert (decoded.width, decoded.height) == (4032, 3024)
    expected = decode(data).image.resize((1512, 1134), Image.Resampling.LANCZOS)
    difference = np.abs(np.asarray(decoded.image, float) - np.asarray(expected, float))
    assert difference.mean() < 2


def test_a_sideways_12_mp_jpeg_decodes_at_three_eighths_upright(encoded):
    # Orientation 6 (turn 90° clockwise): upright, 1134 x 1512, the red corner top right.
    stored = Image.new("RGB", (4032, 3024), (20, 20, 200))
    stored.paste((230, 0, 0), (0, 0, 800, 800))
    exif = Image.Exif()
    exif[0x0112] = 6

    decoded = decode(encoded(stored, exif=exif.tobytes(), quality=90), fit=1080)

    assert decoded.image.size == (1134, 1512)
    assert (decoded.width, decoded.height) == (3024, 4032)
    red, _, blue = decoded.image.getpixel((1134 - 50, 50))
    assert red > 200 and blue < 50


def test_a_truncated_12_mp_jpeg_is_refused_at_three_eighths_too(photo, encoded):
    data = encoded(photo(4032, 3024), quality=92)

    with pytest.raises(ImageRejected) as refused:
        decode(data[: len(data) * 2 // 3], fit=1080)
    assert refused.value.reason == "file is truncated or corrupt"


def test_without_libjpeg_turbo_a_12_mp_jpeg_falls_back_to_half_scale(photo, encoded, monkeypatch):
    # The IJG libjpeg would decode a 1/3 request at 1/2, bigger than the image Pillow holds:
    # 3/8 is asked of libjpeg-turbo only, and anything else gets Image.draft's 1/2.
    monkeypatch.setattr(decoding, "_libjpeg_turbo", lambda: False)

    decoded = decode(encoded(photo(4032, 3024), quality=92), fit=1080)

    assert decoded.image.size == (2016, 1512)
    assert (decoded.width, decoded.height) == (4032, 3024)
