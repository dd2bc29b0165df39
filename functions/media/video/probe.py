"""What an uploaded video is, read from its bytes rather than from what the app declared, and
everything S3's upload policy cannot refuse: the container, the codec, the duration, the
dimensions, a file cut short.

Every refusal is a ``VideoRejected`` whose reason is shown to the uploader as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

# What phones record. Anything else (MPEG-4 Part 2, VP9, AV1, ProRes) is refused rather than
# transcoded: the decoders are in the wheel, but no phone app uploads them and each is more
# attack surface.
CODECS = frozenset({"h264", "hevc"})
# FFmpeg's one demuxer for ISO BMFF: MP4 and QuickTime MOV are the same box structure.
CONTAINER = "mov,mp4,m4a,3gp,3g2,mj2"
# A decoder that accepts a still image names a format like these.
_STILL_FORMATS = ("image2", "_pipe", "png", "gif", "webp", "tiff", "bmp")
MIN_SIDE, MAX_SIDE = 32, 4096  # 4096: DCI 4K, the largest a phone records
MAX_ASPECT = 4.0  # 9:16 is 1.8; past 4:1 it is not a picture anybody filmed
MAX_FPS = 240

EMPTY = "The video is empty"
NOT_A_VIDEO = "This file is not a video we can read"
STILL_IMAGE = "This file is a still image, not a video"
NOT_DECLARED = "The file is not the MP4 or MOV video it was uploaded as"
NO_VIDEO = "The file has sound but no picture"
TRUNCATED = "The video is cut short (the upload did not finish?)"
ABSURD = "The video's dimensions are not those of a video we can show"


class VideoRejected(Exception):
    """The upload cannot be used as a video; ``reason`` is short and fit to show a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Probe:
    codec: str
    width: int  # as stored; ``rotation`` turns it upright
    height: int
    rotation: int  # degrees counter-clockwise, a multiple of 90
    duration_s: float
    fps: float
    has_audio: bool

    @property
    def upright(self) -> tuple[int, int]:
        turned = self.rotation % 180 != 0
        return (self.height, self.width) if turned else (self.width, self.height)


def probe(path: Path, max_seconds: float, max_bytes: int) -> Probe:
    """The checked facts of the video at ``path``; raises ``VideoRejected``."""
    size = path.stat().st_size
    if size == 0:
        raise VideoRejected(EMPTY)
    if size > max_bytes:
        raise VideoRejected(f"Videos can be at most {max_bytes // (1024 * 1024)} MB")
    head = _head(path)
    if head[4:8] not in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
        try:
            with av.open(str(path)) as container:
                name = container.format.name
        except (av.FFmpegError, ValueError):
            raise VideoRejected(NOT_A_VIDEO) from None
        raise VideoRejected(STILL_IMAGE if _is_still(name) else NOT_DECLARED)
    try:
        with av.open(str(path)) as container:
            return _facts(container, max_seconds)
    except VideoRejected:
        raise
    except (av.FFmpegError, ValueError, OverflowError, ZeroDivisionError):
        # "moov atom not found": an MP4 whose index never arrived, the usual cut-off upload.
        raise VideoRejected(TRUNCATED) from None


def _facts(container: av.container.InputContainer, max_seconds: float) -> Probe:
    if container.format.name != CONTAINER:
        raise VideoRejected(NOT_DECLARED)
    if not container.streams.video:
        raise VideoRejected(NO_VIDEO)
    stream = container.streams.video[0]
    codec = stream.codec_context.name
    if codec not in CODECS:
        raise VideoRejected(
            f"Videos must be H.264 or HEVC (as phones record them); this one is {codec}"
        )
    width, height = stream.codec_context.width, stream.codec_context.height
    if (
        min(width, height) < MIN_SIDE
        or max(width, height) > MAX_SIDE
        or max(width, height) / min(width, height) > MAX_ASPECT
    ):
        raise VideoRejected(ABSURD)
    duration = _duration(container, stream)
    if duration <= 0:
        raise VideoRejected(TRUNCATED)
    if duration > max_seconds + 0.5:  # half a second of slack for rounding by the phone
        raise VideoRejected(f"Videos can be at most {max_seconds:g} seconds long")
    fps = float(stream.average_rate or stream.guessed_rate or 30)
    if not 0 < fps <= MAX_FPS:
        raise VideoRejected(ABSURD)
    first = next(container.decode(stream), None)
    if first is None:
        raise VideoRejected(TRUNCATED)
    return Probe(
        codec=codec,
        width=width,
        height=height,
        rotation=int(first.rotation or 0) % 360,
        duration_s=duration,
        fps=fps,
        has_audio=bool(container.streams.audio),
    )


def _duration(container: av.container.InputContainer, stream: av.VideoStream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return (container.duration or 0) / av.time_base


def _head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(12)


def _is_still(format_name: str) -> bool:
    return any(marker in format_name for marker in _STILL_FORMATS)
