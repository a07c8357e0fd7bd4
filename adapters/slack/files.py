"""Files people posted in Slack, as ``core.inputs.InputFile``: which of them are images Wan reads, and the
one rule about the bot token.

A file shared in Slack is private: ``url_private_download`` answers its bytes only to a request with
``Authorization: Bearer <bot token>`` (scope ``files:read``), and sends anyone else to a sign-in page.
So the token goes along — but **only** to Slack's own file host, never to any other URL: a message's
file object, a forged payload or a typed link could name any server, and whoever runs it would
receive a token that reads and posts in every channel the bot is in. ``FileHost.for_api(api_url)``
derives that host from the configured Web API base: ``https://files.slack.com`` for real Slack (its
API is ``slack.com``), otherwise the API base's own origin (a test's fake Slack, which serves the
files on the same origin). A URL is on the host only if scheme, host name and port all match and it
carries no user-info (``https://files.slack.com@evil.example/`` is ``evil.example``).

Core fetches each ``InputFile`` once (with its headers), checks it and keeps its own copy; DashScope is
handed that copy (a data URI or a bot-hosted URL), never the Slack-private URL (``core.media_stash``).

Links a person types (``/wan image … --image <link>``) never get the token: with it, anyone could make
the bot fetch a private file from a channel they cannot read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from core.inputs import InputFile

#: Real Slack's file host (the ``url_private`` of every hosted file).
SLACK_FILE_HOST = "files.slack.com"
#: What Wan takes as an input image (the reference: JPEG, PNG, BMP, WEBP).
IMAGE_TYPES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/bmp", "image/x-ms-bmp", "image/webp"})
#: What image editing takes at most.
MAX_IMAGES = 9

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an http(s) URL without user-info; ``None`` for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port if port is not None else _DEFAULT_PORTS[scheme]


@dataclass(frozen=True)
class FileHost:
    """The one origin the bot token may be sent to with a file request."""

    scheme: str
    host: str
    port: int

    @classmethod
    def for_api(cls, api_url: str) -> FileHost:
        """Slack's file host for the Web API at ``api_url`` (``SLACK_API_URL``)."""
        origin = _origin(api_url)
        if origin is None:
            raise ValueError(f"not an http(s) URL: {api_url!r}")
        scheme, host, port = origin
        if host == "slack.com" or host.endswith(".slack.com"):
            return cls("https", SLACK_FILE_HOST, 443)
        return cls(scheme, host, port)  # a fake or a proxy serves files where it serves the API

    def serves(self, url: str) -> bool:
        return _origin(url) == (self.scheme, self.host, self.port)

    def headers_for(self, url: str, bot_token: str) -> dict[str, str]:
        """The bot token for a URL on this host; nothing for any other URL."""
        return {"Authorization": f"Bearer {bot_token}"} if self.serves(url) else {}


def is_image(file: Mapping[str, Any]) -> bool:
    return str(file.get("mimetype") or "").lower() in IMAGE_TYPES


def images_of(files: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The message's files Wan can read as images, in the message's order (a file Slack hides the details
    of — ``file_access: check_file_info`` — is kept: its ``files.info`` says later)."""
    return [f for f in files if f.get("id") and (is_image(f) or f.get("file_access") == "check_file_info")]


def input_file(file: Mapping[str, Any], host: FileHost, bot_token: str) -> InputFile:
    """A Slack file object (``files.info``'s) as what core fetches: the token only for Slack's file host."""
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    size = file.get("size")
    return InputFile(url=url, filename=str(file.get("name") or ""), content_type=file.get("mimetype") or None,
                     size=size if isinstance(size, int) else None, headers=host.headers_for(url, bot_token))


__all__ = ["IMAGE_TYPES", "MAX_IMAGES", "SLACK_FILE_HOST", "FileHost", "images_of", "input_file", "is_image"]
