"""``top`` and ``promote`` in the console (issue 13 votes): the console has no reactions, so the votes here
are made the way an adapter reports them (``ChatActions.react`` by other people on the result's status
message); ``top`` lists the winner with its typed Promote, and ``promote <job>`` renders it at 1080P with the
same seed."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from adapters.console.app import CALLER, ConsoleSession
from adapters.console.port import PLATFORM, ConsolePort
from bot.runtime import runtime
from bot.settings import Settings
from core.jobs import JobState
from sandbox.config import SandboxConfig


async def test_top_lists_the_winner_and_promote_renders_it_at_1080p(tmp_path: Path) -> None:
    console = Console(record=True, width=200, force_terminal=False)
    port = ConsolePort(console, tmp_path / "out", live=False)
    settings = Settings(database_url=f"sqlite:///{tmp_path}/wanbot.db", workdir=tmp_path / "work",
                        poll_interval=0.05)
    async with runtime(settings, {PLATFORM: port}, sandbox_config=SandboxConfig(speed=2000)) as rt:
        session = ConsoleSession(rt.actions, port, console)
        assert (await session.handle("top")) == ("🏆 No votes on this week's results here yet. React 👍 on a "
                                                 "result to vote for it.")
        await session.handle("video a lighthouse at dusk --duration 2")
        (job,) = await session.drain(timeout=60)
        assert job.state is JobState.DELIVERED and job.status_ref is not None
        for voter in ("ann", "ben"):
            who = CALLER.__class__(**{**CALLER.__dict__, "user_id": voter, "user_name": voter})
            assert await rt.actions.react(who, job.status_ref.message_id, "+1", added=True)
        listed = await session.handle("top today")
        assert listed is not None
        assert f"1. {job.id} · 2 vote(s) · by you" in listed and f"promote {job.id}" in listed
        said = await session.handle(f"promote {job.id}")
        assert said is not None and "1080P" in said
        promoted = await rt.engine.get(session.submitted[-1])
        assert promoted is not None and getattr(promoted.request, "resolution", None) == "1080P"
        assert promoted.request.seed == job.request.seed
        assert "/wan top takes today, week or all" in str(await session.handle("/wan top month"))
