"""The production engine: Amazon OpenSearch Service through opensearch-py.

One index per stage (``glimpse-<stage>-search``) holding every kind, with an edge n-gram
analyser on names for as-you-type matching, ASCII folding for accents, and a fuzzy clause for
typos on users and tags; a ``function_score`` adds log popularity. Requests are signed with
SigV4 (the Lambda role's credentials) unless the URL carries its own basic credentials (a
self-hosted cluster, the contract tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.search.documents import TAG, USER, Document, Hit, fold

_ANALYSIS = {
    "filter": {"prefixes": {"type": "edge_ngram", "min_gram": 1, "max_gram": 20}},
    "analyzer": {
        "folded": {"tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
        "as_you_type": {
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding", "prefixes"],
        },
    },
}
_MAPPINGS = {
    "properties": {
        "kind": {"type": "keyword"},
        "name": {
            "type": "text",
            "analyzer": "as_you_type",
            "search_analyzer": "folded",
            "fields": {"exact": {"type": "text", "analyzer": "folded"}},
        },
        "body": {"type": "text", "analyzer": "as_you_type", "search_analyzer": "folded"},
        "popularity": {"type": "float"},
        "author_id": {"type": "keyword"},
    }
}


class OpenSearchEngine:
    def __init__(self, url: str, index: str, region: str) -> None:
        from urllib.parse import urlparse

        from opensearchpy import OpenSearch, RequestsHttpConnection

        parsed = urlparse(url)
        auth: Any = None
        if parsed.username:
            auth = (parsed.username, parsed.password or "")
        else:
            import boto3
            from opensearchpy import AWSV4SignerAuth

            auth = AWSV4SignerAuth(boto3.Session().get_credentials(), region, "es")
        self.index_name = index
        self.client = OpenSearch(
            hosts=[
                {
                    "host": parsed.hostname,
                    "port": parsed.port or (443 if parsed.scheme == "https" else 9200),
                }
            ],
            http_auth=auth,
            use_ssl=parsed.scheme == "https",
            verify_certs=True,
            connection_class=RequestsHttpConnection,
            timeout=10,
        )
        if not self.client.indices.exists(index=index):
            self.client.indices.create(
                index=index, body={"settings": {"analysis": _ANALYSIS}, "mappings": _MAPPINGS}
            )

    def index(self, documents: Iterable[Document]) -> int:
        from opensearchpy import helpers

        actions = [
            {
                "_index": self.index_name,
                "_id": f"{d.kind}:{d.id}",
                "_source": {
                    "kind": d.kind,
                    "id": d.id,
                    "name": fold(d.name),
                    "body": fold(d.body),
                    "popularity": d.popularity,
                    "author_id": d.author_id,
                },
            }
            for d in documents
        ]
        done, _ = helpers.bulk(self.client, actions, refresh="wait_for")
        return done

    def delete(self, kind: str, ids: Iterable[str]) -> None:
        from opensearchpy import helpers

        actions = [
            {"_op_type": "delete", "_index": self.index_name, "_id": f"{kind}:{i}"} for i in ids
        ]
        helpers.bulk(self.client, actions, refresh="wait_for", raise_on_error=False)

    def clear(self) -> None:
        self.client.delete_by_query(
            index=self.index_name, body={"query": {"match_all": {}}}, refresh=True
        )

    def search(self, text: str, kinds: Iterable[str], limit: int) -> list[Hit]:
        kinds = list(kinds)
        typed = fold(text).strip()
        if not typed or not kinds:
            return []
        should = [
            {"match": {"name": {"query": typed, "operator": "and", "boost": 4}}},
            {"match": {"body": {"query": typed, "operator": "and"}}},
            {"match_phrase_prefix": {"name.exact": {"query": typed, "boost": 2}}},
        ]
        if any(kind in (USER, TAG) for kind in kinds) and len(typed) >= 3:
            should.append(
                {
                    "bool": {
                        "filter": [{"terms": {"kind": [USER, TAG]}}],
                        "must": [{"match": {"name.exact": {"query": typed, "fuzziness": "AUTO"}}}],
                    }
                }
            )
        query = {
            "function_score": {
                "query": {
                    "bool": {
                        "filter": [{"terms": {"kind": kinds}}],
                        "should": should,
                        "minimum_should_match": 1,
                    }
                },
                "field_value_factor": {"field": "popularity", "modifier": "log1p", "missing": 0},
                "boost_mode": "sum",
            }
        }
        found = self.client.search(index=self.index_name, body={"query": query, "size": limit})
        return [
            Hit(
                h["_source"]["kind"], h["_source"]["id"], h["_score"], h["_source"].get("author_id")
            )
            for h in found["hits"]["hits"]
        ]
