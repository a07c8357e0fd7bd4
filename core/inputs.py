"""What a person hands wanbot to work from: an attachment, a link, a console path or an earlier result.

Adapters turn whatever their platform gives (a Discord attachment, a Slack file with the bot's token, a
path typed into the console) into an ``InputFile``; ``core.actions.chat`` fetches it once, checks it
(``core.image_check`` / ``core.media_check``), keeps a copy in the media stash (``core.media_stash``) and
only then accepts a job, so a refused file costs nothing and a later re-roll does not depend on the
platform's signed link still working.

``headers`` (Slack's ``Authorization: Bearer xoxb-…``) is used for that one fetch and is never stored,
logged or sent anywhere else: ``InputFile``'s ``repr`` leaves it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class InputFile:
    """A file a person handed wanbot: an attachment, a link, a console path, or an earlier result."""

    #: http(s) URL to fetch it from NOW, a ``data:`` URI, or a local path (console only).
    url: str
    filename: str = ""
    content_type: str | None = None
    #: Bytes, when the platform says.
    size: int | None = None
    #: e.g. Slack ``{"Authorization": "Bearer xoxb-…"}``; used once, never stored or logged.
    headers: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_link(self) -> bool:
        """An http(s) link (else a ``data:`` URI or a local path)."""
        return self.url.startswith(("https://", "http://"))

    @property
    def is_data(self) -> bool:
        return self.url.startswith("data:")

    @property
    def private(self) -> bool:
        """Fetching it needs credentials: DashScope could not read ``url`` itself."""
        return bool(self.headers)


__all__ = ["InputFile"]
