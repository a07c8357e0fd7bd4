"""The long form of the seeded chaos test: many seeds through ``tests/chaos/harness.py``, one results table.

Each seed builds its schedule (``tests.chaos.schedule.build``: slash commands in bursts, DashScope fault
shares before and after the create took effect, SIGKILLs at chosen moments with restarts), plays it against
real ``wanbot run`` processes, and checks every acknowledged command (``tests.chaos.invariants``). The table
goes to ``bench/chaos.md`` (rewritten after every seed, so an interrupted run keeps what it measured), with
each seed's violations and notes below it.

    python bench/chaos.py --seeds 50                    # seeds 1..50, one at a time
    python bench/chaos.py --seeds 5 --first 100 --jobs 2 --commands 12 --kills 3

Exit status 1 when any seed found a violation.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This checkout's code (not an installed copy) for the harness, and ``tests`` is not a package on sys.path.
sys.path.insert(0, str(ROOT))

from tests.chaos.harness import SeedResult, run_seed  # noqa: E402
from tests.chaos.schedule import Size  # noqa: E402

HEADER = ("| seed | commands | acks | kills | faults | after-effect creates | delivered | failed | refused "
          "| orphans | violations | seconds |\n"
          "|-----:|---------:|-----:|------:|-------:|---------------------:|----------:|-------:|--------:"
          "|--------:|:-----------|--------:|")


def _row(r: SeedResult) -> str:
    v = r.verdict
    kinds: dict[str, int] = {}
    for x in v.violations:
        kinds[x.invariant] = kinds.get(x.invariant, 0) + 1
    bad = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "0"
    return (f"| {r.schedule.seed} | {len(r.observation.sent)} | {r.acks} | {len(r.kills)} | "
            f"{sum(r.faults.values())} | {r.after_effect_creates} | {v.delivered} | {v.failed} | {v.refused} | "
            f"{len(v.orphans)} | {bad} | {r.elapsed:.0f} |")


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True,
                             text=True, timeout=10, check=False)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def render(results: list[SeedResult], args: argparse.Namespace, planned: list[int]) -> str:
    done = {r.schedule.seed for r in results}
    total_v = sum(len(r.verdict.violations) for r in results)
    clean = sum(1 for r in results if not r.verdict.violations)
    lines = [
        "# Chaos: seeded faults, SIGKILLs and restarts against real `wanbot run` processes",
        "",
        "Written by `bench/chaos.py` (see its docstring and `tests/chaos/`). Per seed: signed `/wan video` "
        "slash commands in bursts from several users in several channels; a DashScope stand-in answering a "
        "share of requests with 429/500/503 or a dropped/reset connection, before or *after* the create took "
        "effect; SIGKILLs at scheduled moments (right after an ack, mid-burst, create in flight, task just "
        "created, SUBMITTING/PENDING/RUNNING, mid-upload), each followed by a restart over the same SQLite "
        "file. Checked for every acknowledged command: one job, one task from its own prompt, delivered once "
        "to its own channel, or failed with a message; no leftover status message.",
        "",
        f"- command: `python bench/chaos.py --seeds {args.seeds} --first {args.first} --jobs {args.jobs} "
        f"--commands {args.commands} --kills {args.kills}`",
        f"- code: `{_commit()}`; written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node() or 'host'} "
        f"(Python {platform.python_version()}, {platform.machine()})",
        *([f"- note: {args.note}"] if args.note else []),
        f"- seeds run: {len(results)} of {len(planned)}"
        + ("" if len(done) == len(planned) else f" (not run: {', '.join(map(str, sorted(set(planned) - done)))})"),
        f"- seeds without a violation: {clean} of {len(results)}; violations in all: {total_v}",
        "",
        HEADER,
        *(_row(r) for r in sorted(results, key=lambda r: r.schedule.seed)),
        "",
        "## Per seed",
        "",
    ]
    for r in sorted(results, key=lambda r: r.schedule.seed):
        lines += ["```", r.report(), "```", ""]
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    seeds = list(range(args.first, args.first + args.seeds))
    size = Size(commands=args.commands, kills=args.kills)
    root = Path(tempfile.mkdtemp(prefix="wanbot-chaos-"))
    results: list[SeedResult] = []
    gate = asyncio.Semaphore(args.jobs)
    out = Path(args.out)

    async def one(seed: int) -> None:
        async with gate:
            try:
                result = await run_seed(seed, root / f"seed-{seed}", size)
            except Exception as exc:  # a harness failure is reported, and the other seeds go on
                print(f"chaos seed={seed} harness error: {exc!r}", flush=True)
                return
            results.append(result)
            print(result.summary(), flush=True)
            out.write_text(render(results, args, seeds), encoding="utf-8")

    started = time.monotonic()
    await asyncio.gather(*(one(seed) for seed in seeds))
    out.write_text(render(results, args, seeds), encoding="utf-8")
    print(f"{len(results)} seeds in {time.monotonic() - started:.0f}s; table in {out}; work files in {root}")
    return 1 if any(r.verdict.violations for r in results) or len(results) < len(seeds) else 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=50, help="how many seeds (default 50)")
    p.add_argument("--first", type=int, default=1, help="first seed (default 1)")
    p.add_argument("--jobs", type=int, default=1, help="seeds run at the same time (default 1)")
    p.add_argument("--commands", type=int, default=10, help="slash commands per seed (default 10)")
    p.add_argument("--kills", type=int, default=3, help="SIGKILLs per seed (default 3)")
    p.add_argument("--note", default="", help="a line to print under the command (what code this is, why)")
    p.add_argument("--out", default=str(ROOT / "bench" / "chaos.md"), help="where the table goes")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
