"""``/wan history [@user] [text]``: the channel's past delivered results, newest first (issue 13).

``HistoryDesk.history`` reads the channel's delivered jobs (only this platform, workspace and channel; of
one person when asked; whose prompt contains ``text``, case-insensitively), at most ``HISTORY_LIMIT``,
and gives each entry its facts — the prompt (short), seed, settings, cost, votes, who and when — and a
link: the archive copy's (``core.archive.Archiver.links``: a presigned S3 URL or the bot's signed archive
route) when there is one, else the chat message the result was delivered in (``ChatPort.message_link``).
Votes come from an injected ``counts(job_ids)`` (issue 13's votes part; zero votes without it).
Every entry's "Use these settings" is the existing remix form (``ChatActions.remix_start`` with
``reuse=True``), pre-filled with that job's prompt.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import Protocol

from core.actions.caller import Caller
from core.jobs import Job
from core.messages import Messages, shorten
from core.port import ChatPort, MessageRef
from core.request import GenerationRequest, ImageRequest

log = logging.getLogger("wanbot.history")

#: At most this many entries per answer (a chat message stays readable, Slack's block limit is far).
HISTORY_LIMIT = 10
#: How much of a prompt an entry shows.
PROMPT_SHOWN = 120

#: Vote counts per job id (missing = 0): the votes part's ``store.votes.counts``.
Counts = Callable[[Sequence[str]], Awaitable[dict[str, int]]]


class HistorySource(Protocol):
    async def delivered_here(self, platform: str, workspace_id: str | None, channel_id: str, *,
                             user_id: str | None = None, text: str | None = None,
                             limit: int = HISTORY_LIMIT, user_name: str | None = None) -> list[Job]: ...


class ArchiveLinks(Protocol):
    async def links(self, job_ids: Sequence[str]) -> dict[str, str]: ...


async def no_votes(job_ids: Sequence[str]) -> dict[str, int]:
    return {}


@dataclass(frozen=True)
class HistoryEntry:
    job_id: str
    #: The entry as one short paragraph (plain text; adapters escape it their way).
    text: str
    #: The archive copy's link, else the delivered message's, else None.
    link: str | None
    #: True when ``link`` is the archive copy (it works after the chat message is gone).
    archived: bool


@dataclass(frozen=True)
class HistoryReport:
    title: str
    entries: tuple[HistoryEntry, ...]
    #: Everything as plain text (the console, fallbacks); the title alone says when nothing matched.
    text: str


async def result_link(port: Callable[[str], ChatPort], job: Job) -> str | None:
    """A link to a job's result in the chat: the delivered message's, else the status message's (a Slack
    upload is a file, not a message); ``None`` when the platform gives none. A platform hiccup costs the
    link (logged), never the list it is for (``/wan history``, ``/wan top``)."""
    refs: list[MessageRef] = [ref for ref in (job.delivered_ref, job.status_ref) if ref is not None]
    for ref in refs:
        try:
            link = await port(job.conversation.platform).message_link(ref)
        except Exception as exc:
            log.warning("job %s: no message link (%r)", job.id, exc)
            continue
        if link:
            return link
    return None


class HistoryDesk:
    def __init__(self, source: HistorySource, messages: Messages, *, port: Callable[[str], ChatPort],
                 archive: ArchiveLinks | None = None, counts: Counts | None = None) -> None:
        self.source = source
        self.messages = messages
        self._port = port
        self.archive = archive
        #: Issue 13 votes: the integrator passes ``store.votes.counts``.
        self.counts: Counts = counts or no_votes

    async def history(self, caller: Caller, *, user_id: str | None = None, user_name: str | None = None,
                      text: str | None = None) -> HistoryReport:
        m = self.messages
        text = " ".join(text.split()) if text else None
        jobs = await self.source.delivered_here(caller.platform, caller.workspace_id, caller.channel_id,
                                                user_id=user_id, user_name=user_name, text=text or None,
                                                limit=HISTORY_LIMIT)
        ids = [job.id for job in jobs]
        votes = await self.counts(ids) if ids else {}
        archived = await self.archive.links(ids) if self.archive is not None and ids else {}
        entries = []
        for job in jobs:
            link = archived.get(job.id) or await result_link(self._port, job)
            entries.append(HistoryEntry(job.id, self._line(job, votes.get(job.id, 0), link), link,
                                        job.id in archived))
        filters = ""
        if user_id or user_name:
            filters += m("history.filter_user", user=user_id or f"@{user_name}")
        if text:
            filters += m("history.filter_text", text=shorten(text, 60))
        title = m("history.title", filters=filters) if entries else m("history.none", filters=filters)
        body = "\n\n".join(entry.text for entry in entries)
        return HistoryReport(title, tuple(entries), f"{title}\n\n{body}" if body else title)

    def _line(self, job: Job, votes: int, link: str | None) -> str:
        m = self.messages
        request = job.request
        if isinstance(request, ImageRequest):
            settings = m("history.image_settings", model=request.model, size=request.size or "—", n=request.n)
        else:
            assert isinstance(request, GenerationRequest)
            settings = m("history.video_settings", model=request.model, resolution=request.resolution or "—",
                         ratio=request.ratio or m("history.ratio_from_image"), duration=request.duration or "—")
        cost = m("history.cost", cost=job.cost.quantize(Decimal("0.01"))) if job.cost is not None \
            else m("history.cost_unknown")
        when = (job.entered(job.state) or job.created_at).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        who = job.requester.user_name or job.requester.user_id
        prompt = shorten(request.prompt, PROMPT_SHOWN) or m("delivered.animate_untitled")
        seed = request.seed if request.seed is not None else "—"
        line = m("history.entry", job_id=job.id, when=when, who=who, prompt=prompt, settings=settings, seed=seed,
                 cost=cost, votes=votes)
        return f"{line}\n{link}" if link else f"{line}\n{m('history.no_link')}"


__all__ = ["HISTORY_LIMIT", "Counts", "HistoryDesk", "HistoryEntry", "HistoryReport", "no_votes"]
