"""The looks a post can have, in the spirit of Instagram's classic filters.

A look is tone curves (one for all channels, then one per channel), then a saturation
change, then an optional vignette. The curves are baked into one 256-entry lookup table per
channel and applied with ``Image.point`` (C, one pass); saturation and vignette are a
single numpy pass. The names are the ones the API accepts (chalicelib.posts.FILTERS).

Curves are control points (input, output) on 0..255 joined by a monotone cubic, like the
curve tool of a photo editor: a lifted first point fades the blacks, a lowered last point
dims the whites, a bend in the middle adds or takes contrast.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PIL import Image

Curve = tuple[tuple[int, int], ...]
IDENTITY: Curve = ((0, 0), (255, 255))
# Rec. 601 luma, the weights Pillow's own RGB -> L uses.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass(frozen=True)
class Filter:
    name: str
    rgb: Curve = IDENTITY
    red: Curve = IDENTITY
    green: Curve = IDENTITY
    blue: Curve = IDENTITY
    saturation: float = 1.0  # 0 is grey, 1 unchanged
    vignette: float = 0.0  # how much the corners darken, 0..1

    @property
    def is_identity(self) -> bool:
        curves = (self.rgb, self.red, self.green, self.blue)
        return all(c == IDENTITY for c in curves) and self.saturation == 1 and not self.vignette

    @functools.cached_property
    def table(self) -> list[int]:
        """768 entries, R then G then B, as ``Image.point`` takes them for RGB."""
        master = _curve(self.rgb)
        channels = [_curve(curve)[master] for curve in (self.red, self.green, self.blue)]
        return np.concatenate(channels).tolist()

    def apply(self, image: Image.Image) -> Image.Image:
        """``image`` (RGB) with this look; the same size, a new image."""
        if self.is_identity:
            return image.copy()
        image = image.point(self.table)
        if self.saturation == 1 and not self.vignette:
            return image
        pixels = np.asarray(image, dtype=np.float32)
        if self.saturation != 1:
            luma = (pixels @ _LUMA)[..., np.newaxis]
            pixels = luma + self.saturation * (pixels - luma)
        if self.vignette:
            pixels *= _vignette(image.width, image.height, self.vignette)[..., np.newaxis]
        return Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8))


def _curve(points: Curve) -> np.ndarray:
    """256 outputs (uint8) of a monotone cubic (Fritsch-Carlson) through ``points``.

    Monotone so that a curve never overshoots between its points, which would invert tones.
    """
    xs = np.array([p[0] for p in points], dtype=np.float64)
    ys = np.array([p[1] for p in points], dtype=np.float64)
    slopes = np.diff(ys) / np.diff(xs)
    tangents = np.empty_like(xs)
    tangents[0], tangents[-1] = slopes[0], slopes[-1]
    inner = slopes[:-1] * slopes[1:]
    # Harmonic mean of the neighbouring slopes, zero at a local extremum.
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = 2 * slopes[:-1] * slopes[1:] / (slopes[:-1] + slopes[1:])
    tangents[1:-1] = np.where(inner > 0, harmonic, 0.0)

    x = np.arange(256, dtype=np.float64)
    segment = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 2)
    x0, x1 = xs[segment], xs[segment + 1]
    step = x1 - x0
    t = (x - x0) / step
    h00, h10 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t
    h01, h11 = -2 * t**3 + 3 * t**2, t**3 - t**2
    y = (
        h00 * ys[segment]
        + h10 * step * tangents[segment]
        + h01 * ys[segment + 1]
        + h11 * step * tangents[segment + 1]
    )
    # Below the first point and above the last, hold the end values (x is clipped there).
    y = np.where(x < xs[0], ys[0], np.where(x > xs[-1], ys[-1], y))
    return np.clip(np.round(y), 0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=8)
def _vignette(width: int, height: int, strength: float) -> np.ndarray:
    """Per-pixel brightness factor: 1 in the middle, ``1 - strength`` in the corners."""
    dx = np.linspace(-1.0, 1.0, width, dtype=np.float32) ** 2
    dy = np.linspace(-1.0, 1.0, height, dtype=np.float32) ** 2
    distance = np.sqrt((dy[:, np.newaxis] + dx[np.newaxis, :]) / 2)  # 0 centre, 1 corners
    # Untouched inside 40 % of the way to the corners, then a smoothstep fall-off.
    t = np.clip((distance - 0.4) / 0.6, 0.0, 1.0)
    return 1.0 - strength * t * t * (3 - 2 * t)


FILTERS: dict[str, Filter] = {
    look.name: look
    for look in (
        Filter("normal"),
        # Brighter, punchier, cool shadows and warm-neutral highlights.
        Filter(
            "clarendon",
            rgb=((0, 0), (60, 50), (128, 136), (196, 212), (255, 255)),
            red=((0, 0), (128, 124), (255, 252)),
            blue=((0, 22), (128, 136), (255, 248)),
            saturation=1.25,
        ),
        # Washed out and soft: lifted blacks, dimmed whites, a yellowed cast, less colour.
        Filter(
            "gingham",
            rgb=((0, 38), (128, 138), (255, 236)),
            red=((0, 6), (255, 255)),
            blue=((0, 4), (128, 122), (255, 236)),
            saturation=0.8,
        ),
        # Warm and vivid: reds and yellows pushed, a touch of contrast.
        Filter(
            "juno",
            rgb=((0, 0), (64, 58), (192, 202), (255, 255)),
            red=((0, 0), (128, 142), (255, 255)),
            green=((0, 0), (128, 132), (255, 255)),
            blue=((0, 8), (128, 118), (255, 240)),
            saturation=1.3,
        ),
        # Bright and airy: brighter midtones, reds held back, greens and blues lifted.
        Filter(
            "lark",
            rgb=((0, 14), (128, 150), (255, 255)),
            red=((0, 0), (128, 118), (255, 242)),
            green=((0, 0), (128, 134), (255, 255)),
            blue=((0, 8), (128, 140), (255, 255)),
            saturation=0.95,
        ),
        # Quiet: slightly desaturated, warm reds, a light vignette.
        Filter(
            "ludwig",
            rgb=((0, 6), (64, 60), (128, 134), (255, 250)),
            red=((0, 0), (128, 140), (255, 255)),
            blue=((0, 0), (128, 120), (255, 244)),
            saturation=0.85,
            vignette=0.25,
        ),
        # Black and white with strong contrast and lifted, silvery shadows.
        Filter(
            "moon",
            rgb=((0, 26), (64, 54), (128, 140), (192, 216), (255, 248)),
            saturation=0.0,
            vignette=0.2,
        ),
        # Dusty vintage: faded hard, warm, little colour.
        Filter(
            "reyes",
            rgb=((0, 52), (128, 152), (255, 238)),
            red=((0, 14), (255, 255)),
            blue=((0, 0), (128, 118), (255, 226)),
            saturation=0.7,
        ),
        # Warm, faded, golden, with a soft vignette.
        Filter(
            "valencia",
            rgb=((0, 22), (128, 138), (255, 246)),
            red=((0, 14), (128, 144), (255, 255)),
            green=((0, 4), (128, 130), (255, 248)),
            blue=((0, 0), (128, 110), (255, 218)),
            saturation=1.05,
            vignette=0.2,
        ),
    )
}


def get(name: str) -> Filter:
    """The filter called ``name``; ValueError for a name the API would not have accepted."""
    try:
        return FILTERS[name]
    except KeyError:
        raise ValueError(f"unknown filter {name!r}, expected one of {tuple(FILTERS)}") from None
