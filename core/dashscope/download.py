"""Fetching a result file from its signed object-storage URL, streamed and bounded.

Owns the download path: no ``Authorization`` header (with one, OSS answers 403 SignatureDoesNotMatch),
a byte cap checked against ``Content-Length`` and again while streaming, connect/read/total timeouts,
retries with backoff for 5xx and broken connections, OSS XML (or JSON) error bodies mapped to
``DownloadError`` codes — ``ResultExpired`` when the link has run out — and files written through a worker
thread to a temporary sibling that is renamed into place only when complete.

Never the whole file in memory: chunks go straight to disk in batches of about 1 MiB (at most two reads).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import aiohttp

from core.dashscope.models import url_expiry
from core.dashscope.retry import RetryPolicy, parse_retry_after
from core.dashscope.transport import Redactor, log
from core.errors import DownloadError, DownloadTooLarge, ResultDenied, ResultExpired

CHUNK = 64 * 1024
_WRITE_BATCH = 1024 * 1024
#: ``download_to`` asks the response for up to this much per read. 64 KiB reads cost a 50 MB file ~800
#: trips through aiohttp's reader and the batching below: ~60-100 ms of CPU more than 1 MiB reads
#: (bench/deliveries.md, "After (session 3)"). A read returns what has arrived, so memory stays bounded by
#: the response's buffer plus one batch.
_READ_CHUNK = _WRITE_BATCH
_ERROR_BODY = 64 * 1024


def display_url(url: str) -> str:
    """Host and path only: the query holds the signature, which is as good as a password for 24 h."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def parse_storage_error(text: str) -> tuple[str | None, str | None, str | None]:
    """``(code, message, request_id)`` from an OSS XML error document or a JSON error body."""
    if "<Error" in text or "<Code>" in text:
        def tag(name: str) -> str | None:
            found = re.search(rf"<{name}>\s*(.*?)\s*</{name}>", text, re.S)
            return found.group(1) if found else None
        return tag("Code"), tag("Message"), tag("RequestId")
    try:
        body = json.loads(text)
    except ValueError:
        return None, None, None
    if not isinstance(body, dict):
        return None, None, None
    error = body.get("error")
    inner: dict[str, Any] = error if isinstance(error, dict) else body
    code = inner.get("code") or inner.get("Code")
    message = inner.get("message") or inner.get("Message")
    rid = body.get("request_id") or body.get("RequestId")
    return (str(code) if code else None, str(message) if message else None, str(rid) if rid else None)


def _write_failed(path: Path, exc: OSError) -> DownloadError:
    # A local disk problem, not the network's: retrying the download would not help.
    return DownloadError(f"could not write {path.name}: {exc.strerror or exc}", code="WriteFailed",
                         retryable=False)


async def _write(handle: IO[bytes], chunks: list[bytes], path: Path) -> None:
    # Raised as DownloadError here so the network-error mapping around the response cannot
    # mistake a full disk (an OSError) for a dropped connection. ``writelines`` hands each chunk to the
    # file as it is: joining them first copied every downloaded byte once more on the event loop.
    try:
        await asyncio.to_thread(handle.writelines, chunks)
    except OSError as exc:
        raise _write_failed(path, exc) from None


class Downloader:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        rng: random.Random,
        retry: RetryPolicy,
        redact: Redactor,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
    ) -> None:
        self._session = session
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._retry = retry
        self._redact = redact
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout

    # -- public -----------------------------------------------------------------------------------------

    async def stream(
        self, url: str, *, max_bytes: int, chunk_size: int = CHUNK, timeout: float = 600.0
    ) -> AsyncIterator[bytes]:
        """Yield the file in chunks. Retries only before the first byte (afterwards it cannot resume)."""
        attempt = 0
        while True:
            attempt += 1
            started = False
            try:
                async with self._response(url, max_bytes, timeout) as resp:
                    total = 0
                    async for chunk in resp.content.iter_chunked(chunk_size):
                        total += len(chunk)
                        if total > max_bytes:
                            raise self._too_large(url, max_bytes)
                        started = True
                        yield chunk
                    return
            except DownloadError as exc:
                if started or not exc.retryable or attempt >= self._retry.attempts:
                    raise
                delay = self._retry.backoff(attempt, self._rng, exc.retry_after)
            await self._sleep(delay)

    async def download_to(self, url: str, path: Path, *, max_bytes: int, timeout: float = 600.0) -> int:
        """Write the file to ``path`` (atomically, via a temporary sibling); return its size in bytes."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._download_once(url, path, max_bytes, timeout)
            except DownloadError as exc:
                if not exc.retryable or attempt >= self._retry.attempts:
                    raise
                delay = self._retry.backoff(attempt, self._rng, exc.retry_after)
                log.info("download %s failed (%s); retry %d in %.1fs", display_url(url), exc.code,
                         attempt, delay)
            await self._sleep(delay)

    # -- internals --------------------------------------------------------------------------------------

    async def _download_once(self, url: str, path: Path, max_bytes: int, timeout: float) -> int:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            handle: IO[bytes] = await asyncio.to_thread(open, tmp, "wb")
        except OSError as exc:
            raise _write_failed(path, exc) from None
        total = 0
        done = False
        try:
            async with self._response(url, max_bytes, timeout) as resp:
                batch: list[bytes] = []
                batched = 0
                async for chunk in resp.content.iter_chunked(_READ_CHUNK):
                    total += len(chunk)
                    if total > max_bytes:
                        raise self._too_large(url, max_bytes)
                    batch.append(chunk)
                    batched += len(chunk)
                    if batched >= _WRITE_BATCH:
                        # The disk write happens in a worker thread so the event loop keeps serving chat.
                        await _write(handle, batch, path)
                        batch, batched = [], 0
                if batch:
                    await _write(handle, batch, path)
            try:
                await asyncio.to_thread(handle.close)
                await asyncio.to_thread(os.replace, tmp, path)
            except OSError as exc:
                raise _write_failed(path, exc) from None
            done = True
            return total
        finally:
            if not done:
                # Also on cancellation: never leave a partial file that looks like a result.
                handle.close()
                with contextlib.suppress(OSError):
                    tmp.unlink()

    @contextlib.asynccontextmanager
    async def _response(self, url: str, max_bytes: int, timeout: float) -> AsyncIterator[Any]:
        where = display_url(url)
        loop = asyncio.get_running_loop()
        started = loop.time()
        status: int | str = "-"
        client_timeout = aiohttp.ClientTimeout(
            total=timeout, sock_connect=self._connect_timeout, sock_read=self._read_timeout
        )
        try:
            # No headers argument at all: the signed URL is the credential. The client refuses sessions
            # that carry a default Authorization header, so none can sneak in from there.
            async with self._session.get(url, timeout=client_timeout, raise_for_status=False) as resp:
                status = resp.status
                if resp.status >= 400:
                    raise await self._http_error(resp, url)
                if resp.content_length is not None and resp.content_length > max_bytes:
                    raise self._too_large(url, max_bytes, resp.content_length)
                yield resp
        except DownloadError:
            raise
        except TimeoutError:
            status = "Timeout"
            raise DownloadError(f"download of {where} timed out", code="Timeout", retryable=True) from None
        except (aiohttp.ClientError, OSError) as exc:
            status = type(exc).__name__
            raise DownloadError(
                self._redact(f"download of {where} failed: {type(exc).__name__}: {exc}"),
                code="ConnectionError", retryable=True,
            ) from None
        finally:
            log.info("download GET %s -> %s %.0fms", where, status, (loop.time() - started) * 1000)

    def _too_large(self, url: str, max_bytes: int, announced: int | None = None) -> DownloadError:
        size = f"{announced} bytes" if announced is not None else f"more than {max_bytes} bytes"
        return DownloadTooLarge(f"the file at {display_url(url)} is {size}; the limit is {max_bytes}",
                                retryable=False)

    async def _http_error(self, resp: aiohttp.ClientResponse, url: str) -> DownloadError:
        try:
            raw = await resp.content.read(_ERROR_BODY)
        except (aiohttp.ClientError, TimeoutError):
            raw = b""
        code, message, rid = parse_storage_error(raw.decode("utf-8", errors="replace"))
        rid = rid or resp.headers.get("x-oss-request-id")
        expires = url_expiry(url)
        expired = resp.status == 403 and (
            "expired" in (message or "").lower()
            or (expires is not None and expires.timestamp() < self._clock())
        )
        retryable = resp.status >= 500 or resp.status == 429
        detail = f"{code or 'HTTP ' + str(resp.status)}: {message or resp.reason or 'no detail'}"
        kind = DownloadError
        if expired:
            code = "Expired"  # the link ran out (24 h): only a fresh task gives a new one
            kind = ResultExpired
        elif code == "AccessDenied":
            kind = ResultDenied  # storage's own code, typed because delivery gives up on it
        err = kind(
            self._redact(f"download of {display_url(url)} refused ({detail})"),
            code=code or f"HTTP{resp.status}",
            request_id=rid,
            retryable=retryable,
            http_status=resp.status,
        )
        if retryable:
            err.retry_after = parse_retry_after(resp.headers, self._clock())
        return err


__all__ = ["CHUNK", "Downloader", "display_url", "parse_storage_error"]
