"""functions/recommender is the recommender image's code root: its modules import each other
top-level (``import model``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "functions" / "recommender"))
