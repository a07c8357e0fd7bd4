"""Who asked, and where: the plain facts every chat action is decided on.

An adapter reads its platform's payload into a ``Caller`` — platform, workspace, channel (a thread's
parent; the thread is kept as ``thread_id`` so answers still go there), user, roles — and two
permissions in that platform's own terms, as plain answers: does this person moderate this channel
(cancel or delete someone else's job), and may they change the channel's defaults. A permission may be
a ``bool`` or an ``async`` function returning one, for platforms where finding out costs a call (Slack's
``users.info``): ``core.actions`` asks only when the answer matters.

``AllowList`` is an operator's restriction of where wanbot answers at all (Discord's
``DISCORD_ALLOWED_GUILDS`` / ``_CHANNELS`` / ``_ROLES``); empty means anywhere.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.access import Actor
from core.jobs import Requester
from core.port import ConversationRef

Permission = bool | Callable[[], Awaitable[bool]]


async def granted(permission: Permission) -> bool:
    """The answer of ``permission`` (asking the platform only now, if it is a function)."""
    if isinstance(permission, bool):
        return permission
    answer = permission()
    return bool(await answer) if inspect.isawaitable(answer) else bool(answer)


@dataclass(frozen=True)
class Caller:
    platform: str
    workspace_id: str | None
    #: The channel: for a message in a thread, the thread's parent channel.
    channel_id: str
    user_id: str
    user_name: str | None = None
    thread_id: str | None = None
    #: The person's roles (ids) where the platform has them: what a role allow-list checks.
    roles: frozenset[str] = frozenset()
    #: Moderates this channel: may cancel and delete other people's jobs in it.
    moderator: Permission = False
    #: May change this channel's ``/wan defaults``.
    channel_admin: Permission = False
    #: The person's locale as the platform reports it (``zh-CN``), if any.
    locale: str | None = None

    @property
    def conversation(self) -> ConversationRef:
        return ConversationRef(self.platform, self.channel_id, workspace_id=self.workspace_id,
                               thread_id=self.thread_id)

    @property
    def requester(self) -> Requester:
        return Requester(platform=self.platform, user_id=self.user_id, channel_id=self.channel_id,
                         workspace_id=self.workspace_id, user_name=self.user_name)

    def actor(self, *, moderator: bool = False) -> Actor:
        return Actor(self.platform, self.workspace_id, self.channel_id, self.user_id, moderator=moderator)


@dataclass(frozen=True)
class AllowList:
    """Where wanbot answers on one platform; each empty set means "no restriction"."""

    workspaces: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()

    def allows(self, caller: Caller) -> bool:
        if self.workspaces and caller.workspace_id not in self.workspaces:
            return False
        if self.channels and not {caller.channel_id, caller.thread_id} & self.channels:
            return False
        # No roles (a DM): a role allow-list means "members with one of these roles".
        return not (self.roles and not caller.roles & self.roles)


__all__ = ["AllowList", "Caller", "Permission", "granted"]
