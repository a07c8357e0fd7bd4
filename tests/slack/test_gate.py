"""``POST /slack/events`` authenticates the raw bytes before it parses anything, and acts on a request once.

Unsigned or badly signed garbage is a 401 (one log line at most, never a traceback); a body that is
signed but not what Slack sends is a 400; the same signed request replayed is answered without acting.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
from urllib.parse import quote, urlencode

import aiohttp
import pytest

from adapters.slack.app import EVENTS_PATH
from tests.slack.conftest import SECRET, SlackBot, until


def _signature(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return f"v0={digest}"


async def _raw(bot: SlackBot, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(
        bot.url + EVENTS_PATH, data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    ) as response:
        return response.status, await response.text()


def _signed(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    ts = timestamp if timestamp is not None else str(int(time.time()))
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": _signature(body, ts)}


_DEEP = b"payload=" + quote("[" * 2000 + "]" * 2000).encode()
GARBAGE: dict[str, tuple[bytes, dict[str, str]]] = {
    "bad utf-8": (b"command=%2Fwan&text=\xff\xfe\xfa", {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=0"}),
    "non-numeric timestamp": (b"command=%2Fwan", {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=1"}),
    "payload not json": (b"payload=%7Bnot-json", {}),
    "2000-deep json": (_DEEP, {}),
    "json body": (b'{"type": "url_verification", "challenge": "x"' + b"[" * 2000, {}),
    "no headers at all": (b"", {}),
    "signature of another body": (b"text=video+a+fox", _signed(b"text=video+a+cat")),
}


@pytest.mark.parametrize("case", list(GARBAGE))
async def test_unsigned_garbage_is_401_without_a_traceback(
    bot: SlackBot, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, headers = GARBAGE[case]
    caplog.set_level(logging.INFO)
    status, _ = await _raw(bot, body, headers)
    assert status == 401
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert loud == [], [r.getMessage() for r in loud]
    assert len([r for r in caplog.records if r.name.startswith("wanbot.slack")]) <= 1


SIGNED_MALFORMED: dict[str, bytes] = {
    "bad utf-8": b"command=%2Fwan&text=\xff\xfe\xfa",
    "payload not json": b"payload=%7Bnot-json",
    "2000-deep json": _DEEP,
    "payload a list": b"payload=" + quote(json.dumps([1, 2])).encode(),
    "json body not json": b'{"type": "event_callback", ',
}


@pytest.mark.parametrize("case", list(SIGNED_MALFORMED))
async def test_signed_but_malformed_is_400_without_a_traceback(
    bot: SlackBot, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = SIGNED_MALFORMED[case]
    caplog.set_level(logging.INFO)
    status, _ = await _raw(bot, body, _signed(body))
    assert status == 400
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert loud == [], [r.getMessage() for r in loud]
    assert bot.rt is not None and await bot.rt.store.active() == []


async def test_a_replayed_slash_command_makes_one_job(bot: SlackBot) -> None:
    body = bot.command_body("video a replayed fox --duration 2").encode()
    headers = _signed(body)
    answers = await asyncio.gather(*(_raw(bot, body, headers) for _ in range(3)))
    assert [status for status, _ in answers] == [200, 200, 200]
    # A Slack retry is the same body under a fresh timestamp and signature: acted on once as well.
    status, _ = await _raw(bot, body, {**_signed(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "x"})
    assert status == 200
    await until(lambda: len(bot.status_messages()) >= 1, what="the status message")
    assert bot.rt is not None
    jobs = await bot.rt.store.recent_for_user("slack", "T0TEST", "U1", limit=10)
    assert len(jobs) == 1
    assert len(bot.status_messages()) == 1


async def test_distinct_commands_are_not_mistaken_for_replays(bot: SlackBot) -> None:
    for _ in range(2):
        status, _ = await bot.command("video two different foxes --duration 2")
        assert status == 200
    assert bot.rt is not None
    await until(lambda: len(bot.status_messages()) == 2, what="two status messages")


_KEYS = ["type", "user", "team", "channel", "actions", "view", "event", "trigger_id", "container", "state",
         "values", "callback_id", "private_metadata", "id", "action_id", "value", "response_url", "enterprise"]
_TYPES = ["block_actions", "view_submission", "view_closed", "shortcut", "event_callback", "url_verification",
          "message_action", "block_suggestion", "nonsense", ""]
_ACTION_IDS = ["wan_cancel", "wan_reroll", "wan_remix", "wan_upscale", "wan_delete", "wan_nope"]


def _value(rng: random.Random, depth: int) -> object:
    roll = rng.random()
    if depth > 3 or roll < 0.25:
        return rng.choice([None, 0, -1, 1.5, True, "", "x", "U1", "C_MEMBER", "T0TEST", "wan_remix_modal",
                           *_TYPES, *_ACTION_IDS, "{}", "\u0000", "é" * 3])
    if roll < 0.6:
        return {k: _value(rng, depth + 1) for k in rng.sample(_KEYS, rng.randint(0, 5))}
    return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]


def _fuzzed_payload(rng: random.Random) -> dict[str, object]:
    body: dict[str, object] = {k: _value(rng, 1) for k in rng.sample(_KEYS, rng.randint(0, 8))}
    if rng.random() < 0.8:
        body["type"] = rng.choice(_TYPES)
    if rng.random() < 0.5:
        body["actions"] = [{"action_id": rng.choice(_ACTION_IDS), "value": _value(rng, 3)}]
    if rng.random() < 0.5:
        body["user"] = {"id": rng.choice(["U1", "U2", 7, None])}
    return body


async def test_signed_fuzz_never_gets_a_500_or_a_traceback(bot: SlackBot, caplog: pytest.LogCaptureFixture) -> None:
    """Signed bodies of every plausible and implausible shape (only Slack could send them, but a bug on
    either side must still be a 4xx, never a 500 with a traceback)."""
    caplog.set_level(logging.INFO)
    rng = random.Random(20261202)
    statuses: set[int] = set()
    for _ in range(150):
        payload = _fuzzed_payload(rng)
        body = b"payload=" + quote(json.dumps(payload)).encode() if rng.random() < 0.7 else json.dumps(
            payload).encode()
        status, _ = await _raw(bot, body, _signed(body))
        statuses.add(status)
        assert status < 500, (status, payload)
    for _ in range(50):
        form = {k: rng.choice(["", "U1", "C_MEMBER", "G_PRIVATE", "T0TEST", "/wan", "help", "status zz"])
                for k in rng.sample(["command", "user_id", "channel_id", "team_id", "text", "trigger_id"],
                                    rng.randint(0, 6))}
        body = urlencode(form).encode()
        status, _ = await _raw(bot, body, _signed(body))
        statuses.add(status)
        assert status < 500, (status, form)
    assert 400 in statuses and 200 in statuses
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert loud == [], [f"{r.name}: {r.getMessage()}" for r in loud]
