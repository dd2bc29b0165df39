"""The embedded engine: SQLite FTS5, in one file several processes share.

Why SQLite FTS5: it ships with Python (no dependency, no server, nothing to download), its
prefix indexes answer "as you type" queries in well under a millisecond, and a WAL-mode file
is shared safely by the local API process and the stream handlers in the launcher. tantivy
would be faster at very large scale but is a native dependency for what is a local stand-in.

Over one documents table:
- ``tokens``: each word of a name (users, tags, places) in a B-tree, so a prefix is a range
  scan and the most popular matches come first without ranking every match (a one-letter
  prefix matches thousands of people);
- ``words``: an FTS5 table of captions (posts), for full text with BM25 relevance;
- ``grams``: an FTS5 trigram table of the names of users and tags, to find near misses
  (typos): candidates sharing trigrams with the query, kept when similar enough.
"""

from __future__ import annotations

import difflib
import math
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from chalicelib.search.documents import POST, TAG, USER, Document, Hit, fold, words

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
    popularity REAL NOT NULL, author_id TEXT, UNIQUE (kind, id));
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT NOT NULL, kind TEXT NOT NULL, popularity REAL NOT NULL, doc INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tokens_by_prefix ON tokens (kind, token, popularity);
CREATE INDEX IF NOT EXISTS tokens_by_doc ON tokens (doc);
CREATE VIRTUAL TABLE IF NOT EXISTS words USING fts5(
    body, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3');
CREATE VIRTUAL TABLE IF NOT EXISTS grams USING fts5(name, tokenize = 'trigram');
"""
_TYPO_KINDS = (USER, TAG)
_TYPO_SIMILARITY = 0.75


class SqliteEngine:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        with self._db() as db:
            db.executescript(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        # One connection per thread: sqlite3 connections must not cross threads.
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def index(self, documents: Iterable[Document]) -> int:
        db, count = self._db(), 0
        db.execute("BEGIN IMMEDIATE")
        try:
            for doc in documents:
                self._remove(db, doc.kind, doc.id)
                cursor = db.execute(
                    "INSERT INTO docs (kind, id, name, popularity, author_id) VALUES (?,?,?,?,?)",
                    (doc.kind, doc.id, doc.name, doc.popularity, doc.author_id),
                )
                rowid = cursor.lastrowid
                if doc.kind == POST:
                    db.execute(
                        "INSERT INTO words (rowid, body) VALUES (?,?)", (rowid, fold(doc.body))
                    )
                else:
                    db.executemany(
                        "INSERT INTO tokens VALUES (?,?,?,?)",
                        [
                            (token, doc.kind, doc.popularity, rowid)
                            for token in dict.fromkeys(words(doc.name))
                        ],
                    )
                if doc.kind in _TYPO_KINDS:
                    db.execute(
                        "INSERT INTO grams (rowid, name) VALUES (?,?)", (rowid, fold(doc.name))
                    )
                count += 1
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return count

    def delete(self, kind: str, ids: Iterable[str]) -> None:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        for doc_id in ids:
            self._remove(db, kind, doc_id)
        db.execute("COMMIT")

    def clear(self) -> None:
        db = self._db()
        for table in ("docs", "tokens", "words", "grams"):
            db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names

    def search(self, text: str, kinds: Iterable[str], limit: int) -> list[Hit]:
        terms = words(text)
        kinds = list(kinds)
        if not terms or not kinds:
            return []
        db = self._db()
        hits: dict[tuple[str, str], float] = {}
        authors: dict[tuple[str, str], str | None] = {}
        named = [k for k in kinds if k != POST]
        if named:
            hits.update(self._names(db, terms, named, limit))
        if POST in kinds:
            for doc_id, author_id, popularity, rank in self._captions(db, terms, limit):
                hits[(POST, doc_id)] = -rank + math.log1p(max(popularity, 0.0)) * 0.3
                authors[(POST, doc_id)] = author_id
        typo_kinds = [k for k in kinds if k in _TYPO_KINDS]
        typed = " ".join(terms)
        if len(hits) < limit and typo_kinds and len(typed) >= 3:
            for kind, doc_id, name, popularity in self._near(db, typed, typo_kinds, limit * 5):
                folded = fold(name)
                # Against the start of the name as long as what was typed, and the whole name.
                similarity = max(
                    difflib.SequenceMatcher(None, typed, candidate).ratio()
                    for candidate in (folded[: len(typed)], folded)
                )
                if similarity >= _TYPO_SIMILARITY and (kind, doc_id) not in hits:
                    hits[(kind, doc_id)] = similarity * 2 + math.log1p(popularity) * 0.3
        ranked = sorted(hits.items(), key=lambda item: item[1], reverse=True)[:limit]
        return [
            Hit(kind, doc_id, score, authors.get((kind, doc_id)))
            for (kind, doc_id), score in ranked
        ]

    def _names(
        self, db: sqlite3.Connection, terms: list[str], kinds: list[str], limit: int
    ) -> dict[tuple[str, str], float]:
        """Names with a word starting with each term; the most popular of the first term's
        range are considered (a range scan on the index, not a ranking of every match)."""
        marks = ",".join("?" * len(kinds))
        first = terms[0]
        rows = db.execute(
            f"""SELECT d.kind, d.id, d.name, d.popularity FROM docs d WHERE d.rowid IN (
                    SELECT doc FROM tokens WHERE kind IN ({marks}) AND token >= ? AND token < ?
                    ORDER BY popularity DESC LIMIT ?)""",  # noqa: S608 - placeholders only
            (*kinds, first, first + "\U0010ffff", max(limit * 20, 200)),
        ).fetchall()
        found = {}
        for kind, doc_id, name, popularity in rows:
            tokens = words(name)
            if not all(any(t.startswith(term) for t in tokens) for term in terms):
                continue
            exact = sum(term in tokens for term in terms)
            starts = fold(name).startswith(first)
            found[(kind, doc_id)] = (
                2.0 * starts + 1.0 * exact + math.log1p(max(popularity, 0.0)) * 0.3
            )
        return found

    def _captions(self, db: sqlite3.Connection, terms: list[str], limit: int) -> list[tuple]:
        match = " AND ".join(f'"{term}"*' for term in terms)
        return db.execute(
            """SELECT d.id, d.author_id, d.popularity, bm25(words) FROM words
               JOIN docs d ON d.rowid = words.rowid
               WHERE words MATCH ? ORDER BY bm25(words) LIMIT ?""",
            (match, limit * 3),
        ).fetchall()

    def _near(self, db: sqlite3.Connection, text: str, kinds: list[str], limit: int) -> list[tuple]:
        """Candidates for a typo: names sharing a trigram with the text, or starting with its
        first two characters (a swap like "alcie" shares no trigram with "alice")."""
        grams = {text[i : i + 3] for i in range(len(text) - 2)}
        query = " OR ".join('"' + gram.replace('"', '""') + '"' for gram in grams)
        marks = ",".join("?" * len(kinds))
        by_grams = db.execute(
            f"""SELECT d.kind, d.id, d.name, d.popularity
                FROM grams JOIN docs d ON d.rowid = grams.rowid
                WHERE grams MATCH ? AND d.kind IN ({marks})
                ORDER BY rank LIMIT ?""",  # noqa: S608 - placeholders only
            (query, *kinds, limit),
        ).fetchall()
        by_start = db.execute(
            f"""SELECT d.kind, d.id, d.name, d.popularity FROM docs d WHERE d.rowid IN (
                    SELECT doc FROM tokens WHERE kind IN ({marks}) AND token >= ? AND token < ?
                    ORDER BY popularity DESC LIMIT ?)""",  # noqa: S608 - placeholders only
            (*kinds, text[:2], text[:2] + "\U0010ffff", limit),
        ).fetchall()
        return list(dict.fromkeys(by_grams + by_start))

    @staticmethod
    def _remove(db: sqlite3.Connection, kind: str, doc_id: str) -> None:
        found = db.execute(
            "SELECT rowid FROM docs WHERE kind = ? AND id = ?", (kind, doc_id)
        ).fetchone()
        if found:
            for table in ("docs", "words", "grams"):
                db.execute(f"DELETE FROM {table} WHERE rowid = ?", found)  # noqa: S608
            db.execute("DELETE FROM tokens WHERE doc = ?", found)
