"""Slack's three-step file upload (what ``files_upload_v2`` does), streaming every file from disk.

slack_sdk's ``files_upload_v2`` needs each file's bytes in memory (a path it reads whole, with a blocking
``open().read()``) and gives aiohttp one ``bytes`` object, which the socket transport then copies again.
Twenty 50 MB deliveries at once cost the bot +550 MB of RSS that way (``bench/deliveries.md``). So:

1. ``files.getUploadURLExternal`` (slack_sdk: token, 429 retries, error shapes) with the file's size,
2. a plain aiohttp ``POST`` of the file to the URL Slack returned, read ``CHUNK`` bytes at a time in a
   worker thread (never a whole-file read, never the disk on the event loop): a chunk or two of memory
   per upload, whatever the size of the file,
3. ``files.completeUploadExternal`` (slack_sdk) with every file id, the channel, the thread and the
   comment: this is what makes the files show, as one message.

Nothing appears in the channel unless step 3 ran, so a failure in step 1 or 2 can simply be retried.
Step 2's failures leave as ``core.errors`` types: 413 is ``UploadTooLarge`` (the delivery re-encodes),
anything else a retryable ``PlatformError``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from core.errors import PlatformError, UploadTooLarge

log = logging.getLogger("wanbot.slack")

#: Bytes per read. Each upload holds about one chunk, plus what the socket has not taken yet; 256 KiB
#: keeps 20 uploads at once near 10 MB, and 50 MB in 200 thread hops (a few ms).
CHUNK = 256 * 1024
#: Slowest upload speed (bytes/s) allowed for before an upload counts as stalled: the POST's time limit is
#: the client's timeout plus the file's size at this speed (a 50 MB file: 30 s + 500 s).
MIN_RATE = 100 * 1024
#: What is read of the upload URL's answer (Slack's is ``OK - <size>``); enough for an error body.
ANSWER_BYTES = 1024


@dataclass(frozen=True)
class FileToUpload:
    path: Path
    filename: str
    title: str


async def upload_files(
    client: AsyncWebClient,
    files: Sequence[FileToUpload],
    *,
    channel: str,
    thread_ts: str | None,
    initial_comment: str | None,
) -> AsyncSlackResponse:
    """Upload ``files`` as one message in ``channel`` (a reply in ``thread_ts``); the answer is
    ``files.completeUploadExternal``'s (its ``files`` name every file id)."""
    slots: list[tuple[FileToUpload, int, str, str]] = []
    for item in files:
        size = (await asyncio.to_thread(item.path.stat)).st_size
        answer = await client.files_getUploadURLExternal(filename=item.filename, length=size)
        slots.append((item, size, str(answer["upload_url"]), str(answer["file_id"])))
    for item, size, url, file_id in slots:
        await post_file(client, url, item.path, size)
        log.debug("sent %s (%d bytes) as %s", item.filename, size, file_id)
    return await client.files_completeUploadExternal(
        files=[{"id": file_id, "title": item.title} for item, _, _, file_id in slots],
        channel_id=channel, thread_ts=thread_ts, initial_comment=initial_comment,
    )


async def post_file(client: AsyncWebClient, url: str, path: Path, size: int) -> None:
    """Step 2: POST the first ``size`` bytes of ``path`` to ``url``, streamed, with the client's proxy,
    TLS context and session (or a session of its own, as slack_sdk makes one per call without one)."""
    timeout = aiohttp.ClientTimeout(total=client.timeout + size / MIN_RATE, sock_connect=client.timeout)
    # A declared length, not chunked encoding: Slack's upload URL expects the size given in step 1.
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
    shared = client.session
    session = shared if shared is not None and not shared.closed else aiohttp.ClientSession(
        trust_env=client.trust_env_in_session)
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        async with session.post(url, data=_chunks(handle, size, path), headers=headers, timeout=timeout,
                                proxy=client.proxy, ssl=client.ssl or True) as response:
            if response.status != 200:
                body = (await response.content.read(ANSWER_BYTES)).decode(errors="replace")
                raise _refused(response.status, body, path)
    finally:
        await asyncio.to_thread(handle.close)
        if session is not shared:
            await session.close()


async def _chunks(handle: BinaryIO, size: int, path: Path) -> AsyncIterator[bytes]:
    left = size
    while left > 0:
        chunk = await asyncio.to_thread(handle.read, min(CHUNK, left))
        if not chunk:
            # The declared length can no longer be met: fail the POST rather than leave Slack waiting.
            raise OSError(f"{path.name} shrank while it was being uploaded ({size - left} of {size} bytes)")
        left -= len(chunk)
        yield chunk


def _refused(status: int, body: str, path: Path) -> PlatformError:
    """The upload URL's refusal. Nothing was shared, so any of them can be retried, with a new URL
    (step 1 again): a 5xx, a URL that expired, a dropped body."""
    message = f"Slack's upload URL answered {status} for {path.name}: {body[:200]}"
    if status == 413:
        return UploadTooLarge(message, code="TooLarge", http_status=status)
    return PlatformError(message, code="upload_failed", http_status=status, retryable=True)
