"""One uploaded video, from its file to everything a post needs to show it: probe and check
(``probe``), the MP4 renditions and poster candidates in one decoding pass (``transcode``),
the poster chosen (``poster``) and turned into a photo's renditions, faces and placeholder by
the photo pipeline itself (``imaging.pipeline.process``). A story's video (``process_story_video``)
is the same pass in the story's 9:16 ``Shape``, its poster cut by ``process_story``."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av
from PIL.Image import Image

from imaging.pipeline import ProcessedImage, ProcessedStory, process, process_story

from .poster import Poster, choose
from .probe import TRUNCATED, Probe, VideoRejected, probe
from .transcode import POSTER_CANDIDATES, STORY, VideoRendition, transcode

TOO_HEAVY = "This video is too long for its resolution; try a shorter or smaller one"


def story_too_long(max_seconds: float) -> str:
    return f"Story videos can be at most {max_seconds:g} seconds long; trim it or post it"


@dataclass(frozen=True)
class ProcessedVideo:
    width: int  # upright, as the original plays
    height: int
    duration_ms: int
    renditions: list[VideoRendition]  # 720p, 480p: MP4 files in the caller's directory
    poster: ProcessedImage  # a photo's renditions, placeholder and faces
    poster_time_s: float
    poster_reason: str


@dataclass(frozen=True)
class ProcessedStoryVideo:
    duration_ms: int
    renditions: list[VideoRendition]  # 720p, 480p: 9:16 MP4 files in the caller's directory
    poster: ProcessedStory  # ``story`` and ``preview`` JPEGs and their placeholder
    poster_time_s: float
    poster_reason: str


def weight(facts: Probe) -> float:
    """The video's work in seconds of 1080p30: time scales with pixels and frames."""
    pixels = facts.width * facts.height / (1920 * 1080)
    return facts.duration_s * max(pixels, 0.1) * max(facts.fps / 30, 1.0)


def too_heavy(facts: Probe, budget: float) -> bool:
    """More work than one function run takes on (``VIDEO_FUNCTION_BUDGET``): such a video is
    MediaConvert's when it is on, refused with ``TOO_HEAVY`` when not."""
    return weight(facts) > budget


def check(source: Path, *, max_seconds: float, max_bytes: int, budget: float) -> Probe:
    """The probed facts of a video the function can take on; raises ``VideoRejected``."""
    facts = probe(source, max_seconds=max_seconds, max_bytes=max_bytes)
    if too_heavy(facts, budget):
        raise VideoRejected(TOO_HEAVY)
    return facts


def process_video(
    source: Path, out_dir: Path, facts: Probe, detector: str = "hog"
) -> ProcessedVideo:
    """Renditions (written to ``out_dir``), poster and duration of the ``check``-ed video at
    ``source``. Raises ``video.probe.VideoRejected`` for a video found broken on the way."""
    transcoded = transcode(source, facts, out_dir)
    chosen = choose(transcoded.candidates, detector)
    poster = poster_image(chosen, detector)
    width, height = facts.upright
    return ProcessedVideo(
        width=width,
        height=height,
        duration_ms=round(facts.duration_s * 1000),
        renditions=transcoded.renditions,
        poster=poster,
        poster_time_s=chosen.time_s,
        poster_reason=chosen.reason,
    )


def check_story(source: Path, *, max_seconds: float, max_bytes: int, budget: float) -> Probe:
    """``check`` for a story: the same refusals, and a story's own, shorter limit, told as a
    story's (a 75 s clip a post would take is refused with the story limit, not the post's).
    Never MediaConvert: a story too heavy for one run is refused with ``TOO_HEAVY``."""
    facts = probe(source, max_seconds=float("inf"), max_bytes=max_bytes)
    if facts.duration_s > max_seconds + 0.5:  # the same slack for rounding as ``probe``'s
        raise VideoRejected(story_too_long(max_seconds))
    if too_heavy(facts, budget):
        raise VideoRejected(TOO_HEAVY)
    return facts


def process_story_video(
    source: Path, out_dir: Path, facts: Probe, detector: str = "hog"
) -> ProcessedStoryVideo:
    """A ``check_story``-ed video's 9:16 renditions (written to ``out_dir``), its poster as a
    story photo's ``story`` and ``preview`` JPEGs, and its duration: the tray and a reply's
    message keep showing a JPEG. Raises ``VideoRejected`` for a video found broken."""
    transcoded = transcode(source, facts, out_dir, shape=STORY)
    chosen = choose(transcoded.candidates, detector)
    frame = io.BytesIO()
    chosen.image.convert("RGB").save(frame, "JPEG", quality=95)
    return ProcessedStoryVideo(
        duration_ms=round(facts.duration_s * 1000),
        renditions=transcoded.renditions,
        # Centred as the clip is (one pass: its cut is fixed before any face is seen).
        poster=process_story(frame.getvalue(), detector=None),
        poster_time_s=chosen.time_s,
        poster_reason=chosen.reason,
    )


def poster_image(chosen: Poster, detector: str = "hog") -> ProcessedImage:
    """The chosen frame through the photo pipeline as a near-lossless JPEG: the same
    renditions, faces and placeholder a photo gets, from code that already handles every
    photo. No filter: a post's filter is for its photos; the video is not filtered, nor its
    poster."""
    frame = io.BytesIO()
    chosen.image.convert("RGB").save(frame, "JPEG", quality=95)
    return process(frame.getvalue(), "normal", detector=detector)


def poster_of_rendition(path: Path, detector: str = "hog") -> tuple[ProcessedImage, Poster]:
    """The poster of a video someone else transcoded (MediaConvert's 720p MP4 at ``path``,
    already upright): the same candidates (the middle of each eighth) and the same rule as
    ``process_video``, so a heavy video's poster is chosen as any other's. One decoding pass
    of the rendition, not the upload: 720p decodes many times faster than it encodes."""
    candidates: list[tuple[float, Image]] = []
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            seconds = _seconds(container, stream)
            times = [seconds * (i + 0.5) / POSTER_CANDIDATES for i in range(POSTER_CANDIDATES)]
            last = None
            for frame in container.decode(stream):
                last = frame
                if times and frame.time is not None and frame.time >= times[0]:
                    times.pop(0)
                    candidates.append((frame.time, frame.to_image()))
                    if not times:
                        break
            if not candidates and last is not None:
                candidates.append((last.time or 0.0, last.to_image()))
    except (av.FFmpegError, IndexError):
        raise VideoRejected(TRUNCATED) from None
    if not candidates:
        raise VideoRejected(TRUNCATED)
    chosen = choose(candidates, detector)
    return poster_image(chosen, detector), chosen


def _seconds(container: av.container.InputContainer, stream: av.VideoStream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return (container.duration or 0) / av.time_base
