"""Every chat action, written once: what ``/wan …``, a button or a modal does on any surface.

``ChatActions`` is the one interface adapters call. Each method takes the ``Caller`` (who, where, their
permissions as plain data) and typed arguments, checks the operator's allow-list, authorizes against
the job's platform, workspace and channel (``core.access.authorize``: owner, or a moderator of that
channel for cancel and delete), and returns a typed result (``core.actions.results``) or raises a typed
refusal (``ActionRefused``, ``QuotaExceeded``, ``InvalidRequest``). Adapters parse their input, call
one method, and render what comes back; nothing here knows which platform is which.

Rules that used to drift between adapters and now live only here:

* every new video gets a seed when none was given, so **1080P** can repeat the same video sharper;
  re-roll takes a new seed, 1080P keeps it, remix keeps the settings with the new prompt and a new seed;
* new videos start from the channel's ``/wan defaults`` (typed values win), storyboards too; re-roll,
  remix and 1080P keep the old job's request; a new job from an old one goes into the old one's thread;
* an ``audio_url`` is fetched and probed (``core.media_check``) before the job is accepted — a new video,
  a re-roll, a remix or a 1080P of an old one alike — so a link DashScope would refuse costs no queue
  slot, no budget and no create, and the person reads one sentence;
* an input file (an image to edit or animate, a frame, driving audio: ``core.inputs.InputFile``) is fetched,
  checked and kept in the media stash before the job is accepted (``core.actions.media``); a job made from
  an old one first checks that the files it names are still kept;
* ``/wan cancel`` without an id means the caller's newest unfinished job *in this channel*;
  ``/wan status`` without one shows the caller's newest jobs in this workspace.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from core.access import MODERATED, ActionRefused, JobAction, NotYourJob, authorize
from core.actions.caller import AllowList, Caller, granted
from core.actions.desk import ChannelDesk
from core.actions.face import EngineFace
from core.actions.history import HistoryDesk, HistoryReport
from core.actions.media import ANIMATE_OPTIONS, EDIT_OPTIONS, PLACEHOLDER_LINK, MediaDesk, refuse_ratio
from core.actions.notify import notify_command
from core.actions.results import (
    Cancelled,
    DefaultsReport,
    Deleted,
    HelpText,
    NotifyReport,
    Origin,
    Result,
    SettingsReport,
    SpendDecision,
    Started,
    StatusReport,
    UsageReport,
)
from core.actions.spend_desk import SpendDesk
from core.actions.storyboard import compose_storyboard
from core.actions.threads import place
from core.actions.variants import variant_extra
from core.actions.votes import TopReport, VoteDesk
from core.catalogue import DEFAULT_I2V_MODEL
from core.commands import (
    CancelCommand,
    Command,
    DefaultsCommand,
    HelpCommand,
    ImageCommand,
    JobCommand,
    StatusCommand,
    StoryboardCommand,
    UsageCommand,
    VideoCommand,
    parse_command,
    video_request,
)
from core.errors import InvalidRequest, PlatformError, WanbotError
from core.history_command import HistoryCommand
from core.image_check import ImageCheck
from core.inputs import InputFile
from core.jobs import CancelOutcome, Job, JobState, new_job_id
from core.media_check import AudioChecker
from core.media_commands import AnimateCommand, EditCommand
from core.media_stash import MediaStash
from core.messages import Messages
from core.notify_command import NotifyCommand
from core.port import PostStatus
from core.request import MAX_INPUT_IMAGES, MAX_SEED, AnyRequest, GenerationRequest, ImageRequest
from core.spend_commands import SettingsCommand, SpendCommand
from core.store.user_prefs import UserPrefs
from core.suggest import Suggestion, suggest, uses_video_defaults, values_by_model
from core.variants import MAX_VARIANTS, parse_variants, variant_requests
from core.votes import APPROVE_EMOJI, PromoteCommand, TopCommand, Window, emoji_key

log = logging.getLogger("wanbot.actions")

#: How many of a user's newest jobs ``/wan status`` shows, and ``/wan cancel`` looks through (the per-user
#: cap keeps the unfinished ones among the newest few).
STATUS_JOBS = 5
CANCEL_LOOKBACK = 20
#: What a typed or forged job id may show of itself in a reply.
_SHOWN_ID = 40


#: What the person who clicked reads when a job was made from another.
_STARTED_FROM = {Origin.REROLL: "action.rerolled", Origin.UPSCALE: "action.upscaled", Origin.REMIX: "action.remixed",
                 Origin.ANIMATE: "action.animated"}



#: What ``/wan cancel`` says for each outcome.
_CANCEL_SAID = {CancelOutcome.CANCELLED: "cancel.done", CancelOutcome.TOO_LATE: "cancel.too_late",
                CancelOutcome.FINISHED: "cancel.finished"}


class ArchiveForget(Protocol):
    """Issue 13: what Delete needs of the archive (``core.archive.Archiver.forget``)."""

    async def forget(self, job_id: str) -> int: ...


def random_seed() -> int:
    return secrets.randbelow(MAX_SEED + 1)


def _with_seed(request: GenerationRequest) -> GenerationRequest:
    return request if request.seed is not None else request.with_changes(seed=random_seed())


class ChatActions:
    def __init__(self, engine: EngineFace, messages: Messages, *,
                 allow: Mapping[str, AllowList] | None = None, audio: AudioChecker | None = None,
                 stash: MediaStash | None = None, images: ImageCheck | None = None,
                 history: HistoryDesk | None = None, archive: ArchiveForget | None = None,
                 spend: SpendDesk | None = None, votes: VoteDesk | None = None,
                 prefs: UserPrefs | None = None) -> None:
        self.engine = engine
        #: Issue 13: votes (reactions) and ``/wan top`` (None: reactions ignored, top refused).
        self.votes = votes
        #: Issue 14: per-person preferences (``/wan notify on|off``; None: not available here).
        self.prefs = prefs
        #: Issue 13: ``/wan history`` (None: refused) and the archive a deleted result's copy leaves.
        self.history_desk = history
        self.archive = archive
        #: Checks an ``audio_url`` before a job is accepted; None leaves that to DashScope.
        self.audio = audio
        #: Where input files are kept (``edit_image``, ``animate``); None refuses those actions.
        self.stash = stash
        #: Fetches and checks input images; None: ``data:`` URIs only (no links, no paths).
        self.images = images or ImageCheck(None, messages)
        self.media = MediaDesk(messages, images=self.images, audio=audio, stash=stash)
        self.messages = messages
        self.allow = dict(allow or {})
        self.desk = ChannelDesk(engine, messages)
        #: Issue 13: ``/wan settings`` and the spend gate in front of every start (None: no gate, no settings).
        self.spend = spend

    # -- the gate every action passes ----------------------------------------------------------------------

    def check_allowed(self, caller: Caller) -> None:
        """Refuse a person the operator's allow-list leaves out (``access.denied``)."""
        rules = self.allow.get(caller.platform)
        if rules is not None and not rules.allows(caller):
            raise ActionRefused(self.messages("access.denied"), code="AccessDenied")

    async def job_for(self, caller: Caller, job_id: str, action: JobAction) -> Job:
        """The job, if ``caller`` may take ``action`` on it from where they are; else ``ActionRefused``.

        A moderator's permission is asked for only when someone acts on another person's job."""
        self.check_allowed(caller)
        job_id = job_id.strip().lower()
        shown = job_id if len(job_id) <= _SHOWN_ID else job_id[: _SHOWN_ID - 1] + "…"
        job = await self.engine.get(job_id) if job_id else None
        try:
            return authorize(job, caller.actor(), action, self.messages, job_id=shown)
        except ActionRefused as refused:
            if not isinstance(refused, NotYourJob) or action not in MODERATED or not await granted(caller.moderator):
                raise
        return authorize(job, caller.actor(moderator=True), action, self.messages, job_id=shown)

    # -- text surfaces (Slack, the console) -----------------------------------------------------------------

    async def parse(self, caller: Caller, text: str) -> Command:
        """``/wan …`` as typed, read over this channel's defaults (raises ``InvalidRequest``)."""
        self.check_allowed(caller)
        defaults = await self.desk.defaults(caller)
        return parse_command(text, defaults=defaults)

    async def run(self, caller: Caller, command: Command, *,
                  post_status: PostStatus | None = None) -> Result:
        """Carry out a parsed command (``parse``). A storyboard without shots is refused here: a surface
        with forms asks for the shots instead (``storyboard_base`` first)."""
        if isinstance(command, JobCommand):
            return await self.act(caller, command, post_status=post_status)
        if isinstance(command, StoryboardCommand):
            return await self.storyboard(caller, list(command.shots), command.typed, post_status=post_status)
        if isinstance(command, VideoCommand):
            if command.variants is not None:
                return await self.variants(caller, command.request, command.variants, post_status=post_status)
            return await self.video(caller, command.request, post_status=post_status)
        if isinstance(command, ImageCommand):
            return await self.image(caller, command.request, post_status=post_status)
        if isinstance(command, EditCommand):
            files = [self.media.typed_file(link, "media.what.image") for link in command.images]
            return await self.edit_image(caller, command.typed, files, post_status=post_status)
        if isinstance(command, AnimateCommand):
            return await self.animate(
                caller, command.typed, from_job=command.from_job, post_status=post_status,
                first_frame=self.media.typed_file(command.first, "media.what.frame") if command.first else None,
                last_frame=self.media.typed_file(command.last, "media.what.frame") if command.last else None,
                audio=self.media.typed_file(command.audio, "media.what.audio") if command.audio else None,
            )
        if isinstance(command, StatusCommand):
            return await self.status(caller, command.job_id)
        if isinstance(command, CancelCommand):
            return await self.cancel(caller, command.job_id)
        if isinstance(command, UsageCommand):
            return await self.usage(caller)
        if isinstance(command, DefaultsCommand):
            return await self.defaults(caller, command)
        if isinstance(command, HistoryCommand):
            return await self.history(caller, user_id=command.user_id, user_name=command.user_name,
                                      text=command.text)
        if isinstance(command, SettingsCommand):
            return await self.settings(caller, command)
        if isinstance(command, TopCommand):
            return await self.top(caller, command.window)
        if isinstance(command, PromoteCommand):
            return await self.promote(caller, command.job_id, post_status=post_status)
        if isinstance(command, NotifyCommand):
            return await self.notify(caller, command)
        if isinstance(command, SpendCommand):
            yes = command.action in ("confirm", "approve")
            decide = self.confirm if command.action in ("confirm", "dismiss") else self.approve
            return await decide(caller, command.ask_id, yes=yes, post_status=post_status)
        assert isinstance(command, HelpCommand)
        return self.help(caller)

    async def act(self, caller: Caller, command: JobCommand, *,
                  post_status: PostStatus | None = None) -> Started | Deleted:
        """A button, typed: ``/wan reroll|upscale|delete <job>``, ``/wan remix <job> <prompt>``."""
        if command.action == "reroll":
            return await self.reroll(caller, command.job_id, post_status=post_status)
        if command.action == "upscale":
            return await self.upscale(caller, command.job_id, post_status=post_status)
        if command.action == "remix":
            return await self.remix(caller, command.job_id, command.prompt or "", post_status=post_status)
        return await self.delete(caller, command.job_id)

    # -- making something ---------------------------------------------------------------------------------

    async def video(self, caller: Caller, typed: Mapping[str, Any] | GenerationRequest, *,
                    audio: InputFile | None = None, post_status: PostStatus | None = None) -> Started:
        """A video from typed options (``None`` = not given) over this channel's defaults, or from a
        request already read over them (``parse``). ``audio``: an attached sound track (checked, and kept
        in the stash when it has a host, so a later re-roll does not depend on the attachment's link)."""
        self.check_allowed(caller)
        if isinstance(typed, GenerationRequest):
            request = typed
        else:
            request = video_request(typed, await self.desk.defaults(caller))
        if audio is None:
            return await self._start(caller, _with_seed(request), Origin.NEW, post_status=post_status)
        request.with_changes(audio_url=PLACEHOLDER_LINK)  # the options are refused before any fetch
        request = request.with_changes(audio_url=await self.media.keep_audio(audio))
        return await self._start(caller, _with_seed(request), Origin.NEW, post_status=post_status, fresh=True)

    async def variants(self, caller: Caller, typed: Mapping[str, Any] | GenerationRequest, variants: str, *,
                       audio: InputFile | None = None, post_status: PostStatus | None = None) -> Started:
        """``--variants N|ratio``: the video N ways (``core.variants``), all started together or none."""
        self.check_allowed(caller)
        if audio is not None:
            raise InvalidRequest(self.messages("variants.no_audio"), field="variants")
        request = typed if isinstance(typed, GenerationRequest) else video_request(
            typed, await self.desk.defaults(caller))
        of = parse_variants(variants, self.messages)
        if of.kind == "seed" and request.seed is not None:
            raise InvalidRequest(self.messages("variants.seed_given", count=of.count), field="seed")
        seeds = [random_seed() for _ in range(MAX_VARIANTS)]
        made = variant_requests(request, of, self.messages, seeds)
        return await self._start_batch(caller, made, of.kind, post_status=post_status)

    async def _ask_first(self, caller: Caller, requests: Sequence[AnyRequest], origin: Origin,
                         parent: Job | None, *, asked: bool) -> None:
        """Issue 13: over the channel's limits (or any variants batch) nothing starts before the requester
        confirms, or an approver approves: ``spend.gate`` stores the ask and raises it to be rendered."""
        if self.spend is None or asked:
            return
        spend = self.spend
        conversation = parent.conversation if parent is not None else caller.conversation
        ask = await spend.gate.check(caller.requester, conversation, list(requests), origin=origin.value,
                                     parent_id=parent.id if parent is not None else None,
                                     approves=lambda ids: spend.approves(caller, ids))
        if ask is not None:
            raise spend.gate.pending(ask)

    async def _start_batch(self, caller: Caller, made: Sequence[tuple[GenerationRequest, str]], kind: str, *,
                           post_status: PostStatus | None = None, asked: bool = False) -> Started:
        """Start N new requests as ONE idea (the first one's thread holds the rest): priced, capped and
        budgeted together (``Engine.accept_batch``), all accepted or none, and asked first as N videos."""
        for request, _ in made:
            await self.media.ensure_kept(request)
        await self._ask_first(caller, [request for request, _ in made], Origin.NEW, None, asked=asked)
        placement = await place(self.engine, self.messages, caller, made[0][0], Origin.NEW, None)
        job_ids = [new_job_id() for _ in made]
        batch = [(job_id, request, variant_extra(placement.extra, job_ids, i, kind, label))
                 for i, (job_id, (request, label)) in enumerate(zip(job_ids, made, strict=True))]
        jobs = await self.engine.accept_batch(caller.requester, placement.conversation, batch,
                                              post_status=post_status)
        text = self.messages("variants.started", count=len(jobs), job_ids=", ".join(job.id for job in jobs))
        return Started(jobs[0], Origin.NEW, None, text, group=tuple(job.id for job in jobs))

    async def image(self, caller: Caller, request: ImageRequest, *,
                    post_status: PostStatus | None = None) -> Started:
        """Images, as a job like any video: stored, queued, capped, budgeted and counted."""
        self.check_allowed(caller)
        return await self._start(caller, request, Origin.NEW, post_status=post_status)

    async def edit_image(self, caller: Caller, typed: Mapping[str, Any], images: Sequence[InputFile], *,
                         post_status: PostStatus | None = None) -> Started:
        """Edit 1–9 images: ``typed`` holds the prompt and image options (size, n, seed, watermark, model)
        like ``ImageCommand``. Each image is fetched, checked and kept before the job is accepted."""
        self.check_allowed(caller)
        if not 1 <= len(images) <= MAX_INPUT_IMAGES:
            raise InvalidRequest(self.messages("edit.count", most=MAX_INPUT_IMAGES, count=len(images)),
                                 field="images")
        options = {k: typed[k] for k in EDIT_OPTIONS if typed.get(k) is not None}
        # The options first (4K with images, a bad size, n): refused before any file is fetched.
        ImageRequest.build(**options, images=[PLACEHOLDER_LINK] * len(images))
        refs = [await self.media.keep_image(image) for image in images]
        request = ImageRequest.build(**options, images=refs)
        return await self._start(caller, request, Origin.EDIT, post_status=post_status, fresh=True)

    async def animate(self, caller: Caller, typed: Mapping[str, Any], *, first_frame: InputFile | None = None,
                      last_frame: InputFile | None = None, audio: InputFile | None = None,
                      from_job: str | None = None, post_status: PostStatus | None = None) -> Started:
        """A video from an image (wan2.7-i2v). ``typed``: prompt (optional), negative_prompt, resolution,
        duration, seed, prompt_extend, watermark; a ``ratio`` is refused (the shape follows the image).
        Exactly one of ``first_frame`` / ``from_job`` (an image job of the caller's, authorized like a
        re-roll, whose first result image is the first frame)."""
        self.check_allowed(caller)
        refuse_ratio(self.messages, typed.get("ratio"))
        if (first_frame is None) == (from_job is None):
            key = "animate.two_sources" if first_frame is not None else "animate.no_first_frame"
            raise InvalidRequest(self.messages(key), field="media")
        if first_frame is None and last_frame is not None:
            raise InvalidRequest(self.messages("animate.last_without_first"), field="media")
        options: dict[str, Any] = {k: typed[k] for k in ANIMATE_OPTIONS if typed.get(k) is not None}
        options.setdefault("model", DEFAULT_I2V_MODEL)
        media: list[dict[str, str]] = [{"type": "first_frame", "url": PLACEHOLDER_LINK}]
        if last_frame is not None:
            media.append({"type": "last_frame", "url": PLACEHOLDER_LINK})
        if audio is not None:
            media.append({"type": "driving_audio", "url": PLACEHOLDER_LINK})
        # The options first (model, duration, resolution, prompt length): refused before any file is fetched.
        GenerationRequest.build(**options, media=media)
        parent: Job | None = None
        if from_job is not None:
            parent = await self.job_for(caller, from_job, JobAction.REROLL)
            media[0]["url"] = await self.media.result_image(parent)
        else:
            assert first_frame is not None
            media[0]["url"] = await self.media.keep_image(first_frame)
        if last_frame is not None:
            media[1]["url"] = await self.media.keep_image(last_frame)
        if audio is not None:
            media[-1]["url"] = await self.media.keep_audio(audio)
        request = GenerationRequest.build(**options, media=media)
        return await self._start(caller, _with_seed(request), Origin.ANIMATE, parent=parent,
                                 post_status=post_status, fresh=True)

    async def storyboard(self, caller: Caller, shots: list[str], typed: Mapping[str, Any], *,
                         post_status: PostStatus | None = None) -> Started:
        """Up to five shots in one video (``core.actions.storyboard``), the options over the channel's
        defaults. Prompt extension is off: it would rewrite the shots."""
        base = await self.storyboard_base(caller, typed)
        prompt = compose_storyboard(shots, base.seconds, self.messages)
        changes: dict[str, Any] = {"prompt": prompt}
        if "multi" in base.spec.shot_types:
            changes["shot_type"] = "multi"  # wan2.6 needs the flag; 2.7 reads the shots from the prompt
        return await self._start(caller, base.with_changes(**changes), Origin.STORYBOARD, post_status=post_status)

    async def storyboard_base(self, caller: Caller, typed: Mapping[str, Any]) -> GenerationRequest:
        """Everything of a storyboard but its shots, checked now: a surface that asks for the shots in a
        form (a modal) calls this first, so a wrong option is refused before anyone types five shots."""
        self.check_allowed(caller)
        options = {**typed, "prompt": "storyboard", "prompt_extend": False}
        return _with_seed(video_request(options, await self.desk.defaults(caller)))

    # -- acting on a job ----------------------------------------------------------------------------------

    async def reroll(self, caller: Caller, job_id: str, *, post_status: PostStatus | None = None) -> Started:
        job = await self.job_for(caller, job_id, JobAction.REROLL)
        request = job.request.with_changes(seed=random_seed())
        return await self._start(caller, request, Origin.REROLL, parent=job, post_status=post_status)

    async def upscale(self, caller: Caller, job_id: str, *, post_status: PostStatus | None = None) -> Started:
        """The same video at 1080P: same seed, same everything else."""
        job = await self.job_for(caller, job_id, JobAction.UPSCALE)
        if not isinstance(job.request, GenerationRequest) or "1080P" not in job.request.spec.resolutions:
            raise InvalidRequest(self.messages("upscale.unsupported", model=job.request.model), field="resolution")
        request = _with_seed(job.request).with_changes(resolution="1080P")
        return await self._start(caller, request, Origin.UPSCALE, parent=job, post_status=post_status)

    async def remix_prompt(self, caller: Caller, job_id: str, *, reuse: bool = False) -> Job:
        """The job whose prompt a remix form may show (authorized): open the form only after this.
        ``reuse`` (history's "Use these settings", issue 13): anyone who may see the job here may start
        from its settings — the new job is theirs and billed to them."""
        return await self.job_for(caller, job_id, JobAction.STATUS if reuse else JobAction.REMIX)

    async def remix_start(self, caller: Caller, job_id: str, *, wan: bool = False,
                          reuse: bool = False) -> tuple[Job, str]:
        """The job (authorized) and the prompt its remix form starts from: the job's own, or with ``wan``
        the one Wan rendered when prompt extension rewrote it (the job's own when it did not)."""
        job = await self.remix_prompt(caller, job_id, reuse=reuse)
        return job, (job.wan_prompt or job.request.prompt) if wan else job.request.prompt

    async def remix(self, caller: Caller, job_id: str, prompt: str, *,
                    post_status: PostStatus | None = None, reuse: bool = False) -> Started:
        """The job's settings with a new prompt (and a new seed); authorized again on submit, since a
        form's job id can be replayed from elsewhere."""
        job = await self.remix_prompt(caller, job_id, reuse=reuse)
        request: AnyRequest = job.request.with_changes(prompt=prompt, seed=random_seed())
        return await self._start(caller, request, Origin.REMIX, parent=job, post_status=post_status)

    async def cancel(self, caller: Caller, job_id: str | None = None) -> Cancelled:
        if job_id is None:
            job_id = await self._latest_active_here(caller)
        job = await self.job_for(caller, job_id, JobAction.CANCEL)
        outcome = await self.engine.cancel(job.id)
        return Cancelled(job.id, outcome, self.messages(_CANCEL_SAID[outcome], job_id=job.id))

    async def delete(self, caller: Caller, job_id: str) -> Deleted:
        """Remove the delivered result and the status message, each whatever became of the other."""
        job = await self.job_for(caller, job_id, JobAction.DELETE)
        if self.archive is not None:  # issue 13: a deleted result leaves no copy behind
            try:
                await self.archive.forget(job.id)
            except Exception as exc:  # the object store is down: the messages still go; the row stays
                log.warning("job %s: could not delete its archive copy (%r)", job.id, exc)
        if self.votes is not None:  # issue 13: nor any votes (it leaves /wan top)
            await self.votes.forget(job.id)
        m = self.messages
        port = self.engine.port(job.conversation.platform)
        targets = [(m("delete.the_result"), job.delivered_ref), (m("delete.the_status"), job.status_ref)]
        present = [(what, ref) for what, ref in targets if ref is not None]
        kept: list[str] = []
        for what, ref in present:
            try:
                await port.delete_message(ref)
            except PlatformError:
                kept.append(what)
        if not kept:
            text = m("action.deleted")
        elif len(kept) == len(present) > 1:
            text = m("delete.failed")
        else:
            text = m("delete.partial", what=kept[0])
        return Deleted(job.id, tuple(kept), text)

    async def status(self, caller: Caller, job_id: str | None = None) -> StatusReport:
        if job_id is not None:
            job = await self.job_for(caller, job_id, JobAction.STATUS)
            return StatusReport((self.engine.view(job),))
        self.check_allowed(caller)
        jobs = await self.engine.recent_jobs(caller.platform, caller.workspace_id, caller.user_id,
                                             limit=STATUS_JOBS)
        if not jobs:
            raise ActionRefused(self.messages("job.none_active"), code="NoJob")
        return StatusReport(tuple(self.engine.view(job) for job in jobs))

    async def wait(self, caller: Caller, job_id: str, *, timeout: float | None = None) -> Job:
        """Until a job ``caller`` may see is finished (the console, ``wanbot try``)."""
        job = await self.job_for(caller, job_id, JobAction.STATUS)
        return await self.engine.wait(job.id, timeout)

    # -- the channel ----------------------------------------------------------------------------------------

    async def usage(self, caller: Caller) -> UsageReport:
        self.check_allowed(caller)
        return await self.desk.usage(caller)

    async def defaults(self, caller: Caller, command: DefaultsCommand) -> DefaultsReport:
        self.check_allowed(caller)
        return await self.desk.run(caller, command)

    async def history(self, caller: Caller, *, user_id: str | None = None, user_name: str | None = None,
                      text: str | None = None) -> HistoryReport:
        """``/wan history [@user] [text]``: this channel's past results (``core.actions.history``)."""
        self.check_allowed(caller)
        if self.history_desk is None:
            raise ActionRefused(self.messages("history.unavailable"), code="NoHistory")
        return await self.history_desk.history(caller, user_id=user_id, user_name=user_name, text=text)

    async def settings(self, caller: Caller, command: SettingsCommand) -> SettingsReport:
        """Issue 13: ``/wan settings [name value]`` (``core.actions.spend_desk``)."""
        self.check_allowed(caller)
        return await self._spend_desk().settings(caller, command)

    async def notify(self, caller: Caller, command: NotifyCommand) -> NotifyReport:
        """Issue 14: ``/wan notify [on|off]`` — pinged when my jobs finish, or only named (``core.people``)."""
        self.check_allowed(caller)
        return await notify_command(self.prefs, self.messages, caller, command)

    async def confirm(self, caller: Caller, ask_id: str, *, yes: bool = True,
                      post_status: PostStatus | None = None) -> Started | SpendDecision:
        """Issue 13: the requester's **Confirm** (``yes``) or **Cancel** of their held-back command."""
        return await self.decide(caller, SpendCommand("confirm" if yes else "dismiss", ask_id),
                                 post_status=post_status)

    async def approve(self, caller: Caller, ask_id: str, *, yes: bool = True,
                      post_status: PostStatus | None = None) -> Started | SpendDecision:
        """Issue 13: an approver's **✅ Approve** (``yes``) or **Decline** of a command over the approval limit."""
        return await self.decide(caller, SpendCommand("approve" if yes else "decline", ask_id),
                                 post_status=post_status)

    async def decide(self, caller: Caller, command: SpendCommand, *,
                     post_status: PostStatus | None = None) -> Started | SpendDecision:
        """Confirm / Cancel (the requester) or Approve / Decline (an approver) a held-back command."""
        self.check_allowed(caller)

        async def start(owner: Caller, requests: Sequence[AnyRequest], origin: Origin, parent: Job | None,
                        post: PostStatus | None) -> Started:
            videos = [r for r in requests if isinstance(r, GenerationRequest)]
            if len(requests) > 1 and len(videos) == len(requests):
                # A confirmed variants batch starts as the one idea it was asked as.
                kind = "ratio" if len({r.ratio for r in videos}) > 1 else "seed"
                made = [(r, self.messages("variants.label.ratio", ratio=r.ratio) if kind == "ratio"
                         else self.messages("variants.label.seed", number=i + 1, seed=r.seed))
                        for i, r in enumerate(videos)]
                return await self._start_batch(owner, made, kind, post_status=post, asked=True)
            return await self._start(owner, requests[0], origin, parent=parent, post_status=post, asked=True)

        return await self._spend_desk().decide(caller, command, start, post_status=post_status)

    # -- issue 13: votes and winners (core.actions.votes) ------------------------------------------------

    async def react(self, caller: Caller, message_id: str, emoji: str, *, added: bool,
                    approval: Callable[[], Awaitable[str | None]] | None = None,
                    aliases: Callable[[], Awaitable[list[str]]] | None = None) -> bool:
        """A reaction added or removed on any message. An approver's ✅ on a pending approval (``approval``:
        the ask id that message carries, looked up only for a ✅) approves it through the same path as the
        button; anyone else's is ignored. Any other reaction may be a vote (``VoteDesk.react``; ``aliases``:
        the other ids the message goes by, a Slack file share's files). True when
        it did something; refusals are logged, never shown (a reaction has nobody to answer)."""
        try:
            self.check_allowed(caller)
            if added and approval is not None and emoji_key(emoji) == APPROVE_EMOJI:
                ask_id = await approval()
                if ask_id is not None:
                    await self.approve(caller, ask_id)
                    return True
            return self.votes is not None and await self.votes.react(caller, message_id, emoji, added=added,
                                                                     aliases=aliases)
        except WanbotError as refused:  # not allowed here, not an approver, a budget said no …
            log.info("reaction by %s on %s ignored: %s", caller.user_id, message_id, refused.code)
            return False

    async def top(self, caller: Caller, window: Window = "week") -> TopReport:
        """``/wan top [today|week|all]``: this channel's most-voted results."""
        self.check_allowed(caller)
        if self.votes is None:
            raise ActionRefused(self.messages("top.unavailable"), code="NoVotes")
        return await self.votes.top(caller, window)

    async def promote(self, caller: Caller, job_id: str, *, post_status: PostStatus | None = None) -> Started:
        """A winner again at 1080P with the same seed and settings (the 1080P button's job), in its idea's
        thread. Anyone who may see the result here may promote it: the new job is theirs, priced and gated
        like any other, billed to them."""
        job = await self.job_for(caller, job_id, JobAction.STATUS)
        if job.state is not JobState.DELIVERED:
            raise ActionRefused(self.messages("promote.not_delivered", job_id=job.id), code="NotDelivered")
        if isinstance(job.request, GenerationRequest) and job.request.resolution == "1080P":
            raise InvalidRequest(self.messages("promote.already_1080p", job_id=job.id), field="resolution")
        if not isinstance(job.request, GenerationRequest) or "1080P" not in job.request.spec.resolutions:
            raise InvalidRequest(self.messages("upscale.unsupported", model=job.request.model), field="resolution")
        request = _with_seed(job.request).with_changes(resolution="1080P")
        return await self._start(caller, request, Origin.UPSCALE, parent=job, post_status=post_status)

    def _spend_desk(self) -> SpendDesk:
        if self.spend is None:
            raise ActionRefused(self.messages("spend.not_found", ask_id="-"), code="NotFound")
        return self.spend

    async def suggest(self, caller: Caller, command: str, option: str, typed: str,
                      given: Mapping[str, Any]) -> list[Suggestion]:
        """Issue 14: the values to offer while ``option`` of ``/wan <command>`` is typed (``core.suggest``).

        They are the catalogue's for the model ``given`` in the same command; without one, a new video
        or storyboard uses the channel's ``/wan defaults`` model (and resolution), else the command's own
        default. Someone the allow-list leaves out is offered nothing."""
        rules = self.allow.get(caller.platform)
        if rules is not None and not rules.allows(caller):
            return []
        model, resolution = given.get("model"), given.get("resolution")
        if uses_video_defaults(command) and (model is None or resolution is None):
            defaults = await self.desk.defaults(caller)
            model = model if model is not None else defaults.get("model")
            resolution = resolution if resolution is not None else defaults.get("resolution")
        return suggest(command, option, typed, self.messages, model=model, resolution=resolution)

    def help(self, caller: Caller, *, typed_options: bool = False) -> HelpText:
        """The command list: flags for text surfaces, option names where the platform types them."""
        self.check_allowed(caller)
        if typed_options:  # Discord: option names; their values are completed per model as they are typed
            return HelpText(self.messages("help.options"))
        # Typed flags (Slack, the console): each model's own values too (issue 14).
        return HelpText(f"{self.messages('help.text')}\n{values_by_model(self.messages)}")

    # -- plumbing -------------------------------------------------------------------------------------------

    async def _start(self, caller: Caller, request: AnyRequest, origin: Origin, *, parent: Job | None = None,
                     post_status: PostStatus | None = None, fresh: bool = False, asked: bool = False) -> Started:
        # Where it lives (an idea's thread: ``core.actions.threads``); authorized from its parent's place.
        placement = await place(self.engine, self.messages, caller, request, origin, parent)
        elsewhere = placement.conversation != caller.conversation
        if elsewhere:
            post_status = None  # the status goes into the idea's thread, not where the button was clicked
        if not fresh:
            # Before accept: nothing is stored, queued, reserved or sent for a file DashScope would refuse
            # or that is no longer kept (an old job's audio link is checked again: a chat attachment's
            # signed link may have expired). ``fresh`` files were fetched and checked just now.
            await self.media.ensure_kept(request)
        await self._ask_first(caller, [request], origin, parent, asked=asked)
        job = await self.engine.accept(caller.requester, placement.conversation, request, post_status=post_status,
                                       extra=placement.extra)
        if self.spend is not None:  # issue 13: a budget its reservation took past 80 % is told once
            await self.spend.accepted(job)
        text = ""
        if parent is not None:
            text = self.messages(_STARTED_FROM[origin], job_id=parent.id, new_job_id=job.id)
            if elsewhere:
                text = f"{text} {self.messages('lineage.in_thread')}"
        return Started(job, origin, parent, text, elsewhere=elsewhere)

    async def _latest_active_here(self, caller: Caller) -> str:
        recent = await self.engine.recent_jobs(caller.platform, caller.workspace_id, caller.user_id,
                                               limit=CANCEL_LOOKBACK)
        active = [job for job in recent if not job.state.terminal]
        here = [job for job in active if job.conversation.channel_id == caller.channel_id]
        if not here:
            key = "cancel.none_here" if active else "job.none_active"
            raise ActionRefused(self.messages(key), code="NoJob")
        return here[0].id


__all__ = ["ChatActions", "random_seed"]
