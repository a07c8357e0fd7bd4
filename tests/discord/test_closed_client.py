"""After discord.py's client has closed (a shutdown under way, the engine not yet stopped), the port answers
with a retryable ``PlatformError`` — which the book logs as a warning and housekeeping retries after the next
start — instead of aiohttp's bare ``RuntimeError("Session is closed")``, which surfaced as an ERROR traceback
from the middle of a create (``core.creates``: "could not store task … retrying")."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import PlatformError
from core.port import ConversationRef, MessageRef


async def test_a_closed_client_is_a_retryable_platform_error(make_env: Any) -> None:
    env = await make_env()
    bot = await env.start()
    conversation = ConversationRef(platform="discord", channel_id=str(env.fake.channel_id),
                                   workspace_id=str(env.fake.guild.id))
    await bot.port._client.close()  # what the shutdown does to the platform client first
    with pytest.raises(PlatformError) as caught:
        await bot.port.delete_message(MessageRef(conversation, "1"))
    assert caught.value.retryable
