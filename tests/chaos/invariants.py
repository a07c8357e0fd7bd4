"""What must hold at the end of a chaos run, checked from what the outside world recorded.

The input is an ``Observation``: every command sent and whether Slack got its 200 ack, the bot's ``jobs``
rows (read from its SQLite file), every task the DashScope sandbox holds (with the prompt it was made from
and the fault its create got), every message and upload the fake Slack received (an upload's bytes carry the
sandbox's mark: the task id and prompt it was made from), the replies the users saw, and the bot's log.

For every command that was acknowledged (and for every command that left a job even without an ack):

* ``lost``: a job exists (or the user was told in a reply why not);
* ``duplicate-job``: at most one job was made from it;
* ``stuck``: the job ended (DELIVERED, FAILED or EXPIRED; nobody cancels in a chaos run);
* ``swap``: the job's task was made from its own prompt, and the video uploaded for it carries that task;
* ``delivery``: DELIVERED means exactly one completed upload, in the command's own channel, in the status
  message's thread; a job that did not deliver uploaded nothing;
* ``failed-silently``: FAILED/EXPIRED carries an error message and the status message shows that state;
* ``status``: exactly one live status message for the job, in its channel, the one the row points to,
  showing the job's final state (so no leftover "Queued" with a Cancel button), and no other live message
  with buttons for it;
* ``duplicate-task``: at most one task per prompt, not counting orphans the bot found (cancelled, or
  named in a log line with "orphan") and never delivered — those are reported, not violations.

And globally: no task from a prompt nobody sent (``foreign-task``), no upload or status message that no
job owns (``orphan-upload``, ``orphan-status``), and the run settled within its time cap (``unsettled``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from tests.chaos.schedule import Command

TERMINAL = frozenset({"DELIVERED", "FAILED", "CANCELED", "EXPIRED"})
TASK_TERMINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"})


@dataclass(frozen=True)
class Sent:
    command: Command
    #: HTTP status of the slash command's answer; ``None`` when no answer came (killed, reset).
    status: int | None
    #: Which ``wanbot run`` start (1, 2, …) received it.
    process: int
    error: str | None = None
    #: The answer's body (a refusal may come back in the ack itself).
    body: str = ""

    @property
    def acked(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class JobRow:
    id: str
    state: str
    prompt: str
    user_id: str
    channel_id: str
    task_id: str | None
    status_ts: str | None
    error_message: str | None
    shown_state: str | None
    error_code: str | None = None


@dataclass(frozen=True)
class TaskRow:
    task_id: str
    prompt: str
    status: str
    #: The fault injected into the request that created it (``"500_after"`` …), if any.
    fault: str | None


@dataclass(frozen=True)
class Post:
    channel: str
    ts: str
    text: str
    deleted: bool
    #: The state the message shows now (``None`` when its text cannot be read as a status message).
    shown: str | None
    #: Job ids on its buttons (``value`` of every button).
    button_jobs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class UploadRow:
    file_id: str
    filename: str
    channel_id: str | None
    thread_ts: str | None
    completed: bool
    deleted: bool
    #: The sandbox mark in the uploaded bytes: ``{"task_id", "prompt"}``, or ``None``.
    mark: dict[str, str] | None


@dataclass(frozen=True)
class Reply:
    """Something only the user saw: an ephemeral message or a ``response_url`` answer."""

    user: str | None
    channel: str | None
    text: str
    #: The ``response_url`` key (``Command.key``) for answers through it.
    key: str | None = None


@dataclass
class Observation:
    sent: list[Sent]
    jobs: list[JobRow]
    tasks: list[TaskRow]
    posts: list[Post]
    uploads: list[UploadRow]
    replies: list[Reply]
    log: str = ""
    #: What was still going on when the time cap ran out (empty: the run settled).
    unsettled: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Violation:
    invariant: str
    #: The command index (``#3``), job id or task id it is about.
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant} {self.subject}: {self.detail}"


@dataclass
class Verdict:
    violations: list[Violation] = field(default_factory=list)
    delivered: int = 0
    failed: int = 0
    refused: int = 0
    #: Tasks made from a command's prompt that no job owns (found by the bot, or billed and unused).
    orphans: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, invariant: str, subject: str, detail: str) -> None:
        self.violations.append(Violation(invariant, subject, detail))


_STATUS_ID = re.compile(r"\[(\w+)\]")


def status_job_id(text: str) -> str | None:
    """The job id a status message's fallback text starts with (``[ab12cd] 🎬 …``)."""
    match = _STATUS_ID.match(text)
    return match.group(1) if match else None


def check(obs: Observation) -> Verdict:
    verdict = Verdict()
    for item in obs.unsettled:
        verdict.add("unsettled", "run", item)
    jobs_by_prompt: dict[str, list[JobRow]] = {}
    for job in obs.jobs:
        jobs_by_prompt.setdefault(job.prompt, []).append(job)
    tasks_by_prompt: dict[str, list[TaskRow]] = {}
    for task in obs.tasks:
        tasks_by_prompt.setdefault(task.prompt, []).append(task)
    prompts = {s.command.prompt for s in obs.sent}
    used: set[int] = set()
    for sent in obs.sent:
        _check_command(obs, verdict, sent, jobs_by_prompt.get(sent.command.prompt, []),
                       tasks_by_prompt.get(sent.command.prompt, []), used)
    for task in obs.tasks:
        if task.prompt not in prompts:
            verdict.add("foreign-task", task.task_id, f"made from a prompt nobody sent: {task.prompt!r}")
    _check_strays(obs, verdict)
    tracebacks = obs.log.count("Traceback (most recent call last)")
    if tracebacks:
        verdict.notes.append(f"{tracebacks} tracebacks in the bot log")
    return verdict


def _reply_for(obs: Observation, sent: Sent, used: set[int]) -> Reply | None:
    """The reply that answered this command: its own ``response_url`` answer or the ack's body, else one
    ephemeral to that user in that channel not already taken by another command (each is used once)."""
    c = sent.command
    if sent.body.strip():
        return Reply(c.user, c.channel, sent.body, c.key)
    for exact in (True, False):
        for n, reply in enumerate(obs.replies):
            if n in used:
                continue
            if (reply.key == c.key) if exact else (reply.key is None and (reply.user, reply.channel) ==
                                                  (c.user, c.channel)):
                used.add(n)
                return reply
    return None


def _check_command(obs: Observation, verdict: Verdict, sent: Sent, jobs: list[JobRow],
                   tasks: list[TaskRow], used: set[int]) -> None:
    c = sent.command
    subject = f"#{c.index}"
    if not jobs:
        reply = _reply_for(obs, sent, used) if sent.acked else None
        if sent.acked and reply is None:
            verdict.add("lost", subject, f"acknowledged (process {sent.process}) but no job and no reply")
        elif sent.acked and reply is not None:
            verdict.refused += 1
            verdict.notes.append(f"{subject} refused: {reply.text[:80]!r}")
        _check_tasks(obs, verdict, subject, None, tasks)
        return
    if len(jobs) > 1:
        verdict.add("duplicate-job", subject, f"{len(jobs)} jobs: {', '.join(j.id for j in jobs)}")
    for job in jobs:
        _check_job(obs, verdict, c, job)
    _check_tasks(obs, verdict, subject, jobs[0], tasks)


def _check_job(obs: Observation, verdict: Verdict, c: Command, job: JobRow) -> None:
    subject = f"#{c.index}/{job.id}"
    if (job.user_id, job.channel_id) != (c.user, c.channel):
        verdict.add("swap", subject, f"job is {job.user_id} in {job.channel_id}, command was {c.user} in {c.channel}")
    if job.state not in TERMINAL:
        verdict.add("stuck", subject, f"still {job.state}")
    elif job.state == "CANCELED":
        verdict.add("stuck", subject, "CANCELED, though nobody cancelled it")
    tasks = {t.task_id: t for t in obs.tasks}
    if job.task_id is not None:
        task = tasks.get(job.task_id)
        if task is None:
            verdict.add("swap", subject, f"task {job.task_id} does not exist in DashScope")
        elif task.prompt != c.prompt:
            verdict.add("swap", subject, f"task {job.task_id} was made from {task.prompt!r}")
    uploads = [u for u in obs.uploads if u.filename == f"wan-{job.id}.mp4" and u.completed and not u.deleted]
    statuses = [p for p in obs.posts if not p.deleted and status_job_id(p.text) == job.id]
    if job.state == "DELIVERED":
        verdict.delivered += 1
        if len(uploads) != 1:
            verdict.add("delivery", subject, f"DELIVERED with {len(uploads)} completed uploads")
        for upload in uploads:
            _check_upload(verdict, subject, c, job, upload)
    else:
        if uploads:
            verdict.add("delivery", subject, f"{job.state} yet {len(uploads)} videos were uploaded")
        if job.state in ("FAILED", "EXPIRED"):
            verdict.failed += 1
            if c.fate == "ok":  # allowed (failed with a message), but worth a look
                verdict.notes.append(f"{subject} {job.state} {job.error_code}: {(job.error_message or '')[:70]!r}")
            if not (job.error_message or "").strip():
                verdict.add("failed-silently", subject, f"{job.state} without an error message")
    _check_status(verdict, subject, c, job, statuses)
    for post in obs.posts:
        if not post.deleted and job.id in post.button_jobs and status_job_id(post.text) != job.id:
            verdict.add("status", subject, f"message {post.ts} in {post.channel} carries buttons for this job but "
                                           f"is not its status message: {post.text[:60]!r}")


def _check_upload(verdict: Verdict, subject: str, c: Command, job: JobRow, upload: UploadRow) -> None:
    if upload.channel_id != c.channel:
        verdict.add("delivery", subject, f"uploaded to {upload.channel_id}, asked in {c.channel}")
    if upload.thread_ts != job.status_ts:
        verdict.add("delivery", subject, f"uploaded in thread {upload.thread_ts}, the row's status message is "
                                         f"{job.status_ts}")
    if upload.mark is None:
        verdict.add("swap", subject, "the uploaded file carries no sandbox mark")
    elif upload.mark.get("prompt") != c.prompt or upload.mark.get("task_id") != job.task_id:
        verdict.add("swap", subject, f"uploaded video is task {upload.mark.get('task_id')} made from "
                                     f"{upload.mark.get('prompt')!r} (job's task {job.task_id})")


def _check_status(verdict: Verdict, subject: str, c: Command, job: JobRow, statuses: list[Post]) -> None:
    if len(statuses) != 1:
        states = ", ".join(f"{p.ts}:{p.shown}" for p in statuses)
        verdict.add("status", subject, f"{len(statuses)} live status messages ({states})")
    for post in statuses:
        if post.channel != c.channel:
            verdict.add("status", subject, f"status message in {post.channel}, asked in {c.channel}")
        if post.shown != job.state:
            buttons = " with buttons" if job.id in post.button_jobs else ""
            verdict.add("status", subject, f"status message {post.ts} shows {post.shown}{buttons}, job is {job.state}")
    if len(statuses) == 1 and job.status_ts != statuses[0].ts:
        verdict.add("status", subject, f"the row points at {job.status_ts}, the live message is {statuses[0].ts}")


def orphan_logged(log: str, task_id: str) -> bool:
    """The bot's log names ``task_id`` on a line that calls it an orphan."""
    return any("orphan" in line.lower() for line in log.splitlines() if task_id in line)


def _orphan_recorded(obs: Observation, task: TaskRow) -> bool:
    return task.status == "CANCELED" or orphan_logged(obs.log, task.task_id)


def _check_tasks(obs: Observation, verdict: Verdict, subject: str, job: JobRow | None,
                 tasks: list[TaskRow]) -> None:
    own = job.task_id if job is not None else None
    others = [t for t in tasks if t.task_id != own]
    delivered = {u.mark.get("task_id") for u in obs.uploads if u.mark and u.completed}
    owners = {j.task_id: j.id for j in obs.jobs if j.task_id}
    unrecorded = 0
    for task in others:
        recorded = _orphan_recorded(obs, task) and task.task_id not in owners
        verdict.orphans.append(task.task_id)
        how = f"adopted by job {owners[task.task_id]}" if task.task_id in owners else \
            "found by the bot" if recorded else "not noticed by the bot"
        verdict.notes.append(f"{subject} orphan task {task.task_id} ({task.status}, create got "
                             f"{task.fault or 'no fault'}; {how})")
        if task.task_id in delivered:
            verdict.add("swap", subject, f"orphan task {task.task_id} was delivered")
        if not recorded:
            unrecorded += 1
    counted = sum(1 for t in tasks if t.task_id == own) + unrecorded
    if counted > 1:
        faults = Counter(t.fault or "none" for t in others)
        verdict.add("duplicate-task", subject, f"{len(tasks)} tasks for one command ({unrecorded} not owned and "
                                               f"not noticed as orphans; their creates got {dict(faults)})")


def _check_strays(obs: Observation, verdict: Verdict) -> None:
    job_ids = {j.id for j in obs.jobs}
    for post in obs.posts:
        jid = status_job_id(post.text)
        if jid is not None and jid not in job_ids and not post.deleted:
            verdict.add("orphan-status", jid, f"status message {post.ts} in {post.channel} for no stored job "
                                              f"(shows {post.shown})")
    for upload in obs.uploads:
        match = re.fullmatch(r"wan-(\w+)\.mp4", upload.filename)
        if upload.completed and not upload.deleted and (match is None or match.group(1) not in job_ids):
            verdict.add("orphan-upload", upload.file_id, f"{upload.filename} belongs to no stored job")
