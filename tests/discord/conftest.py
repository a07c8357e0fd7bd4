"""Run wanbot's real Discord client (discord.py) against the local fake Discord and a sandbox.

After each test, every message post and edit the fake saw must have carried ``allowed_mentions`` with
nothing allowed (``{"parse": []}``).

``bot_env`` gives a test the fake, a DashScope sandbox and a ``start()`` that runs a complete wanbot
(runtime + Discord client) over one SQLite file; calling ``start()`` again after ``stop()`` is a restart
of the process: same database, same fake Discord, same sandbox (so its task counters see everything).
``BotEnv.creates`` is every create body the sandbox received (video and image routes), as sent on the
wire, for tests that assert what DashScope was asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters.discord.app import build
from adapters.discord.port import DiscordPort
from adapters.host import AdapterHost
from bot.platforms import discord_config
from bot.runtime import Runtime, runtime
from bot.settings import Settings
from core.actions import ChatActions
from core.jobs import Job
from sandbox.config import SandboxConfig
from sandbox.runner import Sandbox
from tests.fakes.discord_server import FakeDiscord

KEY = "sk-discord-e2e"


@dataclass
class Bot:
    rt: Runtime
    port: DiscordPort
    task: asyncio.Task[None]
    stack: AsyncExitStack

    async def stop(self) -> None:
        """Stop like a process receiving SIGTERM: the client closes, the engine stops, the store closes."""
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.stack.aclose()

    async def kill(self) -> None:
        """Die mid-step, as near SIGKILL as one process allows: the engine's background work is cancelled
        wherever it is (an interaction response in flight stays unanswered and unrecorded), then the rest
        shuts down. Leases are released on the way out so the restart can take the jobs at once."""
        await self.rt.engine.stop(release_leases=False)
        await self.stop()


@dataclass
class BotEnv:
    tmp: Path
    fake: FakeDiscord
    sandbox: Sandbox
    overrides: dict[str, Any] = field(default_factory=dict)
    bots: list[Bot] = field(default_factory=list)
    #: (route path, JSON body) of every create request the sandbox received, in order.
    creates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def settings(self) -> Settings:
        values: dict[str, Any] = {
            "discord_token": self.fake.token,
            "discord_api_base": self.fake.api_base,
            "discord_guild_id": self.fake.guild.id,
            "dashscope_base_url": self.sandbox.base_url,
            "dashscope_api_key": KEY,
            "database_url": f"sqlite:///{self.tmp}/wanbot.db",
            "workdir": self.tmp / "work",
            "poll_interval": 0.05,
            "predictive_polling": False,  # the sandbox runs 150× faster than the priors expect
            # Threads per idea are tested on their own (test_threads, test_variants); the other tests check
            # the channel placement they were written for.
            "threads_default": False,
            **self.overrides,
        }
        return Settings(**values)

    async def start(self, *, actions: Callable[[Runtime], ChatActions] | None = None) -> Bot:
        """A running wanbot; ``actions`` replaces the runtime's use cases for the adapter (a spy)."""
        stack = AsyncExitStack()
        identifies = self.fake.gateway_log.count("identify")
        port, runner = build(discord_config(self.settings()), guild_ready_timeout=0.05)
        rt = await stack.enter_async_context(runtime(self.settings(), {port.platform: port}))
        host = rt.host() if actions is None else AdapterHost(actions=actions(rt), messages=rt.messages)
        task = asyncio.create_task(runner(host))
        await self.fake.wait_for(lambda: port.ready or task.done(), timeout=60)
        if task.done():
            task.result()  # raise what stopped the client
        assert self.fake.gateway_log.count("identify") == identifies + 1
        bot = Bot(rt, port, task, stack)
        self.bots.append(bot)
        return bot

    async def stored_job_ids(self) -> set[str]:
        """Every job in the database, read straight from the file (whichever bot is running)."""

        def read() -> set[str]:
            with contextlib.closing(sqlite3.connect(self.tmp / "wanbot.db")) as db:
                return {row[0] for row in db.execute("SELECT id FROM jobs")}

        return await asyncio.to_thread(read)

    async def job(self, bot: Bot, job_id: str) -> Job:
        job = await bot.rt.engine.get(job_id)
        assert job is not None
        return job


@pytest.fixture
async def make_env(tmp_path: Path) -> AsyncIterator[Any]:
    """``await make_env(speed=…, fake=FakeDiscord(...), sandbox=SandboxConfig(...), **settings)``."""
    async with AsyncExitStack() as stack:
        envs: list[BotEnv] = []

        async def make(*, speed: float = 150.0, fake: FakeDiscord | None = None,
                       sandbox: SandboxConfig | None = None, **overrides: Any) -> BotEnv:
            fake_ = await stack.enter_async_context(fake or FakeDiscord())
            creates: list[tuple[str, dict[str, Any]]] = []
            sb = Sandbox(sandbox or SandboxConfig(speed=speed, api_key=KEY))
            sb.app.middlewares.insert(0, _recording(creates))  # outermost: sees every create, refused or not
            await stack.enter_async_context(sb)
            env = BotEnv(tmp_path, fake_, sb, overrides, creates=creates)
            envs.append(env)
            return env

        try:
            yield make
        finally:
            for env in envs:
                for bot in env.bots:
                    if not bot.task.done():
                        await bot.stop()
        # Every message and edit any test made, by any route, allowed no mention at all — except a notice
        # (issue 13, ``ChatPort.notify``) naming the one user it is for: never everyone, never a role.
        for env in envs:
            assert [m for m in env.fake.mentions if m[1] != {"parse": []}
                    and not _names_users_only(m[1])] == [], "a message allowed mentions"


def _names_users_only(allowed: Any) -> bool:
    return isinstance(allowed, dict) and allowed.get("parse") == [] and set(allowed) == {"parse", "users"} and (
        len(allowed["users"]) == 1)


_CREATES = ("/services/aigc/video-generation/video-synthesis", "/services/aigc/image-generation/generation",
            "/services/aigc/multimodal-generation/generation")


def _recording(into: list[tuple[str, dict[str, Any]]]) -> Any:
    """A sandbox middleware keeping each create's body (aiohttp caches it: the handler reads it again)."""

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "POST" and request.path.endswith(_CREATES):
            try:
                into.append((request.path, await request.json()))
            except ValueError:
                into.append((request.path, {}))
        response: web.StreamResponse = await handler(request)
        return response

    return record


def status_id(fake: FakeDiscord, inter: Any) -> int:
    """The status message an interaction's response created."""
    msg = fake.message_of(inter)
    assert msg is not None, "the interaction was not answered with a message"
    return msg.id


def job_id_of(fake: FakeDiscord, message_id: int) -> str:
    fields = fake.messages[message_id].embeds[0]["fields"]
    return str(next(f["value"] for f in fields if f["name"] == "Job"))


async def ephemeral_reply(fake: FakeDiscord, inter: Any) -> str:
    """The text of the ephemeral answer to ``inter`` (its callback, or a followup after a defer)."""

    def found() -> str | None:
        callback = fake.response_to(inter)
        if callback is not None and callback.type == 4:
            assert callback.data.get("flags", 0) & 64, f"expected an ephemeral answer: {callback.data}"
            return str(callback.data.get("content") or callback.data.get("embeds"))
        followups = [m for m in fake.messages.values() if m.interaction_id == inter.id and m.via == "webhook"]
        if followups:
            assert followups[0].ephemeral
            return followups[0].content
        return None

    text: str = await fake.wait_for(found)
    return text


def status_messages(fake: FakeDiscord) -> list[int]:
    """Every public message that shows a job's status embed (live, not deleted), oldest first."""
    return sorted(m.id for m in fake.messages.values() if m.embeds and not m.ephemeral and not m.deleted)


def button_ids(fake: FakeDiscord, message_id: int) -> list[str]:
    return [c["custom_id"] for row in fake.messages[message_id].components for c in row["components"]]
