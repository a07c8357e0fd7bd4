"""The Discord adapter's pure parts: embeds per state, storyboards, error mapping, endpoints, invite."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import discord
import pytest
import yarl

from adapters.discord.endpoints import DISCORD_GATEWAY, resolve_gateway
from adapters.discord.invite import client_id_from_token, invite_url
from adapters.discord.port import platform_error
from adapters.discord.render import status_buttons, status_embed, status_text
from bot.cli import main
from core.actions import compose_storyboard
from core.errors import InvalidRequest, UploadTooLarge
from core.jobs import Job, JobState, Requester
from core.messages import Messages
from core.port import ConversationRef
from core.request import GenerationRequest
from core.status import status_view

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _job(state: JobState, **fields: object) -> Job:
    request = GenerationRequest.build(prompt="a lighthouse at dusk, *slow* push-in", seed=42, duration=5)
    return Job(id="abcd2345", requester=Requester("discord", "1", "2", "3"),
               conversation=ConversationRef("discord", "2", "3"), request=request, state=state,
               created_at=NOW - timedelta(seconds=72), state_times={state.value: NOW - timedelta(seconds=5)},
               **fields)  # type: ignore[arg-type]


SAMPLES: dict[JobState, dict[str, object]] = {
    JobState.QUEUED: {},
    JobState.PENDING: {},
    JobState.RUNNING: {},
    JobState.SUCCEEDED: {"cost": Decimal("3.00")},
    JobState.DELIVERED: {"cost": Decimal("3.00")},
    JobState.FAILED: {"error_message": Messages().explain("DataInspectionFailed")},
    JobState.CANCELED: {},
    JobState.EXPIRED: {"error_message": "The video link expired at 2026-05-02 12:00 UTC before it could be "
                                        "delivered."},
}


async def test_status_embed_for_every_state() -> None:
    messages = Messages()
    for state, fields in SAMPLES.items():
        view = status_view(_job(state, **fields), now=NOW, position=2, messages=messages)
        embed = status_embed(view)
        assert embed.title == f"🎬 {messages(f'state.{state.value}')}"
        assert embed.description is not None and embed.description.startswith("> a lighthouse at dusk, \\*slow\\*")
        assert any(f.name == "Job" and f.value == "abcd2345" for f in embed.fields)
        labels = [c["label"] for row in status_buttons(view, messages).to_components() for c in row["components"]]
        assert labels == [messages(f"discord.button.{a}") for a in view.actions]
        assert status_text(embed)
    job = _job(JobState.QUEUED)
    queued = status_embed(status_view(job, now=NOW, position=2, messages=messages))
    # Issue 14: the elapsed time ticks by itself (Discord's relative timestamp), not a frozen "1m 12s".
    assert queued.footer.text == "position 2 in line"
    assert queued.description is not None
    assert queued.description.endswith(f"asked <t:{int(job.created_at.timestamp())}:R>")
    typical = status_view(job, now=NOW, position=2, messages=messages, typical_seconds=130)
    assert status_embed(typical).description.endswith(":R> · usually ~2 min")  # type: ignore[union-attr]
    done = status_embed(status_view(_job(JobState.DELIVERED, cost=Decimal("3.00")), now=NOW, position=None,
                                    messages=messages))
    assert done.footer.text and done.footer.text[0].isdigit() and "<t:" not in (done.description or "")  # frozen


def test_storyboard_prompt() -> None:
    m = Messages()
    assert compose_storyboard(["a", " ", "b  c", "d"], 10, m) == (
        "Shot 1 [0-3 seconds] a Shot 2 [3-7 seconds] b c Shot 3 [7-10 seconds] d"
    )
    with pytest.raises(InvalidRequest, match="at least one shot"):
        compose_storyboard(["", " "], 5, m)
    # Shots of only invisible characters are empty shots, not "Shot 2 [3-6 seconds]" with nothing in it.
    with pytest.raises(InvalidRequest, match="at least one shot"):
        compose_storyboard(["\u200b", "\u200b\u200d\ufeff"], 6, m)
    assert compose_storyboard(["a", "\u2060"], 4, m) == "Shot 1 [0-4 seconds] a"
    with pytest.raises(InvalidRequest, match="3 shots need at least 3 seconds"):
        compose_storyboard(["a", "b", "c"], 2, m)


def _http_error(status: int, code: int) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="x")
    return discord.HTTPException(response, {"code": code, "message": "m"})  # type: ignore[arg-type]


def test_discord_errors_become_platform_errors() -> None:
    too_big = platform_error(_http_error(413, 40005), "upload")
    assert isinstance(too_big, UploadTooLarge)
    assert (too_big.code, too_big.http_status, too_big.retryable) == ("TooLarge", 413, False)
    assert platform_error(_http_error(503, 0), "edit").retryable
    assert platform_error(_http_error(429, 0), "edit").retryable
    gone = platform_error(_http_error(404, 10008), "edit")
    assert (gone.code, gone.retryable) == ("NotFound", False) and not isinstance(gone, UploadTooLarge)


async def test_gateway_resolution() -> None:
    class Http:
        async def get_bot_gateway(self) -> tuple[int, str, object]:
            return 1, "wss://proxy.example/gw", {}

    http = Http()
    base = "https://discord.com/api/v10"
    assert await resolve_gateway(http, base, None) == DISCORD_GATEWAY  # type: ignore[arg-type]
    assert await resolve_gateway(http, "http://proxy/api/v10", None) == yarl.URL("wss://proxy.example/gw")  # type: ignore[arg-type]
    explicit = await resolve_gateway(http, "http://proxy/api/v10", "ws://gw.local/")  # type: ignore[arg-type]
    assert explicit == yarl.URL("ws://gw.local/")


def test_invite_url(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    token = base64.b64encode(b"123456789012345678").decode().rstrip("=") + ".Gabc.def"
    assert client_id_from_token(token) == 123456789012345678
    assert client_id_from_token("garbage") is None
    monkeypatch.setenv("DISCORD_TOKEN", token)
    assert main(["discord-invite"]) == 0
    url = capsys.readouterr().out.strip()
    assert url == invite_url(123456789012345678)
    assert "scope=bot+applications.commands" in url and "permissions=311385246720" in url


async def test_edits_before_ready_wait_for_it_or_fail_as_retryable() -> None:
    from adapters.discord.port import DiscordPort
    from core.errors import PlatformError
    from core.port import MessageRef

    sent: list[str] = []

    class Recorder:
        async def edit(self, **kwargs: object) -> None:
            sent.append(str(kwargs["embed"].title))  # type: ignore[attr-defined]

    port = DiscordPort(discord.Client(intents=discord.Intents.none()), Messages(), ready_timeout=0.05)
    port.partial_message = lambda ref: Recorder()  # type: ignore[assignment,method-assign,return-value]
    ref = MessageRef(ConversationRef("discord", "2", "3"), "9")
    view = status_view(_job(JobState.SUCCEEDED), now=NOW, position=None, messages=Messages())
    with pytest.raises(PlatformError) as not_ready:
        await port.edit_status(ref, view)
    assert not_ready.value.code == "NotReady" and not_ready.value.retryable and sent == []

    port._ready_timeout = 5
    waiting = asyncio.create_task(port.edit_status(ref, view))
    for _ in range(10):  # a few loop turns: the edit is now parked on the ready event
        await asyncio.sleep(0)
    assert sent == [] and not waiting.done()
    port.mark_ready()
    await asyncio.wait_for(waiting, 1)
    assert len(sent) == 1


def test_a_status_message_is_recognised_by_its_buttons_or_its_job_field_only() -> None:
    from adapters.discord.port import is_status_of

    def message(custom_ids: list[str], fields: list[tuple[str, str]]) -> object:
        row = SimpleNamespace(children=[SimpleNamespace(custom_id=c) for c in custom_ids])
        embed = SimpleNamespace(fields=[SimpleNamespace(name=n, value=v) for n, v in fields])
        return SimpleNamespace(components=[row], embeds=[embed])

    def found(msg: object) -> bool:
        return is_status_of(msg, "abcd2345", job_field="Job")  # type: ignore[arg-type]

    assert found(message(["wan:cancel:abcd2345"], []))
    assert found(message([], [("Model", "wan2.7-t2v"), ("Job", "abcd2345")]))  # a state without buttons
    assert not found(message(["wan:cancel:abcd2346"], [("Job", "abcd2346")]))
    # Someone's negative prompt may be another job's id: only the field named "Job" counts.
    assert not found(message(["wan:cancel:zzzz9999"], [("Avoid", "abcd2345"), ("Job", "zzzz9999")]))
    assert not found(message(["not-ours:abcd2345"], []))


def test_several_statuses_fit_in_one_message() -> None:
    from adapters.discord.render import EMBEDS_TOTAL, status_embeds

    messages = Messages()
    hostile = ("[x](http://evil) *" * 280)[:5000]  # 5000 characters that mostly need escaping
    request = GenerationRequest.build(prompt=hostile, negative_prompt=hostile[:500], seed=42, duration=5)
    views = [
        status_view(replace(_job(JobState.FAILED, error_message="DashScope said: " + hostile[:900]),
                            id=f"abcd234{i}", request=request), now=NOW, position=None, messages=messages)
        for i in range(5)
    ]
    embeds = status_embeds(views)
    assert 1 <= len(embeds) <= 5 and sum(len(e) for e in embeds) <= EMBEDS_TOTAL
    assert [next(f.value for f in e.fields if f.name == "Job") for e in embeds] == [
        f"abcd234{i}" for i in range(len(embeds))]
    # Ordinary jobs all fit; one job alone gets the full embed.
    short = [status_view(replace(_job(JobState.QUEUED), id=f"abcd234{i}"), now=NOW, position=i,
                         messages=messages) for i in range(5)]
    assert len(status_embeds(short)) == 5
    assert len(status_embeds(views[:1])[0].description or "") > len(embeds[0].description or "")
