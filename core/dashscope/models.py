"""Parsed, typed DashScope results: what the rest of wanbot reads instead of raw JSON.

Owns the frozen result types (``TaskInfo``, ``Usage``, ``TaskPage``/``TaskSummary``) and
their tolerant parsers. The service (and the SDK printouts people paste) vary: numbers arrive as ``10``,
``10.0`` or ``"10"``, ``SR`` as ``720`` or ``"720"``, statuses in lower case, ``request_id`` missing,
``usage`` null, extra keys everywhere. Parsers accept all of that and keep the raw dict, so nothing
downstream has to look at JSON again. They never raise on odd values: an unreadable field becomes None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlsplit

from core.errors import normalize_code

#: DashScope reports wall-clock times in Beijing time and wants list windows in it too.
BEIJING = timezone(timedelta(hours=8), "UTC+08:00")


class TaskStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    #: Unknown id or older than 24 h (HTTP 200, not 404). Terminal, or a poller would spin forever.
    UNKNOWN = "UNKNOWN"

    @property
    def terminal(self) -> bool:
        return self not in (TaskStatus.PENDING, TaskStatus.RUNNING)

    @classmethod
    def parse(cls, value: Any) -> TaskStatus:
        """Read any spelling seen in the wild; anything unrecognised is ``UNKNOWN`` (terminal)."""
        return _STATUS_ALIASES.get(status_word(value), TaskStatus.UNKNOWN)


_STATUS_ALIASES: dict[str, TaskStatus] = {s.value: s for s in TaskStatus} | {
    "CANCELLED": TaskStatus.CANCELED,
    # The optional gateway shape (``GET /v1/tasks/{id}``) speaks its own words.
    "SUBMITTED": TaskStatus.PENDING,
    "QUEUED": TaskStatus.PENDING,
    "IN_PROGRESS": TaskStatus.RUNNING,
    "PROCESSING": TaskStatus.RUNNING,
    "COMPLETED": TaskStatus.SUCCEEDED,
    "SUCCESS": TaskStatus.SUCCEEDED,
    "ERROR": TaskStatus.FAILED,
}


# -- tolerant scalar readers ------------------------------------------------------------------------------


def as_float(value: Any) -> float | None:
    """``10``, ``10.0`` and ``"10"`` are all 10.0; bools, blanks and junk are None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def as_int(value: Any) -> int | None:
    number = as_float(value)
    return int(number) if number is not None and number.is_integer() else None


def as_str(value: Any) -> str | None:
    """A non-empty string, or None (SDK printouts carry ``"code": ""`` and ``"code": null``)."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_beijing_time(value: Any) -> datetime | None:
    """``"2026-04-16 11:47:23.879"`` (UTC+8) or epoch milliseconds → an aware UTC datetime."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        millis = float(value)
        try:
            return datetime.fromtimestamp(millis / 1000.0, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=BEIJING).astimezone(UTC)
        except ValueError:
            continue
    return None


def url_expiry(url: str | None) -> datetime | None:
    """The ``Expires`` (unix seconds) of a signed object-storage URL, or None if absent or unreadable."""
    if not url:
        return None
    try:
        values = parse_qs(urlsplit(url).query).get("Expires")
    except ValueError:
        return None
    seconds = as_int(values[0]) if values else None
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _resolution(value: Any) -> str | None:
    """``720``, ``"720"``, ``"720p"`` → ``"720P"``."""
    text = as_str(value)
    if text is None:
        return None
    text = text.upper()
    if text.endswith(".0"):
        text = text[:-2]
    return text + "P" if text.isdigit() else text


def image_links(output: Mapping[str, Any]) -> tuple[str, ...]:
    """The image links in an image answer's ``output`` (sync, or a finished async task: both carry
    ``choices[].message.content[]`` entries ``{"image": url, "type": "image"}``)."""
    urls: list[str] = []
    choices = output.get("choices")
    for choice in choices if isinstance(choices, list) else []:
        content = _mapping(_mapping(choice).get("message")).get("content")
        for part in content if isinstance(content, list) else []:
            url = as_str(_mapping(part).get("image"))
            if url:
                urls.append(url)
    return tuple(urls)


def actual_prompt_of(output: Mapping[str, Any]) -> str | None:
    """The prompt Wan rendered after prompt extension rewrote it: ``output.actual_prompt`` (wan2.x video
    answers), else the first ``output.results[].actual_prompt`` (the older async image answers). Absent
    when prompt_extend was off — and in the seeds' wan2.7-t2v answers, which carry only ``orig_prompt``."""
    found = as_str(output.get("actual_prompt"))
    if found:
        return found
    results = output.get("results")
    for item in results if isinstance(results, list) else []:
        found = as_str(_mapping(item).get("actual_prompt"))
        if found:
            return found
    return None


# -- result types ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """What a SUCCEEDED task reports it used. ``billed_seconds`` drives cost accounting."""

    billed_seconds: float | None = None
    video_count: int | None = None
    #: Images an image task returned (and DashScope bills), when it says.
    image_count: int | None = None
    resolution: str | None = None
    ratio: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_wire(cls, data: Any) -> Usage | None:
        usage = _mapping(data)
        if not usage:
            return None
        # Billing order from the doc: output_video_duration, else duration, else video_duration
        # (2.6 and older report only video_duration). "Present" means a readable number.
        billed = None
        for key in ("output_video_duration", "duration", "video_duration"):
            billed = as_float(usage.get(key))
            if billed is not None:
                break
        return cls(
            billed_seconds=billed,
            video_count=as_int(usage.get("video_count")),
            image_count=as_int(usage.get("image_count")),
            resolution=_resolution(usage.get("SR", usage.get("resolution"))),
            ratio=as_str(usage.get("ratio")) or as_str(usage.get("video_ratio")),
            raw=dict(usage),
        )


@dataclass(frozen=True)
class TaskInfo:
    """One task as the create, query or gateway answer describes it."""

    task_id: str
    status: TaskStatus
    request_id: str | None = None
    video_url: str | None = None
    #: A finished image task's links (``output.choices[].message.content[].image``), in order.
    image_urls: tuple[str, ...] = ()
    url_expires_at: datetime | None = None
    submit_time: datetime | None = None
    scheduled_time: datetime | None = None
    end_time: datetime | None = None
    #: Set when ``status`` is FAILED (normalised the same way as HTTP error codes).
    code: str | None = None
    message: str | None = None
    orig_prompt: str | None = None
    #: The rewritten prompt Wan rendered (prompt_extend on), when the answer reports one.
    actual_prompt: str | None = None
    usage: Usage | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: Found in the task list after an uncertain create (not read from the create's own answer): its
    #: owner is inferred, so a prompt the service reports later must still match.
    adopted: bool = field(default=False, compare=False)

    @classmethod
    def from_wire(cls, body: Mapping[str, Any], shape: TaskShape | None = None, *,
                  task_id: str | None = None) -> TaskInfo:
        """Parse a create/query answer (native, SDK printout, or a gateway's ``shape``).

        ``task_id`` is the id that was asked for (a query): used when an answer with a status names none
        (a 2xx carrying only an error still raises, so the caller reads it as the error it is).
        Raises ``ValueError`` only when no task id can be found at all.
        """
        shape = shape or DEFAULT_SHAPE
        output: Mapping[str, Any] = {}
        for key in shape.wrapper:
            output = _mapping(body.get(key))
            if output:
                break
        source: Mapping[str, Any] = output or body  # a gateway's shape may be flat
        found_id = _first(source, shape.task_id) or as_str(body.get("task_id"))
        raw_status = _first_raw(source, shape.status)
        if found_id is None and raw_status is not None:
            found_id = as_str(task_id)  # an answer with a status but no id is about the task asked for
        if found_id is None:
            raise ValueError("answer carries no task_id")
        status = shape.status_of(raw_status)
        video_url = _first(source, shape.result_url)
        image_urls = image_links(source)
        code = as_str(source.get("code"))
        message = as_str(source.get("message"))
        error = _first_raw(source, shape.error)
        if isinstance(error, Mapping):
            code = code or as_str(error.get("code"))
            message = message or as_str(error.get("message"))
        elif isinstance(error, str) and error.strip():
            message = message or error.strip()
        if status is TaskStatus.FAILED and output and not code:
            # An SDK printout of a failed task carries the reason at the top level instead.
            code = as_str(body.get("code"))
            message = message or as_str(body.get("message"))
        return cls(
            task_id=found_id,
            status=status,
            request_id=as_str(body.get("request_id")),
            video_url=video_url,
            image_urls=image_urls,
            url_expires_at=url_expiry(video_url or (image_urls[0] if image_urls else None)),
            submit_time=parse_beijing_time(source.get("submit_time")),
            scheduled_time=parse_beijing_time(source.get("scheduled_time")),
            end_time=parse_beijing_time(source.get("end_time")),
            code=normalize_code(code) if code else None,
            message=message,
            orig_prompt=as_str(source.get("orig_prompt")),
            actual_prompt=actual_prompt_of(source),
            usage=Usage.from_wire(body.get("usage")),
            raw=dict(body),
        )


def _first_raw(source: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if source.get(key) is not None:
            return source[key]
    return None


def _first(source: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        text = as_str(source.get(key))
        if text:
            return text
    return None


def status_word(value: Any) -> str:
    """A status word as the tables key it: ``"in-progress"`` → ``"IN_PROGRESS"``."""
    return str(value or "").strip().upper().replace("-", "_")


@dataclass(frozen=True)
class TaskShape:
    """Where a task answer keeps its fields, and what its status words mean: data, one per API dialect
    (``core.dashscope.dialect``). The default reads DashScope's own answers (``output.task_status``,
    ``output.video_url``) and, for tolerance, a flat ``status``/``result_url`` answer too.
    """

    #: Keys whose object holds the task (the first present one); none present → the answer is flat.
    wrapper: tuple[str, ...] = ("output",)
    task_id: tuple[str, ...] = ("task_id", "id")
    status: tuple[str, ...] = ("task_status", "status")
    result_url: tuple[str, ...] = ("video_url", "result_url")
    error: tuple[str, ...] = ("error",)
    #: Status words (``status_word`` spelling) on top of ``TaskStatus``'s own names and aliases.
    words: Mapping[str, TaskStatus] = field(default_factory=dict)
    #: Status words that mean "no such task" (a query then raises ``TaskNotFound``, like an HTTP 404).
    not_found: frozenset[str] = frozenset()

    def status_of(self, value: Any) -> TaskStatus:
        word = status_word(value)
        return self.words.get(word) or TaskStatus.parse(word)

    def says_not_found(self, body: Mapping[str, Any]) -> bool:
        if not self.not_found:
            return False
        output: Mapping[str, Any] = {}
        for key in self.wrapper:
            output = _mapping(body.get(key))
            if output:
                break
        return status_word(_first_raw(output or body, self.status)) in self.not_found


DEFAULT_SHAPE = TaskShape()


@dataclass(frozen=True)
class TaskSummary:
    """One row of ``GET /tasks`` (times are aware UTC datetimes)."""

    task_id: str
    status: TaskStatus
    model_name: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> TaskSummary | None:
        task_id = as_str(row.get("task_id"))
        if task_id is None:
            return None
        return cls(
            task_id=task_id,
            status=TaskStatus.parse(row.get("task_status", row.get("status"))),
            model_name=as_str(row.get("model_name")),
            created_at=parse_beijing_time(row.get("gmt_create")),
            started_at=parse_beijing_time(row.get("start_time")),
            ended_at=parse_beijing_time(row.get("end_time")),
            raw=dict(row),
        )

    def as_task_info(self) -> TaskInfo:
        """A minimal ``TaskInfo`` when only the list row is known (a sweep; a query failed after adoption).

        A row's ``start_time`` is when the task started running, except while PENDING (then: created).
        """
        scheduled = None if self.status is TaskStatus.PENDING else self.started_at
        return TaskInfo(task_id=self.task_id, status=self.status, submit_time=self.created_at,
                        scheduled_time=scheduled, end_time=self.ended_at, raw=self.raw)


@dataclass(frozen=True)
class TaskPage:
    tasks: tuple[TaskSummary, ...]
    total: int
    total_page: int
    page_no: int
    page_size: int
    request_id: str | None = None

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> TaskPage:
        # The list answer has no ``output`` wrapper, but accept one in case a proxy adds it.
        source = _mapping(body.get("output")) or body
        rows = source.get("data")
        tasks = tuple(
            summary
            for row in (rows if isinstance(rows, list) else [])
            if isinstance(row, Mapping) and (summary := TaskSummary.from_wire(row)) is not None
        )
        return cls(
            tasks=tasks,
            total=as_int(source.get("total")) or len(tasks),
            total_page=as_int(source.get("total_page")) or (1 if tasks else 0),
            page_no=as_int(source.get("page_no")) or 1,
            page_size=as_int(source.get("page_size")) or len(tasks),
            request_id=as_str(body.get("request_id")),
        )


__all__ = [
    "BEIJING",
    "DEFAULT_SHAPE",
    "TaskInfo",
    "TaskPage",
    "TaskShape",
    "TaskStatus",
    "TaskSummary",
    "Usage",
    "as_float",
    "as_int",
    "as_str",
    "image_links",
    "parse_beijing_time",
    "status_word",
    "url_expiry",
]
