"""The filters: the names the API accepts, and that each one does something sensible."""

from __future__ import annotations

import numpy as np
import pytest

from chalicelib.posts import authoring
from imaging import filters
from imaging.filters import FILTERS, IDENTITY, _curve


def test_the_filters_are_the_ones_the_api_accepts():
    assert tuple(FILTERS) == authoring.FILTERS


def test_normal_leaves_the_pixels_alone(photo):
    image = photo(120, 80)
    assert FILTERS["normal"].is_identity
    assert np.array_equal(np.asarray(FILTERS["normal"].apply(image)), np.asarray(image))


@pytest.mark.parametrize("name", [name for name in FILTERS if name != "normal"])
def test_each_filter_changes_the_pixels_and_keeps_the_size(photo, name):
    image = photo(120, 80)

    filtered = FILTERS[name].apply(image)

    assert filtered.size == image.size and filtered.mode == "RGB"
    change = np.abs(np.asarray(filtered, dtype=np.int16) - np.asarray(image, dtype=np.int16))
    assert change.mean() > 4


def test_moon_is_black_and_white(photo):
    pixels = np.asarray(FILTERS["moon"].apply(photo(120, 80)), dtype=np.int16)
    assert np.abs(pixels[..., 0] - pixels[..., 1]).max() <= 1
    assert np.abs(pixels[..., 1] - pixels[..., 2]).max() <= 1


@pytest.mark.parametrize("name", list(FILTERS))
def test_curves_never_invert_tones(name):
    look = FILTERS[name]
    for curve in (look.rgb, look.red, look.green, look.blue):
        assert np.all(np.diff(_curve(curve).astype(np.int16)) >= 0)


def test_a_curve_goes_through_its_points():
    points = ((0, 30), (128, 150), (255, 240))
    table = _curve(points)
    assert [table[x] for x, _ in points] == [y for _, y in points]
    assert np.array_equal(_curve(IDENTITY), np.arange(256))


def test_vignette_darkens_corners_not_the_centre():
    factor = filters._vignette(101, 81, 0.3)
    assert factor[40, 50] == pytest.approx(1.0)
    assert factor[0, 0] == pytest.approx(0.7, abs=0.01)


def test_an_unknown_filter_is_a_value_error():
    with pytest.raises(ValueError, match="sepia"):
        filters.get("sepia")


def test_contact_sheet_shows_every_filter(photo):
    from contact_sheet import COLUMNS, GAP, LABEL, contact_sheet

    sheet = contact_sheet(photo(300, 200), tile=90)

    rows = -(-len(FILTERS) // COLUMNS)
    assert sheet.size == (COLUMNS * (90 + GAP) + GAP, rows * (60 + LABEL) + GAP)
