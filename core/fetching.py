"""Fetching a file a person pointed wanbot at, safely: the one fetch the audio and image checks share.

* the body is **streamed** and the fetch stops as soon as it passes ``max_bytes`` — a ``Content-Length``
  over the cap refuses early, but a missing or lying header cannot make wanbot read more than the cap
  plus one chunk;
* with ``public_only`` a link whose host resolves to a loopback, private, link-local or otherwise
  non-global address is refused before it is fetched, and redirects are followed by hand (at most
  ``MAX_REDIRECTS``) so each hop is checked the same way: a chat user must not be able to make the bot
  probe its own network (``http://169.254.169.254/…``);
* an ``InputFile``'s one-time ``headers`` (Slack's bot token) go only to the origin (scheme, host, port)
  the file was handed on — a redirect elsewhere is fetched without them — and are never logged or kept;
* a ``data:`` URI is decoded (base64 only) under the same cap. Nothing here reads a local path: the console
  (where the person is the operator) turns a path into a ``data:`` URI itself, so no chat user can make
  the bot read its own files.

Every refusal is ``InvalidMedia`` with one sentence ``<prefix>.<reason>`` from ``core.messages`` (``audio.``
or ``image.``): unreachable, http_status, private, redirects, too_big, empty.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Mapping

import aiohttp
from yarl import URL

from core.errors import InvalidMedia
from core.inputs import InputFile
from core.messages import Messages

#: Redirect hops followed (each checked like the first link).
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

#: Host name → every address it resolves to.
Resolve = Callable[[str], Awaitable[list[str]]]


async def resolve_host(host: str) -> list[str]:
    """The addresses ``host`` resolves to (the loop's resolver: a thread, never a blocking call here)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class SafeFetch:
    """Reads one file into memory under a byte cap, refusing in ``prefix``'s sentences."""

    def __init__(self, session: aiohttp.ClientSession | None, messages: Messages, *, prefix: str, field: str,
                 public_only: bool = True, resolve: Resolve = resolve_host) -> None:
        self.session = session
        self.messages = messages
        self.prefix = prefix
        self.field = field
        self.public_only = public_only
        self.resolve = resolve

    def refuse(self, reason: str, **fields: object) -> InvalidMedia:
        return InvalidMedia(self.messages(f"{self.prefix}.{reason}", **fields), field=self.field)

    async def file(self, file: InputFile, max_bytes: int) -> bytes:
        """The bytes of ``file`` (an http(s) link or a ``data:`` URI)."""
        if file.is_data:
            return await self.data_uri(file.url, max_bytes)
        if file.is_link:
            return await self.url(file.url, max_bytes, headers=file.headers)
        raise self.refuse("unreachable")

    async def url(self, url: str, max_bytes: int, *, headers: Mapping[str, str] | None = None) -> bytes:
        if self.session is None:
            raise self.refuse("unreachable")
        try:
            target = URL(url)
        except ValueError:  # a malformed link
            raise self.refuse("unreachable") from None
        origin = _origin(target)
        try:
            for _ in range(MAX_REDIRECTS + 1):
                await self._check_host(target)
                # The one-time headers (a bot token) go to the origin the file was handed on (scheme, host
                # and port), nowhere else: not another port on the same host, not plain http.
                sent = dict(headers or {}) if _origin(target) == origin else {}
                async with self.session.get(target, allow_redirects=False, headers=sent) as response:
                    location = response.headers.get("Location")
                    if response.status not in _REDIRECTS or not location:
                        return await self._read(response, max_bytes)
                target = target.join(URL(location))
        except aiohttp.ClientError:
            raise self.refuse("unreachable") from None
        raise self.refuse("redirects", hops=MAX_REDIRECTS)

    async def data_uri(self, uri: str, max_bytes: int) -> bytes:
        head, sep, payload = uri.partition(",")
        if not sep or not head.lower().endswith(";base64"):
            raise self.refuse("bad_data_uri")
        # base64 grows by 4/3: refuse an oversized payload before decoding it.
        if len(payload) > (max_bytes + 2) // 3 * 4 + 4:
            raise self.refuse("too_big", limit=_limit(max_bytes))
        try:
            data = await asyncio.to_thread(base64.b64decode, payload, validate=True)
        except (binascii.Error, ValueError):
            raise self.refuse("bad_data_uri") from None
        if len(data) > max_bytes:
            raise self.refuse("too_big", limit=_limit(max_bytes))
        if not data:
            raise self.refuse("empty")
        return data

    async def _check_host(self, target: URL) -> None:
        if target.scheme not in ("http", "https") or not target.host:
            raise self.refuse("unreachable")
        if not self.public_only:
            return
        try:
            addresses = await self.resolve(target.host)
        except OSError:
            raise self.refuse("unreachable") from None
        if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses):
            raise self.refuse("private")

    async def _read(self, response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
        if response.status >= 400:
            raise self.refuse("http_status", status=response.status)
        if response.content_length is not None and response.content_length > max_bytes:
            raise self.refuse("too_big", limit=_limit(max_bytes))
        data = bytearray()
        async for chunk in response.content.iter_chunked(_CHUNK):
            data += chunk
            if len(data) > max_bytes:
                # Stop reading here: a lying or missing Content-Length cannot make us read more.
                raise self.refuse("too_big", limit=_limit(max_bytes))
        if not data:
            raise self.refuse("empty")
        return bytes(data)


def _origin(url: URL) -> tuple[str, str | None, int | None]:
    return url.scheme, url.host, url.port  # yarl fills the scheme's default port


def _limit(max_bytes: int) -> str:
    return f"{max_bytes / 1_000_000:g} MB"  # the reference's unit: 15 MB, not 14.3 MiB


__all__ = ["MAX_REDIRECTS", "Resolve", "SafeFetch", "resolve_host"]
