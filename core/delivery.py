"""Delivery of one finished video: download, fit to the platform's upload limit, upload.

Given a job whose task SUCCEEDED, ``Delivery.deliver`` streams the signed URL to a temp file (never the
whole file in memory, never with an Authorization header), asks the platform for its current upload limit,
re-encodes when the file is too big (and says so), and uploads through the port as a reply to the status
message. When even a re-encode cannot fit, the result is a link with its expiry instead of an upload.
Temp files are always removed. Retrying transient failures and ordering deliveries by expiry is the
engine's job; this module does one attempt.

An image job downloads its N PNGs (each bounded by ``MAX_IMAGE_BYTES``) and uploads them as ONE message
(``ChatPort.upload_images``), as a reply to the status message: the longest run of images from the first
that fits the upload limit together goes up, the rest are posted as links (all of them when even the
first does not fit). The first image's name is how an upload a crash interrupted is found again. With
``keep`` (the media stash's, issue 12) each downloaded image is also kept, and the refs come back in
``DeliveryResult.media``: **Animate** on an image result works after DashScope's 24 h link is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from core.errors import DownloadError, PlatformError, UploadTooLarge, WanbotError
from core.ideas import in_its_thread
from core.image_check import IMAGE_TYPES, read_header
from core.jobs import Job
from core.messages import Messages, human_bytes, shorten
from core.port import ChatPort, MessageRef
from core.request import GenerationRequest, ImageRequest
from core.transcode import CannotFit

log = logging.getLogger("wanbot.delivery")

#: A finished clip is a few MB; anything past this is not a video we asked for.
MAX_DOWNLOAD_BYTES = 2 * 1024**3
#: A 4K PNG is a few tens of MB at most; anything past this is not an image we asked for.
MAX_IMAGE_BYTES = 64 * 1024**2


#: Keeps bytes of a content type in the media stash and returns the ref (``MediaStash.keep``).
Keep = Callable[[bytes, str], Awaitable[str]]
#: Issue 13: hands the delivered local files to the archive before they are deleted (``Archiver.stage``:
#: it never raises and takes a local link or copy, so it neither fails nor delays the delivery).
Stage = Callable[[Job, list[Path]], Awaitable[None]]


class Downloader(Protocol):
    async def download_to(self, url: str, path: Path, *, max_bytes: int) -> int: ...


class Fitter(Protocol):
    async def __call__(self, src: Path, dest: Path, *, max_bytes: int) -> object: ...


@dataclass(frozen=True)
class DeliveryResult:
    """What happened: an upload (``message``) or a link fallback (``link_only``)."""

    message: MessageRef | None
    note: str | None
    original_size: int
    final_size: int | None
    link_only: bool = False
    #: Media-stash refs of the delivered images, in order (image jobs with ``keep``).
    media: tuple[str, ...] = ()


class Delivery:
    def __init__(
        self,
        downloader: Downloader,
        *,
        workdir: Path,
        messages: Messages,
        fit: Fitter,
        max_download_bytes: int = MAX_DOWNLOAD_BYTES,
        max_image_bytes: int = MAX_IMAGE_BYTES,
        on_uploaded: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self._downloader = downloader
        self._workdir = workdir
        self._messages = messages
        self._fit = fit
        self._max_download = max_download_bytes
        self._max_image = max_image_bytes
        self._on_uploaded = on_uploaded

    async def deliver(
        self, job: Job, port: ChatPort, *, before_upload: Callable[[], Awaitable[None]] | None = None,
        keep: Keep | None = None, stage: Stage | None = None,
    ) -> DeliveryResult:
        """One attempt. ``before_upload`` records that an upload is starting: if this process dies
        after the platform took the file but before the job was stored as delivered, the next attempt
        finds that upload (``ChatPort.find_upload``) instead of posting the video twice. ``keep`` stores
        each downloaded image (bytes, content type) and returns its ref; ``stage`` gets the delivered files
        (the original download, not a re-encode) before they are deleted."""
        job = in_its_thread(job)  # an idea's result goes into its thread (``core.ideas``)
        if isinstance(job.request, ImageRequest):
            return await self._deliver_images(job, job.request, port, before_upload, keep, stage)
        if job.video_url is None:
            raise DownloadError("the task finished without a video URL", code="NoVideo")
        if job.extra.get("upload_started"):
            found = await port.find_upload(job.conversation, filename=upload_name(job), reply_to=job.status_ref)
            if found is not None:
                log.info("job %s: an earlier attempt's upload is already there; not uploading again", job.id)
                return DeliveryResult(found, job.delivery_note, 0, None)
        self._workdir.mkdir(parents=True, exist_ok=True)
        original = self._workdir / f"{job.id}.mp4"
        fitted = self._workdir / f"{job.id}.fit.mp4"
        try:
            result = await self._deliver_video(job, port, original, fitted, before_upload)
            if stage is not None:
                await stage(job, [original])
            return result
        finally:
            for path in (original, fitted):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    async def _deliver_video(self, job: Job, port: ChatPort, original: Path, fitted: Path,
                             before_upload: Callable[[], Awaitable[None]] | None) -> DeliveryResult:
        assert job.video_url is not None
        size = await self._downloader.download_to(job.video_url, original, max_bytes=self._max_download)
        limit = await port.upload_limit(job.conversation)
        log.info("job %s: downloaded %s (upload limit %s)", job.id, human_bytes(size), human_bytes(limit))
        if size <= limit:
            try:
                ref = await self._upload(job, port, original, size, before_upload=before_upload)
                return DeliveryResult(ref, None, size, size)
            except PlatformError as exc:
                if not isinstance(exc, UploadTooLarge):
                    raise
                # The platform's real limit is lower than it told us (e.g. a guild lost its boost).
                limit = int(size * 0.8)
                log.warning("job %s: platform refused %s as too large; re-encoding", job.id, size)
        return await self._deliver_fitted(job, port, original, fitted, size, limit, before_upload)

    async def _deliver_fitted(
        self,
        job: Job,
        port: ChatPort,
        original: Path,
        fitted: Path,
        size: int,
        limit: int,
        before_upload: Callable[[], Awaitable[None]] | None,
    ) -> DeliveryResult:
        try:
            await self._fit(original, fitted, max_bytes=limit)
        except WanbotError as exc:
            if not isinstance(exc, CannotFit):
                raise
            log.info("job %s: %s cannot fit %s; posting the link", job.id, human_bytes(size), human_bytes(limit))
            return self._link_result(job, size, limit)
        final = fitted.stat().st_size
        note = self._messages(
            "delivered.reencoded", original=human_bytes(size), final=human_bytes(final), limit=human_bytes(limit)
        )
        try:
            ref = await self._upload(job, port, fitted, final, note, before_upload=before_upload)
        except PlatformError as exc:
            if not isinstance(exc, UploadTooLarge):
                raise
            return self._link_result(job, size, limit)
        return DeliveryResult(ref, note, size, final)

    async def _deliver_images(
        self,
        job: Job,
        request: ImageRequest,
        port: ChatPort,
        before_upload: Callable[[], Awaitable[None]] | None,
        keep: Keep | None = None,
        stage: Stage | None = None,
    ) -> DeliveryResult:
        if not job.image_urls:
            raise DownloadError("the task finished without image links", code="NoImage")
        names = image_names(job)
        if job.extra.get("upload_started"):
            found = await port.find_upload(job.conversation, filename=names[0], reply_to=job.status_ref)
            if found is not None:
                log.info("job %s: an earlier attempt's images are already there; not uploading again", job.id)
                return DeliveryResult(found, job.delivery_note, 0, None, link_only=False)
        folder = self._workdir / f"{job.id}.images"
        paths = [folder / name for name in names]
        try:
            result = await self._images_attempt(job, request, port, before_upload, keep, paths, folder)
            if stage is not None:
                await stage(job, paths)
            return result
        finally:
            for path in paths:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            with contextlib.suppress(OSError):
                folder.rmdir()

    async def _images_attempt(self, job: Job, request: ImageRequest, port: ChatPort,
                              before_upload: Callable[[], Awaitable[None]] | None, keep: Keep | None,
                              paths: list[Path], folder: Path) -> DeliveryResult:
        folder.mkdir(parents=True, exist_ok=True)
        sizes = [await self._downloader.download_to(url, path, max_bytes=self._max_image)
                 for url, path in zip(job.image_urls, paths, strict=True)]
        limit = await port.upload_limit(job.conversation)
        fits = _fitting_prefix(sizes, limit)
        total = sum(sizes)
        log.info("job %s: downloaded %d images, %s (upload limit %s); %d fit", job.id, len(sizes),
                 human_bytes(total), human_bytes(limit), fits)
        media = await _keep_all(job, paths, keep) if keep is not None else ()
        if fits:
            note = self._images_link_note(job, fits, limit) if fits < len(paths) else None
            caption = self._messages("delivered.image_caption", prompt_short=shorten(request.prompt, 80),
                                     size=request.size, count=len(job.image_urls), job_id=job.id)
            if note:
                caption = f"{caption}\n{note}"
            if before_upload is not None:
                await before_upload()
            try:
                ref = await port.upload_images(job.conversation, paths[:fits], caption=caption,
                                               reply_to=job.status_ref, requester=job.requester.person)
            except PlatformError as exc:
                if exc.code != "TooLarge":
                    raise
                log.warning("job %s: platform refused the images as too large; posting links", job.id)
            else:
                uploaded = sum(sizes[:fits])
                if self._on_uploaded is not None:
                    await self._on_uploaded(uploaded)
                return DeliveryResult(ref, note, total, uploaded, media=media)
        return DeliveryResult(None, self._images_link_note(job, 0, limit), total, None, link_only=True,
                              media=media)

    def _images_link_note(self, job: Job, uploaded: int, limit: int) -> str:
        """The links of the images from ``uploaded`` on, which do not fit this channel's upload limit."""
        expires = job.video_expires_at
        when = format_expiry(expires) if expires else "it expires"
        links = "\n".join(job.image_urls[uploaded:])
        return self._messages("delivered.image_links", limit=human_bytes(limit), expires=when, links=links)

    def _link_result(self, job: Job, size: int, limit: int) -> DeliveryResult:
        expires = job.video_expires_at
        when = format_expiry(expires) if expires else "it expires"
        note = self._messages(
            "delivered.link", size=human_bytes(size), limit=human_bytes(limit), expires=when, url=job.video_url
        )
        return DeliveryResult(None, note, size, None, link_only=True)

    async def _upload(
        self,
        job: Job,
        port: ChatPort,
        path: Path,
        size: int,
        note: str | None = None,
        *,
        before_upload: Callable[[], Awaitable[None]] | None = None,
    ) -> MessageRef:
        req = job.request
        assert isinstance(req, GenerationRequest)  # image jobs go through _deliver_images
        if req.animates:
            caption = self._messages(
                "delivered.animate_caption",
                prompt_short=shorten(req.prompt, 80) or self._messages("delivered.animate_untitled"),
                resolution=req.resolution, duration=req.seconds, job_id=job.id,
            )
        else:
            caption = self._messages(
                "delivered.caption",
                prompt_short=shorten(req.prompt, 80),
                resolution=req.resolution,
                ratio=req.ratio,
                duration=req.seconds,
                job_id=job.id,
            )
        if note:
            caption = f"{caption}\n{note}"
        if before_upload is not None:
            await before_upload()
        ref = await port.upload_video(
            job.conversation, path, filename=upload_name(job), size=size, caption=caption, reply_to=job.status_ref,
            requester=job.requester.person,
        )
        if self._on_uploaded is not None:
            await self._on_uploaded(size)
        return ref


async def _keep_all(job: Job, paths: list[Path], keep: Keep) -> tuple[str, ...]:
    """Each image kept in the stash (its type read from the content); none when one cannot be kept —
    the delivery goes on, and a later Animate says the image is no longer kept."""
    refs: list[str] = []
    try:
        for path in paths:
            data = await asyncio.to_thread(path.read_bytes)
            facts = await asyncio.to_thread(read_header, data)
            ctype = IMAGE_TYPES.get(facts.format, "image/png") if facts is not None else "image/png"
            refs.append(await keep(data, ctype))
    except Exception:
        log.exception("job %s: could not keep the delivered images in the media stash", job.id)
        return ()
    return tuple(refs)


def _fitting_prefix(sizes: list[int], limit: int) -> int:
    """How many images from the first fit into one message of at most ``limit`` bytes."""
    total = 0
    for count, size in enumerate(sizes):
        total += size
        if total > limit:
            return count
    return len(sizes)


def image_names(job: Job) -> list[str]:
    """The file names a job's images are uploaded under, in order (the first finds a lost upload)."""
    return [f"wan-{job.id}-{i}.png" for i in range(1, len(job.image_urls) + 1)]


def upload_name(job: Job) -> str:
    """The file name a job's video is uploaded under (also how a lost upload is found again)."""
    return f"wan-{job.id}.mp4"


def format_expiry(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
