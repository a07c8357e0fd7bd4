"""The chaos harness: one seed's schedule played against real ``wanbot run`` processes, then checked.

``run_seed(seed, workdir)`` starts a DashScope sandbox (faults from the schedule, results marked with the task
id and prompt) and a fake Slack in this process, and ``wanbot run`` (Slack HTTP mode, a real key pointed at
the sandbox, so no embedded sandbox and no ``--sandbox``) as a subprocess over one SQLite file. It sends the
schedule's signed ``/wan video`` bursts, SIGKILLs the bot at the scheduled moments and starts it again over
the same database each time, then waits — on conditions, with a generous real-time cap — until every job and
every DashScope task has ended and every status message shows its job's state. Then it stops the bot and
hands what the sandbox, the fake Slack, the database and the log recorded to ``invariants.check``.

Nothing waits a fixed time for things to settle: the only sleeps are the schedule's own (gaps between bursts,
the delay of a kill after its moment) and the 20–50 ms turns of polling loops with a cap.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from adapters.slack.app import EVENTS_PATH
from sandbox.config import Limits, SandboxConfig
from sandbox.media import read_mark
from sandbox.runner import Sandbox
from sandbox.stats import key_id
from tests.chaos.invariants import (
    TASK_TERMINAL,
    TERMINAL,
    JobRow,
    Observation,
    Post,
    Reply,
    Sent,
    TaskRow,
    UploadRow,
    Verdict,
    check,
    orphan_logged,
)
from tests.chaos.schedule import Burst, Command, Kill, Moment, Schedule, Size, build
from tests.chaos.world import BotProcess, chaos_slack, poll, read_jobs
from tests.fakes.slack_server import TEAM, TOKEN
from tests.slack.conftest import SECRET, sign, state_of

KEY = "sk-chaos"
#: A 2 s 720P clip takes ~1–2.5 s: long enough for PENDING and RUNNING to be caught from outside.
SPEED = 60.0
#: Real-time caps (generous: the machine is shared). Reaching one is reported, never slept through.
MOMENT_CAP = 10.0
SETTLE_CAP = 150.0
#: After everything ended: how long the bot has to notice a task no job owns (cancel it or log it as an
#: orphan) before the check counts it as a silent duplicate.
ORPHAN_CAP = 15.0


@dataclass
class KillRecord:
    kill: Kill
    reached: bool
    #: Stored job states when the kill landed.
    states: dict[str, int]
    #: Commands sent but not answered when it landed.
    in_flight: int

    def __str__(self) -> str:
        states = ",".join(f"{k}:{v}" for k, v in sorted(self.states.items()))
        hit = "" if self.reached else " (moment not reached)"
        return f"{self.kill.moment.value}+{self.kill.delay * 1000:.0f}ms{hit} [{states}] in-flight={self.in_flight}"


@dataclass
class SeedResult:
    schedule: Schedule
    observation: Observation
    verdict: Verdict
    kills: list[KillRecord]
    faults: Counter[str]
    after_effect_creates: int
    elapsed: float
    starts: int

    @property
    def acks(self) -> int:
        return sum(s.acked for s in self.observation.sent)

    def summary(self) -> str:
        v = self.verdict
        bad = Counter(x.invariant for x in v.violations)
        return (f"chaos seed={self.schedule.seed} commands={len(self.observation.sent)} acks={self.acks} "
                f"kills={len(self.kills)} faults={sum(self.faults.values())} "
                f"(creates answered after effect: {self.after_effect_creates}) delivered={v.delivered} "
                f"failed={v.failed} refused={v.refused} orphans={len(v.orphans)} violations={len(v.violations)}"
                + (f" {dict(bad)}" if bad else "") + f" in {self.elapsed:.1f}s")

    def report(self) -> str:
        lines = [self.summary(), "  " + self.schedule.describe()]
        lines += [f"  kill {n + 1}: {k}" for n, k in enumerate(self.kills)]
        unacked = [f"#{s.command.index}:{s.status or (s.error or '?')[:40]}" for s in self.observation.sent
                   if not s.acked]
        if unacked:
            lines.append(f"  not acknowledged: {' '.join(unacked)}")
        lines += [f"  VIOLATION {x}" for x in self.verdict.violations]
        lines += [f"  note: {x}" for x in self.verdict.notes]
        return "\n".join(lines)


class Run:
    def __init__(self, schedule: Schedule, workdir: Path) -> None:
        self.schedule = schedule
        self.workdir = workdir
        self.db = workdir / "wanbot.db"
        self.log = workdir / "bot.log"
        self.sent: list[Sent] = []
        self.in_flight = 0
        self.kills: list[KillRecord] = []
        self.fake = chaos_slack()
        self.fake.upload_delay = schedule.upload_delay
        self.sandbox = Sandbox(SandboxConfig(
            speed=SPEED, api_key=KEY, seed=schedule.seed, faults=schedule.faults, mark_results=True,
            draw_text=False, cache_dir=workdir / "media", limits=Limits(queries_per_second=0)))
        self.bot: BotProcess | None = None
        self.session: aiohttp.ClientSession | None = None

    def env(self) -> dict[str, str]:
        prefixes = ("DISCORD_", "SLACK_", "DASHSCOPE_", "WANBOT_")
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(prefixes)},
            "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": self.fake.api_url,
            # A real key pointed at the stand-in: wanbot runs as against DashScope, not its embedded sandbox.
            "DASHSCOPE_HTTP_BASE_URL": self.sandbox.base_url, "DASHSCOPE_API_KEY": KEY,
            "WANBOT_DATABASE_URL": f"sqlite:///{self.db}", "WANBOT_WORKDIR": str(self.workdir / "work"),
            "WANBOT_POLL_INTERVAL": "0.1", "WANBOT_HTTP_HOST": "127.0.0.1", "WANBOT_LOG_LEVEL": "INFO",
            "WANBOT_PREDICTIVE_POLLING": "false",  # a sped-up sandbox: plain polling
            "WANBOT_REPLICA_ID": "chaos", "WANBOT_PER_USER_CAP": "50", "WANBOT_SHUTDOWN_TIMEOUT": "5",
        }

    # -- what Slack sends -------------------------------------------------------------------------------

    def body(self, c: Command) -> str:
        return urlencode({
            "token": "legacy-verification-token", "team_id": TEAM, "team_domain": "fake", "channel_id": c.channel,
            "channel_name": c.channel.lower(), "user_id": c.user, "user_name": c.user.lower(), "command": "/wan",
            "text": c.text, "api_app_id": "A0WANBOT", "is_enterprise_install": "false",
            "response_url": self.fake.response_url(c.key), "trigger_id": f"trigger-{self.schedule.seed}-{c.index}",
        })

    async def send(self, c: Command) -> Sent:
        assert self.bot is not None and self.session is not None
        body, process, url = self.body(c), self.bot.starts, self.bot.url
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, int(time.time()))}
        self.in_flight += 1
        try:
            async with self.session.post(url + EVENTS_PATH, data=body.encode(), headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=30)) as response:
                sent = Sent(c, response.status, process, body=await response.text())
        except (aiohttp.ClientError, TimeoutError) as exc:
            sent = Sent(c, None, process, error=repr(exc))
        finally:
            self.in_flight -= 1
        self.sent.append(sent)
        return sent

    # -- kills --------------------------------------------------------------------------------------------

    async def kill_and_restart(self, kill: Kill, reached: bool) -> None:
        assert self.bot is not None
        await asyncio.sleep(kill.delay)
        in_flight = self.in_flight
        await self.bot.kill()
        states = Counter(j.state for j in await asyncio.to_thread(read_jobs, self.db))
        self.kills.append(KillRecord(kill, reached, dict(states), in_flight))
        await self.bot.start()

    async def burst(self, burst: Burst) -> None:
        if burst.gap:
            await asyncio.sleep(burst.gap)
        sends = [asyncio.create_task(self.send(c)) for c in burst.commands]
        kill = burst.kill
        if kill is not None and kill.moment is Moment.AFTER_ACK:
            reached = await self._first_ack(sends)
            await self.kill_and_restart(kill, reached)
        elif kill is not None:
            await self.kill_and_restart(kill, True)
        await asyncio.gather(*sends)
        for waited in burst.then:
            await self.at_moment(waited)

    async def _first_ack(self, sends: list[asyncio.Task[Sent]]) -> bool:
        pending = set(sends)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if any(t.result().acked for t in done):
                return True
        return False

    async def at_moment(self, kill: Kill) -> None:
        stats, fake = self.sandbox.stats, self.fake
        creates, tasks, uploads = stats.requests_by_route["video.create"], stats.tasks_created(KEY), \
            fake.uploads_started

        async def reached() -> bool:
            m = kill.moment
            if m is Moment.CREATE_SENT:
                return stats.requests_by_route["video.create"] > creates
            if m is Moment.TASK_CREATED:
                return stats.tasks_created(KEY) > tasks
            if m is Moment.UPLOADING:
                return fake.uploads_started > uploads
            jobs = await asyncio.to_thread(read_jobs, self.db)
            return any(j.state == m.value for j in jobs)

        async def reached_or_idle() -> bool:
            return await reached() or await self.idle()

        await poll(reached_or_idle, MOMENT_CAP, turn=0.02)
        await self.kill_and_restart(kill, await reached())

    # -- the end --------------------------------------------------------------------------------------------

    def _answered(self, c: Command, jobs: list[JobRow]) -> bool:
        return (any(j.prompt == c.prompt for j in jobs) or any(r["key"] == c.key for r in self.fake.responses)
                or any((e["user"], e["channel"]) == (c.user, c.channel) for e in self.fake.ephemerals))

    async def remaining(self) -> list[str]:
        """What has not ended yet; empty when the run settled."""
        assert self.bot is not None
        jobs = await asyncio.to_thread(read_jobs, self.db)
        out = [f"job {j.id} {j.state}" for j in jobs if j.state not in TERMINAL]
        out += [f"job {j.id} shows {j.shown_state}, is {j.state}" for j in jobs
                if j.state in TERMINAL and j.shown_state != j.state]
        # The live process got these and acked them: their job (or refusal, unless the ack carried it) is due.
        out += [f"command #{s.command.index} acked, nothing made yet" for s in self.sent
                if s.acked and s.process == self.bot.starts and not s.body.strip()
                and not self._answered(s.command, jobs)]
        now = self.sandbox.clock()
        out += [f"task {t.task_id} {t.status(now).value}" for t in self.sandbox.store.tasks_of(key_id(KEY))
                if t.status(now).value not in TASK_TERMINAL]
        return out

    async def idle(self) -> bool:
        return self.in_flight == 0 and not await self.remaining()

    async def settle(self) -> list[str]:
        await poll(self.idle, SETTLE_CAP, turn=0.05)
        left = await self.remaining()
        if not left:
            await poll(self.orphans_noticed, ORPHAN_CAP, turn=0.1)
        return left

    async def orphans_noticed(self) -> bool:
        """Every task of ours that no job owns is cancelled, or named in the bot's log as an orphan."""
        owned = {j.task_id for j in await asyncio.to_thread(read_jobs, self.db)}
        log = await asyncio.to_thread(self.log.read_text, errors="replace")
        now = self.sandbox.clock()
        return all(task.task_id in owned or task.status(now).value == "CANCELED" or orphan_logged(log, task.task_id)
                   for task in self.sandbox.store.tasks_of(key_id(KEY)))

    async def observe(self, unsettled: list[str]) -> Observation:
        now = self.sandbox.clock()
        tasks = [TaskRow(t.task_id, t.job.prompt, t.status(now).value,
                         self.sandbox.stats.fault_by_request.get(t.request_id))
                 for t in self.sandbox.store.tasks_of(key_id(KEY))]
        posts = [Post(m.channel, m.ts, m.text, m.deleted, _shown(m.text), _button_jobs(m.blocks))
                 for m in self.fake.messages.values()]
        uploads = [UploadRow(u.file_id, u.filename, u.channel_id, u.thread_ts, u.completed, u.deleted,
                             read_mark(self.fake.bodies.get(u.file_id, b"")))
                   for u in self.fake.uploads.values()]
        replies = [Reply(str(e["user"]), str(e["channel"]), str(e["text"])) for e in self.fake.ephemerals]
        replies += [Reply(None, None, str(r.get("text")), str(r["key"])) for r in self.fake.responses]
        jobs = await asyncio.to_thread(read_jobs, self.db)
        log = await asyncio.to_thread(self.log.read_text, errors="replace")
        return Observation(sent=sorted(self.sent, key=lambda s: s.command.index), jobs=jobs, tasks=tasks,
                           posts=posts, uploads=uploads, replies=replies, log=log, unsettled=unsettled)

    async def play(self) -> SeedResult:
        started = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        await self.fake.start()
        await self.sandbox.start()
        self.bot = BotProcess(self.env(), self.log)
        try:
            async with aiohttp.ClientSession() as self.session:
                await self.bot.start()
                for burst in self.schedule.bursts:
                    await self.burst(burst)
                unsettled = await self.settle()
            await self.bot.stop()
            observation = await self.observe(unsettled)
        finally:
            await self.bot.kill()
            await self.sandbox.close()
            await self.fake.close()
        after = sum(1 for t in observation.tasks if t.fault and t.fault.endswith("_after"))
        return SeedResult(self.schedule, observation, check(observation), self.kills,
                          Counter(self.sandbox.stats.faults), after, time.monotonic() - started, self.bot.starts)


def _shown(text: str) -> str | None:
    try:
        return state_of(text)
    except (AssertionError, KeyError):
        return None


def _button_jobs(blocks: list[dict[str, Any]]) -> frozenset[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "button" and node.get("value"):
                found.add(str(node["value"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return frozenset(found)


async def run_seed(seed: int, workdir: Path, size: Size | None = None) -> SeedResult:
    return await Run(build(seed, size or Size()), workdir).play()

