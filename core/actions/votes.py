"""Votes and winners (issue 13): a reaction on a result is a vote; ``/wan top`` lists the channel's winners.

``VoteDesk.react`` is what an adapter calls for a reaction added or removed on any message. It counts as
a vote only when

* the message is a delivered result's status message or its result (``Votes.result_for_message``), in the
  place the reaction came from — any other message's reaction is ignored;
* the emoji is the result's channel's vote emoji: its ``vote_emoji`` setting, else the deployment's
  ``WANBOT_VOTE_EMOJI`` (👍; ``core.votes.emoji_key`` makes ``👍``, ``+1`` and ``thumbsup`` one); ``off``:
  no votes there;
* the person is not the one who made it. **A maker's reaction on their own result is not a vote**: the top
  list is what the *others* liked — counting it would start every result at one and rank the busiest
  maker first, not the best result. (The bot's own reactions never get here: each adapter drops them.)

One person is one vote per result (the store's key), wherever they reacted; removing the reaction where
the vote was made takes it back. ``top`` ranks the channel's delivered results made in a window
(``today`` since 00:00 UTC, ``week`` the last 7 days, ``all``) by votes, ties to the earlier result, at most
``TOP_LIMIT``, each with its facts, a link (``ChatPort.message_link``) and whether **Promote** (1080P with the
same seed: ``ChatActions.promote``) applies. The window is read on the injected clock.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.actions.caller import Caller
from core.actions.history import result_link
from core.jobs import Job
from core.messages import Messages, shorten
from core.port import ChatPort
from core.request import GenerationRequest, ImageRequest
from core.store.votes import Vote, ref_names
from core.votes import DEFAULT_VOTE_EMOJI, Window, emoji_key, window_start

log = logging.getLogger("wanbot.votes")

#: At most this many entries in ``/wan top`` (two rows of five buttons on Discord).
TOP_LIMIT = 10
#: How much of a prompt an entry shows.
PROMPT_SHOWN = 100


class VoteStore(Protocol):
    async def add(self, vote: Vote) -> bool: ...

    async def remove(self, platform: str, workspace_id: str | None, message_id: str, voter_id: str,
                     emoji: str) -> int: ...

    async def top(self, platform: str, workspace_id: str | None, channel_id: str, *, since: datetime | None,
                  limit: int) -> list[tuple[Job, int]]: ...

    async def forget(self, job_id: str) -> int: ...

    async def result_for_message(self, platform: str, workspace_id: str | None, message_id: str) -> Job | None: ...


class StoredSettings(Protocol):
    """What a channel stored with ``/wan settings`` (``core.store.settings.ChannelSettings``)."""

    async def get(self, platform: str, workspace_id: str | None, channel_id: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class TopEntry:
    job_id: str
    #: The entry as one short paragraph (plain text; adapters escape it their way), the link last.
    text: str
    link: str | None
    #: A video whose model has 1080P and is not 1080P already: **Promote** applies.
    promotable: bool


@dataclass(frozen=True)
class TopReport:
    title: str
    entries: tuple[TopEntry, ...]
    #: Everything as plain text (the console, fallbacks), with the typed form of Promote.
    text: str


def promotable(job: Job) -> bool:
    request = job.request
    return (isinstance(request, GenerationRequest) and "1080P" in request.spec.resolutions
            and request.resolution != "1080P")


class VoteDesk:
    def __init__(self, votes: VoteStore, settings: StoredSettings, messages: Messages, *,
                 port: Callable[[str], ChatPort], now: Callable[[], datetime],
                 default_emoji: str = DEFAULT_VOTE_EMOJI) -> None:
        self.votes = votes
        self.settings = settings
        self.messages = messages
        self._port = port
        self.now = now
        #: The deployment's vote emoji (``WANBOT_VOTE_EMOJI``), for channels that did not choose one.
        self.default_emoji = emoji_key(default_emoji)

    async def vote_emoji(self, platform: str, workspace_id: str | None, channel_id: str) -> str:
        """The channel's vote emoji key, or ``off``."""
        stored = await self.settings.get(platform, workspace_id, channel_id)
        chosen = stored.get("vote_emoji")
        return str(chosen) if chosen else self.default_emoji

    async def react(self, caller: Caller, message_id: str, emoji: str, *, added: bool,
                    aliases: Callable[[], Awaitable[list[str]]] | None = None) -> bool:
        """A reaction by ``caller`` on ``message_id`` (``caller.channel_id``/``thread_id``: where it is). True
        when it made or took back a vote. ``aliases``: other ids the message goes by (the files a Slack
        message shares), asked only when ``message_id`` is no result's and the emoji is this channel's."""
        key = emoji_key(emoji)
        if not added:
            return bool(await self.votes.remove(caller.platform, caller.workspace_id, message_id, caller.user_id,
                                                key))
        job = await self.votes.result_for_message(caller.platform, caller.workspace_id, message_id)
        named = message_id
        if job is None and aliases is not None and key == await self.vote_emoji(
                caller.platform, caller.workspace_id, caller.channel_id):
            for alias in await aliases():
                job = await self.votes.result_for_message(caller.platform, caller.workspace_id, alias)
                if job is not None:
                    named = alias
                    break
        if job is None or not _here(job, named, caller):
            return False
        if caller.user_id == job.requester.user_id:
            return False  # the maker's own: see the module docstring
        where = job.conversation
        if key != await self.vote_emoji(where.platform, where.workspace_id, where.channel_id):
            return False
        vote = Vote(job_id=job.id, voter_id=caller.user_id, platform=where.platform, workspace_id=where.workspace_id,
                    channel_id=where.channel_id, message_id=message_id, emoji=key, voted_at=self.now())
        return await self.votes.add(vote)

    async def forget(self, job_id: str) -> None:
        """A deleted result leaves the top list (its votes go with it)."""
        try:
            await self.votes.forget(job_id)
        except Exception as exc:  # the delete itself goes on
            log.warning("job %s: could not delete its votes (%r)", job_id, exc)

    async def top(self, caller: Caller, window: Window) -> TopReport:
        m = self.messages
        since = window_start(window, self.now())
        ranked = await self.votes.top(caller.platform, caller.workspace_id, caller.channel_id, since=since,
                                      limit=TOP_LIMIT)
        entries = []
        for rank, (job, n) in enumerate(ranked, start=1):
            link = await result_link(self._port, job)
            entries.append(TopEntry(job.id, self._line(rank, job, n, link), link, promotable(job)))
        if not entries:
            emoji = await self.vote_emoji(caller.platform, caller.workspace_id, caller.channel_id)
            title = m(f"top.none.{window}", emoji=DEFAULT_VOTE_EMOJI if emoji == "off" else emoji)
            return TopReport(title, (), title)
        title = m(f"top.title.{window}")
        parts = [title]
        for entry in entries:
            parts.append(entry.text + (f"\n{m('top.promote.typed', job_id=entry.job_id)}" if entry.promotable else ""))
        return TopReport(title, tuple(entries), "\n\n".join(parts))

    def _line(self, rank: int, job: Job, votes: int, link: str | None) -> str:
        m = self.messages
        request = job.request
        if isinstance(request, ImageRequest):
            settings = m("history.image_settings", model=request.model, size=request.size or "—", n=request.n)
        else:
            assert isinstance(request, GenerationRequest)
            settings = m("history.video_settings", model=request.model, resolution=request.resolution or "—",
                         ratio=request.ratio or m("history.ratio_from_image"), duration=request.duration or "—")
        who = job.requester.user_name or job.requester.user_id  # a name, never a mention
        prompt = shorten(request.prompt, PROMPT_SHOWN) or m("delivered.animate_untitled")
        seed = request.seed if request.seed is not None else "—"
        line = m("top.entry", rank=rank, job_id=job.id, votes=votes, who=who, prompt=prompt, settings=settings,
                 seed=seed)
        return f"{line}\n{link or m('top.no_link')}"


def _here(job: Job, message_id: str, caller: Caller) -> bool:
    """The reaction is where the job's message is (a thread counts as itself or its channel)."""
    places = {caller.channel_id, caller.thread_id} - {None}
    return any(ref is not None and ref_names(ref, message_id)
               and bool({ref.conversation.channel_id, ref.conversation.thread_id} & places)
               for ref in (job.status_ref, job.delivered_ref))


__all__ = ["TOP_LIMIT", "TopEntry", "TopReport", "VoteDesk", "promotable"]
