"""The fake's CDN: attachment bytes at signed, expiring loopback links, the way ``cdn.discordapp.com`` serves them.

Discord hands a bot an attachment as a URL signed for a while (``?ex=<hex unix expiry>&is=<hex issue>&hm=<hmac>``);
past ``ex``, or with a tampered signature, the CDN answers 404 "This content is no longer available." The fake
does the same at its own origin:

* ``/ephemeral-attachments/{application}/{id}/{name}`` — a file a person attached to a slash command option
  (it belongs to no message);
* ``/attachments/{channel}/{id}/{name}`` — a file on a message (a person's, or an image the bot uploaded).

Links live ``ttl`` seconds of wall time (Discord: about a day); ``expire_all()`` ends every link issued so far
now, so a test can show what happens to a job whose attachment link died (no sleeping). ``gets`` records every
fetch (path, status), so a test can tell who fetched what.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import secrets
import time
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakes.discord_fake.payloads import Attachment

GONE = "This content is no longer available."


def guess_type(filename: str) -> str | None:
    """What Discord reports as an upload's ``content_type``: it detects it; the fake goes by the name."""
    return mimetypes.guess_type(filename)[0]


@dataclass
class _Served:
    data: bytes
    content_type: str
    expires: int
    revoked: bool = False


@dataclass
class Cdn:
    origin: str = ""
    #: Seconds a link is valid for (wall clock, as Discord's ``ex``).
    ttl: float = 24 * 3600
    gets: list[tuple[str, int]] = field(default_factory=list)
    _secret: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    _served: dict[str, _Served] = field(default_factory=dict)

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/attachments/{owner}/{aid}/{name}", self.serve)
        app.router.add_get("/ephemeral-attachments/{owner}/{aid}/{name}", self.serve)

    def _sign(self, path: str, ex: str, issued: str) -> str:
        return hmac.new(self._secret, f"{path}|{ex}|{issued}".encode(), hashlib.sha256).hexdigest()

    def publish(self, attachment: Attachment, *, owner: int, ephemeral: bool = False) -> Attachment:
        """Serve ``attachment.data`` and point ``attachment.url`` at it (a fresh signed link)."""
        assert attachment.data is not None, "only files whose bytes were kept can be served"
        kind = "ephemeral-attachments" if ephemeral else "attachments"
        path = f"/{kind}/{owner}/{attachment.id}/{attachment.filename}"
        now = int(time.time())
        ex, issued = f"{now + int(self.ttl):x}", f"{now:x}"
        self._served[path] = _Served(attachment.data, attachment.content_type or "application/octet-stream",
                                     now + int(self.ttl))
        attachment.url = f"{self.origin}{path}?ex={ex}&is={issued}&hm={self._sign(path, ex, issued)}&"
        attachment.ephemeral = ephemeral
        return attachment

    def expire_all(self) -> None:
        """Every link issued so far is past its ``ex`` now."""
        for served in self._served.values():
            served.revoked = True

    async def serve(self, request: web.Request) -> web.Response:
        path = request.path
        served = self._served.get(path)
        q = request.query
        signed = hmac.compare_digest(q.get("hm", ""), self._sign(path, q.get("ex", ""), q.get("is", "")))
        if served is None or not signed or served.revoked or time.time() > served.expires:
            self.gets.append((path, 404))
            return web.Response(status=404, text=GONE)
        self.gets.append((path, 200))
        return web.Response(body=served.data, content_type=served.content_type)


__all__ = ["GONE", "Cdn", "guess_type"]
