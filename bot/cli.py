"""The ``wanbot`` command: ``try``, ``console``, ``run``, ``sandbox``, ``doctor``, ``discord-invite``.

Each sub-command parses its flags, loads ``Settings``, and hands over to the composition root
(``bot.runtime``). Exit codes: 0 success, 1 the job or check failed, 2 bad input or configuration.

Every setting is checked once, before anything starts; each problem is one sentence naming its variable
(``bot.config_errors``) and the exit code is 2. No traceback reaches the person unless ``--debug`` asks
for it: an unexpected error is one line saying so.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console

from bot.config_errors import sentences
from bot.logs import setup_logging
from bot.redact import Redactor
from bot.settings import Settings
from core.catalogue import RATIOS, video_model_ids
from core.errors import ConfigError, InvalidRequest
from core.jobs import JobState
from core.messages import Messages
from core.request import GenerationRequest

#: The line width of output that is not a terminal: long enough that no sentence is ever broken.
UNWRAPPED = 100_000
#: How fast the embedded sandbox runs for ``wanbot try``: every state visible, the video in ~20 s.
DEMO_SPEED = 12.0


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help, wrapped to the terminal; piped (``wanbot try --help | grep``), never wrapped."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=None if sys.stdout.isatty() else UNWRAPPED)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wanbot", description="Wan 2.7 text-to-video for your team chat.",
                                     formatter_class=_HelpFormatter)
    parser.add_argument("--version", action="version", version=f"wanbot {_version()}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks (and DEBUG logs)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p_try = sub.add_parser("try", help="make one video from a prompt and save it")
    p_try.add_argument("prompt")
    p_try.add_argument("--ratio", choices=RATIOS)
    p_try.add_argument("--duration", type=int, help="seconds (2–15 on wan2.7)")
    p_try.add_argument("--resolution", help="720P or 1080P")
    p_try.add_argument("--seed", type=int)
    p_try.add_argument("--negative", help="what to avoid")
    p_try.add_argument("--model", choices=video_model_ids(include_snapshots=True))
    p_try.add_argument("--no-extend", action="store_true", help="send the prompt as written")
    p_try.add_argument("--watermark", action="store_true", default=None)
    p_try.add_argument("--out", type=Path, default=Path("wanbot-videos"), help="folder for the MP4")
    p_try.add_argument("--sandbox", action="store_true", help="use the embedded sandbox even with a key")

    p_console = sub.add_parser("console", help="an interactive /wan prompt in your terminal")
    p_console.add_argument("--out", type=Path, default=Path("wanbot-videos"))
    p_console.add_argument("--sandbox", action="store_true")

    p_run = sub.add_parser("run", help="start every configured chat platform (Discord, Slack)")
    p_run.add_argument("--sandbox", action="store_true",
                       help="generate on the embedded sandbox (placeholder videos); also WANBOT_SANDBOX=1")

    p_sandbox = sub.add_parser("sandbox", help="serve the DashScope-compatible sandbox")
    p_sandbox.add_argument("--host", default="127.0.0.1")
    p_sandbox.add_argument("--port", type=int, default=8790)
    p_sandbox.add_argument("--speed", type=float, default=1.0, help="time compression (1 = realistic)")
    p_sandbox.add_argument("--api-key", help="require this key (default: accept any)")
    p_sandbox.add_argument("--fault-rate", type=float, default=0.0, help="share of 429/500/503 answers")
    p_sandbox.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    p_sandbox.add_argument("--min-video-bytes", type=int, default=0, help="pad videos to at least this size")
    p_sandbox.add_argument("--gateway", action="store_true",
                           help="act as a gateway with its own task route (creates under /wan/api/v1, tasks at "
                                "GET /v1/tasks/{id}); point wanbot at it with WANBOT_DASHSCOPE_GATEWAY=v1-tasks")

    sub.add_parser("doctor", help="check configuration and connectivity")

    p_invite = sub.add_parser("discord-invite", help="print the Discord invite URL (scopes and permissions)")
    p_invite.add_argument("--client-id", type=int, help="application id (default: read from DISCORD_TOKEN)")
    for command in sub.choices.values():
        command.formatter_class = _HelpFormatter
    return parser


def _version() -> str:
    try:
        return version("wanbot")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    # Results on stdout, problems on stderr; neither wraps lines mid-sentence (a pipe is 80 columns to rich).
    console = Console(stderr=False, soft_wrap=True)
    errors = Console(stderr=True, soft_wrap=True)
    try:
        settings = Settings()
    except ValidationError as exc:
        # The settings did not load, so only what looks like a secret can be masked (URL passwords); the
        # values of secret variables are never repeated at all.
        problems = sentences(exc, secret_names=Settings.secret_variables())
        errors.print("[red]Configuration problem" + ("s" if len(problems) > 1 else "") + ":[/]")
        for problem in problems:
            errors.print(f"  • {Redactor()(problem)}", markup=False, highlight=False)
        return 2
    quiet = args.command in ("try", "console") and "log_level" not in settings.model_fields_set
    level = "DEBUG" if args.debug else "WARNING" if quiet else settings.log_level
    redact = Redactor.of(settings)
    setup_logging(level, console=Console(stderr=True), redact=redact, json_lines=settings.log_format == "json")
    try:
        return asyncio.run(_dispatch(args, settings, console))
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:  # found while starting (a database URL, the media directory): one sentence
        if args.debug:
            logging.getLogger("wanbot").exception("configuration problem")
        errors.print(f"[red]Configuration problem:[/] {redact(exc.message)}")
        return 2
    except Exception as exc:
        if args.debug:
            raise
        detail = redact(str(exc)) or type(exc).__name__
        errors.print(f"[red]wanbot stopped on an unexpected error:[/] {type(exc).__name__}: {detail} "
                      "(run again with --debug for the traceback)", markup=True, highlight=False)
        return 1


async def _dispatch(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    if args.command == "try":
        return await _try(args, settings, console)
    if args.command == "console":
        return await _console(args, settings, console)
    if args.command == "run":
        from bot.run import run_platforms

        return await run_platforms(settings, console, force_sandbox=args.sandbox)
    if args.command == "sandbox":
        return await _sandbox(args)
    if args.command == "discord-invite":
        return _discord_invite(args, settings, console)
    if args.command == "doctor":
        from bot.doctor import doctor

        return await doctor(settings, console)
    raise AssertionError(args.command)


async def _try(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from adapters.console.app import run_try
    from adapters.console.port import PLATFORM, ConsolePort
    from bot.runtime import runtime
    from core.actions import sentence_for

    messages = Messages(settings.locale)
    # Only the saved file's path goes to stdout (`path=$(wanbot try …)`); the notice, the live status and any
    # problem go to stderr, where a person watching still sees them.
    progress = Console(stderr=True, soft_wrap=True)
    try:
        request = GenerationRequest.build(
            prompt=args.prompt, ratio=args.ratio, duration=args.duration, resolution=args.resolution,
            seed=args.seed, negative_prompt=args.negative, model=args.model,
            prompt_extend=False if args.no_extend else None, watermark=args.watermark,
        )
    except InvalidRequest as exc:
        progress.print(f"[red]{sentence_for(exc, messages)}[/]")
        return 2
    sandbox = args.sandbox or settings.uses_sandbox
    if sandbox:
        progress.print(f"[yellow]{messages('sandbox.notice')}[/]")
        if "sandbox_speed" not in settings.model_fields_set:
            settings = settings.model_copy(update={"sandbox_speed": DEMO_SPEED})
    port = ConsolePort(progress, args.out)
    async with runtime(settings, {PLATFORM: port}, force_sandbox=args.sandbox) as rt:
        job = await run_try(rt.actions, port, request)
    if job.state is JobState.DELIVERED and job.id in port.saved:
        print(port.saved[job.id].resolve())  # plain: scripts read this line
        return 0
    progress.print(f"[red]{job.state.value.lower()}: {job.error_message or job.delivery_note or ''}[/]")
    return 1


async def _console(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from adapters.console.app import ConsoleSession
    from adapters.console.editor import console_lines
    from adapters.console.port import PLATFORM, ConsolePort
    from bot.runtime import runtime

    messages = Messages(settings.locale)
    if args.sandbox or settings.uses_sandbox:
        console.print(f"[yellow]{messages('sandbox.notice')}[/]")
        if "sandbox_speed" not in settings.model_fields_set:
            settings = settings.model_copy(update={"sandbox_speed": DEMO_SPEED})
    port = ConsolePort(console, args.out, live=False, messages=messages)
    # Issue 14: on a real key every paid command shows its price and asks y/N first (never on the sandbox).
    async with runtime(settings, {PLATFORM: port}, force_sandbox=args.sandbox, confirm_every={PLATFORM}) as rt:
        session = ConsoleSession(rt.actions, port, console, paid=not rt.on_sandbox)
        with console_lines(settings.workdir) as lines:
            finished = await session.run(lines)
    if finished:
        return 0
    # Ctrl-C: at once, like any command-line tool (128 + SIGINT); the jobs resume at the next start.
    Console(stderr=True, soft_wrap=True).print(messages("console.interrupted"), markup=False, highlight=False)
    return 130


async def _sandbox(args: argparse.Namespace) -> int:
    from sandbox.config import Faults, SandboxConfig
    from sandbox.runner import serve

    share = args.fault_rate / 3
    config = SandboxConfig(
        speed=args.speed,
        api_key=args.api_key,
        faults=Faults(rate_429=share, rate_500=share, rate_503=share, latency=args.latency),
        min_video_bytes=args.min_video_bytes,
        gateway=args.gateway,
    )
    # Stop cleanly on SIGINT and SIGTERM, like ``wanbot run``: handlers of our own, so a sandbox started in
    # the background by a script (where the shell leaves SIGINT ignored) still stops when asked.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    serving = asyncio.create_task(serve(args.host, args.port, config))
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (serving, stopping):
            task.cancel()
        for task in (serving, stopping):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return 0


def _discord_invite(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from adapters.discord.invite import client_id_from_token, invite_url

    client_id = args.client_id
    if client_id is None and settings.discord_token is not None:
        client_id = client_id_from_token(settings.discord_token.get_secret_value())
    if client_id is None:
        console.print("[red]Pass --client-id (the Application ID) or set DISCORD_TOKEN.[/]")
        return 2
    print(invite_url(client_id))  # plain: scripts and copy-paste read this line
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
