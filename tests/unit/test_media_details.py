"""The shape of a post's media details (``posts.tags.parse_items``): pure checks, no IO."""

from __future__ import annotations

import math

import pytest

from chalicelib.core.errors import ValidationError
from chalicelib.posts.tags import ALT_TEXT_MAX, TAGS_MAX, UNSET, parse_items


def test_fields_left_out_are_unset_and_blank_alt_text_is_none() -> None:
    first, second, third = parse_items(
        [{"alt_text": "   "}, {"tags": None}, {"alt_text": " a dog ", "tags": []}],
        with_upload=False,
    )
    assert (first.alt_text, first.tags) == (None, UNSET)
    assert (second.alt_text, second.tags) == (UNSET, [])
    assert (third.alt_text, third.tags) == ("a dog", [])


def test_usernames_are_folded_and_coordinates_kept() -> None:
    (item,) = parse_items(
        [
            {
                "upload_id": "u1",
                "tags": [
                    {"username": " @Alice ", "x": 0, "y": 1},
                    {"username": "b", "x": 0.5, "y": 0.25},
                ],
            }
        ],
        with_upload=True,
    )
    assert item.upload_id == "u1"
    assert item.tags == [("alice", 0.0, 1.0), ("b", 0.5, 0.25)]


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ("x", "media"),
        ([], "media"),
        ([None], "media[0]"),
        ([{"alt_text": "x" * (ALT_TEXT_MAX + 1)}], "media[0].alt_text"),
        ([{"alt_text": ["x"]}], "media[0].alt_text"),
        (
            [{"tags": [{"username": f"u{n}", "x": 0, "y": 0} for n in range(TAGS_MAX + 1)]}],
            "media[0].tags",
        ),
        ([{"tags": "alice"}], "media[0].tags"),
        ([{}, {"tags": [{"username": "a", "x": -0.01, "y": 0}]}], "media[1].tags[0]"),
        ([{"tags": [{"username": "a", "x": 0, "y": math.inf}]}], "media[0].tags[0]"),
        ([{"tags": [{"username": "a", "x": math.nan, "y": 0}]}], "media[0].tags[0]"),
        ([{"tags": [{"username": "a", "x": False, "y": 0}]}], "media[0].tags[0]"),
        ([{"tags": [{"username": "a", "y": 0}]}], "media[0].tags[0]"),
        ([{"tags": [{"username": None, "x": 0, "y": 0}]}], "media[0].tags[0]"),
        ([{"tags": [{"username": " ", "x": 0, "y": 0}]}], "media[0].tags[0]"),
        (
            [{"tags": [{"username": "a", "x": 0, "y": 0}, {"username": "@A", "x": 1, "y": 1}]}],
            "media[0].tags[1]",
        ),
    ],
)
def test_bad_details_name_the_part_at_fault(items: object, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_items(items, with_upload=False)
    assert refused.value.details["field"] == field


def test_a_new_item_needs_its_upload_id() -> None:
    for bad in ({}, {"upload_id": ""}, {"upload_id": 5}, {"upload_id": "x" * 65}):
        with pytest.raises(ValidationError):
            parse_items([bad], with_upload=True)


def test_the_same_person_may_be_tagged_on_two_items() -> None:
    tag = {"username": "alice", "x": 0.5, "y": 0.5}
    assert len(parse_items([{"tags": [tag]}, {"tags": [tag]}], with_upload=False)) == 2
