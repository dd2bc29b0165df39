"""The documents the stream handlers and the rebuild both make of hashtags and places."""

from chalicelib.search.documents import PLACE, TAG, Document, listing_document


def test_a_listing_is_found_by_its_name_and_ranked_by_its_posts() -> None:
    assert listing_document(PLACE, "pl_1", "Café de Flore", 7) == Document(
        PLACE, "pl_1", "Café de Flore", popularity=7.0
    )
    assert listing_document(TAG, "sunset", None, 3) == Document(
        TAG, "sunset", "sunset", popularity=3.0
    )


def test_a_listing_without_posts_is_not_searchable() -> None:
    assert listing_document(TAG, "sunset", None, 0) is None
    assert listing_document(PLACE, "pl_1", "Gone", None) is None
