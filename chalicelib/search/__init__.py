"""Unified search over users, hashtags, places and posts.

One small interface (``engine.SearchEngine``) with two implementations that pass one
contract suite: SQLite FTS5 embedded locally (``sqlite_engine``) and OpenSearch in
production (``opensearch_engine``). Documents are kept fresh by the stream handlers
(``chalicelib/streams.py``) and rebuilt from DynamoDB by ``python -m chalicelib.search.rebuild``.
Ranking, visibility and the "top results" mix live in ``query``, above either engine.
"""
