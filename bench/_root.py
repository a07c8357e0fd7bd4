"""Imported first by the benchmarks: puts this checkout on ``sys.path`` (``tests`` is not installed)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
