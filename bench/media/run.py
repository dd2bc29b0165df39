"""Where the media function's time goes, and what its two shortcuts save.

    .venv/bin/python bench/media/run.py [--runs 5] [--no-cnn]

Compares, in one run, on a 12 MP phone-sized JPEG made from the committed sample photo:

- decoding to the 1080 px working image with JPEG shrink-on-load (``draft``) and without;
- face detection (HOG) on the 640 px rendition, on the 1080 px one, and on the original;
  the CNN detector on the 640 px rendition with and without upsampling, once each (it
  takes seconds);
- ``process()`` end to end on that JPEG, on the same photo as a PNG, and on the small
  original sample, with the share of each step for the 12 MP JPEG;
- what a cold start adds: importing the pipeline, building each face detector, loading
  pillow-heif, each in fresh interpreters.

Each figure is the median of ``--runs`` runs after one warm-up (except the CNN row), in this
one process, one thread. Compare ratios, not absolute times: they vary with the machine.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "functions" / "media"))

from imaging import faces as face_detection  # noqa: E402
from imaging.decode import decode  # noqa: E402
from imaging.filters import FILTERS  # noqa: E402
from imaging.pipeline import FACE_SIDE, process  # noqa: E402
from imaging.placeholder import placeholder  # noqa: E402
from imaging.renditions import LARGE, MEDIUM, SMALL, fit, render, thumb  # noqa: E402

SAMPLE = ROOT / "tests" / "media" / "data" / "sample.jpg"
PHONE_SIZE = (4032, 3024)  # a 12 MP phone camera


def phone_photo() -> Image.Image:
    """The sample upscaled to 12 MP with sensor-like grain, so that it compresses like a
    photo (an upscaled image alone is too smooth and would decode unrealistically fast)."""
    image = Image.open(SAMPLE).convert("RGB").resize(PHONE_SIZE, Image.Resampling.BICUBIC)
    grain = np.random.default_rng(1).normal(0, 4, (PHONE_SIZE[1], PHONE_SIZE[0], 1))
    pixels = np.asarray(image, dtype=np.float32) + grain
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def encoded(image: Image.Image, format: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **params)
    return buffer.getvalue()


def timed(action: Callable[[], object], runs: int) -> float:
    """Median milliseconds of ``action``, after a warm-up call."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def table(title: str, rows: list[tuple[str, float, str]], baseline: float) -> None:
    print(f"\n{title}")
    print(f"  {'':50}{'ms':>9}{'x first':>9}")
    for label, ms, note in rows:
        print(f"  {label:50}{ms:9.1f}{ms / baseline:9.2f}  {note}")


def bench_decode(data: bytes, runs: int) -> None:
    with_draft = timed(lambda: fit(decode(data, fit=LARGE).image, LARGE), runs)
    without = timed(lambda: fit(decode(data).image, LARGE), runs)
    drafted = decode(data, fit=LARGE).image.size
    table(
        f"decode a {PHONE_SIZE[0]}x{PHONE_SIZE[1]} JPEG ({len(data) // 1024} KB) to 1080 px",
        [
            (f"shrink-on-load (draft, decodes {drafted[0]}x{drafted[1]})", with_draft, ""),
            ("full decode, then resize", without, ""),
        ],
        with_draft,
    )


def bench_faces(original: Image.Image, runs: int, cnn: bool) -> None:
    large = fit(original, LARGE)
    medium = fit(large, MEDIUM)
    hog = face_detection._hog()

    def hog_on(image: Image.Image, upsample: int) -> Callable[[], int]:
        grey = np.asarray(image.convert("L"))
        return lambda: len(hog(grey, upsample))

    cases = [
        (f"HOG on {medium.width} px, upsampled once (as used)", medium, 1),
        (f"HOG on {large.width} px, upsampled once", large, 1),
        (f"HOG on the original {original.width} px, no upsampling", original, 0),
    ]
    rows = []
    for label, image, upsample in cases:
        found = hog_on(image, upsample)()
        rows.append((label, timed(hog_on(image, upsample), runs), f"{found} faces"))
    if cnn:
        detector = face_detection._cnn()
        pixels = np.asarray(medium)
        detector(pixels, 0)  # warm-up: the first call allocates the network's buffers
        for upsample, label in ((1, "upsampled once (as used)"), (0, "no upsampling")):
            start = time.perf_counter()
            found = len(detector(pixels, upsample))
            ms = (time.perf_counter() - start) * 1000
            rows.append((f"CNN on {medium.width} px, {label}, 1 run", ms, f"{found} faces"))
    table("faces in the same photo (the sample has 3)", rows, rows[0][1])


def bench_pipeline(jpeg: bytes, png: bytes, runs: int) -> None:
    small = SAMPLE.read_bytes()
    rows = [
        (f"12 MP JPEG ({len(jpeg) // 1024} KB)", timed(lambda: process(jpeg, "clarendon"), runs)),
        (f"12 MP PNG ({len(png) // 1024} KB)", timed(lambda: process(png, "clarendon"), runs)),
        ("500x375 JPEG (the sample)", timed(lambda: process(small, "clarendon"), runs)),
    ]
    table("process(..., 'clarendon') end to end", [(*row, "") for row in rows], rows[0][1])

    # The same steps as pipeline.process, one at a time, on the 12 MP JPEG.
    look = FILTERS["clarendon"]
    decoded = decode(jpeg, fit=LARGE)
    large = fit(decoded.image, LARGE)
    faces = face_detection.detect(fit(large, FACE_SIDE))
    filtered = look.apply(large)
    medium, small_ = fit(filtered, MEDIUM), fit(filtered, SMALL)
    renditions = (filtered, medium, small_)
    steps: list[tuple[str, Callable[[], object]]] = [
        ("decode (draft) + orient + sRGB", lambda: decode(jpeg, fit=LARGE)),
        ("resize to 1080", lambda: fit(decoded.image, LARGE)),
        ("faces (HOG on 640)", lambda: face_detection.detect(fit(large, FACE_SIDE))),
        ("filter (clarendon, on 1080)", lambda: look.apply(large)),
        ("resize to 640 and 320", lambda: (fit(filtered, MEDIUM), fit(filtered, SMALL))),
        ("encode large, medium, small", lambda: [render("", im) for im in renditions]),
        ("thumb (crop, resize, encode)", lambda: render("thumb", thumb(filtered, faces))),
        ("placeholder (BlurHash)", lambda: placeholder(small_)),
    ]
    times = [(label, timed(step, runs)) for label, step in steps]
    total = sum(ms for _, ms in times)
    print("\n12 MP JPEG step by step")
    print(f"  {'':50}{'ms':>9}{'%':>9}")
    for label, ms in times:
        print(f"  {label:50}{ms:9.1f}{100 * ms / total:9.1f}")
    print(f"  {'sum':50}{total:9.1f}")


# Runs in a fresh interpreter: one cold start, each step timed in the order a first HEIC
# photo with the CNN detector would pay them.
COLD_PROBE = """
import json, sys, time
sys.path.insert(0, {media!r})
times = {{}}
start = time.perf_counter()
import imaging.pipeline
times["import imaging.pipeline"] = time.perf_counter() - start
from imaging import decode, faces
for label, step in (
    ("HOG detector (import dlib, build)", faces._hog),
    ("CNN detector (load the model)", faces._cnn),
    ("pillow-heif (import, register)", decode._register_heif),
):
    start = time.perf_counter()
    step()
    times[label] = time.perf_counter() - start
print(json.dumps(times))
"""


def naive_renditions(data: bytes) -> list[bytes]:
    """The obvious Pillow code: decode everything, resize each rendition from the original."""
    image = Image.open(io.BytesIO(data))
    image = image.convert("RGB")
    out = []
    for side in (LARGE, MEDIUM, SMALL):
        scale = side / max(image.size)
        size = (round(image.width * scale), round(image.height * scale))
        out.append(encoded(image.resize(size, Image.Resampling.LANCZOS), "JPEG", quality=85,
                           progressive=True, optimize=True))  # fmt: skip
    edge = min(image.size)
    box = ((image.width - edge) // 2, (image.height - edge) // 2)
    square = image.crop((*box, box[0] + edge, box[1] + edge))
    out.append(encoded(square.resize((150, 150), Image.Resampling.LANCZOS), "JPEG",
                       quality=85, progressive=True, optimize=True))  # fmt: skip
    return out


def our_renditions(data: bytes) -> list[bytes]:
    """The pipeline's rendition step: shrink-on-load, then each size from the 1080 px one."""
    large = fit(decode(data, fit=LARGE).image, LARGE)
    return [render(name, image).data for name, image in (
        ("large", large), ("medium", fit(large, MEDIUM)), ("small", fit(large, SMALL)),
        ("thumb", thumb(large, [])))]  # fmt: skip


def vips_renditions(data: bytes) -> list[bytes] | None:
    """libvips (pyvips) making the same four files, with its own shrink-on-load."""
    import pyvips

    out = []
    for side in (LARGE, MEDIUM, SMALL):
        image = pyvips.Image.thumbnail_buffer(data, side, height=side, size="down")
        out.append(image.jpegsave_buffer(Q=85, interlace=True, keep="none"))
    square = pyvips.Image.thumbnail_buffer(data, 150, height=150, crop="centre")
    out.append(square.jpegsave_buffer(Q=85, interlace=True, keep="none"))
    return out


def peak_mb(function: str, jpeg_path: Path) -> tuple[float, float]:
    """Peak resident memory of a fresh interpreter running one variant on the 12 MP JPEG
    (read from a file, so making it does not set the high-water mark), and what the step
    added to the peak after imports and reading."""
    # A forked child starts with its parent's high-water mark: reset it (Linux, clear_refs 5)
    # and read VmHWM instead of ru_maxrss.
    code = f"""
import sys
def peak():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
open("/proc/self/clear_refs", "w").write("5")
sys.path.insert(0, {str(ROOT / "bench" / "media")!r})
import run
from run import process, naive_renditions
data = open({str(jpeg_path)!r}, "rb").read()
before = peak()
{function}
print(before, peak())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    before, after = map(int, done.stdout.split()[-2:])
    return after / 1024, (after - before) / 1024


def bench_renditions(jpeg: bytes, runs: int) -> None:
    rows = [("Pillow, shrink-on-load, cascade (ours)", timed(lambda: our_renditions(jpeg), runs),
             ""), ("Pillow, naive: full decode, LANCZOS from the original",
                   timed(lambda: naive_renditions(jpeg), runs), "")]  # fmt: skip
    try:
        rows.append(("libvips (pyvips), thumbnail_buffer",
                     timed(lambda: vips_renditions(jpeg), runs), ""))  # fmt: skip
    except ImportError:
        print("\n(pyvips is not installed: no libvips row)")
    table("renditions of a 12 MP JPEG (large, medium, small, thumb; encoded)", rows,
          rows[0][1])
    print("\npeak memory, fresh interpreter (MB: whole process / added by the step)")
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".jpg") as photo:
        photo.write(jpeg)
        photo.flush()
        for label, call in (("process() end to end", 'process(data, "clarendon")'),
                            ("naive renditions", "naive_renditions(data)")):  # fmt: skip
            total, added = peak_mb(call, Path(photo.name))
            print(f"  {label:<50}{total:9.0f}{added:9.0f}")


def bench_cold(runs: int) -> None:
    probe = COLD_PROBE.format(media=str(ROOT / "functions" / "media"))
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout
        for label, seconds in json.loads(output).items():
            samples.setdefault(label, []).append(seconds * 1000)
    print("\ncold start, fresh interpreters (paid once per Lambda container)")
    print(f"  {'':50}{'ms':>9}")
    for label, values in samples.items():
        print(f"  {label:50}{statistics.median(values):9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-cnn", action="store_true", help="skip the (slow) CNN row")
    args = parser.parse_args()

    original = phone_photo()
    jpeg = encoded(original, "JPEG", quality=92)
    png = encoded(original, "PNG", compress_level=6)
    print(f"median of {args.runs} runs, one thread; input: {SAMPLE.relative_to(ROOT)} at 12 MP")
    bench_renditions(jpeg, args.runs)
    bench_decode(jpeg, args.runs)
    bench_faces(original, args.runs, cnn=not args.no_cnn)
    bench_pipeline(jpeg, png, args.runs)
    bench_cold(args.runs)


if __name__ == "__main__":
    main()
