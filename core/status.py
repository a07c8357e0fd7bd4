"""Builds the ``StatusView`` of a job: what its one status message says in each state.

Pure functions of (job, queue position, now): the engine calls ``status_view`` for every edit, and
tests assert on the result without a platform. ``sandbox=True`` (the engine is told so when it is
built on the embedded sandbox) leads the line of every view with a short note, so whoever reads any
status message on any platform knows the video is a placeholder and nothing is billed.

A queued job's line shows its place exactly for the first ``EXACT_PLACES``, then as a range
(``place_in_line``): the engine edits a queued message only when that text changes, so a freed slot in a
line of a thousand edits a dozen or so messages, not a thousand.

A finished job whose prompt Wan rewrote (prompt extension; ``Job.wan_prompt``) shows the rewritten prompt
as a secondary item and offers ``remixwan`` beside ``remix``: a remix that starts from Wan's prompt.

An image job shows its model, size, image count, seed, estimate (or cost) and job id, and once delivered
offers reroll, remix, animate and delete (never upscale). An edit's title says what it started from
("from 3 images"); an animation (wan2.7-i2v) reads like a video titled "Animate", its format without a
ratio (the shape follows the image), its title saying "from an image" (or "from a first and a last frame").
"""

from __future__ import annotations

from datetime import datetime

from core.ideas import idea_fields
from core.jobs import Job, JobState
from core.messages import Messages, human_duration
from core.port import StatusField, StatusView
from core.request import GenerationRequest, ImageRequest

#: Buttons offered in each state (adapters render the ones they support).
ACTIONS: dict[JobState, tuple[str, ...]] = {
    JobState.QUEUED: ("cancel",),
    JobState.SUBMITTING: ("cancel",),
    JobState.PENDING: ("cancel",),
    JobState.RUNNING: (),
    JobState.SUCCEEDED: (),
    JobState.DELIVERED: ("reroll", "remix", "upscale", "delete"),
    JobState.FAILED: ("reroll", "remix", "delete"),
    JobState.CANCELED: ("reroll", "remix", "delete"),
    JobState.EXPIRED: ("reroll", "delete"),
}


#: An image job offers no upscale (there is no 1080P of an image); a delivered one offers animate after remix.
IMAGE_ACTIONS: dict[JobState, tuple[str, ...]] = {
    state: tuple(a for a in actions if a != "upscale") for state, actions in ACTIONS.items()
}
IMAGE_ACTIONS[JobState.DELIVERED] = ("reroll", "remix", "animate", "delete")


def _title(req: GenerationRequest | ImageRequest, state: str, messages: Messages) -> str:
    if isinstance(req, ImageRequest):
        title = messages("image.title", state=state)
        if not req.images:
            return title
        count = len(req.images)
        source = messages("edit.from_image") if count == 1 else messages("edit.from_images", count=count)
        return messages("title.from", title=title, source=source)
    if not req.animates:
        return messages("title", state=state)
    source = messages("animate.from_frames" if req.frame("last_frame") else "animate.from_image")
    return messages("title.from", title=messages("animate.title", state=state), source=source)


#: Places shown exactly; past them a place is shown as a range ending at the next 1-2-5 step (21–50,
#: 51–100, 101–200, …): a freed slot moves everyone up one place, but the text of a deep place changes only
#: when it crosses a step, so one slot costs about ``EXACT_PLACES`` + a few edits however deep the line.
EXACT_PLACES = 10


def place_range(position: int) -> tuple[int, int]:
    """The (low, high) places a message at ``position`` shows: ``(p, p)`` for the first ``EXACT_PLACES``."""
    if position <= EXACT_PLACES:
        return position, position
    low, step = EXACT_PLACES, EXACT_PLACES
    while True:
        for factor in (2, 5, 10):
            high = step * factor
            if position <= high:
                return low + 1, high
            low = high
        step *= 10


def place_in_line(position: int, messages: Messages) -> str:
    """What a queued job's status line says about its place: "next in line", "position 4 in line",
    "position 21–50 in line". The engine compares this text, not the number, to decide whether to edit."""
    if position <= 1:
        return messages("line.queued_next")
    low, high = place_range(position)
    if low == high:
        return messages("line.queued", position=position)
    return messages("line.queued_range", low=f"{low:,}", high=f"{high:,}")


def request_fields(req: GenerationRequest | ImageRequest, messages: Messages) -> list[StatusField]:
    """What is made: the model and the format (a video's resolution · ratio · length; an image's size and
    count) — a status message's first fields, and what the console shows before it asks to spend."""
    fields = [StatusField(messages("field.model"), req.model)]
    if isinstance(req, ImageRequest):
        assert req.size is not None
        fields.append(StatusField(messages("image.field.size"), req.size))
        fields.append(StatusField(messages("image.field.count"), str(req.n)))
    elif req.animates:
        fields.append(StatusField(messages("field.format"),
                                  messages("format.animate", resolution=req.resolution, duration=req.seconds)))
    else:
        fields.append(StatusField(
            messages("field.format"),
            messages("format", resolution=req.resolution, ratio=req.ratio, duration=req.seconds),
        ))
    return fields


def status_view(job: Job, *, now: datetime, position: int | None, messages: Messages,
                sandbox: bool = False, typical_seconds: float | None = None) -> StatusView:
    """What ``job``'s status message shows at ``now``. ``typical_seconds``: how long such a job usually takes
    here, request to result (``core.durations``), or None while the deployment has too few samples."""
    req = job.request
    state = job.state
    title = _title(req, messages(f"state.{state.value}"), messages)
    elapsed = human_duration(job.elapsed(now))
    place = ""
    if state in (JobState.QUEUED, JobState.SUBMITTING) and position is not None:
        place = place_in_line(position, messages)
        line = f"{place} · {elapsed}"
    else:
        line = messages("line.elapsed", elapsed=elapsed)
    if sandbox:
        # First, not last: the console's live view replaces the line's trailing " · <elapsed>" as it ticks.
        note = messages("status.sandbox.image" if job.is_image else "status.sandbox")
        line = f"{note} · {line}"
        place = f"{note} · {place}" if place else note
    clock = ""
    if not state.terminal:
        clock = messages("line.clock")
        if typical_seconds is not None and typical_seconds > 0:
            clock += " · " + messages("line.typical", duration=typical_duration(typical_seconds))
    fields = request_fields(req, messages)
    if req.seed is not None:
        fields.append(StatusField(messages("field.seed"), str(req.seed)))
    if isinstance(req, GenerationRequest) and req.negative_prompt:
        fields.append(StatusField(messages("field.negative"), req.negative_prompt))
    if job.cost is not None:
        fields.append(StatusField(messages("field.cost"), f"¥{job.cost}"))
    else:
        fields.append(StatusField(messages("field.estimate"), f"¥{req.estimated_cost()}"))
    fields.extend(idea_fields(job, messages))  # "From: Re-roll of #abc123", "Variant: 2 · seed 7" (core.ideas)
    fields.append(StatusField(messages("field.job"), job.id))

    if isinstance(req, ImageRequest):
        actions = IMAGE_ACTIONS[state]
    else:
        actions = ACTIONS[state]
        if state is JobState.DELIVERED and req.resolution == "1080P":
            actions = tuple(a for a in actions if a != "upscale")
        if state is JobState.DELIVERED and "1080P" not in req.spec.resolutions:
            actions = tuple(a for a in actions if a != "upscale")

    wan_prompt = None
    if job.wan_prompt and state is JobState.DELIVERED:
        wan_prompt = StatusField(messages("field.wan_prompt"), job.wan_prompt)
        if "remix" in actions:
            at = actions.index("remix") + 1
            actions = (*actions[:at], "remixwan", *actions[at:])

    detail = None
    link = None
    if state in (JobState.FAILED, JobState.EXPIRED, JobState.CANCELED) and job.error_message:
        detail = job.error_message
    elif state is JobState.DELIVERED and job.delivery_note:
        detail = job.delivery_note
        if job.extra.get("link_only") and not isinstance(req, ImageRequest):
            link = job.video_url  # (an image job's links are in the note: there can be several)
    return StatusView(
        job_id=job.id,
        state=state.value,
        title=title,
        prompt=req.prompt,
        fields=tuple(fields),
        line=line,
        detail=detail,
        actions=actions,
        link=link,
        terminal=state.terminal,
        wan_prompt=wan_prompt,
        since=None if state.terminal else job.created_at,
        place=place,
        clock=clock,
        requested_by=job.requester.person,
        requested_label=messages("people.requested_by"),
        locale=messages.speaks,
    )


def typical_duration(seconds: float) -> str:
    """"~40 s", "~2 min", "~1 h": a typical time as people say it (rounded: it is a typical time, not a promise)."""
    if seconds < 60:
        return f"~{max(10, round(seconds / 10) * 10)} s"
    if seconds < 3600:
        return f"~{round(seconds / 60)} min"
    return f"~{round(seconds / 3600)} h"
