"""The engine this process uses, created once: chosen by settings, never by "if local"."""

from __future__ import annotations

import functools

from chalicelib.core.settings import settings
from chalicelib.search.engine import SearchEngine


@functools.cache
def engine() -> SearchEngine:
    s = settings()
    if s.search_engine == "opensearch":
        from chalicelib.search.opensearch_engine import OpenSearchEngine

        if not s.opensearch_url:
            raise RuntimeError("SEARCH_ENGINE=opensearch needs OPENSEARCH_URL")
        return OpenSearchEngine(s.opensearch_url, f"glimpse-{s.stage}-search", s.region)
    from chalicelib.search.sqlite_engine import SqliteEngine

    return SqliteEngine(s.search_sqlite_path)
