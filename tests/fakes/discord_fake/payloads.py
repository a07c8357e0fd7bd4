"""JSON shapes the fake Discord sends: users, guilds, channels, members, messages, interactions.

Only what discord.py reads, with the keys it indexes directly (``data['...']``) always present.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_DISCORD_EPOCH_MS = 1_420_070_400_000
_counter = itertools.count(1)


def snowflake() -> int:
    """A real-looking, increasing snowflake (timestamp in the high bits)."""
    return ((int(time.time() * 1000) - _DISCORD_EPOCH_MS) << 22) | (next(_counter) & 0x3FFFFF)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


#: Discord's per-file upload limits by boost tier (what ``Guild.filesize_limit`` reports).
TIER_LIMITS = {0: 10 * 1024**2, 1: 10 * 1024**2, 2: 50 * 1024**2, 3: 100 * 1024**2}


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    #: The language of this person's Discord client: what every interaction of theirs carries as ``locale``.
    locale: str = "en-US"

    def json(self) -> dict[str, Any]:
        return {"id": str(self.id), "username": self.username, "discriminator": "0", "global_name": self.username,
                "avatar": None, "bot": self.bot, "public_flags": 0, "flags": 0}


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    channel_ids: list[int]
    #: role id → name; the @everyone role has the guild's id.
    roles: dict[int, str] = field(default_factory=dict)
    premium_tier: int = 0
    #: thread id → parent channel id (threads are channels of their own, with a parent).
    threads: dict[int, int] = field(default_factory=dict)
    #: thread id → its name (a thread started on a message is named by whoever started it).
    thread_names: dict[int, str] = field(default_factory=dict)
    #: What the fake enforces; ``None`` = the tier's limit. Lower it to mimic a guild that lost its boost.
    enforced_upload_limit: int | None = None
    #: The server's language (``preferred_locale``): what interactions in it carry as ``guild_locale``.
    locale: str = "en-US"

    @property
    def upload_limit(self) -> int:
        return self.enforced_upload_limit if self.enforced_upload_limit is not None else TIER_LIMITS[self.premium_tier]

    def channel_json(self, channel_id: int, position: int = 0) -> dict[str, Any]:
        return {"id": str(channel_id), "type": 0, "guild_id": str(self.id), "name": f"video-{position}",
                "position": position, "permission_overwrites": [], "nsfw": False, "parent_id": None,
                "topic": None, "last_message_id": None, "rate_limit_per_user": 0, "flags": 0}

    def thread_json(self, thread_id: int, owner_id: int) -> dict[str, Any]:
        """A public thread (type 11) as an interaction carries it, with its parent channel."""
        return {"id": str(thread_id), "type": 11, "guild_id": str(self.id), "parent_id": str(self.threads[thread_id]),
                "owner_id": str(owner_id), "name": self.thread_names.get(thread_id, f"thread-{thread_id}"),
                "last_message_id": None,
                "rate_limit_per_user": 0, "message_count": 0, "member_count": 1, "flags": 0,
                "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                    "archive_timestamp": iso_now(), "locked": False}}

    def json(self, bot: User) -> dict[str, Any]:
        roles = [{"id": str(rid), "name": name, "color": 0, "hoist": False, "position": i,
                  "permissions": "1071698660929" if rid == self.id else "0", "managed": False,
                  "mentionable": False, "flags": 0} for i, (rid, name) in enumerate(self.roles.items())]
        return {
            "id": str(self.id), "name": self.name, "icon": None, "splash": None, "discovery_splash": None,
            "owner_id": str(self.owner_id), "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "roles": roles, "emojis": [],
            "stickers": [], "features": [], "mfa_level": 0, "application_id": None, "system_channel_id": None,
            "system_channel_flags": 0, "rules_channel_id": None, "vanity_url_code": None, "description": None,
            "banner": None, "premium_tier": self.premium_tier, "premium_subscription_count": 0,
            "preferred_locale": self.locale, "public_updates_channel_id": None, "nsfw_level": 0,
            "premium_progress_bar_enabled": False, "unavailable": False, "large": False, "member_count": 2,
            "joined_at": iso_now(), "channels": [self.channel_json(c, i) for i, c in enumerate(self.channel_ids)],
            "threads": [], "voice_states": [], "presences": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [],
            "members": [member_json(bot, [], permissions=None)],
        }


def member_json(user: User, roles: list[int], *, permissions: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {"user": user.json(), "roles": [str(r) for r in roles], "joined_at": iso_now(),
                            "deaf": False, "mute": False, "flags": 0, "nick": None, "avatar": None,
                            "pending": False}
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


@dataclass
class Attachment:
    id: int
    filename: str
    size: int
    content_type: str | None
    #: The signed CDN link (``tests.fakes.discord_fake.cdn``) once its bytes are served; else a dead one.
    url: str = ""
    #: The bytes, kept for images only (a person's upload, or a bot upload of one) so the CDN can serve them.
    data: bytes | None = field(default=None, repr=False)
    #: A file attached to a slash command option: it belongs to no message (Discord says ``ephemeral``).
    ephemeral: bool = False

    def json(self) -> dict[str, Any]:
        url = self.url or f"https://cdn.fake.invalid/attachments/{self.id}/{self.filename}"
        data: dict[str, Any] = {"id": str(self.id), "filename": self.filename, "size": self.size, "url": url,
                                "proxy_url": url, "content_type": self.content_type}
        if self.ephemeral:
            data["ephemeral"] = True
        return data


@dataclass
class Message:
    """A message as the fake stores it; ``json()`` is what REST and interactions return."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    reference: int | None = None
    flags: int = 0
    #: How it was created: "channel" (bot REST), "callback" (interaction response), "webhook" (followup),
    #: "person" (someone's own post, ``user_message``).
    via: str = "channel"
    interaction_id: int | None = None
    deleted: bool = False
    edited_at: str | None = None
    #: The ``allowed_mentions`` it was created with (issue 14: who its mentions may ping), ``None`` if absent.
    allowed_mentions: dict[str, Any] | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id), "channel_id": str(self.channel_id), "type": 19 if self.reference else 0,
            "content": self.content, "author": self.author.json(), "embeds": self.embeds,
            "components": self.components, "attachments": [a.json() for a in self.attachments],
            "timestamp": iso_now(), "edited_timestamp": self.edited_at, "tts": False, "mention_everyone": False,
            "mentions": [], "mention_roles": [], "pinned": False, "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.reference is not None:
            data["message_reference"] = {"message_id": str(self.reference), "channel_id": str(self.channel_id),
                                         "type": 0}
        return data
