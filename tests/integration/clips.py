"""Small real video files made with PyAV for the tests: what phones upload (H.264 or HEVC in
MP4 or MOV, AAC sound, a rotation in the display matrix, GPS and device tags) and what they
must not (other codecs, no picture, absurd sizes)."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
from PIL import Image

Frame = Callable[[int, int, int], np.ndarray]  # (index, width, height) -> RGB pixels
PARIS = "+48.8584+002.2945/"


def bands(index: int, width: int, height: int) -> np.ndarray:
    """A moving grey bar on a gradient, a red band along the stored top edge."""
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([40 + 150 * x / width, 60 + 120 * y / height, 120 + 0 * x], -1)
    pixels[:, (index * 7) % width : (index * 7) % width + width // 8] = 200
    pixels[: max(2, height // 8)] = (255, 0, 0)
    return pixels.astype(np.uint8)


def clip(
    seconds: float = 2.0,
    size: tuple[int, int] = (320, 240),
    fps: int = 15,
    *,
    codec: str = "libx264",
    container: str = "mp4",
    picture: Frame | None = bands,
    sound: bool = True,
    rotation: int = 0,
    metadata: dict[str, str] | None = None,
    faststart: bool = False,
) -> bytes:
    """A clip of ``seconds`` at ``size`` (as stored) with ``picture``'s frames and a tone;
    ``faststart`` puts the index (moov) first, as phones and web encoders often do."""
    # A real file, not a buffer: +faststart moves the index by reading the output again.
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"clip.{container}"
        options = {"movflags": "+faststart"} if faststart else {}
        with av.open(str(path), "w", format=container, options=options) as out:
            out.metadata.update(metadata or {})
            video = None
            if picture is not None:
                video = out.add_stream(codec, rate=fps)
                video.width, video.height = size
                video.pix_fmt = "yuv420p"
                if rotation:
                    video.set_display_rotation(rotation)
            audio = out.add_stream("aac", rate=44100, layout="mono") if sound else None
            if video is not None:
                for index in range(round(seconds * fps)):
                    frame = av.VideoFrame.from_ndarray(picture(index, *size), format="rgb24")
                    out.mux(video.encode(frame))
                out.mux(video.encode(None))
            if audio is not None:
                samples, t = 1024, 0
                while t < seconds * 44100:
                    wave = 0.2 * np.sin(2 * np.pi * 440 * (np.arange(samples) + t) / 44100)
                    frame = av.AudioFrame.from_ndarray(
                        wave.astype(np.float32)[None, :], format="fltp", layout="mono"
                    )
                    frame.sample_rate, frame.pts = 44100, t
                    out.mux(audio.encode(frame))
                    t += samples
                out.mux(audio.encode(None))
        return path.read_bytes()


def still_then(image: Image.Image, blank_frames: int) -> Frame:
    """Black frames (a fade-in, a lens cap) for the first ``blank_frames``, then ``image``."""

    def picture(index: int, width: int, height: int) -> np.ndarray:
        if index < blank_frames:
            return np.zeros((height, width, 3), np.uint8)
        return np.asarray(image.convert("RGB").resize((width, height)))

    return picture


def tags(path_or_data: bytes) -> dict[str, str]:
    """Every metadata tag of a file: the container's and each stream's."""
    with av.open(io.BytesIO(path_or_data)) as container:
        found = dict(container.metadata)
        for stream in container.streams:
            found.update({f"{stream.type}:{k}": v for k, v in stream.metadata.items()})
    return found
