"""The production explore model on anyone's interaction log, from the repository root:

    python -m functions.recommender.offline --interactions log.jsonl --top 50 --out lists.jsonl

Each input line: ``{"user_id", "item_id", "kind", "at"}`` (``at`` in ms since the epoch, or an
ISO 8601 time; ``kind`` one of the app's: like, comment, save, share, view, hide…, weighted as
the app weighs them; an optional ``"weight"`` overrides it; ``"author_id"`` on a line names the
item's author, so that own posts are left out and the per-author cap applies). Each output
line: ``{"user_id", "items": [{"item_id", "score", "because", "source"}]}``.

Exactly the job's code (model.py, ranking.py, tuning.py's choice of settings) without
DynamoDB: a team can hold out its own last days and compare it with what it runs today.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import model  # noqa: E402
import ranking  # noqa: E402
import tuning  # noqa: E402

from chalicelib.interactions.feedback import WEIGHTS  # noqa: E402


class BadLine(ValueError):
    pass


def read(path: Path, authors: dict[str, str]) -> Iterator[dict]:
    with path.open() as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                at = row["at"]
                if isinstance(at, str):
                    at = int(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() * 1000)
                weight = row.get("weight", WEIGHTS.get(row.get("kind", ""), 1.0))
                if row.get("author_id"):
                    authors[str(row["item_id"])] = str(row["author_id"])
                yield {
                    "user_id": str(row["user_id"]),
                    "item_id": str(row["item_id"]),
                    "weight": float(weight),
                    "at": int(at),
                }
            except (KeyError, TypeError, ValueError) as error:
                raise BadLine(f"{path}:{number}: {error!r}") from error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interactions", type=Path, required=True)
    parser.add_argument("--top", type=int, default=ranking.TOP)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    authors: dict[str, str] = {}
    try:
        log = model.Log.of(read(args.interactions, authors))
    except BadLine as error:
        print(f"bad interaction line {error}", file=sys.stderr)
        return 2
    now = int(log.at.max()) if len(log.at) else 0
    # As the job: the settings chosen on this log's own time split, then one fit on all of it.
    params, _ = tuning.tune(log)
    data = model.build(log, now_ms=now, half_life_days=params.half_life_days)
    similar = model.fit(data.matrix, params)
    written = 0
    with args.out.open("w") as out:
        for user, picked in ranking.explore_lists(data, similar, authors, top=args.top):
            items = [
                {"item_id": p, "score": round(s, 6), "because": b, "source": source}
                for p, s, b, source in picked
            ]
            out.write(json.dumps({"user_id": user, "items": items}) + "\n")
            written += 1
    print(f"{written} users, {len(data.posts)} items, {len(log.at)} interactions -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
