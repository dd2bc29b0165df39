"""A story's video through the media function's own code, no cloud: real clips made with PyAV,
transcoded to the story's 9:16 shape (a centred cut, then 720 x 1280 and 480 x 854), the poster
frame turned into the story photo's JPEGs, and the story's own limits. (Over HTTP, from the
presigned upload to the tray: tests/integration/test_video_stories_http.py.)"""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from tests.integration.clips import clip
from video.pipeline import TOO_HEAVY, check_story, process_story_video
from video.probe import VideoRejected
from video.transcode import STORY, cut, target

LIMITS = {"max_seconds": 60, "max_bytes": 50 << 20, "budget": 300}


def thirds(index: int, width: int, height: int) -> np.ndarray:
    """Red, green and blue thirds across the upright picture: a centred 9:16 cut of a wide
    frame keeps only the green."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, : width // 3] = (220, 20, 20)
    pixels[:, width // 3 : 2 * width // 3] = (20, 200, 20)
    pixels[:, 2 * width // 3 :] = (20, 20, 220)
    pixels[(index * 5) % height, :] = 255  # something moves: an encoder is not idle
    return pixels


def write(tmp_path: Path, data: bytes, name: str = "upload") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frame = next(container.decode(container.streams.video[0]))
        assert frame.rotation == 0
        return frame.to_ndarray(format="rgb24")


@pytest.mark.parametrize(
    ("size", "name", "expected"),
    [
        ((1080, 1920), "720p", (720, 1280)),
        ((1080, 1920), "480p", (480, 854)),  # the standard box, not 480 x 852
        ((1920, 1080), "720p", (606, 1080)),  # a 606 x 1080 cut: too small for 720 x 1280
        ((3840, 2160), "720p", (720, 1280)),  # a 1214 x 2160 cut, scaled down
        ((3840, 2160), "480p", (480, 854)),
        ((360, 640), "720p", (360, 640)),  # never upscaled
        ((1440, 1440), "480p", (480, 854)),  # square: its middle 810 x 1440
    ],
)
def test_story_renditions_are_9_16_boxes_of_the_centred_cut(size, name, expected) -> None:
    assert target(*size, name, STORY) == expected
    width, height = expected
    assert abs(width / height - 9 / 16) < 0.01


def test_the_cut_is_the_largest_9_16_box_in_either_orientation() -> None:
    assert cut(1920, 1080, (9, 16)) == (606, 1080)
    assert cut(1080, 1920, (9, 16)) == (1080, 1920)
    assert cut(720, 1600, (9, 16)) == (720, 1280)  # taller than 9:16: the width decides


def test_a_landscape_clip_becomes_9_16_mp4s_of_its_centre_with_a_jpeg_poster(
    tmp_path: Path,
) -> None:
    source = write(tmp_path, clip(2.0, (640, 360), fps=10, picture=thirds))
    facts = check_story(source, **LIMITS)
    processed = process_story_video(source, tmp_path, facts)

    assert abs(processed.duration_ms - 2000) <= 100
    assert [r.name for r in processed.renditions] == ["720p", "480p"]
    for rendition in processed.renditions:
        # A 202 x 360 cut of 640 x 360 (never upscaled): both renditions are its size.
        assert (rendition.width, rendition.height) == (202, 360)
        with av.open(str(rendition.path)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert (stream.width, stream.height) == (202, 360)
            assert [a.codec_context.name for a in container.streams.audio] == ["aac"]
        red, green, blue = first_frame(rendition.path)[:, 10:-10].reshape(-1, 3).mean(0)
        assert green > 150 and red < 80 and blue < 80, "the cut is the middle third"

    story, preview = processed.poster.renditions
    assert (story.name, preview.name) == ("story", "preview")
    for photo in (story, preview):
        image = Image.open(io.BytesIO(photo.data))
        assert image.format == "JPEG"
        assert abs(image.width / image.height - 9 / 16) < 0.01
        red, green, blue = np.asarray(image.convert("RGB"))[:, 5:-5].reshape(-1, 3).mean(0)
        assert green > 150 and red < 80 and blue < 80
    assert processed.poster.placeholder


def test_a_portrait_phone_clip_is_turned_then_cut_to_full_size_boxes(tmp_path: Path) -> None:
    # Stored 1280 x 720 landscape, turned a quarter by its display matrix: 720 x 1280 upright,
    # already 9:16, so the 720p rendition is the whole picture.
    source = write(tmp_path, clip(1.0, (1280, 720), fps=10, rotation=-90, sound=False))
    facts = check_story(source, **LIMITS)
    processed = process_story_video(source, tmp_path, facts)
    sizes = {r.name: (r.width, r.height) for r in processed.renditions}
    assert sizes == {"720p": (720, 1280), "480p": (480, 854)}
    for rendition in processed.renditions:
        assert first_frame(rendition.path).shape[:2] == (rendition.height, rendition.width)


def test_a_story_video_past_the_story_limit_is_refused_with_the_story_limit(
    tmp_path: Path,
) -> None:
    # Longer than a story may be, shorter than a post's limit: told as a story's.
    long = write(tmp_path, clip(61.6, (64, 112), fps=2, sound=False), "long")
    with pytest.raises(VideoRejected, match="Story videos can be at most 60 seconds"):
        check_story(long, **LIMITS)
    just = write(tmp_path, clip(60.0, (64, 112), fps=2, sound=False), "just")
    assert check_story(just, **LIMITS).duration_s == pytest.approx(60, abs=0.5)


def test_a_story_video_too_heavy_for_one_run_is_refused_not_handed_on(tmp_path: Path) -> None:
    source = write(tmp_path, clip(1.0, (64, 112), fps=5, sound=False))
    with pytest.raises(VideoRejected) as refused:
        check_story(source, **{**LIMITS, "budget": 0.001})
    assert refused.value.reason == TOO_HEAVY
