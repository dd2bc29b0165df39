"""From uploaded bytes to an image we trust: RGB, sRGB, upright, with no metadata left.

Uploads come from anyone, so the file is judged by its bytes alone (the key's extension and
the declared Content-Type are the client's word), its size is checked from the header before
any pixel is decoded, and every pixel is decoded before it is used so that a truncated file
fails here rather than producing half a photo. Every refusal is an ``ImageRejected`` whose
reason the app shows as is.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageFile, ImageOps, features

# A 48 MP phone sensor fits; more is a crafted file or a scan nobody needs at 1080 px. A
# decoded 50 MP RGB image is 150 MB, well within the function's memory.
MAX_PIXELS = 50_000_000
MIN_SIDE = 16
MAX_SIDE = 12_000
# Panoramas are about 4:1 to 10:1; past 20:1 a feed tile shows a line.
MAX_ASPECT = 20.0

NOT_AN_IMAGE = "not an image"
UNSUPPORTED = "image type is not supported"
TOO_LARGE = "image is too large"
CORRUPT = "file is truncated or corrupt"
OUT_OF_RANGE = "image dimensions are out of range"

# Major or compatible brands of an ISO-BMFF file whose image is HEVC-coded (HEIC). A plain
# "mif1"/"msf1" file may be HEVC or AV1 coded: libheif decides, and AVIF is refused up front.
_HEVC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_GENERIC_HEIF_BRANDS = {b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_OTHER_IMAGE_MAGIC = (b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM", b"\x00\x00\x01\x00")


class ImageRejected(Exception):
    """The upload cannot be used as a photo; ``reason`` is short and fit to show a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Decoded:
    """A decoded upload. ``image`` may be smaller than the original when the JPEG decoder
    shrank it on load; ``width``/``height`` are the original's, upright."""

    image: Image.Image
    width: int
    height: int
    format: str


def sniff(data: bytes) -> str:
    """The Pillow format name of an accepted image, from its magic bytes."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp":
        brands = _ftyp_brands(data)
        if brands & _HEVC_BRANDS:
            return "HEIF"
        if brands & _AVIF_BRANDS:
            raise ImageRejected(UNSUPPORTED)
        if brands & _GENERIC_HEIF_BRANDS:
            return "HEIF"
        raise ImageRejected(NOT_AN_IMAGE)  # an MP4 or another ISO-BMFF file
    if data.startswith(_OTHER_IMAGE_MAGIC):
        raise ImageRejected(UNSUPPORTED)
    raise ImageRejected(NOT_AN_IMAGE)


def decode(data: bytes, fit: int | None = None) -> Decoded:
    """Decodes ``data`` into an upright sRGB RGB image with no metadata.

    ``fit`` is the largest long side the caller will use: a JPEG is then decoded at the
    smallest 1/2, 3/8, 1/4 or 1/8 scale that still covers it, which is several times faster
    and lighter than decoding every pixel and resizing afterwards.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Process-wide, and refusing truncated files depends on it: a bug, not a bad upload.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is on: truncated files pass")
    kind = sniff(data)
    image = _open(data, kind)
    _check_dimensions(*image.size)
    full_size = image.size
    if fit is not None and kind == "JPEG" and max(full_size) > fit:
        _shrink_on_load(image, fit)
    _load(image)

    loaded_size = image.size
    image = _upright(image)
    swapped = image.size != loaded_size
    width, height = (full_size[1], full_size[0]) if swapped else full_size

    image = _to_srgb(_flatten(image))
    # Nothing of the upload's metadata (EXIF, GPS, XMP, comments, ICC) may reach an output;
    # Pillow carries `info` through convert/resize and some encoders read it.
    image.info = {}
    return Decoded(image=image, width=width, height=height, format=kind)


def _ftyp_brands(data: bytes) -> set[bytes]:
    box_size = int.from_bytes(data[0:4], "big")
    end = min(max(box_size, 16), len(data), 256)
    brands = {data[8:12]}
    brands.update(data[i : i + 4] for i in range(16, end - 3, 4))
    return brands


@functools.cache
def _register_heif() -> None:
    # Imported on the first HEIC only: libheif costs cold-start time most uploads don't need.
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _open(data: bytes, kind: str) -> Image.Image:
    if kind == "HEIF":
        _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Only the sniffed format's parser may read the file.
            return Image.open(io.BytesIO(data), formats=[kind])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        raise ImageRejected(TOO_LARGE) from bomb
    except Exception as error:
        # A hostile or broken header can make a parser raise nearly anything (SyntaxError,
        # struct.error, ValueError, ...): all of them mean the same to the uploader.
        raise ImageRejected(CORRUPT) from error


def _check_dimensions(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ImageRejected(TOO_LARGE)
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise ImageRejected(OUT_OF_RANGE)
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise ImageRejected(OUT_OF_RANGE)


def _shrink_on_load(image: Image.Image, fit: int) -> None:
    """Has libjpeg decode ``image`` at the smallest scale of k/8 whose long side still
    covers ``fit``: k = 1, 2, 4 through ``Image.draft``, and k = 3 directly (below)."""
    if _eighths(max(image.size), fit) == 3 and _three_eighths(image):
        return
    image.draft("RGB", _draft_box(image.size, fit))


def _eighths(long_side: int, fit: int) -> int:
    # libjpeg's scaled sizes round up: ceil(side * k / 8).
    return next((k for k in (1, 2, 3, 4) if -(-long_side * k // 8) >= fit), 8)


def _three_eighths(image: Image.Image) -> bool:
    """Sets ``image`` up to be decoded at 3/8 scale; False if this Pillow can't be asked.

    A 12 MP phone photo (4032 x 3024) decodes at 1512 x 1134 instead of the 1/2 scale's
    2016 x 1512: the same decoding time (the entropy decoding of every coefficient is most of
    it), and the resize to 1080 px then reads 44 % fewer pixels (bench/media: decode and
    resize 56 ms against 68, the same PSNR against an exact resize of the full decode).
    ``Image.draft`` only
    asks for powers of two, so this sets what it would set: the scale it passes to the
    decoder (``decoderconfig``: libjpeg's scale_denom, with scale_num 1; libjpeg-turbo turns
    1/3 into the nearest k/8 at least as large, 3/8) and the image's size and tile at that
    scale. The size must be exactly what libjpeg will write (Pillow's row buffer is sized
    from the tile): libjpeg-turbo's ceil(side * 3 / 8). The IJG libjpeg 6b would decode 1/3
    at 1/2, so this runs on libjpeg-turbo only, and on nothing but a fresh one-tile JPEG.
    """
    # A decoderconfig already set means a draft was asked for; a missing one, or a tile of
    # another shape, a Pillow whose internals moved: then draft's powers of two it is.
    if not _libjpeg_turbo() or getattr(image, "decoderconfig", None) != ():
        return False
    width, height = image.size
    size = (-(-width * 3 // 8), -(-height * 3 // 8))
    try:
        [(decoder, extent, offset, args)] = image.tile
        tile = ImageFile._Tile(decoder, (0, 0, *size), offset, args)
    except (AttributeError, TypeError, ValueError):
        return False
    if decoder != "jpeg" or tuple(extent) != (0, 0, width, height):
        return False
    image.tile = [tile]
    image._size = size
    image.decoderconfig = (3, 0)  # (scale_denom, draft): as Image.draft sets it
    return True


@functools.cache
def _libjpeg_turbo() -> bool:
    return bool(features.check_feature("libjpeg_turbo"))


def _draft_box(size: tuple[int, int], fit: int) -> tuple[int, int]:
    # Pillow picks the largest scale that keeps *both* sides at least this box, so the box
    # has the image's own proportions: the long side then never drops below `fit`.
    scale = fit / max(size)
    return max(1, math.ceil(size[0] * scale)), max(1, math.ceil(size[1] * scale))


def _load(image: Image.Image) -> None:
    try:
        image.load()
    except Exception as error:
        # Same as in _open: any decoder error means a truncated or corrupt file.
        raise ImageRejected(CORRUPT) from error


def _upright(image: Image.Image) -> Image.Image:
    # In place: a copy of a 50 MP image is 150 MB, and most photos need no turning.
    # Unreadable EXIF: the pixels are fine, show them as stored rather than refuse.
    with contextlib.suppress(Exception):
        ImageOps.exif_transpose(image, in_place=True)
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """To L, RGB or CMYK with no alpha (composited on white, as the app's background)."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit grey (PNG): Pillow's convert clips to 255 instead of scaling.
        image = image.point(lambda value: value / 256).convert("L")
    if image.mode in ("P", "PA"):
        transparent = image.mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if transparent else "RGB")
    if image.mode in ("RGBA", "RGBa", "LA", "La"):
        base = "L" if image.mode.startswith("L") else "RGB"
        background = Image.new(base, image.size, "white")
        background.paste(image.convert(base), mask=image.convert("RGBA").getchannel("A"))
        background.info = image.info
        image = background
    if image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    return image


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, source, _srgb(), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            # A profile lcms can't use (broken, or not for this mode): the pixels are still a
            # photo, read them as sRGB like a browser would.
            pass
    return image if image.mode == "RGB" else image.convert("RGB")
