"""The short form of the seeded chaos test (the long form is ``bench/chaos.py``).

Each seed plays its schedule (``tests.chaos.schedule``) against real ``wanbot run`` processes — Slack HTTP
mode, a DashScope stand-in that answers a share of creates with 429/500/503 or a dropped/reset connection
*after* the task was made, SIGKILLs at scheduled moments, each followed by a restart over the same SQLite
file — and then checks every acknowledged command (``tests.chaos.invariants``): one job, one task made
from its own prompt, delivered once into its own channel's status thread, or failed with a message; no
leftover status message. The seeds run at the same time (each with its own sandbox, fake Slack, bot and
database), so the whole short form costs about as long as its slowest seed. Each seed's one-line summary
is printed in the terminal summary (section "chaos seeds"), its full report in the failure message.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.chaos.conftest import SUMMARIES
from tests.chaos.harness import SeedResult, run_seed
from tests.chaos.schedule import Size

SEEDS = (1, 2, 3)
SIZE = Size(commands=6, kills=2)


async def _all(root: Path) -> dict[int, SeedResult]:
    results = await asyncio.gather(*(run_seed(seed, root / f"seed-{seed}", SIZE) for seed in SEEDS))
    return dict(zip(SEEDS, results, strict=True))


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[int, SeedResult]:
    out = asyncio.run(_all(tmp_path_factory.mktemp("chaos")))
    for result in out.values():
        print("\n" + result.report())
        SUMMARIES.append(result.summary())
    return out


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_chaos_seed(seed: int, results: dict[int, SeedResult]) -> None:
    result = results[seed]
    assert result.kills and len(result.kills) == SIZE.kills, "every scheduled kill was carried out"
    assert result.starts == SIZE.kills + 1
    report = result.report()
    violations = len(result.verdict.violations)
    assert violations == 0, report
