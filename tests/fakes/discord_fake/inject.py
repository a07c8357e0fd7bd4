"""What people do in the fake Discord: type a slash command (with options, attachments among them), click a
button, submit a modal, post a message with files, run a message context-menu command on a message.

Each builds the interaction payload Discord would send and dispatches it over the gateway, so the real
discord.py client parses it as it would parse Discord's:

* an attachment option is type 11 whose value is the attachment's id, the attachment itself in
  ``data.resolved.attachments`` (a person's upload lives at an *ephemeral* CDN link, ``tests.fakes.discord_fake.cdn``);
* a message command is ``data.type`` 3 with ``data.target_id`` and the message in ``data.resolved.messages``;
  it must name a command the bot registered with that type (``commands``), as Discord only offers those.

``FakeDiscord`` (``tests.fakes.discord_server``) mixes this in; the attributes declared here are its state.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes.discord_fake.cdn import Cdn, guess_type
from tests.fakes.discord_fake.payloads import Attachment, Guild, Message, User, member_json, snowflake

if TYPE_CHECKING:
    from tests.fakes.discord_fake.gateway import Gateway

#: Permission bits the tests use.
MANAGE_MESSAGES = 1 << 13
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 31)  # view, send, …

#: The gateway intent whose sessions get reactions in guilds (GUILD_MESSAGE_REACTIONS) and in DMs.
GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS = 1 << 10, 1 << 13

#: Application command types (``data.type``): chat input (slash), user menu, message menu.
SLASH, USER_MENU, MESSAGE_MENU = 1, 2, 3
#: The interaction type sent while a person types into an option registered with ``autocomplete``.
AUTOCOMPLETE = 4


@dataclass
class Interaction:
    id: int
    token: str
    type: int
    user: User
    channel_id: int
    guild_id: int | None
    created_at: float = field(default_factory=time.monotonic)
    responded: bool = False
    #: The message the response created (type 4/5 callbacks).
    message_id: int | None = None
    #: The message whose button was clicked.
    source_message_id: int | None = None
    #: The modal sent in response (type 9), as Discord received it.
    modal: dict[str, Any] | None = None
    token_expired: bool = False


class Injecting:
    application_id: int
    guild: Guild
    guilds: dict[int, Guild]
    channel_id: int
    channel_guild: dict[int, int]
    interactions: dict[int, Interaction]
    messages: dict[int, Message]
    commands: dict[int | None, list[dict[str, Any]]]
    cdn: Cdn
    #: Every reaction people made: ("add" | "remove", user id, message id, emoji).
    reactions: list[tuple[str, int, int, str]]
    _gateway: Gateway

    # -- files and messages people post ----------------------------------------------------------------------

    def attachment(self, filename: str, data: bytes, content_type: str | None = None) -> Attachment:
        """A file a person attaches to a slash command option (``content_type``: what Discord detected;
        by default guessed from the name, as Discord would). Served at an ephemeral CDN link."""
        kind = content_type if content_type is not None else guess_type(filename)
        return self.cdn.publish(Attachment(snowflake(), filename, len(data), kind, data=data),
                                owner=self.application_id, ephemeral=True)

    def user_message(self, user: User, *, content: str = "", attachments: Sequence[Attachment] = (),
                     embeds: Sequence[dict[str, Any]] = (), channel_id: int | None = None) -> Message:
        """``user`` posts a message (files made with ``attachment``, re-hosted under the channel's CDN path)."""
        cid = channel_id or self.channel_id
        files = [self.cdn.publish(Attachment(a.id, a.filename, a.size, a.content_type, data=a.data), owner=cid)
                 for a in attachments]
        msg = Message(snowflake(), cid, self.channel_guild.get(cid), user, content=content, embeds=list(embeds),
                      attachments=files, via="person")
        self.messages[msg.id] = msg
        return msg

    # -- interactions ------------------------------------------------------------------------------------------

    def _base(self, kind: int, user: User, *, channel_id: int | None, permissions: int,
              roles: list[int] | None) -> tuple[Interaction, dict[str, Any]]:
        cid = channel_id or self.channel_id
        gid = self.channel_guild.get(cid)
        inter = Interaction(snowflake(), "itok-" + secrets.token_urlsafe(24), kind, user, cid, gid)
        self.interactions[inter.id] = inter
        data: dict[str, Any] = {
            "id": str(inter.id), "application_id": str(self.application_id), "type": kind, "token": inter.token,
            "version": 1, "locale": user.locale, "entitlements": [], "app_permissions": str(MEMBER_PERMISSIONS),
            "attachment_size_limit": self.guild.upload_limit if gid else 10 * 1024**2, "context": 0,
            "authorizing_integration_owners": {"0": str(gid)} if gid else {},
            "channel_id": str(cid),
        }
        if gid is not None:
            guild = self.guilds[gid]
            channel = guild.thread_json(cid, user.id) if cid in guild.threads else guild.channel_json(cid)
            data.update(guild_id=str(gid), guild_locale=guild.locale, channel=channel,
                        guild={"id": str(gid), "locale": guild.locale, "features": []},
                        member=member_json(user, roles or [], permissions=permissions))
        else:
            data.update(user=user.json(), channel={"id": str(cid), "type": 1})
        return inter, data

    def registered(self, name: str, kind: int = SLASH) -> tuple[int | None, dict[str, Any] | None]:
        """(scope, command) of the bot's registered command ``name`` of type ``kind`` (scope: a guild id or
        ``None`` for global), or ``(scope, None)`` when it registered none such."""
        scope = next(iter(self.commands)) if self.commands else None
        found = next((c for c in self.commands.get(scope, [])
                      if c["name"] == name and int(c.get("type", SLASH)) == kind), None)
        return scope, found

    async def slash(self, user: User, sub: str, /, *, channel_id: int | None = None,
                    permissions: int = MEMBER_PERMISSIONS, roles: list[int] | None = None,
                    **options: Any) -> Interaction:
        """``/wan <sub> option:value …`` typed by ``user`` (options typed as Discord would: str/int/bool, and
        an ``Attachment`` from ``attachment()`` for a file option)."""
        inter, data = self._base(2, user, channel_id=channel_id, permissions=permissions, roles=roles)
        scope, command = self.registered("wan")
        self._offered(command, sub, options)
        opts, resolved = _options(options)
        data["data"] = {"id": command["id"] if command else str(snowflake()), "name": "wan", "type": SLASH,
                        "options": [{"name": sub, "type": 1, "options": opts}]}
        if resolved:
            data["data"]["resolved"] = resolved
        if scope is not None:
            data["data"]["guild_id"] = str(scope)
        await self._gateway.dispatch("INTERACTION_CREATE", data)
        return inter

    def _offered(self, command: dict[str, Any] | None, sub: str, options: dict[str, Any]) -> dict[str, Any]:
        """``/wan <sub>``'s registered options by name; asserts ``options`` are among them (Discord's client
        offers only the options the command was registered with)."""
        if command is None:
            return {}
        subs = {o["name"]: o for o in command.get("options", [])}
        known = {o["name"]: o for o in subs[sub].get("options", [])} if sub in subs else {}
        unknown = sorted(set(options) - set(known))
        assert not unknown, f"/wan {sub} has no option(s) {unknown}: Discord would not send them"
        return known

    async def autocomplete(self, user: User, sub: str, focused: str, typed: str = "", /, *,
                           channel_id: int | None = None, permissions: int = MEMBER_PERMISSIONS,
                           **options: Any) -> Interaction:
        """``user`` types ``typed`` into option ``focused`` of ``/wan <sub>``, ``options`` already filled in:
        Discord sends an APPLICATION_COMMAND_AUTOCOMPLETE interaction (type 4) with that option marked
        ``focused`` and its partial text as a string, whatever the option's type, and only for an option
        the bot registered with ``autocomplete``. The answer (type 8) is ``suggestions(inter)``."""
        inter, data = self._base(AUTOCOMPLETE, user, channel_id=channel_id, permissions=permissions, roles=None)
        scope, command = self.registered("wan")
        known = self._offered(command, sub, {**options, focused: typed})
        if command is not None:
            assert known[focused].get("autocomplete"), f"/wan {sub} {focused} was not registered with autocomplete"
        opts, resolved = _options(options)
        kind = int(known[focused]["type"]) if focused in known else 3
        opts.append({"name": focused, "type": kind, "value": typed, "focused": True})
        data["data"] = {"id": command["id"] if command else str(snowflake()), "name": "wan", "type": SLASH,
                        "options": [{"name": sub, "type": 1, "options": opts}]}
        if resolved:
            data["data"]["resolved"] = resolved
        if scope is not None:
            data["data"]["guild_id"] = str(scope)
        await self._gateway.dispatch("INTERACTION_CREATE", data)
        return inter

    async def message_command(self, user: User, name: str, message_id: int, *,
                              permissions: int = MEMBER_PERMISSIONS, roles: list[int] | None = None) -> Interaction:
        """``user`` right-clicks message ``message_id`` → Apps → ``name`` (a registered message command)."""
        scope, command = self.registered(name, MESSAGE_MENU)
        assert command is not None, f"the bot registered no message command {name!r}: Discord would not offer it"
        msg = self.messages[message_id]
        inter, data = self._base(2, user, channel_id=msg.channel_id, permissions=permissions, roles=roles)
        data["data"] = {"id": command["id"], "name": name, "type": MESSAGE_MENU, "target_id": str(msg.id),
                        "resolved": {"messages": {str(msg.id): msg.json()}}}
        if scope is not None:
            data["data"]["guild_id"] = str(scope)
        await self._gateway.dispatch("INTERACTION_CREATE", data)
        return inter

    async def click(self, user: User, message_id: int, custom_id: str, *,
                    permissions: int = MEMBER_PERMISSIONS, roles: list[int] | None = None,
                    channel_id: int | None = None) -> Interaction:
        """``user`` clicks the button ``custom_id`` on message ``message_id``.

        ``channel_id`` forges the click as coming from another channel (a hand-made payload).
        """
        msg = self.messages[message_id]
        inter, data = self._base(3, user, channel_id=channel_id or msg.channel_id, permissions=permissions,
                                 roles=roles)
        inter.source_message_id = msg.id
        data["message"] = msg.json()
        data["data"] = {"custom_id": custom_id, "component_type": 2}
        await self._gateway.dispatch("INTERACTION_CREATE", data)
        return inter

    # -- reactions (issue 13 votes) -------------------------------------------------------------------------

    def _reaction(self, user: User, message_id: int, emoji: str, emoji_id: int | None,
                  roles: list[int] | None) -> tuple[dict[str, Any], int]:
        msg = self.messages[message_id]
        data: dict[str, Any] = {"user_id": str(user.id), "channel_id": str(msg.channel_id),
                                "message_id": str(msg.id), "emoji": {"id": str(emoji_id) if emoji_id else None,
                                                                     "name": emoji},
                                "burst": False, "type": 0}
        intent = DIRECT_MESSAGE_REACTIONS
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
            intent = GUILD_MESSAGE_REACTIONS
        return data, intent

    async def react(self, user: User, message_id: int, emoji: str = "👍", *, emoji_id: int | None = None,
                    roles: list[int] | None = None) -> int:
        """``user`` adds ``emoji`` (a character, or a custom emoji's name with ``emoji_id``) to message
        ``message_id``: MESSAGE_REACTION_ADD as Discord dispatches it — with the reacting ``member`` in a guild
        and the message's author — to sessions with the reactions intent only. How many sessions got it."""
        data, intent = self._reaction(user, message_id, emoji, emoji_id, roles)
        msg = self.messages[message_id]
        data["message_author_id"] = str(msg.author.id)
        if msg.guild_id is not None:
            data["member"] = member_json(user, roles or [], permissions=None)
        self.reactions.append(("add", user.id, message_id, emoji))
        return await self._gateway.dispatch("MESSAGE_REACTION_ADD", data, intent=intent)

    async def unreact(self, user: User, message_id: int, emoji: str = "👍", *, emoji_id: int | None = None) -> int:
        """``user`` removes their ``emoji`` from ``message_id``: MESSAGE_REACTION_REMOVE (no member, no author)."""
        data, intent = self._reaction(user, message_id, emoji, emoji_id, None)
        self.reactions.append(("remove", user.id, message_id, emoji))
        return await self._gateway.dispatch("MESSAGE_REACTION_REMOVE", data, intent=intent)

    async def submit_modal(self, user: User, opened_by: Interaction, values: list[str], *,
                           permissions: int = MEMBER_PERMISSIONS, channel_id: int | None = None) -> Interaction:
        """Fill the modal ``opened_by``'s response showed, text inputs in order, and submit it
        (``channel_id``: forged as submitted from another channel)."""
        assert opened_by.modal is not None, "that interaction was not answered with a modal"
        inter, data = self._base(5, user, channel_id=channel_id or opened_by.channel_id, permissions=permissions,
                                 roles=None)
        rows = []
        inputs = iter(values)
        for row in opened_by.modal["components"]:
            inner = row.get("component") or row["components"][0]
            answered = {"type": inner["type"], "custom_id": inner["custom_id"], "value": next(inputs, "")}
            rows.append({"type": 18, "component": answered} if row["type"] == 18
                        else {"type": 1, "components": [answered]})
        data["data"] = {"custom_id": opened_by.modal["custom_id"], "components": rows}
        await self._gateway.dispatch("INTERACTION_CREATE", data)
        return inter


def _options(options: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Typed options as Discord sends them, and ``resolved`` (attachments, users) for the ones that need it."""
    kinds = {bool: 5, int: 4, str: 3}
    opts: list[dict[str, Any]] = []
    files: dict[str, Any] = {}
    users: dict[str, Any] = {}
    for name, value in options.items():
        if isinstance(value, Attachment):
            opts.append({"name": name, "type": 11, "value": str(value.id)})
            files[str(value.id)] = value.json()
        elif isinstance(value, User):  # a USER option (type 6): the id, the user in ``resolved`` (issue 13)
            opts.append({"name": name, "type": 6, "value": str(value.id)})
            users[str(value.id)] = value.json()
        elif value is not None:
            opts.append({"name": name, "type": kinds[type(value)], "value": value})
    resolved: dict[str, Any] = {}
    if files:
        resolved["attachments"] = files
    if users:
        resolved["users"] = users
    return opts, resolved


__all__ = ["AUTOCOMPLETE", "DIRECT_MESSAGE_REACTIONS", "GUILD_MESSAGE_REACTIONS", "MANAGE_MESSAGES",
           "MEMBER_PERMISSIONS", "MESSAGE_MENU", "SLASH", "Injecting", "Interaction"]
