"""Where the media function's time and memory go, against naive Pillow and libvips.

    .venv/bin/python bench/media/run.py [--runs 5] [--cnn]

Compares, in one run, on a 12 MP phone-sized JPEG made from the committed sample photo:

- the rendition step (large 1080, medium 640, small 320, thumb 150, encoded as progressive
  JPEGs at q85) three ways: the pipeline's (shrink-on-load, then every size from the 1080 px
  image), naive Pillow (full decode, each size resized from the original with LANCZOS) and
  libvips through pyvips, making each size from the upload and with one decode and a
  cascade; with the large rendition's PSNR against an exact resize of the full decode;
- peak memory (VmHWM) of a fresh interpreter running each variant and ``process()`` end to
  end, against the 300 MB target;
- decoding to the 1080 px working image with JPEG shrink-on-load (``draft``) and without;
- face detection (HOG) at each size on the sample, then on dlib's 43 annotated faces
  (``tests/media/data/dlib-faces``) as committed and upscaled to 12 MP: the pipeline's
  640 px upsampled once, 1080 px without upsampling, the original; with ``--cnn``, the CNN
  detector on the sample's 640 px rendition too (seconds);
- ``process()`` end to end on that JPEG, on the same photo as a PNG, and on the small
  original sample, with the share of each step for the 12 MP JPEG;
- what a cold start adds: importing the pipeline, building each face detector, loading
  pillow-heif, each in fresh interpreters.

Each figure is the median of ``--runs`` runs after one warm-up (except the CNN rows and the
annotated faces, timed once per photo), in this one process, one thread (libvips too).
Compare ratios, not absolute times: they vary with the machine. A summary comes last.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "functions" / "media"))
# The annotated photos and the matching rule of the face tests, so both count alike.
sys.path.insert(0, str(ROOT / "tests" / "media"))

from face_truth import annotations, matched  # noqa: E402

from imaging import faces as face_detection  # noqa: E402
from imaging.decode import decode  # noqa: E402
from imaging.filters import FILTERS  # noqa: E402
from imaging.pipeline import FACE_SIDE, process  # noqa: E402
from imaging.placeholder import placeholder  # noqa: E402
from imaging.renditions import LARGE, MEDIUM, SMALL, THUMB, fit, render, thumb  # noqa: E402

SAMPLE = ROOT / "tests" / "media" / "data" / "sample.jpg"
PHONE_SIZE = (4032, 3024)  # a 12 MP phone camera
MEMORY_TARGET_MB = 300  # the target for process() on a 12 MP JPEG


def phone_photo(source: Path = SAMPLE) -> Image.Image:
    """``source`` upscaled to 12 MP (long side 4032) with sensor-like grain, so that it
    compresses like a photo (an upscaled image alone is too smooth and would decode
    unrealistically fast)."""
    image = Image.open(source).convert("RGB")
    scale = max(PHONE_SIZE) / max(image.size)
    size = (round(image.width * scale), round(image.height * scale))
    image = image.resize(size, Image.Resampling.BICUBIC)
    grain = np.random.default_rng(1).normal(0, 4, (size[1], size[0], 1))
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


def table(
    title: str, rows: list[tuple[str, float, str]], baseline: float, ratio: str = "x first"
) -> None:
    print(f"\n{title}")
    print(f"  {'':50}{'ms':>9}{ratio:>9}")
    for label, ms, note in rows:
        print(f"  {label:50}{ms:9.1f}{ms / baseline:9.2f}  {note}")


# --- renditions: ours, naive Pillow, libvips ----------------------------------------------


def naive_renditions(data: bytes) -> list[bytes]:
    """The obvious Pillow code: decode everything, resize each rendition from the original."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    jpeg = {"quality": 85, "progressive": True, "optimize": True}
    out = []
    for side in (LARGE, MEDIUM, SMALL):
        scale = side / max(image.size)
        size = (round(image.width * scale), round(image.height * scale))
        out.append(encoded(image.resize(size, Image.Resampling.LANCZOS), "JPEG", **jpeg))
    edge = min(image.size)
    left, top = (image.width - edge) // 2, (image.height - edge) // 2
    square = image.crop((left, top, left + edge, top + edge))
    out.append(encoded(square.resize((THUMB, THUMB), Image.Resampling.LANCZOS), "JPEG", **jpeg))
    return out


def our_renditions(data: bytes) -> list[bytes]:
    """The pipeline's rendition step (pipeline.process without faces, filter, placeholder):
    shrink-on-load, then each size from the 1080 px one."""
    large = fit(decode(data, fit=LARGE).image, LARGE)
    images = [large, fit(large, MEDIUM), fit(large, SMALL), thumb(large, [])]
    return [render("", image).data for image in images]


def pyvips_module() -> ModuleType | None:
    """pyvips on one thread with its operation cache off, or None if it is not installed
    (a bench-only dependency: requirements-dev.txt, with the libvips of pyvips-binary)."""
    os.environ.setdefault("VIPS_CONCURRENCY", "1")
    try:
        import pyvips
    except (ImportError, OSError):
        return None
    pyvips.concurrency_set(1)  # like Pillow here; 2 threads measured no faster on 2 cores
    pyvips.cache_set_max(0)  # the same buffer again must not be answered from the cache
    return pyvips


def _vips_jpeg(image: Any) -> bytes:
    return image.jpegsave_buffer(Q=85, interlace=True, optimize_coding=True, keep="none")


def vips_renditions(data: bytes) -> list[bytes]:
    """libvips making each of the four files from the upload (``thumbnail_buffer``, its own
    shrink-on-load for each size): the way its documentation makes a thumbnail."""
    pyvips = pyvips_module()
    assert pyvips is not None
    images = [
        pyvips.Image.thumbnail_buffer(data, side, height=side, size="down")
        for side in (LARGE, MEDIUM, SMALL)
    ]
    images.append(
        pyvips.Image.thumbnail_buffer(data, THUMB, height=THUMB, size="down", crop="centre")
    )
    return [_vips_jpeg(image) for image in images]


def vips_cascade_renditions(data: bytes) -> list[bytes]:
    """libvips decoding once, like the pipeline: the 1080 px image in memory, then medium,
    small and thumb from it."""
    pyvips = pyvips_module()
    assert pyvips is not None
    large = pyvips.Image.thumbnail_buffer(data, LARGE, height=LARGE, size="down").copy_memory()
    images = [large] + [
        large.thumbnail_image(side, height=side, size="down") for side in (MEDIUM, SMALL)
    ]
    images.append(large.thumbnail_image(THUMB, height=THUMB, size="down", crop="centre"))
    return [_vips_jpeg(image) for image in images]


# name -> (label, function, needs pyvips)
RENDITIONS: dict[str, tuple[str, Callable[[bytes], list[bytes]], bool]] = {
    "ours": ("Pillow, shrink-on-load, cascade (ours)", our_renditions, False),
    "naive": ("Pillow naive: full decode, LANCZOS from original", naive_renditions, False),
    "vips": ("libvips: thumbnail_buffer for each size", vips_renditions, True),
    "vips-cascade": ("libvips: one decode, then a cascade", vips_cascade_renditions, True),
}


def psnr(a: Image.Image, b: Image.Image) -> float:
    error = np.mean((np.asarray(a, np.float32) - np.asarray(b, np.float32)) ** 2)
    return float(10 * np.log10(255**2 / max(float(error), 1e-12)))


def bench_renditions(jpeg: bytes, runs: int, vips: bool) -> dict[str, float]:
    """ms of each variant; prints them with the sizes, bytes and quality of what they make."""
    # What the large rendition should be: an exact LANCZOS resize of every decoded pixel.
    full = Image.open(io.BytesIO(jpeg)).convert("RGB")
    reference = full.resize(fit(full, LARGE).size, Image.Resampling.LANCZOS)
    del full
    ours = [Image.open(io.BytesIO(d)).size for d in our_renditions(jpeg)]
    results: dict[str, float] = {}
    rows = []
    for name, (label, function, needs_vips) in RENDITIONS.items():
        if needs_vips and not vips:
            continue
        outputs = function(jpeg)
        sizes = [Image.open(io.BytesIO(d)).size for d in outputs]
        large = Image.open(io.BytesIO(outputs[0])).convert("RGB")
        note = f"{psnr(large, reference):5.2f} dB {sum(map(len, outputs)) // 1024:4d} KB"
        if sizes != ours:
            note += f"  sizes differ: {sizes}"
        results[name] = timed(lambda function=function: function(jpeg), runs)
        rows.append((label, results[name], note))
    table(
        "renditions of a 12 MP JPEG: large, medium, small, thumb, encoded"
        "  (large's PSNR vs exact resize, total size)",
        rows,
        results["ours"],
        ratio="x ours",
    )
    if not vips:
        print("  (pyvips is not installed: no libvips rows; pip install -r requirements-dev.txt)")
    return results


# --- peak memory, each variant in a fresh interpreter --------------------------------------

# name -> (label, setup, the call measured); setup is what a warm Lambda container holds.
HOG, VIPS = "run.face_detection._hog()", "run.pyvips_module()"
MEMORY_CASES = {
    "process": ("process(), 12 MP JPEG", HOG, "run.process(data, 'clarendon')"),
    "process-png": ("process(), the same photo as a PNG", HOG, "run.process(data, 'clarendon')"),
    "ours": ("renditions: ours", "", "run.our_renditions(data)"),
    "naive": ("renditions: Pillow naive", "", "run.naive_renditions(data)"),
    "vips": ("renditions: libvips, each size", VIPS, "run.vips_renditions(data)"),
    "vips-cascade": ("renditions: libvips, cascade", VIPS, "run.vips_cascade_renditions(data)"),
}

# A child of this (large) process would start with its high-water mark in ru_maxrss, which
# survives exec: reset the mark (Linux, clear_refs 5) and read VmHWM instead.
MEMORY_PROBE = """
import sys
def peak():
    with open("/proc/self/status") as status:
        return int(next(l for l in status if l.startswith("VmHWM")).split()[1])
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")
sys.path.insert(0, {bench!r})
import run
{setup}
with open({path!r}, "rb") as file:
    data = file.read()
before = peak()
for _ in range(3):
    {call}
print(before, peak())
"""


def peak_mb(setup: str, call: str, path: Path) -> tuple[float, float]:
    """(peak resident MB of a fresh interpreter running ``call`` three times on the file at
    ``path``, the part of it above the interpreter, imports, ``setup`` and the input)."""
    probe = MEMORY_PROBE.format(
        bench=str(ROOT / "bench" / "media"), setup=setup, path=str(path), call=call
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    before, after = map(int, done.stdout.split()[-2:])
    return after / 1024, (after - before) / 1024


def bench_memory(jpeg: bytes, png: bytes, vips: bool) -> dict[str, tuple[float, float]]:
    results: dict[str, tuple[float, float]] = {}
    print("\npeak memory of a fresh interpreter, 3 runs (MB; baseline: interpreter, imports,")
    print("built detector, input bytes)")
    print(f"  {'':50}{'peak':>9}{'baseline':>9}{'step':>9}")
    with tempfile.TemporaryDirectory() as folder:
        paths = {"jpeg": Path(folder) / "photo.jpg", "png": Path(folder) / "photo.png"}
        paths["jpeg"].write_bytes(jpeg)
        paths["png"].write_bytes(png)
        for name, (label, setup, call) in MEMORY_CASES.items():
            if name.startswith("vips") and not vips:
                continue
            path = paths["png" if name.endswith("png") else "jpeg"]
            total, added = results[name] = peak_mb(setup, call, path)
            note = ""
            if name == "process":
                verdict = "met" if total < MEMORY_TARGET_MB else "NOT met"
                note = f"  target < {MEMORY_TARGET_MB} MB: {verdict}"
            print(f"  {label:50}{total:9.0f}{total - added:9.0f}{added:9.0f}{note}")
    return results


# --- decoding --------------------------------------------------------------------------------


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


# --- faces -----------------------------------------------------------------------------------


def hog_faces(image: Image.Image, upsample: int) -> list[face_detection.Face]:
    """faces.detect with a chosen upsampling (the pipeline always upsamples once)."""
    rectangles = face_detection._hog()(np.asarray(image.convert("L")), upsample)
    return [face_detection._normalised(r, image.width, image.height) for r in rectangles]


def bench_faces(original: Image.Image, runs: int, cnn: bool) -> None:
    large = fit(original, LARGE)
    medium = fit(large, MEDIUM)
    cases = [
        (f"HOG on {medium.width} px, upsampled once (as used)", medium, 1),
        (f"HOG on {large.width} px, no upsampling", large, 0),
        (f"HOG on {large.width} px, upsampled once", large, 1),
        (f"HOG on the original {original.width} px, no upsampling", original, 0),
    ]
    rows = []
    for label, image, upsample in cases:
        found = len(hog_faces(image, upsample))
        ms = timed(lambda image=image, upsample=upsample: hog_faces(image, upsample), runs)
        rows.append((label, ms, f"{found} faces"))
    if cnn:
        detector = face_detection._cnn()
        pixels = np.asarray(medium)
        detector(pixels, 0)  # warm-up: the first call allocates the network's buffers
        for upsample, label in ((1, "upsampled once (as used)"), (0, "no upsampling")):
            start = time.perf_counter()
            found = len(detector(pixels, upsample))
            ms = (time.perf_counter() - start) * 1000
            rows.append((f"CNN on {medium.width} px, {label}, 1 run", ms, f"{found} faces"))
    table("faces in the 12 MP sample (it has 3)", rows, rows[0][1])


def bench_annotated_faces() -> dict[str, tuple[float, int, int, int]]:
    """HOG on dlib's annotated photos, as committed (about 500 px, faces 37-109 px) and
    upscaled to 12 MP like a phone photo (faces about 300-880 px). Per case: (ms per photo,
    faces found, annotated faces, spurious detections)."""
    # name -> (label, which image, upsampling)
    cases = {
        "small-used": ("~500 px: upsampled once (process())", "small", 1),
        "small-none": ("~500 px: no upsampling", "small", 0),
        "used": ("12 MP: 640 px, upsampled once (process())", "medium", 1),
        "1080": ("12 MP: 1080 px, no upsampling", "large", 0),
        "original": ("12 MP: the original, no upsampling", "original", 0),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    counts = {name: [0, 0, 0] for name in cases}  # found, annotated, spurious
    hog_faces(Image.open(SAMPLE), 1)  # warm-up
    for path, truth in annotations():
        data = encoded(phone_photo(path), "JPEG", quality=92)
        large = fit(decode(data, fit=LARGE).image, LARGE)
        images = {
            # What process() searches in the photo as committed: itself, under 640 px.
            "small": fit(fit(decode(path.read_bytes()).image, LARGE), FACE_SIDE),
            "medium": fit(large, FACE_SIDE),
            "large": large,
            "original": decode(data).image,
        }
        for name, (_, image, upsample) in cases.items():
            start = time.perf_counter()
            faces = hog_faces(images[image], upsample)
            times[name].append((time.perf_counter() - start) * 1000)
            found, spurious = matched(truth, faces)
            counts[name][0] += found
            counts[name][1] += len(truth)
            counts[name][2] += spurious
    results = {name: (statistics.mean(times[name]), *counts[name]) for name in cases}
    rows = []
    for name, (label, _, _) in cases.items():
        ms, found, total, spurious = results[name]
        rows.append((label, ms, f"{found}/{total} found, {spurious} spurious"))
    table(
        f"HOG on dlib's {len(times['used'])} annotated photos, ms per photo, 1 run each "
        "(found at IoU >= 0.3)",
        rows,
        results["used"][0],
    )
    return results


# --- the pipeline end to end, and a cold start ---------------------------------------------


def bench_pipeline(jpeg: bytes, png: bytes, runs: int) -> float:
    """Prints process() on each input and step by step; returns its ms on the 12 MP JPEG."""
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
    return rows[0][1]


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


def summary(
    renditions: dict[str, float],
    memory: dict[str, tuple[float, float]],
    pipeline_ms: float,
    faces: dict[str, tuple[float, int, int, int]],
) -> None:
    ours = renditions["ours"]
    print("\nsummary, 12 MP JPEG (x: how many times our figure)")
    short = {
        "naive": "naive Pillow",
        "vips": "libvips each size",
        "vips-cascade": "libvips cascade",
    }
    others = ", ".join(
        f"{short[name]} {ms:.0f} ms ({ms / ours:.2f}x)"
        for name, ms in renditions.items()
        if name != "ours"
    )
    print(f"  renditions: ours {ours:.0f} ms; {others}")
    if "vips" not in renditions:
        print("    libvips: pyvips is not installed, no comparison")
    for name in ("vips", "vips-cascade"):
        if name in renditions:
            verdict = "met" if ours <= renditions[name] else "NOT met"
            print(f"    at least as fast as {short[name]}: {verdict}")
    peak, step = memory["process"]
    verdict = "met" if peak < MEMORY_TARGET_MB else "NOT met"
    print(
        f"  process() end to end: {pipeline_ms:.0f} ms, peak {peak:.0f} MB ({step:.0f} MB above"
        f" the baseline); < {MEMORY_TARGET_MB} MB: {verdict}"
    )
    original = faces["original"][0]
    print("  HOG on the 43 annotated faces at 12 MP (ms per photo, x the original's time):")
    for name, label in (
        ("used", "640 px upsampled once (process())"),
        ("1080", "1080 px, no upsampling"),
        ("original", "the original, no upsampling"),
    ):
        ms, found, total, spurious = faces[name]
        print(
            f"    {label:36}{ms:7.0f} ms ({ms / original:.2f}x)  {found}/{total} found,"
            f" {spurious} spurious"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cnn", action="store_true", help="add the (slow) CNN rows")
    # The CNN used to be on by default: the old flag is still accepted and does nothing.
    parser.add_argument("--no-cnn", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    vips = pyvips_module()
    original = phone_photo()
    jpeg = encoded(original, "JPEG", quality=92)
    png = encoded(original, "PNG", compress_level=6)
    print(f"median of {args.runs} runs, one thread; input: {SAMPLE.relative_to(ROOT)} at 12 MP")
    if vips is not None:
        version = ".".join(str(vips.version(i)) for i in range(3))
        print(f"libvips {version} through pyvips {vips.__version__}")
    renditions = bench_renditions(jpeg, args.runs, vips=vips is not None)
    memory = bench_memory(jpeg, png, vips=vips is not None)
    bench_decode(jpeg, args.runs)
    bench_faces(original, args.runs, cnn=args.cnn and not args.no_cnn)
    faces = bench_annotated_faces()
    pipeline_ms = bench_pipeline(jpeg, png, args.runs)
    bench_cold(args.runs)
    summary(renditions, memory, pipeline_ms, faces)


if __name__ == "__main__":
    main()
