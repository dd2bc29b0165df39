"""The video parts of the media function that need no cloud: rendition sizes, the poster
rule, the weight that decides what one function run takes on. (Whole clips through the
pipeline, good and bad, are in tests/integration/test_video_http.py.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from video.pipeline import check, weight
from video.poster import choose
from video.probe import Probe, VideoRejected
from video.transcode import box

SAMPLE = Path(__file__).parent / "data" / "sample.jpg"


@pytest.mark.parametrize(
    ("size", "name", "expected"),
    [
        ((1920, 1080), "720p", (1280, 720)),
        ((1080, 1920), "720p", (720, 1280)),  # portrait: the box turns with the video
        ((1920, 1080), "480p", (852, 480)),  # 16:9 kept: 854 would stretch it
        ((3840, 2160), "480p", (852, 480)),
        ((640, 360), "720p", (640, 360)),  # never upscaled
        ((1440, 1080), "720p", (960, 720)),  # 4:3: the short side decides
        ((333, 201), "480p", (332, 200)),  # even sides for 4:2:0, rounded down
    ],
)
def test_renditions_fit_their_box_in_the_videos_orientation(size, name, expected) -> None:
    assert box(*size, name) == expected


def test_the_poster_is_never_a_blank_or_blurred_frame(photo) -> None:
    sharp = photo(640, 360)
    black = Image.new("RGB", (640, 360))
    blurred = sharp.filter(ImageFilter.GaussianBlur(6))
    poster = choose([(0.5, black), (1.5, blurred), (2.5, sharp), (3.5, blurred)])
    assert (poster.time_s, poster.reason) == (2.5, "sharpest")


def test_faces_win_over_a_sharper_frame_without_faces(photo) -> None:
    face_photo = Image.open(SAMPLE).convert("RGB")  # three people
    landscape = photo(*face_photo.size)
    poster = choose([(0.5, landscape), (1.5, face_photo)])
    assert poster.reason == "faces" and poster.time_s == 1.5 and poster.faces


def test_a_clip_of_only_black_frames_still_gets_a_poster() -> None:
    black = Image.new("RGB", (320, 180))
    assert choose([(0.5, black), (1.0, black)]).reason == "fallback"


def test_weight_counts_pixels_and_frames_against_1080p30() -> None:
    def facts(w: int, h: int, seconds: float, fps: float) -> Probe:
        return Probe("h264", w, h, 0, seconds, fps, True)

    assert weight(facts(1920, 1080, 60, 30)) == pytest.approx(60)
    assert weight(facts(3840, 2160, 60, 30)) == pytest.approx(240)
    assert weight(facts(1920, 1080, 60, 60)) == pytest.approx(120)
    assert weight(facts(1280, 720, 60, 24)) == pytest.approx(60 * 1280 * 720 / (1920 * 1080))
    assert np.isfinite(weight(facts(32, 32, 1, 1)))


def test_a_video_past_the_functions_budget_is_refused_with_a_reason(tmp_path: Path) -> None:
    import av

    source = tmp_path / "clip.mp4"
    with av.open(str(source), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for _ in range(10):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8))))
        out.mux(stream.encode(None))
    assert check(source, max_seconds=90, max_bytes=1 << 20, budget=60).duration_s == 1.0
    with pytest.raises(VideoRejected, match="too long for its resolution"):
        check(source, max_seconds=90, max_bytes=1 << 20, budget=0.01)
