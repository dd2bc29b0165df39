"""Where the media function's time and memory go, against naive Pillow and libvips.

    .venv/bin/python bench/media/run.py [--runs 5] [--cnn] [--only renditions,faces,...]

Compares, in one run, on a 12 MP phone-sized JPEG made from the committed sample photo:

- the rendition step (large 1080, medium 640, small 320, thumb 150, encoded as progressive
  JPEGs at q85) six ways, interleaved: the pipeline's (3/8 shrink-on-load, Lanczos to
  large, then each size from the one above), the same with bicubic to large, the step as it
  was before (1/2 shrink-on-load, each size from large), naive Pillow (full decode, each
  size from the original) and libvips through pyvips, making each size from the upload and
  with one decode and a cascade; wall and CPU time, the ratio to libvips' cascade round by
  round, and what each makes: sizes, PSNR of each rendition against before's, the large
  one's against an exact resize of the full decode, bytes;
- peak memory (VmHWM) of a fresh interpreter running each variant and ``process()`` end to
  end, against the 300 MB target;
- decoding to the 1080 px working image with JPEG shrink-on-load (3/8), as before (1/2)
  and without;
- face detection (HOG) at each size on the sample, then on dlib's 43 annotated faces
  (``tests/functional/media/data/dlib-faces``) as committed and upscaled to 12 MP: the
  pipeline's 1080 px without upsampling (the committed ~500 px: upsampled once), the 640 px
  upsampled once of before, the original; with ``--cnn``, the CNN on the sample's 640 px
  rendition and on the annotated 12 MP photos' two renditions (minutes);
- ``process()`` end to end on that JPEG, as before, on the same photo as a PNG, and on the
  small original sample, with the share of each step for the 12 MP JPEG;
  ``process_avatar()`` (a profile photo) on the JPEG and the sample;
- what a cold start adds: importing the pipeline, building each face detector, loading
  pillow-heif, each in fresh interpreters;
- last, the video section (``bench/media/video_section.py``, ``--video-seconds 60``; 0 skips it).

Each figure is the median of ``--runs`` runs after one warm-up (except the CNN rows and the
annotated faces, timed once per photo), in this one process, one thread (libvips too).
Alternatives compared with each other run interleaved, the order turned each round. The
load average is printed at the start and the end. Compare ratios, not absolute times: they
vary with the machine and its load, CPU time less than wall time. A summary comes last.
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
from unittest import mock

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "functions" / "media"))
# The annotated photos and the matching rule of the face tests, so both count alike.
sys.path.insert(0, str(ROOT / "tests" / "functional" / "media"))

from face_truth import annotations, matched  # noqa: E402

from imaging import decode as decoding  # noqa: E402
from imaging import faces as face_detection  # noqa: E402
from imaging.decode import Decoded, decode  # noqa: E402
from imaging.filters import FILTERS  # noqa: E402
from imaging.pipeline import FACE_SIDE, find_faces, process, process_avatar  # noqa: E402
from imaging.placeholder import placeholder  # noqa: E402
from imaging.renditions import (  # noqa: E402
    LARGE,
    LARGE_RESAMPLE,
    MEDIUM,
    SMALL,
    THUMB,
    cascade,
    fit,
    render,
    square,
    square_box,
    thumb,
)

SAMPLE = ROOT / "tests" / "functional" / "media" / "data" / "sample.jpg"
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


def interleaved(
    actions: dict[str, Callable[[], object]], runs: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU milliseconds of each action over ``runs`` rounds, after one warm-up call
    each. Every round runs each action once, starting one further along each time, so that a
    burst of load on the shared machine falls on all of them alike and none always runs
    first. CPU time (this process's, all threads: libvips' workers count) leaves out the
    time spent waiting for a core that other work had, which wall time on 2 shared cores
    does not."""
    for action in actions.values():
        action()
    names = list(actions)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(runs):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            start, start_cpu = time.perf_counter(), time.process_time()
            actions[name]()
            cpu[name].append((time.process_time() - start_cpu) * 1000)
            wall[name].append((time.perf_counter() - start) * 1000)
    return wall, cpu


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


def our_renditions(data: bytes, large_resample: Image.Resampling = LARGE_RESAMPLE) -> list[bytes]:
    """The pipeline's rendition step (pipeline.process without faces, filter, placeholder):
    shrink-on-load, ``large``, then each smaller one from the one above it."""
    large = fit(decode(data, fit=LARGE).image, LARGE, large_resample)
    medium, small = cascade(large)
    images = [large, medium, small, thumb([large, medium, small], [])]
    return [render("", image).data for image in images]


# The other filter for `large`, tried in the same run (ours is LARGE_RESAMPLE).
OTHER_RESAMPLE = (
    Image.Resampling.LANCZOS
    if LARGE_RESAMPLE != Image.Resampling.LANCZOS
    else Image.Resampling.BICUBIC
)


def before_decode(data: bytes) -> Decoded:
    """``decode`` as it was until 2026-12-03: shrink-on-load by powers of two only (Image.draft),
    so a 12 MP JPEG is decoded at 1/2 (2016 x 1512) instead of 3/8 (1512 x 1134)."""
    with mock.patch.object(decoding, "_three_eighths", lambda image: False):
        return decode(data, fit=LARGE)


def before_renditions(data: bytes) -> list[bytes]:
    """The rendition step as it was until 2026-12-03, the reference for output parity:
    shrink-on-load at 1/2, ``large`` with Lanczos, then medium, small and thumb each from
    ``large``."""
    large = fit(before_decode(data).image, LARGE, Image.Resampling.LANCZOS)
    images = [large, fit(large, MEDIUM), fit(large, SMALL)]
    images.append(square(large, square_box(*large.size, []), THUMB))
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
    "ours": (
        f"ours: 3/8 on load, {LARGE_RESAMPLE.name.lower()}, cascade",
        our_renditions,
        False,
    ),
    "ours-other": (
        f"ours with {OTHER_RESAMPLE.name.lower()} to large",
        lambda data: our_renditions(data, OTHER_RESAMPLE),
        False,
    ),
    "before": ("before: 1/2, lanczos, each size from large", before_renditions, False),
    "naive": ("Pillow naive: full decode, LANCZOS from original", naive_renditions, False),
    "vips": ("libvips: thumbnail_buffer for each size", vips_renditions, True),
    "vips-cascade": ("libvips: one decode, then a cascade", vips_cascade_renditions, True),
}


def psnr(a: Image.Image, b: Image.Image) -> float:
    error = np.mean((np.asarray(a, np.float32) - np.asarray(b, np.float32)) ** 2)
    return float(10 * np.log10(255**2 / max(float(error), 1e-12)))


def bench_renditions(jpeg: bytes, runs: int, vips: bool) -> dict[str, float]:
    """ms of each variant, the variants interleaved in every run (so a burst of load on the
    shared machine hits them all alike); prints them with what they make beside the times:
    each rendition's size and PSNR against ``before`` (the output until now), the large
    one's PSNR against an exact resize of the full decode, the total bytes."""
    # What the large rendition should be: an exact LANCZOS resize of every decoded pixel.
    full = Image.open(io.BytesIO(jpeg)).convert("RGB")
    reference = full.resize(fit(full, LARGE).size, Image.Resampling.LANCZOS)
    del full

    def pixels(outputs: list[bytes]) -> list[Image.Image]:
        return [Image.open(io.BytesIO(data)).convert("RGB") for data in outputs]

    variants = {
        name: function
        for name, (_, function, needs_vips) in RENDITIONS.items()
        if vips or not needs_vips
    }
    before = pixels(before_renditions(jpeg))
    notes = {}
    for name, function in variants.items():
        outputs = function(jpeg)  # also the warm-up
        images = pixels(outputs)
        sizes = (
            "same sizes"
            if [i.size for i in images] == [i.size for i in before]
            else ("SIZES DIFFER: " + " ".join(f"{i.width}x{i.height}" for i in images))
        )
        vs_before = " ".join(
            f"{psnr(image, old) if image.size == old.size else 0:5.1f}"
            for image, old in zip(images, before, strict=True)
        )
        notes[name] = (
            f"{psnr(images[0], reference):5.2f} {vs_before}  {sum(map(len, outputs)) // 1024:4d}"
            f" KB  {sizes}"
        )
    wall, cpu = interleaved(
        {name: lambda function=function: function(jpeg) for name, function in variants.items()},
        runs,
    )
    results = {name: statistics.median(times) for name, times in wall.items()}
    cpu_ms = {name: statistics.median(times) for name, times in cpu.items()}
    print(
        "\nrenditions of a 12 MP JPEG: large, medium, small, thumb, encoded, interleaved;"
        " x vips1: over libvips' one-decode cascade\n"
        "  PSNR dB: large vs an exact resize of the full decode | each of large, medium,"
        " small, thumb vs before"
    )
    print(
        f"  {'':48}{'wall ms':>8}{'x ours':>7}{'x vips1':>8}{'CPU ms':>8}{'x vips1':>8}"
        f"  {'exact':>5} | vs before"
    )
    base, base_cpu = results.get("vips-cascade"), cpu_ms.get("vips-cascade")
    for name in variants:
        label, ms = RENDITIONS[name][0], results[name]
        against = f"{ms / base:8.2f}" if base else f"{'':8}"
        against_cpu = f"{cpu_ms[name] / base_cpu:8.2f}" if base_cpu else f"{'':8}"
        print(
            f"  {label:48}{ms:8.1f}{ms / results['ours']:7.2f}{against}"
            f"{cpu_ms[name]:8.1f}{against_cpu}  {notes[name]}"
        )
    if base:
        for kind, samples in (("wall", wall), ("CPU", cpu)):
            spread = sorted(
                o / c for o, c in zip(samples["ours"], samples["vips-cascade"], strict=True)
            )
            print(
                f"  ours / libvips cascade round by round, {kind}: {spread[0]:.2f} to"
                f" {spread[-1]:.2f}, median {statistics.median(spread):.2f}"
            )
        results["ours-cpu"], results["vips-cascade-cpu"] = cpu_ms["ours"], cpu_ms["vips-cascade"]
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
    actions = {
        "ours": lambda: fit(decode(data, fit=LARGE).image, LARGE, LARGE_RESAMPLE),
        "before": lambda: fit(before_decode(data).image, LARGE, Image.Resampling.LANCZOS),
        "full": lambda: fit(decode(data).image, LARGE, LARGE_RESAMPLE),
    }
    wall, cpu = interleaved(actions, runs)
    drafted, before = decode(data, fit=LARGE).image.size, before_decode(data).image.size
    labels = {
        "ours": f"shrink-on-load (decodes {drafted[0]}x{drafted[1]}), {LARGE_RESAMPLE.name}",
        "before": f"before: decodes {before[0]}x{before[1]}, LANCZOS",
        "full": f"full decode, then {LARGE_RESAMPLE.name}",
    }
    table(
        f"decode a {PHONE_SIZE[0]}x{PHONE_SIZE[1]} JPEG ({len(data) // 1024} KB) to 1080 px,"
        " interleaved (CPU ms in the notes)",
        [
            (labels[name], statistics.median(wall[name]), f"CPU {statistics.median(cpu[name]):.1f}")
            for name in actions
        ],
        statistics.median(wall["ours"]),
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
        (f"HOG on {large.width} px, no upsampling (used)", large, 0),
        (f"HOG on {medium.width} px, upsampled once (before)", medium, 1),
        (f"HOG on {large.width} px, upsampled once", large, 1),
        (f"HOG on the original {original.width} px, no upsampling", original, 0),
    ]
    samples, _ = interleaved(
        {
            label: lambda image=image, upsample=upsample: hog_faces(image, upsample)
            for label, image, upsample in cases
        },
        runs,
    )
    rows = []
    for label, image, upsample in cases:
        found = len(hog_faces(image, upsample))
        rows.append((label, statistics.median(samples[label]), f"{found} faces"))
    if cnn:
        detector = face_detection._cnn()
        pixels = np.asarray(medium)
        detector(pixels, 0)  # warm-up: the first call allocates the network's buffers
        for upsample, label in ((1, "upsampled once (as used)"), (0, "no upsampling")):
            start = time.perf_counter()
            found = len(detector(pixels, upsample))
            ms = (time.perf_counter() - start) * 1000
            rows.append((f"CNN on {medium.width} px, {label}, 1 run", ms, f"{found} faces"))
    table("faces in the 12 MP sample (it has 3), interleaved", rows, rows[0][1])


def cnn_faces(image: Image.Image, upsample: int) -> list[face_detection.Face]:
    return face_detection.detect(image, "cnn", upsample=upsample)


def bench_annotated_faces(cnn: bool = False) -> dict[str, tuple[float, int, int, int]]:
    """HOG on dlib's annotated photos, as committed (about 500 px, faces 37-109 px) and
    upscaled to 12 MP like a phone photo (faces about 300-880 px); with ``cnn``, the CNN on
    the 12 MP ones' two renditions too (~2 minutes). Per case: (ms per photo, faces found,
    annotated faces, spurious detections)."""
    # name -> (label, which image, upsampling, detector)
    cases = {
        "small-used": ("~500 px: upsampled once (process())", "small", 1, hog_faces),
        "small-none": ("~500 px: no upsampling", "small", 0, hog_faces),
        "1080": ("12 MP: 1080 px, no upsampling (process())", "large", 0, hog_faces),
        "640": ("12 MP: 640 px, upsampled once (before)", "medium", 1, hog_faces),
        "original": ("12 MP: the original, no upsampling", "original", 0, hog_faces),
    }
    if cnn:
        cases["cnn-1080"] = (
            "CNN, 12 MP: 1080 px, no upsampling (process())",
            "large",
            0,
            cnn_faces,
        )
        cases["cnn-640"] = ("CNN, 12 MP: 640 px, upsampled once (before)", "medium", 1, cnn_faces)
        cnn_faces(Image.open(SAMPLE), 0)  # warm-up: the first call allocates the buffers
    times: dict[str, list[float]] = {name: [] for name in cases}
    counts = {name: [0, 0, 0] for name in cases}  # found, annotated, spurious
    hog_faces(Image.open(SAMPLE), 1)  # warm-up
    for path, truth in annotations():
        data = encoded(phone_photo(path), "JPEG", quality=92)
        large = fit(decode(data, fit=LARGE).image, LARGE, LARGE_RESAMPLE)
        images = {
            # What process() searches in the photo as committed: itself, under 640 px.
            "small": fit(fit(decode(path.read_bytes()).image, LARGE), FACE_SIDE),
            "medium": fit(large, FACE_SIDE),
            "large": large,
            "original": decode(data).image,
        }
        for name, (_, image, upsample, detect) in cases.items():
            start = time.perf_counter()
            faces = detect(images[image], upsample)
            times[name].append((time.perf_counter() - start) * 1000)
            found, spurious = matched(truth, faces)
            counts[name][0] += found
            counts[name][1] += len(truth)
            counts[name][2] += spurious
    results = {name: (statistics.mean(times[name]), *counts[name]) for name in cases}
    rows = []
    for name, (label, *_) in cases.items():
        ms, found, total, spurious = results[name]
        rows.append((label, ms, f"{found}/{total} found, {spurious} spurious"))
    table(
        f"faces on dlib's {len(times['1080'])} annotated photos, ms per photo, 1 run each "
        "(found at IoU >= 0.3)",
        rows,
        results["1080"][0],
    )
    return results


# --- the pipeline end to end, and a cold start ---------------------------------------------


def before_process(data: bytes) -> tuple[list[bytes], list[face_detection.Face], str]:
    """``process(data, "clarendon")`` as it was until 2026-12-03: decoded at 1/2, faces on a
    640 px copy upsampled once, medium, small and thumb each from the filtered ``large``."""
    large = fit(before_decode(data).image, LARGE, Image.Resampling.LANCZOS)
    faces = face_detection.detect(fit(large, FACE_SIDE), "hog", upsample=1)
    large = FILTERS["clarendon"].apply(large)
    medium, small = fit(large, MEDIUM), fit(large, SMALL)
    images = [large, medium, small, square(large, square_box(*large.size, faces), THUMB)]
    return [render("", image).data for image in images], faces, placeholder(small)


def bench_pipeline(jpeg: bytes, png: bytes, runs: int) -> float:
    """Prints process() on each input and step by step; returns its ms on the 12 MP JPEG."""
    small = SAMPLE.read_bytes()
    actions = {
        f"12 MP JPEG ({len(jpeg) // 1024} KB)": lambda: process(jpeg, "clarendon"),
        "12 MP JPEG, before (1/2, 640 px faces upsampled)": lambda: before_process(jpeg),
        f"12 MP PNG ({len(png) // 1024} KB)": lambda: process(png, "clarendon"),
        "500x375 JPEG (the sample)": lambda: process(small, "clarendon"),
    }
    wall, cpu = interleaved(actions, runs)
    rows = [
        (label, statistics.median(wall[label]), f"CPU {statistics.median(cpu[label]):.1f}")
        for label in actions
    ]
    table("process(..., 'clarendon') end to end, interleaved", rows, rows[0][1])
    # A profile photo: the same decode and faces, two squares (320, 110) instead of four
    # renditions, no filter.
    avatar_rows = [
        ("12 MP JPEG", timed(lambda: process_avatar(jpeg), runs), ""),
        ("500x375 JPEG (the sample)", timed(lambda: process_avatar(small), runs), ""),
    ]
    table(
        "process_avatar() end to end (x: the 12 MP process() time)",
        avatar_rows,
        rows[0][1],
        ratio="x post",
    )

    # The same steps as pipeline.process, one at a time, on the 12 MP JPEG.
    look = FILTERS["clarendon"]
    decoded = decode(jpeg, fit=LARGE)
    large = fit(decoded.image, LARGE, LARGE_RESAMPLE)
    faces = find_faces(large, "hog")
    filtered = look.apply(large)
    medium, small_ = cascade(filtered)
    renditions = (filtered, medium, small_)
    steps: list[tuple[str, Callable[[], object]]] = [
        ("decode (3/8 on load) + orient + sRGB", lambda: decode(jpeg, fit=LARGE)),
        ("resize to 1080", lambda: fit(decoded.image, LARGE, LARGE_RESAMPLE)),
        ("faces (HOG on 1080, no upsampling)", lambda: find_faces(large, "hog")),
        ("filter (clarendon, on 1080)", lambda: look.apply(large)),
        ("resize to 640, then 320 from it", lambda: cascade(filtered)),
        ("encode large, medium, small", lambda: [render("", im) for im in renditions]),
        ("thumb (crop, resize, encode)", lambda: render("thumb", thumb(renditions, faces))),
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
    pipeline_ms: float | None,
    faces: dict[str, tuple[float, int, int, int]],
) -> None:
    print("\nsummary, 12 MP JPEG (x: how many times our figure)")
    short = {
        "ours-other": "ours with the other filter",
        "before": "before",
        "naive": "naive Pillow",
        "vips": "libvips each size",
        "vips-cascade": "libvips cascade",
    }
    if renditions:
        ours = renditions["ours"]
        others = ", ".join(
            f"{short[name]} {ms:.0f} ms ({ms / ours:.2f}x)"
            for name, ms in renditions.items()
            if name in short
        )
        print(f"  renditions (wall): ours {ours:.0f} ms; {others}")
        if "vips" not in renditions:
            print("    libvips: pyvips is not installed, no comparison")
        for name in ("vips", "vips-cascade"):
            if name in renditions:
                verdict = "met" if ours <= renditions[name] else "NOT met"
                print(f"    at least as fast as {short[name]} (wall): {verdict}")
        if "vips-cascade-cpu" in renditions:
            ours_cpu, vips_cpu = renditions["ours-cpu"], renditions["vips-cascade-cpu"]
            verdict = "met" if ours_cpu <= vips_cpu else "NOT met"
            print(
                f"    CPU: ours {ours_cpu:.0f} ms, libvips cascade {vips_cpu:.0f} ms"
                f" ({ours_cpu / vips_cpu:.2f}x): {verdict}"
            )
    if memory:
        peak, step = memory["process"]
        verdict = "met" if peak < MEMORY_TARGET_MB else "NOT met"
        print(
            f"  process() peak {peak:.0f} MB ({step:.0f} MB above the baseline);"
            f" < {MEMORY_TARGET_MB} MB: {verdict}"
        )
    if pipeline_ms is not None:
        print(f"  process() end to end: {pipeline_ms:.0f} ms")
    if faces:
        original = faces["original"][0]
        print("  HOG on the 43 annotated faces (ms per photo; at 12 MP x the original's time):")
        for name, label in (
            ("1080", "12 MP: 1080 px, no upsampling (used)"),
            ("640", "12 MP: 640 px upsampled once (before)"),
            ("original", "12 MP: the original, no upsampling"),
            ("small-used", "~500 px: upsampled once (used)"),
            ("small-none", "~500 px: no upsampling"),
        ):
            ms, found, total, spurious = faces[name]
            ratio = f" ({ms / original:.2f}x)" if name in ("1080", "640", "original") else ""
            print(
                f"    {label:40}{ms:7.0f} ms{ratio:8}  {found}/{total} found, {spurious} spurious"
            )


SECTIONS = ("renditions", "memory", "decode", "faces", "annotated", "pipeline", "cold", "video")


def load() -> str:
    """The load average, printed beside the figures: the 2 cores are shared."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cnn", action="store_true", help="add the (slow) CNN rows")
    # The CNN used to be on by default: the old flag is still accepted and does nothing.
    parser.add_argument("--no-cnn", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--video-seconds", type=float, default=60, help="the video section's clip (0: skip)"
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run, of {','.join(SECTIONS)} (default: all)",
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    if only - set(SECTIONS):
        parser.error(f"unknown sections: {','.join(sorted(only - set(SECTIONS)))}")

    vips = pyvips_module()
    original = phone_photo()
    jpeg = encoded(original, "JPEG", quality=92)
    png = encoded(original, "PNG", compress_level=6)
    print(f"median of {args.runs} runs, one thread; input: {SAMPLE.relative_to(ROOT)} at 12 MP")
    print(f"start: {load()}")
    if vips is not None:
        version = ".".join(str(vips.version(i)) for i in range(3))
        print(f"libvips {version} through pyvips {vips.__version__}")
    renditions, memory, faces, pipeline_ms = {}, {}, {}, None
    if "renditions" in only:
        renditions = bench_renditions(jpeg, args.runs, vips=vips is not None)
    if "memory" in only:
        memory = bench_memory(jpeg, png, vips=vips is not None)
    if "decode" in only:
        bench_decode(jpeg, args.runs)
    if "faces" in only:
        bench_faces(original, args.runs, cnn=args.cnn and not args.no_cnn)
    if "annotated" in only:
        faces = bench_annotated_faces(cnn=args.cnn and not args.no_cnn)
    if "pipeline" in only:
        pipeline_ms = bench_pipeline(jpeg, png, args.runs)
    if "cold" in only:
        bench_cold(args.runs)
    summary(renditions, memory, pipeline_ms, faces)
    print(f"end: {load()}")
    if args.video_seconds > 0 and "video" in only:
        import video_section  # PyAV against the ffmpeg CLI

        video_section.bench_video(args.video_seconds, runs=1)


if __name__ == "__main__":
    main()
