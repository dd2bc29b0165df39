"""Renders every filter of a photo side by side, labelled, for docs/media.md.

    .venv/bin/python functions/media/contact_sheet.py [photo] [out]

Defaults: the committed sample tests/functional/media/data/sample.jpg, and docs/filters.jpg.
The photo goes through the same decoding and filters as an upload (imaging.decode, imaging.filters).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from imaging.decode import decode
from imaging.filters import FILTERS
from imaging.renditions import encode_jpeg, fit

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PHOTO = ROOT / "tests" / "functional" / "media" / "data" / "sample.jpg"
DEFAULT_OUT = ROOT / "docs" / "filters.jpg"
TILE = 400  # long side of each photo
COLUMNS = 3
GAP, LABEL = 12, 36


def contact_sheet(photo: Image.Image, tile: int = TILE, columns: int = COLUMNS) -> Image.Image:
    """A grid of ``photo`` under each filter, its name below it, in FILTERS order."""
    base = fit(photo, tile)
    rows = math.ceil(len(FILTERS) / columns)
    cell_width, cell_height = base.width + GAP, base.height + LABEL
    sheet = Image.new(
        "RGB", (columns * cell_width + GAP, rows * cell_height + GAP), (250, 250, 250)
    )
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=LABEL * 0.6)
    for index, (name, look) in enumerate(FILTERS.items()):
        left = GAP + (index % columns) * cell_width
        top = GAP + (index // columns) * cell_height
        sheet.paste(look.apply(base), (left, top))
        draw.text(
            (left + base.width / 2, top + base.height + LABEL / 2),
            name,
            fill=(40, 40, 40),
            font=font,
            anchor="mm",
        )
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo", nargs="?", type=Path, default=DEFAULT_PHOTO)
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    sheet = contact_sheet(decode(args.photo.read_bytes()).image)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(encode_jpeg(sheet))
    print(f"{args.out}: {sheet.width} x {sheet.height}, {args.out.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
