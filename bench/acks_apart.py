"""``bench/acks.py``'s default mode: the bot under test in a process of its own, as in production.

Three processes per row:

* **the bot** — ``bench/ack_bot.py``: ``wanbot run`` (``bot.run.run_platforms``) configured through the
  environment like a deployment — Slack in HTTP mode, or Discord — and nothing else: no client, no fake,
  no sandbox on its loop (plus the wall-clock-stamped probes ``ack_bot`` documents);
* **DashScope** — ``wanbot sandbox`` (the project's sandbox server), its own process;
* **this harness** — the load generator and the chat platform's fake (``tests/fakes/slack_server.py``:
  the Web API the bot calls; ``tests/fakes/discord_server.py``: REST + gateway), one event loop.

Slack: ``--commands`` signed ``/wan video`` POSTs to the bot's ``/slack/events`` at once (signed
beforehand, one client session, no connection limit); latency = from just before a POST until its HTTP
response arrived, measured here. Discord: ``--commands`` ``INTERACTION_CREATE`` dispatched over the
fake's gateway at once; latency = the fake's ``Callback.elapsed`` (interaction created → its callback
received). ERROR/WARNING = log records the bot process wrote during the burst and the ``--wait`` after
it. The harness runs its own 10 ms heartbeat: its longest stall is printed with each row, since a
harness that stalls adds to every latency it measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from acks_report import DEADLINE, PROMPT, Probed, Result, route, settle, stored_jobs

from adapters.slack.app import EVENTS_PATH
from tests.fakes.discord_fake.payloads import User, snowflake
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import TEAM, TOKEN, FakeSlack
from tests.slack.conftest import SECRET, sign

BENCH = Path(__file__).resolve().parent
KEY = "sk-bench-acks"
#: Variables of the machine's own environment that must not leak into the bot's configuration.
_OURS = ("WANBOT_", "DASHSCOPE_", "DISCORD_", "SLACK_")


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_port(port: int, proc: asyncio.subprocess.Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"nothing listening on {port} after {timeout:g} s")


async def spawn(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(sys.executable, *args, env=env, cwd=cwd,
                                                    stdout=out, stderr=asyncio.subprocess.STDOUT)


async def stop(proc: asyncio.subprocess.Process, grace: float = 20.0) -> None:
    """SIGTERM (``wanbot run``'s graceful shutdown), SIGKILL past ``grace``."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), grace)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH.parent), env.get("PYTHONPATH")]))
    return env


class Heartbeat:
    """The harness's own loop: the longest stall a 10 ms sleep saw while running."""

    def __init__(self) -> None:
        self.max_stall = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            self.max_stall = max(self.max_stall, time.perf_counter() - t0 - 0.01)

    def __enter__(self) -> Heartbeat:
        self._task = asyncio.create_task(self._beat())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


def read_probes(path: Path, start: float, end: float) -> Probed:
    """The bot process's records that began inside ``[start, end]`` (wall clock)."""
    if not path.exists():
        return Probed()
    data = json.loads(path.read_text())

    def inside(rows: list[list[float]]) -> list[float]:
        return [duration for wall, duration in rows if start <= wall <= end]

    orders = inside(data["orders"])
    stalls = inside(data["stalls"])
    return Probed(order_calls=len(orders), order_seconds=sum(orders), inserts=inside(data["inserts"]),
                  max_stall=max(stalls, default=0.0),
                  phases={name: inside(rows) for name, rows in data.get("phases", {}).items() if inside(rows)})


def count_log(path: Path, offset: int, end: int | None = None) -> tuple[int, int, list[str]]:
    """ERROR and WARNING records in the bot's log from byte ``offset`` to ``end`` (``time level logger:
    message``)."""
    errors = warnings = 0
    first: list[str] = []
    with path.open("rb") as log:
        log.seek(offset)
        for raw in log.read(None if end is None else max(0, end - offset)).splitlines():
            parts = raw.decode(errors="replace").split(maxsplit=3)
            level = parts[2] if len(parts) > 2 and parts[0][:2] == "20" else ""
            if level in ("ERROR", "CRITICAL"):
                errors += 1
                if len(first) < 3:
                    first.append(" ".join(parts[3:])[:200])
            elif level == "WARNING":
                warnings += 1
    return errors, warnings, first


class Stack:
    """The sandbox and the bot processes of one row, started in order and always stopped."""

    def __init__(self, tmp: Path, speed: float) -> None:
        self.tmp, self.speed = tmp, speed
        self.log = tmp / "bot.log"
        self.probe_file = tmp / "probes.json"
        self.procs: list[asyncio.subprocess.Process] = []
        self.sandbox_url = ""
        self.spy: asyncio.subprocess.Process | None = None

    async def start_sandbox(self) -> None:
        port = free_port()
        proc = await spawn(["-c", "from bot.cli import main; raise SystemExit(main())", "sandbox",
                            "--port", str(port), "--speed", f"{self.speed:g}", "--api-key", KEY],
                           base_env(), self.tmp / "sandbox.log", self.tmp)
        self.procs.append(proc)
        await wait_port(port, proc)
        self.sandbox_url = f"http://127.0.0.1:{port}/api/v1"

    async def start_bot(self, settings: dict[str, str], *, floor: bool, profile: Path | None,
                        phases: bool = False) -> None:
        env = base_env() | {
            "DASHSCOPE_API_KEY": KEY, "DASHSCOPE_HTTP_BASE_URL": self.sandbox_url,
            "WANBOT_DATABASE_URL": f"sqlite:///{self.tmp}/wanbot.db", "WANBOT_WORKDIR": str(self.tmp / "work"),
            "WANBOT_LOG_LEVEL": "INFO", "WANBOT_HTTP_HOST": "127.0.0.1", **settings,
        }
        args = [str(BENCH / "ack_bot.py"), "--probe-file", str(self.probe_file)]
        args += ["--floor"] if floor else []
        args += ["--profile", str(profile)] if profile else []
        args += ["--phases"] if phases else []
        self.procs.append(await spawn(args, env, self.log, self.tmp))
        # Diagnostic: ACK_BOT_PYSPY=DIR samples the bot process with py-spy (collapsed stacks per row).
        spy = os.environ.get("ACK_BOT_PYSPY")
        if spy:
            out = Path(spy) / f"{self.tmp.name}.txt"
            self.spy = await asyncio.create_subprocess_exec(
                "py-spy", "record", "--pid", str(self.bot.pid), "--rate", "200", "--duration", "20",
                "--format", "raw", "-o", str(out), stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL)

    @property
    def bot(self) -> asyncio.subprocess.Process:
        return self.procs[-1]

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    async def close(self) -> None:
        if self.spy is not None:
            self.spy.send_signal(signal.SIGINT)  # py-spy writes what it sampled so far
            await self.spy.wait()
            self.spy = None
        for proc in reversed(self.procs):  # the bot first: it shuts down gracefully while DashScope is up
            await stop(proc)


# -- Slack ---------------------------------------------------------------------------------------------


def slack_body(fake: FakeSlack, text: str, user: str, channel: str = "C_MEMBER") -> str:
    """A ``/wan`` slash command as Slack posts it (as ``tests/slack/conftest.py:SlackBot.command_body``)."""
    return urlencode({
        "token": "legacy-verification-token", "team_id": TEAM, "team_domain": "fake", "channel_id": channel,
        "channel_name": channel.lower(), "user_id": user, "user_name": user.lower(), "command": "/wan",
        "text": text, "api_app_id": "A0WANBOT", "is_enterprise_install": "false",
        "response_url": fake.response_url(f"cmd-{user}"), "trigger_id": f"trigger-{time.time_ns()}",
    })


async def stop_and_count(stack: Stack, tmp: Path, floor: bool, offset: int
                         ) -> tuple[int, tuple[int, int, list[str]], tuple[int, int, list[str]]]:
    """Stop the bot; the jobs it stored (less the warm-up's), and its log's records during the burst and
    during the shutdown that followed (``count_log``: errors, warnings, the first records)."""
    end_offset = stack.log_size()
    await stack.close()
    db = tmp / "wanbot.db"
    stored = stored_jobs(db) - (0 if floor else 1) if db.exists() else 0
    return stored, count_log(stack.log, offset, end_offset), count_log(stack.log, end_offset)


async def run_slack(commands: int, users: int, speed: float, wait: float, tmp: Path, *, floor: bool = False,
                    cap: int = 0, profile: Path | None = None, phases: bool = False) -> Result:
    fake = FakeSlack()
    await fake.start()
    stack = Stack(tmp, speed)
    label = "Slack floor" if floor else "Slack"
    try:
        await stack.start_sandbox()
        http_port = free_port()
        await stack.start_bot({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                               "SLACK_API_URL": fake.api_url, "WANBOT_HTTP_PORT": str(http_port),
                               "WANBOT_PER_USER_CAP": str(cap or commands), "WANBOT_POLL_INTERVAL": "1.0"},
                              floor=floor, profile=profile, phases=phases)
        await wait_port(http_port, stack.bot)
        url = f"http://127.0.0.1:{http_port}{EVENTS_PATH}"

        def status_messages() -> int:
            return sum(1 for m in fake.posts() if m.text.startswith("["))

        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

            async def post(data: bytes, headers: dict[str, str]) -> tuple[float, int, str]:
                t0 = time.perf_counter()
                async with session.post(url, data=data, headers=headers) as response:
                    text = await response.text()
                return time.perf_counter() - t0, response.status, text

            def signed(text: str, user: str, now: int) -> tuple[bytes, dict[str, str]]:
                body = slack_body(fake, text, user)
                return body.encode(), {"Content-Type": "application/x-www-form-urlencoded", **sign(body, now)}

            # One command first (not counted): bolt's and the adapter's first-call costs stay out of the burst.
            _, status, _ = await post(*signed(f"video {PROMPT} (warm-up)", "U_WARMUP", int(time.time())))
            assert status == 200, status
            if not floor:
                await settle(lambda: status_messages() >= 1, wait)
            now = int(time.time())
            requests = [signed(f"video {PROMPT} #{i}", f"U{i % users:04d}", now) for i in range(commands)]
            offset, calls_before = stack.log_size(), len(fake.calls)
            with Heartbeat() as beat:
                start_wall, started = time.time(), time.perf_counter()
                answers = await asyncio.gather(*(post(d, h) for d, h in requests))
                wall = time.perf_counter() - started
                end_wall = time.time()
            during = Counter(c.method for c in fake.calls[calls_before:])
        if not floor:  # let the engine post the burst's status messages (what follows the ack)
            await settle(lambda: status_messages() >= commands + 1, wait)
        posted = status_messages() - (0 if floor else 1)
        stored, (errors, warnings, first), (late_errors, _, late_first) = await stop_and_count(
            stack, tmp, floor, offset)
    finally:
        await stack.close()
        await fake.close()
    ok = [lat for lat, status, _ in answers if status == 200]
    bad = sorted((status, lat) for lat, status, _ in answers if status != 200)
    texts = sum(1 for _, status, text in answers if status == 200 and '"text"' in text)
    working = sum(1 for _, status, text in answers if status == 200 and "Working on it" in text)
    notes = [f"{label} ({users} users): harness loop max stall {beat.max_stall * 1000:,.0f} ms; "
             f"{posted}/{commands} status messages posted; {texts} acks carried a sentence "
             f"({working} \"Working on it\"); not 200: {len(bad)}"
             + (f" ({', '.join(f'{s} after {lat * 1000:,.0f} ms' for s, lat in bad[:5])})" if bad else ""),
             f"{label} ({users} users): Web API calls while the acks were outstanding: "
             + (", ".join(f"{n} {m}" for m, n in during.most_common()) or "none")]
    notes += [f"{label} ERROR: {line}" for line in first]
    notes += [f"{label} ({users} users): {late_errors} ERROR record(s) while the harness stopped the bot "
              f"(SIGTERM, after the row; not counted in the table): {'; '.join(late_first)}"] if late_errors else []
    probe = read_probes(stack.probe_file, start_wall, end_wall)
    return Result(label, commands, users, ok, sum(1 for lat in ok if lat > DEADLINE), commands - len(ok),
                  stored, errors, warnings, wall, probe, notes)


# -- Discord -------------------------------------------------------------------------------------------


async def run_discord(commands: int, users: int, speed: float, wait: float, tmp: Path, *, floor: bool = False,
                      cap: int = 0, profile: Path | None = None, phases: bool = False) -> Result:
    fake = await FakeDiscord(interaction_deadline=DEADLINE).start()
    stack = Stack(tmp, speed)
    label = "Discord floor" if floor else "Discord"
    try:
        await stack.start_sandbox()
        await stack.start_bot({"DISCORD_TOKEN": fake.token, "DISCORD_API_BASE": fake.api_base,
                               "DISCORD_GUILD_ID": str(fake.guild.id), "WANBOT_HTTP_PORT": str(free_port()),
                               "WANBOT_PER_USER_CAP": str(cap or commands), "WANBOT_POLL_INTERVAL": "1.0"},
                              floor=floor, profile=profile, phases=phases)
        await fake.connected(1, timeout=60)
        people = [User(snowflake(), f"user{i:04d}") for i in range(users)]
        # One command first (not counted), as on Slack; again if the client was not taking them yet.
        for _ in range(6):
            warm = await fake.slash(User(snowflake(), "warmup"), "video", prompt=f"{PROMPT} (warm-up)")
            await settle(lambda w=warm: fake.response_to(w) is not None, 10.0)
            if fake.response_to(warm) is not None:
                break
        else:
            raise RuntimeError("the bot never answered the warm-up interaction")
        await asyncio.sleep(0.5)  # the warm-up's own follow-up work (status edits) out of the way
        offset, requests_before = stack.log_size(), len(fake.requests)
        with Heartbeat() as beat:
            start_wall, started = time.time(), time.perf_counter()
            inters = await asyncio.gather(*(
                fake.slash(people[i % users], "video", prompt=f"{PROMPT} #{i}") for i in range(commands)))
            dispatched = time.perf_counter() - started
            await settle(lambda: all(fake.response_to(x) is not None for x in inters), wait)
            wall = time.perf_counter() - started
            end_wall = time.time()
        during = Counter(f"{m} {route(path)}" for m, path, _ in fake.requests[requests_before:])
        callbacks = [fake.response_to(x) for x in inters]
        latencies = [c.elapsed for c in callbacks if c is not None]
        if not floor:
            await settle(lambda: stored_jobs(tmp / "wanbot.db") >= commands + 1, 5.0)
            await asyncio.sleep(1.0)  # what the late ones turned into: fallback channel posts (a WARNING each)
        channel_posts = sum(1 for m in fake.messages.values() if m.via == "channel" and m.embeds)
        stored, (errors, warnings, first), (late_errors, _, late_first) = await stop_and_count(
            stack, tmp, floor, offset)
    finally:
        await stack.close()
        await fake.close()
    notes = [f"{label} ({users} users): harness loop max stall {beat.max_stall * 1000:,.0f} ms; all {commands} "
             f"dispatched in {dispatched * 1000:.0f} ms; {channel_posts} status messages posted in the channel "
             f"instead (after a failed response)",
             f"{label} ({users} users): REST calls until the last callback: "
             + (", ".join(f"{n} {r}" for r, n in during.most_common()) or "none")]
    notes += [f"{label} ERROR: {line}" for line in first]
    notes += [f"{label} ({users} users): {late_errors} ERROR record(s) while the harness stopped the bot "
              f"(SIGTERM, after the row; not counted in the table): {'; '.join(late_first)}"] if late_errors else []
    probe = read_probes(stack.probe_file, start_wall, end_wall)
    return Result(label, commands, users, latencies, sum(1 for lat in latencies if lat > DEADLINE),
                  commands - len(latencies), stored, errors, warnings, wall, probe, notes)
