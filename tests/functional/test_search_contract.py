"""One contract, two engines: the embedded SQLite FTS5 engine always, OpenSearch whenever
OPENSEARCH_URL points at one (e.g. http://admin:pass@localhost:9200)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.search.documents import PLACE, POST, TAG, USER, Document, fold
from chalicelib.search.engine import SearchEngine


def _engines() -> list:
    engines = [pytest.param("sqlite", id="sqlite")]
    engines.append(
        pytest.param(
            "opensearch",
            id="opensearch",
            marks=pytest.mark.skipif(
                not os.environ.get("OPENSEARCH_URL"), reason="OPENSEARCH_URL is not set"
            ),
        )
    )
    return engines


@pytest.fixture(params=_engines())
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchEngine]:
    if request.param == "sqlite":
        from chalicelib.search.sqlite_engine import SqliteEngine

        yield SqliteEngine(tmp_path / "search.sqlite")
        return
    from chalicelib.search.opensearch_engine import OpenSearchEngine

    found = OpenSearchEngine(
        os.environ["OPENSEARCH_URL"],
        f"contract-{secrets.token_hex(4)}",
        os.environ.get("AWS_REGION", "us-east-1"),
    )
    yield found
    found.client.indices.delete(index=found.index_name)


WORLD = [
    Document(USER, "u1", "alice Alice Martin", popularity=10_000),
    Document(USER, "u2", "alina Alina Petrova", popularity=3),
    Document(USER, "u3", "bob Bob Okafor", popularity=50),
    Document(TAG, "café", "café", popularity=120),
    Document(TAG, "서울", "서울", popularity=40),
    Document(TAG, "sunset", "sunset", popularity=900),
    Document(PLACE, "pl_1", "Café de Flore", popularity=12),
    Document(POST, "p1", "", body="Golden sunset over the bay #sunset", author_id="u3"),
]


def ids(hits: list) -> list[str]:
    return [hit.id for hit in hits]


def test_prefixes_as_you_type_and_popularity(engine: SearchEngine) -> None:
    engine.index(WORLD)
    assert ids(engine.search("ali", [USER], 10))[:2] == ["u1", "u2"]  # 10k followers first
    assert ids(engine.search("sun", [TAG], 10)) == ["sunset"]
    assert "p1" in ids(engine.search("golden sun", [POST], 10))


def test_accents_case_and_korean(engine: SearchEngine) -> None:
    engine.index(WORLD)
    assert "café" in ids(engine.search("CAFE", [TAG], 10))
    assert ids(engine.search("cafe de", [PLACE], 10)) == ["pl_1"]
    assert ids(engine.search("서", [TAG], 10)) == ["서울"]


def test_small_typos_for_users_and_tags(engine: SearchEngine) -> None:
    engine.index(WORLD)
    assert "u1" in ids(engine.search("alcie", [USER], 10))
    assert "sunset" in ids(engine.search("sunsett", [TAG], 10))
    assert engine.search("zzzzqx", [USER, TAG], 10) == []


def test_kinds_replace_and_delete(engine: SearchEngine) -> None:
    engine.index(WORLD)
    assert {hit.kind for hit in engine.search("sunset", [TAG, POST], 10)} == {TAG, POST}
    engine.index([Document(USER, "u3", "robert Robert Okafor", popularity=50)])  # renamed
    assert "u3" not in ids(engine.search("bob", [USER], 10))
    assert "u3" in ids(engine.search("rober", [USER], 10))
    engine.delete(POST, ["p1"])
    assert engine.search("golden", [POST], 10) == []
    engine.clear()
    assert engine.search("alice", [USER], 10) == []


def test_fold() -> None:
    assert fold("Café") == "cafe" and fold("서울") == "서울" and fold("ŁÓDŹ") == "łodz"
