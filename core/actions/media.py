"""Input files for chat actions: fetch, check, keep — before a job is accepted (issue 12).

``MediaDesk`` is what ``ChatActions`` asks when a person hands wanbot an image or an audio file
(``core.inputs.InputFile``): each is fetched once (with its one-time headers), checked against the
reference's rules (``core.image_check``, ``core.media_check``) and kept in the media stash
(``core.media_stash``), so the request names a ref and nothing is spent on a file DashScope would refuse.

Audio is the one file DashScope takes only as a link: with a media host the stash serves it (the request
holds the ref, resolved at create time to a signed URL); with none, a public link stays in the request as
it was handed over, and a private one (a Slack file, a ``data:`` URI) is refused in one sentence.

Before a job is made from an old one (re-roll, 1080P, remix, animate from an image result), ``ensure_kept``
checks that every ref it names is still kept, so a person reads "attach it again" instead of a failed job.
"""

from __future__ import annotations

from core.errors import InvalidMedia, InvalidRequest, MediaGone
from core.image_check import ImageCheck
from core.inputs import InputFile
from core.jobs import RESULT_MEDIA, Job
from core.media_check import AudioChecker
from core.media_stash import MediaStash, is_ref
from core.messages import Messages
from core.request import AnyRequest, GenerationRequest, ImageRequest

#: What an option check puts where a file will go: validation runs before any file is fetched.
PLACEHOLDER_LINK = "https://wanbot.invalid/input"
#: ``typed`` keys an image edit takes (the rest of ``ImageCommand``'s options; thinking mode is not sent).
EDIT_OPTIONS = ("prompt", "size", "n", "seed", "watermark", "model")
#: ``typed`` keys an animation takes (``ratio`` is refused: the shape follows the image).
ANIMATE_OPTIONS = ("prompt", "negative_prompt", "resolution", "duration", "seed", "prompt_extend", "watermark",
                   "model")


class MediaDesk:
    def __init__(self, messages: Messages, *, images: ImageCheck, audio: AudioChecker | None,
                 stash: MediaStash | None) -> None:
        self.messages = messages
        self.images = images
        self.audio = audio
        self.stash = stash

    def _stash(self) -> MediaStash:
        if self.stash is None:
            raise InvalidMedia(self.messages("media.no_stash"), field="media")
        return self.stash

    async def keep_image(self, file: InputFile) -> str:
        """The ref of a checked, kept copy of ``file`` (``InvalidMedia`` with its sentence if refused)."""
        stash = self._stash()
        checked = await self.images.load(file)
        return await stash.keep(checked.data, checked.content_type)

    async def keep_audio(self, file: InputFile) -> str:
        """What the request names for an audio file: a stash ref (with a host), else its public link."""
        host = self.stash is not None and self.stash.host is not None
        if not host and (file.private or not file.is_link):
            key = "media.slack_private_audio" if file.private else "media.needs_host"
            raise InvalidMedia(self.messages(key), field="audio_url")
        if self.audio is None:
            # No checker configured (nothing to fetch with): a public link goes as it is, as before issue 12.
            if file.private or not file.is_link:
                key = "media.slack_private_audio" if file.private else "media.needs_host"
                raise InvalidMedia(self.messages(key), field="audio_url")
            return file.url
        if not host:
            await self.audio.check(file.url)
            return file.url
        facts, data = await self.audio.load(file)
        return await self._stash().keep(data, facts.content_type)

    def typed_file(self, link: str, what: str) -> InputFile:
        """A file named in typed text: an http(s) link or a ``data:`` URI (never a path on this machine)."""
        file = InputFile(link)
        if not (file.is_link or file.is_data):
            raise InvalidRequest(self.messages("media.not_link", what=self.messages(what)), field="media")
        return file

    async def result_image(self, job: Job) -> str:
        """The ref of ``job``'s first delivered image, while the stash still keeps it (Animate on a result)."""
        if not isinstance(job.request, ImageRequest):
            raise InvalidRequest(self.messages("animate.not_image_job", job_id=job.id), field="job")
        refs = job.extra.get(RESULT_MEDIA) or []
        if not refs or self.stash is None or not await self.stash.has(str(refs[0])):
            raise InvalidRequest(self.messages("animate.from_job_gone"), field="job")
        return str(refs[0])

    async def ensure_kept(self, request: AnyRequest) -> None:
        """Every file ``request`` names is still usable: refs still kept, public audio links still good."""
        for ref in request.refs():
            if self.stash is None or not await self.stash.has(ref):
                raise MediaGone(self.messages("media.gone"), field="media")
        if self.audio is None or not isinstance(request, GenerationRequest):
            return
        # A public audio link is checked again: a chat attachment's signed link may have expired.
        links = [request.audio_url, request.frame("driving_audio")]
        for link in links:
            if link and not is_ref(link):
                await self.audio.check(link)


def refuse_ratio(messages: Messages, ratio: object) -> None:
    if ratio is not None:
        raise InvalidRequest(messages("animate.ratio"), field="ratio")


__all__ = ["ANIMATE_OPTIONS", "EDIT_OPTIONS", "PLACEHOLDER_LINK", "MediaDesk", "refuse_ratio"]
