"""The OAuth2 invite URL ``wanbot discord-invite`` prints: scopes and the exact permissions wanbot uses.

Scopes ``bot applications.commands``. Permissions, each for one thing wanbot does:

* View Channel, Read Message History — see the channel and the status message it replies to;
* Send Messages, Embed Links — the status embed (posted through the channel after a restart) and notices;
* Attach Files — the MP4 (and images);
* Use Application Commands — ``/wan`` itself.

Not Manage Messages: wanbot only ever deletes its own messages (status and video), which needs no
permission; a member's Manage Messages is what lets a moderator press Delete on someone else's video.
"""

from __future__ import annotations

import base64
import binascii

import discord

SCOPES: tuple[str, ...] = ("bot", "applications.commands")


def permissions() -> discord.Permissions:
    return discord.Permissions(
        view_channel=True, send_messages=True, embed_links=True, attach_files=True,
        read_message_history=True, use_application_commands=True,
        # A thread per idea (issue 13): started on the status message, its results posted in it.
        create_public_threads=True, send_messages_in_threads=True,
    )


def client_id_from_token(token: str) -> int | None:
    """A bot token starts with the base64 of the bot's user id, which is its application id."""
    head = token.split(".", 1)[0]
    try:
        return int(base64.b64decode(head + "=" * (-len(head) % 4)).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def invite_url(client_id: int) -> str:
    return discord.utils.oauth_url(client_id, permissions=permissions(), scopes=SCOPES)
