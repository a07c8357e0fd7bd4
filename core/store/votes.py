"""Votes on delivered results, stored (issue 13, "votes and winners"): the ``votes`` table (schema v9).

One row per person per result — ``(job_id, voter_id)`` is the key, so one person is one vote however
many times (or wherever: the status message, the result) they react. The row keeps where the reaction was
(``message_id``, ``emoji``), so un-reacting *there* takes the vote back; the channel is the result's own
(a thread's parent), which is what ``/wan top`` ranks by. What counts as a vote (the emoji, the voter) is
decided in ``core.actions.votes``; this module only keeps them.

Also here, because votes need it: ``result_for_message``, the delivered job whose status or result message
a reaction is on. The references live as JSON on the job, so the candidates are found with a text match
on the message id and then checked exactly on the parsed reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, delete, func, or_, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.jobs import Job, JobState
from core.port import MessageRef
from core.store.errors import CorruptJob
from core.store.gate import WriteGate
from core.store.rows import row_to_job
from core.store.schema import jobs, require_aware, votes

#: At most this many candidates a reaction's message id is checked against (a text match on JSON).
_CANDIDATES = 20


@dataclass(frozen=True)
class Vote:
    job_id: str
    voter_id: str
    platform: str
    workspace_id: str | None
    #: The result's channel (a thread's parent).
    channel_id: str
    #: Where the reaction is: a message id (Discord, a Slack ``ts``) or a Slack file id.
    message_id: str
    emoji: str
    voted_at: datetime


def ref_names(ref: MessageRef | None, message_id: str) -> bool:
    """``ref`` is ``message_id`` (a Slack image upload's ref names each file, comma-separated)."""
    return ref is not None and (ref.message_id == message_id or message_id in ref.message_id.split(","))


class Votes:
    def __init__(self, engine: AsyncEngine, gate: WriteGate | None = None) -> None:
        self._engine = engine
        self._gate = gate or WriteGate(enabled=False)

    async def add(self, vote: Vote) -> bool:
        """Record a vote; ``False`` when this person had already voted for this result."""
        require_aware(vote.voted_at, "voted_at")
        try:
            async with self._gate.turn(), self._engine.begin() as conn:
                await conn.execute(votes.insert().values(
                    job_id=vote.job_id, voter_id=vote.voter_id, platform=vote.platform,
                    workspace_id=vote.workspace_id, channel_id=vote.channel_id, message_id=vote.message_id,
                    emoji=vote.emoji, voted_at=vote.voted_at))
        except IntegrityError:
            return False
        return True

    async def remove(self, platform: str, workspace_id: str | None, message_id: str, voter_id: str,
                     emoji: str) -> int:
        """Take back the vote a reaction on ``message_id`` made; how many went (0 or 1)."""
        c = votes.c
        ws = c.workspace_id.is_(None) if workspace_id is None else c.workspace_id == workspace_id
        stmt = delete(votes).where(c.platform == platform, ws, c.message_id == message_id,
                                   c.voter_id == voter_id, c.emoji == emoji)
        async with self._gate.turn(), self._engine.begin() as conn:
            return int((await conn.execute(stmt)).rowcount or 0)

    async def forget(self, job_id: str) -> int:
        """Every vote of a result (it was deleted)."""
        async with self._gate.turn(), self._engine.begin() as conn:
            return int((await conn.execute(delete(votes).where(votes.c.job_id == job_id))).rowcount or 0)

    async def counts(self, job_ids: Sequence[str]) -> dict[str, int]:
        """Votes per job (a job without any is absent): what ``/wan history`` shows."""
        if not job_ids:
            return {}
        stmt = (select(votes.c.job_id, func.count()).where(votes.c.job_id.in_(list(job_ids)))
                .group_by(votes.c.job_id))
        async with self._engine.connect() as conn:
            return {str(job_id): int(n) for job_id, n in (await conn.execute(stmt)).all()}

    async def top(self, platform: str, workspace_id: str | None, channel_id: str, *, since: datetime | None,
                  limit: int) -> list[tuple[Job, int]]:
        """The channel's delivered results made since ``since`` (``None``: ever) with at least one vote, most
        votes first; ties: the earlier result first."""
        c = votes.c
        ws = c.workspace_id.is_(None) if workspace_id is None else c.workspace_id == workspace_id
        tally = (select(c.job_id, func.count().label("n")).where(c.platform == platform, ws, c.channel_id == channel_id)
                 .group_by(c.job_id).subquery())
        where = [jobs.c.state == JobState.DELIVERED.value]
        if since is not None:
            where.append(jobs.c.created_at >= require_aware(since, "since"))
        stmt = (select(jobs, tally.c.n).join(tally, tally.c.job_id == jobs.c.id).where(*where)
                .order_by(tally.c.n.desc(), jobs.c.created_at, jobs.c.id).limit(limit))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        ranked: list[tuple[Job, int]] = []
        for row in rows:
            try:
                ranked.append((row_to_job(row), int(row.n)))
            except CorruptJob:
                continue  # one unreadable old row must not hide the rest of the list
        return ranked

    async def result_for_message(self, platform: str, workspace_id: str | None, message_id: str) -> Job | None:
        """The delivered job whose status message or delivered result is ``message_id``, or ``None``."""
        if not message_id:
            return None
        ws = jobs.c.workspace_id.is_(None) if workspace_id is None else jobs.c.workspace_id == workspace_id
        named = or_(type_coerce(jobs.c.status_ref, Text).contains(message_id, autoescape=True),
                    type_coerce(jobs.c.delivered_ref, Text).contains(message_id, autoescape=True))
        stmt = (select(jobs).where(jobs.c.platform == platform, ws, jobs.c.state == JobState.DELIVERED.value, named)
                .order_by(jobs.c.created_at.desc()).limit(_CANDIDATES))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        for row in rows:
            try:
                job = row_to_job(row)
            except CorruptJob:
                continue
            if ref_names(job.status_ref, message_id) or ref_names(job.delivered_ref, message_id):
                return job
        return None


__all__ = ["Vote", "Votes", "ref_names"]
