"""The video section of bench/media: PyAV's transcode against the ffmpeg command line doing
the same encode, in the same run, and what the media function needs for one video.

    .venv/bin/python bench/media/video_section.py [--seconds 60]   (run.py runs it last too)

On a phone-like clip made here (1920x1080, 30 fps, H.264 at ~phone bitrate, AAC, panning over
the committed sample photo so that every frame changes):

- each rendition alone (720p, 480p: libx264 ``veryfast``, CRF 23/24, AAC, ``+faststart``),
  then both from one decode as the function makes them, through ``video.transcode`` and
  through imageio-ffmpeg's ``ffmpeg`` binary with the same settings; time as a multiple of
  the clip's duration (real-time factor: below 1 is faster than playback);
- ``process_video`` end to end (probe, both renditions, poster choice, poster renditions);
- the peak resident memory of each, each in a fresh process (its VmHWM; a Python child
  counts its interpreter and imports, ~100 MB, ffmpeg its own binary).

Each row is the median of ``--runs`` runs (1 by default: 60 s of video averages itself),
PyAV and ffmpeg interleaved; the machine is shared, so compare the ratios in one run rather
than the absolute times. PyAV's time is measured inside its process (after the imports a
warm function has done), ffmpeg's around its whole process (a few ms to start).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "functions" / "media"))

from video.probe import probe  # noqa: E402
from video.transcode import AUDIO_BITRATE, CRF, PRESET, box  # noqa: E402

SAMPLE = ROOT / "tests" / "functional" / "media" / "data" / "sample.jpg"
SIZE, FPS = (1920, 1080), 30
CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {media!r})
{setup}
started = time.perf_counter()
{call}
print(time.perf_counter() - started)
"""


def phone_clip(path: Path, seconds: float) -> None:
    """A 1080p30 clip panning across the sample photo (scaled up to 12 MP), with a tone."""
    import av

    photo = np.asarray(Image.open(SAMPLE).convert("RGB").resize((4032, 3024)))
    width, height = SIZE
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast", "crf": "16"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = out.add_stream("aac", rate=48000, layout="stereo")
        frames = round(seconds * FPS)
        for index in range(frames):
            x = int((photo.shape[1] - width) * index / max(frames - 1, 1))
            y = int((photo.shape[0] - height) * (0.5 + 0.5 * np.sin(index / 40)))
            crop = np.ascontiguousarray(photo[y : y + height, x : x + width])
            out.mux(video.encode(av.VideoFrame.from_ndarray(crop, format="rgb24")))
        out.mux(video.encode(None))
        step, t = 1024, 0
        while t < seconds * 48000:
            wave = 0.1 * np.sin(2 * np.pi * 440 * (np.arange(step) + t) / 48000)
            samples = np.repeat(wave.astype(np.float32)[None, :], 2, axis=0)
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = 48000, t
            out.mux(audio.encode(frame))
            t += step
        out.mux(audio.encode(None))


def run_child(command: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak resident MB, stdout) of a child process. The peak is its VmHWM,
    read every 20 ms until it exits: ``ru_maxrss`` would count the parent's memory too
    (Linux keeps the high-water mark across fork and exec)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        # Popen returns once the child has exec'd: every reading below is the child's own.
        child = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        peak_kb = 0
        while child.poll() is None:
            peak_kb = max(peak_kb, _hwm_kb(child.pid))
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        out.seek(0), err.seek(0)
        if child.returncode:
            raise RuntimeError(f"{command[0]} failed: {err.read()[-2000:]}")
        return elapsed, peak_kb / 1024, out.read()


def _hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            return int(next(line for line in status if line.startswith("VmHWM")).split()[1])
    except (OSError, StopIteration):
        return 0  # exiting


def pyav(source: Path, out_dir: Path, names: list[str]) -> tuple[float, float]:
    code = CHILD.format(
        media=str(ROOT / "functions" / "media"),
        setup=textwrap.dedent(
            f"""
            from video.probe import probe
            from video.transcode import transcode
            facts = probe(Path({str(source)!r}), 3600, 1 << 40)
            """
        ),
        call=f"transcode(Path({str(source)!r}), facts, Path({str(out_dir)!r}), {names!r})",
    )
    _, peak, stdout = run_child([sys.executable, "-c", code])
    return float(stdout.split()[-1]), peak


def end_to_end(source: Path, out_dir: Path) -> tuple[float, float]:
    code = CHILD.format(
        media=str(ROOT / "functions" / "media"),
        setup=textwrap.dedent(
            f"""
            from video.pipeline import check, process_video
            facts = check(Path({str(source)!r}), max_seconds=3600, max_bytes=1 << 40,
                          budget=1e9)
            """
        ),
        call=f"process_video(Path({str(source)!r}), Path({str(out_dir)!r}), facts)",
    )
    _, peak, stdout = run_child([sys.executable, "-c", code])
    return float(stdout.split()[-1]), peak


def ffmpeg_outputs(ffmpeg: str, width: int, height: int, names: list[str], out_dir: Path):
    args = []
    for name in names:
        w, h = box(width, height, name)
        args += [
            "-map", "0:v:0", "-map", "0:a:0?",
            "-vf", f"scale={w}:{h},format=yuv420p",
            "-c:v", "libx264", "-preset", PRESET, "-crf", CRF[name], "-g", str(2 * FPS),
            "-c:a", "aac", "-b:a", str(AUDIO_BITRATE[name]),
            "-map_metadata", "-1", "-movflags", "+faststart",
            str(out_dir / f"ffmpeg-{name}.mp4"),
        ]  # fmt: skip
    return args


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The median time of ``(seconds, peak MB)`` runs, and the highest peak."""
    return statistics.median(t for t, _ in runs), max(peak for _, peak in runs)


def bench_video(seconds: float, runs: int = 1) -> dict[str, float]:
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    with tempfile.TemporaryDirectory(prefix="bench-video-") as scratch:
        work = Path(scratch)
        source = work / "phone.mp4"
        made = time.perf_counter()
        phone_clip(source, seconds)
        facts = probe(source, 3600, 1 << 40)
        megabits = source.stat().st_size * 8 / facts.duration_s / 1e6
        print(
            f"\nvideo: {facts.width}x{facts.height} {facts.fps:g} fps, {facts.duration_s:.1f} s,"
            f" {megabits:.1f} Mbit/s H.264 + AAC (made in {time.perf_counter() - made:.0f} s);"
            f" ffmpeg {Path(ffmpeg).name}"
        )
        print("  x: time / clip duration (real-time factor); MB: peak resident, fresh process")
        print(f"  {'':44}{'s':>8}{'x':>8}{'MB':>8}")
        figures: dict[str, float] = {}
        for label, names in (("720p", ["720p"]), ("480p", ["480p"]), ("both", ["720p", "480p"])):
            command = [ffmpeg, "-y", "-v", "error", "-i", str(source)]
            command += ffmpeg_outputs(ffmpeg, *facts.upright, names, work)
            ours_runs, theirs_runs = [], []
            for _ in range(runs):  # interleaved: a busy spell hits both alike
                ours_runs.append(pyav(source, work, names))
                theirs_runs.append(run_child(command)[:2])
            ours, our_peak = _median(ours_runs)
            theirs, their_peak = _median(theirs_runs)
            for who, elapsed, peak in (
                ("PyAV", ours, our_peak),
                ("ffmpeg CLI", theirs, their_peak),
            ):
                row = f"{label} rendition{'s, one decode' if label == 'both' else ''}, {who}"
                print(f"  {row:44}{elapsed:8.1f}{elapsed / facts.duration_s:8.2f}{peak:8.0f}")
            figures[f"{label}_pyav"], figures[f"{label}_ffmpeg"] = ours, theirs
            figures[f"{label}_pyav_mb"], figures[f"{label}_ffmpeg_mb"] = our_peak, their_peak
        total, peak = _median([end_to_end(source, work) for _ in range(runs)])
        row = "process_video end to end (+ poster)"
        print(f"  {row:44}{total:8.1f}{total / facts.duration_s:8.2f}{peak:8.0f}")
        figures["end_to_end"], figures["end_to_end_mb"] = total, peak
        figures["duration"] = facts.duration_s
        ratio = figures["both_pyav"] / figures["both_ffmpeg"]
        print(f"  PyAV / ffmpeg CLI, both renditions: {ratio:.2f}x the time")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    bench_video(args.seconds, args.runs)


if __name__ == "__main__":
    main()
