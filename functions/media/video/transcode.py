"""A probed video to its MP4 renditions in one decoding pass, and the frames a poster may be
chosen from, caught on the way.

Each rendition is H.264 (libx264, CRF 23, ``veryfast``) with AAC sound, upright (the display
matrix phones write is applied to the pixels, the output carries none), scaled down to fit its
box and never up, with the index at the front (``+faststart``) so playback starts before the
download ends. Nothing of the upload's container or stream metadata is copied: an output
container starts empty, so GPS and device tags cannot reach it.

What the renditions look like is a ``Shape``: a post's (``POST``) keeps the video's proportions
in its orientation's box; a story's (``STORY``) first cuts the upright picture to a centred
9:16 box, then scales it to a portrait box, as a story's photo is cut (``process_story``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image

from .probe import TRUNCATED, Probe, VideoRejected

# name: (long side, short side) at most. 720p is 1280x720 turned to the video's orientation.
SIZES = {"720p": (1280, 720), "480p": (854, 480)}
CRF, PRESET = {"720p": "23", "480p": "24"}, "veryfast"
AUDIO_BITRATE = {"720p": 128_000, "480p": 96_000}
AAC_RATES = (44100, 48000)
POSTER_CANDIDATES = 8
# Frames decoded must reach this much of the duration the container declares.
COMPLETE = 0.9


@dataclass(frozen=True)
class Shape:
    """The renditions' geometry: each name's box, (long side, short side) at most, turned to
    the picture's orientation; and ``crop``, an aspect (width, height) the upright picture is
    first cut to, centred, or None to keep the video's proportions."""

    sizes: Mapping[str, tuple[int, int]]
    crop: tuple[int, int] | None = None


POST = Shape(SIZES)
# A story fills a phone's screen: 720 x 1280 and 480 x 854, from a centred 9:16 cut.
STORY = Shape(SIZES, crop=(9, 16))


@dataclass(frozen=True)
class VideoRendition:
    name: str
    path: Path
    width: int
    height: int


@dataclass(frozen=True)
class Transcoded:
    renditions: list[VideoRendition]
    candidates: list[tuple[float, Image.Image]]  # (seconds, upright frame), in time order


def box(
    width: int, height: int, name: str, sizes: Mapping[str, tuple[int, int]] = SIZES
) -> tuple[int, int]:
    """The rendition ``name``'s size for an upright ``width`` x ``height`` video: proportions
    kept, never upscaled, even sides (4:2:0 chroma needs them)."""
    long_side, short_side = sizes[name]
    scale = min(1.0, long_side / max(width, height), short_side / min(width, height))
    return _even(width * scale), _even(height * scale)


def cut(width: int, height: int, aspect: tuple[int, int]) -> tuple[int, int]:
    """The largest box of ``aspect`` inside an upright ``width`` x ``height`` picture (even
    sides), which the ``crop`` filter centres."""
    aw, ah = aspect
    if width * ah > height * aw:  # wider than the aspect: the height decides
        return _even(height * aw / ah), _even(height)
    return _even(width), _even(width * ah / aw)


def target(width: int, height: int, name: str, shape: Shape = POST) -> tuple[int, int]:
    """The rendition ``name``'s size for an upright ``width`` x ``height`` video in ``shape``.
    A cut picture large enough takes its box exactly (480 x 854 from 1080 x 1920: the 0.2 %
    stretch is invisible, and players expect the standard sizes), a smaller one is scaled
    down proportionally and never up."""
    if shape.crop is None:
        return box(width, height, name, shape.sizes)
    w, h = cut(width, height, shape.crop)
    long_side, short_side = shape.sizes[name]
    bw, bh = (short_side, long_side) if h >= w else (long_side, short_side)
    if w >= bw and h >= bh:
        return bw, bh
    return box(w, h, name, shape.sizes)


def transcode(
    source: Path,
    facts: Probe,
    out_dir: Path,
    names: Sequence[str] = tuple(SIZES),
    shape: Shape = POST,
) -> Transcoded:
    """Writes ``out_dir/<name>.mp4`` for each of ``names`` in ``shape``; raises
    ``VideoRejected`` for a video that turns out cut short or undecodable past its header.
    The poster candidates are whole upright frames either way: a story's poster is cut by
    the photo path, as a story's photo is."""
    width, height = facts.upright
    crop = cut(width, height, shape.crop) if shape.crop is not None else None
    times = [facts.duration_s * (i + 0.5) / POSTER_CANDIDATES for i in range(POSTER_CANDIDATES)]
    candidates: list[tuple[float, Image.Image]] = []
    outputs: list[_Output] = []
    last_video_time = 0.0
    workers = ThreadPoolExecutor(max_workers=len(names))
    try:
        with av.open(str(source)) as container:
            video = container.streams.video[0]
            video.thread_type = "AUTO"
            audio = container.streams.audio[0] if container.streams.audio else None
            for name in names:
                w, h = target(width, height, name, shape)
                path = out_dir / f"{name}.mp4"
                outputs.append(_Output(name, path, video, audio, facts, w, h, crop))
            streams = [video] + ([audio] if audio is not None else [])
            for packet in container.demux(streams):
                for frame in packet.decode():
                    if isinstance(frame, av.AudioFrame):
                        for output in outputs:
                            output.audio(frame)
                        continue
                    if frame.time is not None:
                        last_video_time = max(last_video_time, frame.time)
                    if times and frame.time is not None and frame.time >= times[0]:
                        times.pop(0)
                        candidates.append((frame.time, _upright(frame.to_image(), facts)))
                    if len(outputs) == 1:
                        outputs[0].video(frame)
                    else:
                        # Each rendition's scaling and encoding on its own thread (PyAV lets
                        # go of the GIL in FFmpeg's calls), as the ffmpeg command line does.
                        list(workers.map(_Output.video, outputs, [frame] * len(outputs)))
            for output in outputs:
                output.close()
    except av.FFmpegError:
        raise VideoRejected(TRUNCATED) from None
    finally:
        workers.shutdown()
        for output in outputs:
            output.abandon()
    if last_video_time < COMPLETE * facts.duration_s - 0.5:
        raise VideoRejected(TRUNCATED)
    return Transcoded(
        renditions=[VideoRendition(o.name, o.path, o.width, o.height) for o in outputs],
        candidates=candidates,
    )


class _Output:
    """One rendition being written: its filter graph (turn, scale), encoders and file."""

    def __init__(
        self,
        name: str,
        path: Path,
        video: av.VideoStream,
        audio: av.AudioStream | None,
        facts: Probe,
        width: int,
        height: int,
        crop: tuple[int, int] | None = None,
    ) -> None:
        self.name, self.path, self.width, self.height = name, path, width, height
        self.closed = False
        self.file = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
        self.stream = self.file.add_stream(
            "libx264", rate=round(facts.fps) or 30, options={"crf": CRF[name], "preset": PRESET}
        )
        self.stream.width, self.stream.height, self.stream.pix_fmt = width, height, "yuv420p"
        self.stream.time_base = video.time_base
        self.stream.codec_context.time_base = video.time_base
        self.stream.codec_context.gop_size = max(1, round(2 * facts.fps))
        # PyAV asks for slice threads, which makes x264 use sliced threads (lower latency,
        # ~1.5x slower); frame threads are what the ffmpeg command line gets by default.
        self.stream.codec_context.thread_type = "FRAME"
        self.graph = _graph(video, facts.rotation, width, height, crop)
        self.audio_stream = None
        if audio is not None:
            rate = audio.rate if audio.rate in AAC_RATES else 48000
            layout = "mono" if audio.codec_context.layout.nb_channels == 1 else "stereo"
            self.audio_stream = self.file.add_stream("aac", rate=rate, layout=layout)
            self.audio_stream.bit_rate = AUDIO_BITRATE[name]
            self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)

    def video(self, frame: av.VideoFrame) -> None:
        self.graph.push(frame)
        self._drain()

    def audio(self, frame: av.AudioFrame) -> None:
        if self.audio_stream is None:
            return
        for resampled in self.resampler.resample(frame):
            self.file.mux(self.audio_stream.encode(resampled))

    def close(self) -> None:
        self.graph.push(None)
        self._drain()
        self.file.mux(self.stream.encode(None))
        if self.audio_stream is not None:
            for resampled in self.resampler.resample(None):
                self.file.mux(self.audio_stream.encode(resampled))
            self.file.mux(self.audio_stream.encode(None))
        self.file.close()
        self.closed = True

    def abandon(self) -> None:
        if not self.closed:
            self.file.close()
            self.closed = True

    def _drain(self) -> None:
        while True:
            try:
                frame = self.graph.vpull()
            except (av.BlockingIOError, av.EOFError):
                return
            frame.pict_type = av.video.frame.PictureType.NONE
            self.file.mux(self.stream.encode(frame))


def _graph(
    video: av.VideoStream,
    rotation: int,
    width: int,
    height: int,
    crop: tuple[int, int] | None = None,
) -> av.filter.Graph:
    graph = av.filter.Graph()
    # Slice threads for scale and transpose (0: one per core), as the ffmpeg command line
    # gets; otherwise every rendition's scaling runs serially on this thread.
    graph.threads = 0
    chain = [graph.add_buffer(template=video)]
    # The display matrix's rotation is counter-clockwise; FFmpeg's autorotate turns it back.
    clockwise = (-rotation) % 360
    turn = {90: [("transpose", "clock")], 180: [("hflip", ""), ("vflip", "")]}.get(
        clockwise, [("transpose", "cclock")] if clockwise == 270 else []
    )
    # The cut after the turn: its box is of the upright picture. FFmpeg's crop centres it.
    cropping = [("crop", f"{crop[0]}:{crop[1]}")] if crop is not None else []
    steps = [*turn, *cropping, ("scale", f"{width}:{height}"), ("format", "yuv420p")]
    for name, args in steps:
        chain.append(graph.add(name, args) if args else graph.add(name))
    chain.append(graph.add("buffersink"))
    for upstream, downstream in zip(chain, chain[1:], strict=False):
        upstream.link_to(downstream)
    graph.configure()
    return graph


def _upright(image: Image.Image, facts: Probe) -> Image.Image:
    clockwise = (-facts.rotation) % 360
    turn = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180}
    turn[270] = Image.Transpose.ROTATE_90
    return image.transpose(turn[clockwise]) if clockwise in turn else image


def _even(value: float) -> int:
    # Down to even, never up (that would upscale by a pixel); the epsilon keeps 959.9999...
    # of an exact 2/3 scale at 960.
    return max(2, int(value + 1e-6) // 2 * 2)
