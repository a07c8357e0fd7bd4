"""One HTTP exchange with the DashScope API, and the secrets hygiene around it.

Owns: per-request headers (auth goes on each request, never on the shared session), timeouts, bounded
body reading, one log line per exchange, scrubbing the API key out of every text that leaves this
package, and turning an error answer into the right ``DashScopeError``.

It deliberately does *not* retry: whether a failure may be retried depends on the call (a read may, a
create must be reconciled first), so ``exchange`` reports precisely what happened instead:
an ``Answer`` for any HTTP answer, or ``TransportError(ambiguous=...)`` when no answer arrived —
``ambiguous=False`` only when the request provably never left (the connection could not be opened).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from core.errors import DashScopeError, TransportError, dashscope_error, parse_error_body

log = logging.getLogger("wanbot.dashscope")

#: Error bodies are small; a proxy's HTML page or a runaway answer is cut here.
MAX_BODY_BYTES = 2 * 1024 * 1024
_SNIPPET = 200

_BEARER_RE = re.compile(r"(?i)(bearer\s+)[^\s\"',;]+")
# Key-shaped tokens (``sk-…``) are scrubbed even when they are not our key: a service may echo a
# neighbour's key, and half a key in a log is still a leak.
_SK_RE = re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}")


class Redactor:
    """Removes the API key (and anything key-shaped) from text bound for logs or exceptions."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret or None

    def __call__(self, text: str) -> str:
        if self._secret:
            text = text.replace(self._secret, "***")
        text = _BEARER_RE.sub(r"\1***", text)
        return _SK_RE.sub("sk-***", text)

    def tree(self, value: Any) -> Any:
        """Scrub every string inside a JSON value."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, Mapping):
            return {k: self.tree(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.tree(v) for v in value]
        return value


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: ``body`` is the parsed JSON object, or None when the body was not one."""

    status: int
    body: Mapping[str, Any] | None
    #: The start of the raw body, scrubbed: for messages when ``body`` is None.
    snippet: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def request_id(self) -> str | None:
        rid = self.body.get("request_id") if self.body else None
        rid = rid or self.headers.get("X-DashScope-Request-Id") or self.headers.get("X-Request-Id")
        return str(rid) if rid else None


def error_from_answer(answer: Answer, redact: Redactor) -> DashScopeError:
    """The ``DashScopeError`` subclass for a non-2xx answer (or a 2xx that carries only an error)."""
    if answer.body is not None:
        return parse_error_body(answer.status, redact.tree(answer.body))
    # An HTML page from a proxy or load balancer: no code to read, so classify by status alone.
    text = answer.snippet or "(empty body)"
    rid = answer.request_id
    return dashscope_error(answer.status, None, f"HTTP {answer.status} with a non-JSON body: {text}",
                           redact(rid) if rid else None)


def _snippet(raw: bytes) -> str:
    text = raw[:4096].decode("utf-8", errors="replace")
    title = re.search(r"(?is)<title>(.*?)</title>", text)
    if title:
        text = title.group(1)
    text = " ".join(text.split())
    return text[:_SNIPPET] + ("…" if len(text) > _SNIPPET else "")


class Transport:
    """Sends one request to ``{base_url}{path}`` and reads the whole (bounded) answer."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        api_key: str | None,
        request_timeout: float,
        redact: Redactor,
    ) -> None:
        self._session = session
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        #: ``scheme://host[:port]`` of the base: what a dialect's ``{origin}`` route hangs from.
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self._api_key = api_key
        self._timeout = request_timeout
        self.redact = redact

    def headers(self, *, async_header: bool, has_body: bool) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        if has_body:
            headers["Content-Type"] = "application/json"
        if async_header:
            # Only creates carry it: without it a create is refused ("does not support synchronous
            # calls"); on reads it has no business.
            headers["X-DashScope-Async"] = "enable"
        return headers

    async def exchange(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        async_header: bool = False,
        timeout: float | None = None,
    ) -> Answer:
        loop = asyncio.get_running_loop()
        started = loop.time()
        data = json.dumps(json_body, ensure_ascii=False).encode() if json_body is not None else None
        status: int | str = "-"
        request_id: str | None = None
        try:
            async with self._session.request(
                method,
                self.url(path),
                params=params,
                data=data,
                headers=self.headers(async_header=async_header, has_body=data is not None),
                timeout=aiohttp.ClientTimeout(total=timeout or self._timeout),
                raise_for_status=False,
                allow_redirects=False,  # a redirect would carry the bearer token to another host
            ) as resp:
                status = resp.status
                raw = await self._read(resp)
                answer = self._answer(resp.status, raw, resp.headers)
                request_id = answer.request_id
                return answer
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # The connection never opened, so the request body never left: unambiguous.
            status = type(exc).__name__
            raise TransportError(self._describe(method, path, exc), ambiguous=False) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            # Reset, disconnect or timeout after the request may have been sent.
            status = type(exc).__name__
            raise TransportError(self._describe(method, path, exc), ambiguous=True) from None
        finally:
            elapsed = (loop.time() - started) * 1000
            # Every piece that came from the network is scrubbed: a request id can echo anything.
            # Task queries and lists are every poll of every job: DEBUG. Creates and cancels spend or
            # save money: INFO.
            level = logging.DEBUG if method == "GET" else logging.INFO
            log.log(level, "dashscope %s %s -> %s request_id=%s %.0fms", method, self.redact(path), status,
                    self.redact(request_id or "-"), elapsed)

    def url(self, path: str) -> str:
        """``/tasks/x`` hangs from the base; a dialect's ``{origin}/v1/tasks/x`` from the base's origin
        (same host: the key never goes anywhere else)."""
        if path.startswith("{origin}"):
            return self.origin + path[len("{origin}"):]
        return self.base_url + path

    def _describe(self, method: str, path: str, exc: BaseException) -> str:
        detail = str(exc) or type(exc).__name__
        return self.redact(f"{method} {path}: no answer from DashScope ({type(exc).__name__}: {detail})")

    @staticmethod
    async def _read(resp: aiohttp.ClientResponse) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(64 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                break  # not an API answer; what we have is enough to describe it
        return b"".join(chunks)

    def _answer(self, status: int, raw: bytes, headers: Mapping[str, str]) -> Answer:
        body: Mapping[str, Any] | None = None
        if len(raw) <= MAX_BODY_BYTES:
            try:
                parsed = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                parsed = None
            if isinstance(parsed, dict):
                body = parsed
        keep = {k: headers[k] for k in ("Retry-After", "X-DashScope-Request-Id", "X-Request-Id")
                if k in headers}
        return Answer(status=status, body=body, snippet=self.redact(_snippet(raw)), headers=keep)


__all__ = ["Answer", "MAX_BODY_BYTES", "Redactor", "Transport", "error_from_answer", "log"]
