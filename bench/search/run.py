"""The embedded search engine at size: indexing throughput, query latency, index size.

    .venv/bin/python bench/search/run.py [--users 100000] [--posts 200000] [--queries 2000]

Synthetic but shaped like the app: usernames and full names from syllables (Latin with
accents, some Korean), popularity power-law distributed, captions of 5-25 words with a few
hashtags. Autocomplete queries are 1-6 character prefixes of existing names (with a typo in
one query out of ten, which takes the slower near-miss path); full-text queries are two
caption words (drawn from the 500 most frequent: the slow case). Latency is per
``engine.search`` call, in this process, on a warm cache.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY))

from chalicelib.search.documents import POST, TAG, USER, Document  # noqa: E402
from chalicelib.search.sqlite_engine import SqliteEngine  # noqa: E402

SYLLABLES = [
    "ka",
    "li",
    "mo",
    "ré",
    "su",
    "na",
    "to",
    "é",
    "bo",
    "ja",
    "mi",
    "lu",
    "ço",
    "서",
    "울",
    "민",
    "지",
    "ha",
    "ne",
    "zo",
    "ri",
    "pa",
    "do",
    "ve",
]
WORDS = [
    "sunset",
    "café",
    "beach",
    "morning",
    "city",
    "street",
    "coffee",
    "friends",
    "mountain",
    "dinner",
    "night",
    "river",
    "travel",
    "서울",
    "paris",
    "garden",
]


def name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(7)
    path = Path(tempfile.mkdtemp(prefix="bench-search-")) / "search.sqlite"
    engine = SqliteEngine(path)

    users = [
        Document(
            USER,
            f"u{n}",
            f"{name(rng)}{n % 97} {name(rng).title()}",
            popularity=int(rng.paretovariate(1.2)),
        )
        for n in range(args.users)
    ]
    tags = [Document(TAG, word, word, popularity=rng.randint(1, 10_000)) for word in WORDS]
    # A caption vocabulary of 5,000 words used with Zipf-like frequencies, as in real text.
    vocabulary = list(dict.fromkeys([*WORDS, *(name(rng) for _ in range(6000))]))[:5000]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    posts = [
        Document(
            POST,
            f"p{n}",
            "",
            body=" ".join(rng.choices(vocabulary, weights, k=rng.randint(5, 25)))
            + f" #{rng.choice(WORDS)}",
            popularity=int(rng.paretovariate(1.1)),
            author_id=f"u{rng.randrange(args.users)}",
        )
        for n in range(args.posts)
    ]

    start = time.perf_counter()
    for batch in range(0, len(users), 1000):
        engine.index(users[batch : batch + 1000])
    engine.index(tags)
    for batch in range(0, len(posts), 1000):
        engine.index(posts[batch : batch + 1000])
    elapsed = time.perf_counter() - start
    documents = len(users) + len(tags) + len(posts)
    size_mb = sum(f.stat().st_size for f in path.parent.iterdir()) / 1e6

    def timed(text: str, kinds: list[str]) -> float:
        begin = time.perf_counter()
        engine.search(text, kinds, 10)
        return (time.perf_counter() - begin) * 1000

    autocomplete, typos, full_text = [], [], []
    for n in range(args.queries):
        target = rng.choice(users).name.split()[0]
        prefix = target[: rng.randint(1, 6)]
        if n % 10 == 9 and len(target) >= 5:
            typed = target[:5]
            typos.append(timed(typed[0] + typed[2] + typed[1] + typed[3:], [USER, TAG]))
        else:
            autocomplete.append(timed(prefix, [USER, TAG]))
        two = rng.choices(vocabulary[:500], k=2)
        full_text.append(timed(f"{two[0]} {two[1][:4]}", [POST]))

    print(
        f"indexed {documents:,} documents ({args.users:,} users, {args.posts:,} posts) in "
        f"{elapsed:.1f} s: {documents / elapsed:,.0f} documents/s; index {size_mb:.0f} MB"
    )
    print(f"{'query':<34}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}")
    for label, samples in (
        ("autocomplete (prefix)", autocomplete),
        ("autocomplete with a typo", typos),
        ("full text, posts", full_text),
    ):
        print(
            f"{label:<34}{len(samples):>6}{statistics.median(samples):>9.2f}"
            f"{percentile(samples, 0.99):>9.2f}"
        )
    ratio = percentile(autocomplete, 0.99) / 20
    print(f"autocomplete p99 / 20 ms target: {ratio:.2f}x")


if __name__ == "__main__":
    main()
