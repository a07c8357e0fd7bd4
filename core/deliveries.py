"""The delivery line: finished videos wait here and are delivered closest-to-expiry first.

``DeliveryWorkers`` runs a few workers over a heap ordered by each video URL's ``Expires``. Each attempt
is one ``Delivery.deliver``; a transient failure is retried with exponential backoff, a URL past its
expiry ends the job EXPIRED with a clear message, and a success ends it DELIVERED. Nothing here is lost
on a crash: the job stays SUCCEEDED in the store until delivered, and a restarted engine schedules it
again.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from core.delivery import Delivery, Keep, Stage, format_expiry
from core.errors import DashScopeError, DownloadError, PlatformError, ResultDenied, ResultExpired, TransportError
from core.jobbook import JobBook
from core.jobs import RESULT_MEDIA, Job, JobState
from core.locale import job_locale, speaking
from core.messages import Messages
from core.store import StaleJob

log = logging.getLogger("wanbot.delivery")


class ArchiveHook(Protocol):
    """Issue 13: the archive's two hooks (``core.archive.Archiver``): files staged before they are deleted,
    then archived in the background once the job is stored DELIVERED. Neither raises."""

    async def stage(self, job: Job, files: list[Path]) -> None: ...

    async def delivered(self, job_id: str) -> None: ...

#: A failure that is not retryable still gets this many attempts (a platform hiccup can look final).
ATTEMPTS_FOR_FINAL_ERRORS = 3


class DeliveryWorkers:
    def __init__(
        self,
        book: JobBook,
        delivery: Delivery,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        spawn: Callable[[Awaitable[None]], None],
        base_delay: float,
        max_backoff: float,
        messages: Messages,
        keep: Keep | None = None,
        archive: ArchiveHook | None = None,
    ) -> None:
        #: Copies each delivered result to the archive (issue 13); None archives nothing.
        self._archive = archive
        #: Keeps delivered images in the media stash (``job.extra["result_media"]``); None keeps none.
        self._keep = keep
        self._messages = messages
        self._book = book
        self._delivery = delivery
        self._clock = clock
        self._sleep = sleep
        self._spawn = spawn
        self._base_delay = base_delay
        self._max_backoff = max_backoff
        self._heap: list[tuple[float, str]] = []
        self._ready = asyncio.Event()

    def schedule(self, job: Job, *, not_before: float | None = None) -> None:
        """Queue a SUCCEEDED job for delivery, now or at ``not_before`` (clock seconds)."""
        expires = (job.video_expires_at or self._book.now()).timestamp()
        if not_before is None:
            heapq.heappush(self._heap, (expires, job.id))
            self._ready.set()
            return

        async def later() -> None:
            await self._sleep(max(0.0, not_before - self._clock()))
            heapq.heappush(self._heap, (expires, job.id))
            self._ready.set()

        self._spawn(later())

    async def run(self) -> None:
        """One worker: deliver until cancelled."""
        while True:
            while not self._heap:
                self._ready.clear()
                await self._ready.wait()
            _, job_id = heapq.heappop(self._heap)  # the one closest to expiry first
            try:
                with speaking(self._locale_of(job_id)):  # its caption and failure in the job's language
                    await self._deliver(job_id)
            except StaleJob:
                pass  # another replica runs that job now
            except Exception:
                log.exception("job %s: delivery crashed; will retry", job_id)
                job = self._book.peek(job_id)
                if job is not None and job.state is JobState.SUCCEEDED:
                    self.schedule(job, not_before=self._clock() + self._base_delay)

    def _locale_of(self, job_id: str) -> str:
        job = self._book.peek(job_id)
        return (job_locale(job.extra) if job is not None else None) or self._messages.locale

    async def _deliver(self, job_id: str) -> None:
        job = self._book.peek(job_id)
        if job is None or job.state is not JobState.SUCCEEDED:
            return
        if job.video_expires_at is not None and self._book.now() >= job.video_expires_at:
            await self.expire(job_id)
            return
        attempts = int(job.extra.get("delivery_attempts", 0)) + 1
        job = await self._book.update(job_id, extra={**job.extra, "delivery_attempts": attempts})
        async def mark_uploading() -> None:
            current = self._book[job_id]
            if not current.extra.get("upload_started"):
                await self._book.update(job_id, extra={**current.extra, "upload_started": True})

        try:
            stage: Stage | None = self._archive.stage if self._archive is not None else None
            result = await self._delivery.deliver(job, self._book.port(job), before_upload=mark_uploading,
                                                  keep=self._keep, stage=stage)
        except (DownloadError, PlatformError, TransportError, DashScopeError) as exc:
            if isinstance(exc, ResultExpired | ResultDenied):
                await self.expire(job_id)
                return
            if not exc.retryable and attempts >= ATTEMPTS_FOR_FINAL_ERRORS:
                log.error("job %s: delivery failed for good: %s", job_id, exc)
                await self._book.fail(job_id, exc.code, self._messages("failed.generic", message=exc.message))
                return
            backoff = exc.retry_after or min(self._max_backoff, self._base_delay * 2 ** (attempts - 1))
            log.warning("job %s: delivery attempt %d failed (%s); retry in %.0fs", job_id, attempts, exc.code,
                        backoff)
            self.schedule(self._book[job_id], not_before=self._clock() + backoff)
            return
        extra = {**self._book[job_id].extra, "link_only": result.link_only, "upload_started": False}
        if result.media:
            extra[RESULT_MEDIA] = list(result.media)
        await self._book.transition(
            job_id, JobState.DELIVERED, delivered_ref=result.message, delivery_note=result.note, extra=extra
        )
        log.info("job %s: delivered (%s)", job_id, "link" if result.link_only else f"{result.final_size} bytes")
        if self._archive is not None:
            self._spawn(self._archive.delivered(job_id))  # in the background: never delays the next delivery

    async def expire(self, job_id: str) -> None:
        job = self._book[job_id]
        with speaking(self._locale_of(job_id)):
            said = self._messages("image.expired.detail" if job.is_image else "expired.detail",
                                  expires=format_expiry(job.video_expires_at) if job.video_expires_at else "?")
        await self._book.transition(job_id, JobState.EXPIRED, error_code="Expired", error_message=said)
