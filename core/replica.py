"""What one replica does to share the work with others on the same database.

Every ``interval`` seconds ``ReplicaDuties.tick``: records a heartbeat (and learns how many replicas
are alive, so the watcher takes its share of the account's query budget), renews the leases of the jobs
this replica runs (a job whose lease another replica took is dropped here — that replica carries on),
and claims jobs nobody holds (their replica died) and hands them to ``resume``. With one process this
is the same machinery that resumes its own jobs after a restart.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from core.jobbook import JobBook
from core.jobs import Job
from core.store import JobStore

log = logging.getLogger("wanbot.replica")


def default_replica_id() -> str:
    """The host name: stable across restarts of one deployment, so a restarted bot reclaims its own
    jobs at once. Several processes on one host need ``WANBOT_REPLICA_ID`` set apart."""
    return os.environ.get("HOSTNAME") or socket.gethostname() or "wanbot"


class ReplicaDuties:
    def __init__(
        self,
        store: JobStore,
        book: JobBook,
        *,
        replica_id: str,
        lease_seconds: float,
        platforms: Callable[[], set[str]],
        resume: Callable[[Job], Awaitable[None]],
        drop: Callable[[str], None],
        set_share: Callable[[int], None],
    ) -> None:
        self._store = store
        self._book = book
        self.replica_id = replica_id
        self.lease_seconds = lease_seconds
        self._platforms = platforms
        self._resume = resume
        self._drop = drop
        self._set_share = set_share
        self.alive = 1

    def lease_until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.lease_seconds)

    async def claim_and_resume(self, now: datetime, *, include_own: bool = False) -> list[Job]:
        """Take every job nobody holds (for the platforms this replica serves) and resume it;
        ``include_own`` at start-up also takes back what this replica id held before a restart."""
        ids = await self._store.leases.claim(
            self.replica_id, now=now, until=self.lease_until(now), limit=500, platforms=self._platforms(),
            include_own=include_own, exclude=self._book.held(),
        )
        resumed = []
        for job_id in ids:
            job = await self._store.get(job_id)
            if job is None:
                continue
            if job_id in self._book or job_id in self._book.held():
                # Ours already (it arrived while the claim ran): a second resume would start a second
                # create or delivery. Keep the newer row (the claim bumped its version) and carry on.
                self._book.add(job)
                continue
            log.info("job %s: claimed by replica %s in state %s", job.id, self.replica_id, job.state)
            self._book.add(job)
            await self._resume(job)
            resumed.append(job)
        return resumed

    async def tick(self, now: datetime, *, starting: bool = False) -> None:
        self.alive = await self._store.leases.heartbeat(self.replica_id, now=now, ttl=self.lease_seconds)
        self._set_share(self.alive)
        mine = [job.id for job in self._book if not job.state.terminal]
        held = await self._store.leases.renew(self.replica_id, mine, until=self.lease_until(now))
        for job_id in set(mine) - held:
            log.warning("job %s: another replica took it over; letting go", job_id)
            self._drop(job_id)
        await self.claim_and_resume(now, include_own=starting)

    async def release_all(self) -> None:
        """At a clean stop: hand the unfinished jobs back so another replica need not wait."""
        mine = [job.id for job in self._book if not job.state.terminal]
        await self._store.leases.release(self.replica_id, mine)
