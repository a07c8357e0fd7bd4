"""Files in the fake Slack: what a message shortcut on a message with images reads, and the private
file host that serves their bytes only to the bot token (``tests.fakes.slack_server`` mounts it).

A file is added with ``SlackFiles.add(name, data, mimetype)`` and gets Slack's file object: ``id``,
``name``, ``mimetype``, ``filetype``, ``size``, ``url_private`` (``/files-pri/<team>-<id>/<name>``) and
``url_private_download`` (``…/download/<name>``) on the fake's own origin — the "file host" of this
Slack, like ``files.slack.com`` is real Slack's. ``url_private_download=`` may point a file anywhere
else (a test's "someone else's server").

The host serves a file's bytes only with ``Authorization: Bearer <bot token>``; without it, or with
another token, it does what Slack does: a ``302`` to the workspace's sign-in page (an HTML page answered
``200``), so a client that follows redirects gets HTML, not the image. A file with ``redirect`` set
answers the token's request with a 302 there instead (a hop to a CDN: the token must not follow). Every fetch is kept in
``fetches`` (path, whether the token came along) for the assertions. ``files.info`` answers a file's
object by id (``file_not_found`` for a deleted or unknown one).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web

#: What Slack's ``filetype`` says for the mimetypes the tests use.
_FILETYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/bmp": "bmp",
              "image/gif": "gif", "application/pdf": "pdf", "text/plain": "text", "audio/mpeg": "mp3",
              "audio/wav": "wav"}


@dataclass
class SlackFile:
    id: str
    name: str
    mimetype: str
    data: bytes
    url_private: str
    url_private_download: str
    user: str = "U1"
    deleted: bool = False
    #: Answer the token's request with a 302 to this URL instead of the bytes (a CDN hop).
    redirect: str | None = None

    def shown(self) -> dict[str, Any]:
        """The file object as Slack shows it in a message, a ``message_action`` payload or ``files.info``."""
        return {"id": self.id, "created": 1_700_000_000, "timestamp": 1_700_000_000, "name": self.name,
                "title": self.name, "mimetype": self.mimetype,
                "filetype": _FILETYPES.get(self.mimetype, "binary"), "pretty_type": self.mimetype,
                "user": self.user, "mode": "hosted", "editable": False, "is_external": False,
                "external_type": "", "is_public": True, "size": len(self.data),
                "url_private": self.url_private, "url_private_download": self.url_private_download,
                "permalink": f"https://fake.slack.com/files/{self.user}/{self.id}/{quote(self.name)}"}


@dataclass
class Fetch:
    path: str
    #: The ``Authorization`` header the request carried ("" without one).
    authorization: str
    status: int


@dataclass
class SlackFiles:
    token: str
    team: str
    origin: str = ""
    files: dict[str, SlackFile] = field(default_factory=dict)
    fetches: list[Fetch] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/files-pri/{key}/download/{name}", self._serve)
        app.router.add_get("/files-pri/{key}/{name}", self._serve)
        app.router.add_get("/signin", self._signin)

    def add(self, name: str, data: bytes, mimetype: str, *, user: str = "U1",
            url_private_download: str | None = None) -> SlackFile:
        file_id = f"F0FILE{next(self._ids):05d}"
        base = f"{self.origin}/files-pri/{self.team}-{file_id}"
        made = SlackFile(file_id, name, mimetype, data, url_private=f"{base}/{quote(name)}",
                         url_private_download=url_private_download or f"{base}/download/{quote(name)}", user=user)
        self.files[file_id] = made
        return made

    def fetched(self, file: SlackFile) -> list[Fetch]:
        return [f for f in self.fetches if f.path.split("/")[2] == f"{self.team}-{file.id}"]

    # -- the Web API's files.info ------------------------------------------------------------------------

    def info(self, args: dict[str, Any]) -> dict[str, Any] | str:
        found = self.files.get(str(args.get("file", "")))
        if found is None or found.deleted:
            return "file_not_found"
        return {"file": found.shown(), "comments": [], "response_metadata": {"next_cursor": ""}}

    # -- the private file host -----------------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        authorization = request.headers.get("Authorization", "")
        key = request.match_info["key"]
        found = self.files.get(key.removeprefix(f"{self.team}-"))
        if authorization != f"Bearer {self.token}":
            # Slack does not say 401 here: it sends the browser to sign in.
            self.fetches.append(Fetch(request.path, authorization, 302))
            raise web.HTTPFound(f"{self.origin}/signin?redir={quote(request.path_qs)}")
        if found is None or found.deleted:
            self.fetches.append(Fetch(request.path, authorization, 404))
            return web.Response(status=404, text="file not found")
        if found.redirect is not None:
            self.fetches.append(Fetch(request.path, authorization, 302))
            raise web.HTTPFound(found.redirect)
        self.fetches.append(Fetch(request.path, authorization, 200))
        return web.Response(body=found.data, content_type=found.mimetype,
                            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.name)}"})

    async def _signin(self, request: web.Request) -> web.Response:
        return web.Response(text="<!DOCTYPE html><html><head><title>Sign in | Slack</title></head>"
                                 "<body>Sign in to Fake</body></html>", content_type="text/html")


__all__ = ["Fetch", "SlackFile", "SlackFiles"]
