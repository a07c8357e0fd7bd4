"""``wanbot doctor``: check the configuration and every connection, and say what is missing.

Each check returns a ``Check`` (ok / warning / problem, and a hint naming the variable to set). A token
is ✓ only when its service accepted it: Discord's ``GET /users/@me``, Slack's ``auth.test``, DashScope's
free task-list call (a gateway without one: a query of a task that cannot exist) — never a create, so
nothing here spends money. An unreachable host is named with the reason, not a bare error class. Nothing here
prints a secret: URLs are shown redacted and every line is scrubbed of the configuration's secrets
(``bot.redact``), error texts included.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.redact import Redactor, redact_url
from bot.settings import Settings
from core.dashscope import DashScopeClient, TaskNotFound, resolve_base_url
from core.errors import TransportError, WanbotError
from core.messages import Messages
from core.store import JobStore
from core.transcode import ffmpeg_exe


@dataclass(frozen=True)
class Check:
    name: str
    level: str  # "ok" | "warn" | "fail"
    detail: str


async def _dashscope(settings: Settings) -> Check:
    if settings.sandbox:
        return Check("DashScope", "warn", "WANBOT_SANDBOX is set: every command generates on the embedded "
                     "sandbox (placeholder videos, nothing billed), `wanbot run` included.")
    if settings.no_key and (settings.discord_token or settings.slack_bot_token):
        return Check("DashScope", "fail", Messages(settings.locale)("run.sandbox_refused"))
    if settings.no_key:
        return Check("DashScope", "warn", "no DASHSCOPE_API_KEY: `wanbot try` and `wanbot console` run on the "
                     "embedded sandbox (placeholder videos, no cost); `wanbot run` refuses to start without "
                     "--sandbox. Set DASHSCOPE_API_KEY for real videos.")
    try:
        base = resolve_base_url(region=settings.dashscope_region, workspace_id=settings.dashscope_workspace_id,
                                base_url=settings.dashscope_base_url)
    except WanbotError as exc:
        return Check("DashScope", "fail", exc.message)
    shown = redact_url(base)
    key = settings.dashscope_api_key.get_secret_value() if settings.dashscope_api_key else None
    if key is None:
        return Check("DashScope", "fail", f"{shown}: DASHSCOPE_API_KEY is not set")
    async with aiohttp.ClientSession() as session:
        client = DashScopeClient(session, base_url=base, api_key=key, request_timeout=10,
                                 dialect=settings.dialect())
        now = datetime.now(UTC)
        try:
            if client.dialect.can_list:
                await client.list_tasks(start=now - timedelta(hours=1), end=now, page_size=1)
            else:
                # A gateway without a list: ask its task route for a task that cannot exist (free). "Not found"
                # means it was reached and did not refuse the key.
                with contextlib.suppress(TaskNotFound):
                    await client.get_task("wanbot-doctor-probe")
        except TransportError as exc:
            return Check("DashScope", "fail", f"cannot reach {shown}: {exc.message} (check DASHSCOPE_REGION or "
                         "DASHSCOPE_HTTP_BASE_URL, and this machine's network)")
        except WanbotError as exc:
            hint = {"InvalidApiKey": " (wrong key, or a key from another region than the base URL)"}
            return Check("DashScope", "fail", f"{shown}: {exc.code}{hint.get(exc.code, '')}")
    return Check("DashScope", "ok", f"{shown}: key accepted")


async def _database(settings: Settings) -> Check:
    shown = redact_url(settings.database_url)
    try:
        store = await JobStore.open(settings.database_url)
    except Exception as exc:
        return Check("Database", "fail", f"{shown}: {exc} (check WANBOT_DATABASE_URL)")
    try:
        active = len(await store.active())
    finally:
        await store.close()
    return Check("Database", "ok", f"{shown}: {store.schema.describe()}, {active} unfinished job(s)")


async def _ffmpeg() -> Check:
    try:
        exe = ffmpeg_exe()
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(exe, "-version", stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.DEVNULL)
        out, _ = await proc.communicate()
    except Exception as exc:
        return Check("ffmpeg", "fail", f"not usable ({exc}); reinstall imageio-ffmpeg")
    version = out.decode(errors="replace").split("\n", 1)[0]
    return Check("ffmpeg", "ok", f"{version} ({(time.monotonic() - started) * 1000:.0f} ms)")


#: Seconds the media check waits for ``<WANBOT_PUBLIC_URL>/healthz``.
PUBLIC_PROBE_TIMEOUT = 5.0


async def _media_host(settings: Settings) -> Check:
    """Where DashScope fetches kept attachments from (``bot.media_host``); one GET of the public health page."""
    kept = f"copies kept {settings.media_retention_days} days in {settings.media_root()}"
    if settings.public_url is None:
        if settings.uses_sandbox:
            return Check("Media host", "ok", f"WANBOT_PUBLIC_URL not set: the sandbox fetches attachments from "
                         f"this bot's loopback address ({kept})")
        return Check("Media host", "warn", "WANBOT_PUBLIC_URL not set: images go to DashScope inline and audio as "
                     "its original link, so re-rolling an audio job fails once the chat's link has expired "
                     f"(set it to the https address of this bot's HTTP server; {kept})")
    shown = redact_url(settings.public_url)
    probe = settings.public_url + "/healthz"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=PUBLIC_PROBE_TIMEOUT)) as session, \
                session.get(probe, allow_redirects=False) as resp:
            status = resp.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        reason = type(exc).__name__ if isinstance(exc, TimeoutError) else str(exc) or type(exc).__name__
        return Check("Media host", "warn", f"{shown}/healthz did not answer ({reason}): DashScope cannot fetch "
                     f"attachments until `wanbot run` serves WANBOT_HTTP_PORT there ({kept})")
    if status in (200, 503):  # 503: the bot answered but is starting, stopping or unhealthy
        return Check("Media host", "ok", f"{shown}/healthz answered {status}: DashScope fetches attachments "
                     f"from {shown}/media/ ({kept})")
    return Check("Media host", "warn", f"{shown}/healthz answered {status}, not wanbot's health page: check "
                 f"that it routes to WANBOT_HTTP_PORT ({kept})")


#: Seconds each platform's token check may take.
TOKEN_PROBE_TIMEOUT = 10.0


def _unreachable(exc: BaseException) -> str:
    return "no answer in time" if isinstance(exc, TimeoutError) else str(exc) or type(exc).__name__


async def _discord(settings: Settings) -> Check:
    if not settings.discord_token:
        return Check("Discord", "warn", "DISCORD_TOKEN not set: Discord is off")
    base = settings.discord_api_base.rstrip("/")
    headers = {"Authorization": f"Bot {settings.discord_token.get_secret_value()}"}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TOKEN_PROBE_TIMEOUT)) as session, \
                session.get(f"{base}/users/@me", headers=headers) as resp:
            status = resp.status
            me = await resp.json(content_type=None) if status == 200 else {}
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return Check("Discord", "fail", f"cannot reach {redact_url(base)}: {_unreachable(exc)}")
    if status == 401:
        return Check("Discord", "fail", "Discord refused DISCORD_TOKEN (401): copy the bot's token again from the "
                     "Developer Portal (Bot → Reset Token)")
    if status != 200:
        return Check("Discord", "fail", f"{redact_url(base)}/users/@me answered {status}")
    return Check("Discord", "ok", f"logged in as {me.get('username', '?')} (id {me.get('id', '?')})")


async def _slack(settings: Settings) -> Check:
    if not settings.slack_bot_token:
        return Check("Slack", "warn", "SLACK_BOT_TOKEN not set: Slack is off")
    if not settings.slack_app_token and not settings.slack_signing_secret:
        return Check("Slack", "fail", "HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)")
    mode = "Socket Mode" if settings.slack_app_token else "HTTP mode"
    url = settings.slack_api_url.rstrip("/") + "/auth.test"
    headers = {"Authorization": f"Bearer {settings.slack_bot_token.get_secret_value()}"}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TOKEN_PROBE_TIMEOUT)) as session, \
                session.post(url, headers=headers) as resp:
            answer = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return Check("Slack", "fail", f"cannot reach {redact_url(settings.slack_api_url)}: {_unreachable(exc)}")
    if not isinstance(answer, dict) or not answer.get("ok"):
        error = answer.get("error", "no answer") if isinstance(answer, dict) else "not Slack's answer"
        hint = " (copy the Bot User OAuth Token, xoxb-…, again)" if error in ("invalid_auth", "not_authed",
                                                                            "token_revoked", "account_inactive") else ""
        return Check("Slack", "fail", f"Slack refused SLACK_BOT_TOKEN: {error}{hint}")
    return Check("Slack", "ok", f"{mode}: workspace {answer.get('team', '?')} as @{answer.get('user', '?')}")


async def _platforms(settings: Settings) -> list[Check]:
    checks = [await _discord(settings), await _slack(settings)]
    if not settings.discord_token and not settings.slack_bot_token:
        checks.append(Check("Platforms", "warn", "no chat platform configured: `wanbot run` has nothing to "
                            "start (try `wanbot try` or `wanbot console`)"))
    return checks


async def doctor(settings: Settings, console: Console) -> int:
    checks = [await _dashscope(settings), await _database(settings), await _ffmpeg(), await _media_host(settings),
              *await _platforms(settings)]
    redact = Redactor.of(settings)  # also what an error text might echo (a URL, a header)
    marks = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]"}
    if console.is_terminal:
        table = Table(show_header=False, box=None)
        for check in checks:
            table.add_row(marks[check.level], check.name, redact(check.detail))
        console.print(table)
    else:
        # Piped (issue 14): one line per check, never wrapped mid-sentence into a column.
        width = max(len(check.name) for check in checks)
        for check in checks:
            console.print(Text.assemble(" ", Text.from_markup(marks[check.level]), f"  {check.name:<{width}}  ",
                                        redact(check.detail)))
    failed = [c for c in checks if c.level == "fail"]
    console.print("[red]Some checks failed.[/]" if failed else "[green]Ready.[/]")
    return 1 if failed else 0
