"""A scripted stand-in for the DashScope client, for engine unit tests that run on a virtual clock.

Each task walks through a script of statuses, one per query. The fake records every create, query and
cancel so tests can assert "no second task" and "no query storm". End-to-end tests use the real client
against the sandbox instead.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.dashscope import TaskInfo, TaskLedger, TaskStatus, Usage
from core.errors import DashScopeUnsupportedOperation, DownloadTooLarge, WanbotError
from core.request import AnyRequest, GenerationRequest, ImageRequest

S = TaskStatus
DEFAULT_SCRIPT = (S.PENDING, S.RUNNING, S.RUNNING, S.SUCCEEDED)


@dataclass
class FakeTask:
    task_id: str
    request: AnyRequest
    created_at: float
    script: list[TaskStatus]
    queries: int = 0
    canceled: bool = False
    code: str | None = None

    @property
    def status(self) -> TaskStatus:
        if self.canceled:
            return S.CANCELED
        return self.script[min(self.queries, len(self.script)) - 1] if self.queries else self.script[0]


@dataclass
class FakeDashScope:
    clock: Callable[[], float]
    script: tuple[TaskStatus, ...] = DEFAULT_SCRIPT
    video: bytes = b"\x00\x00\x00\x18ftypmp42" + b"v" * 2000
    url_ttl: float = 24 * 3600
    tasks: dict[str, FakeTask] = field(default_factory=dict)
    creates: list[str] = field(default_factory=list)
    #: Exceptions raised by the next creates / downloads / gets, in order.
    create_errors: list[WanbotError] = field(default_factory=list)
    download_errors: list[WanbotError] = field(default_factory=list)
    get_errors: list[WanbotError] = field(default_factory=list)
    fail_code: str | None = None
    downloads: int = 0
    reconcile_prompts: list[str | None] = field(default_factory=list)
    #: When set, creates wait for it: lets a test line up a queue before anything runs.
    create_gate: asyncio.Event | None = None
    #: Image requests the engine sent (each also in ``creates``).
    image_creates: list[ImageRequest] = field(default_factory=list)
    #: Bytes of each image a finished image task returns; ``images_returned`` caps how many come back.
    image: bytes = b"\x89PNG\r\n\x1a\n" + b"i" * 500
    images_returned: int | None = None
    #: The body each create would have sent, with its media refs resolved (in create order).
    wire_bodies: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add_task(self, request: AnyRequest, *, created_at: float | None = None,
                 script: tuple[TaskStatus, ...] | None = None) -> FakeTask:
        task = FakeTask(f"task-{next(self._ids)}", request, created_at or self.clock(), list(script or self.script))
        self.tasks[task.task_id] = task
        return task

    async def create_task(
        self, request: AnyRequest, *, ledger: TaskLedger | None = None,
        exclude_task_ids: Collection[str] = (), resend: bool = True,
        resolved: Mapping[str, str] | None = None,
    ) -> TaskInfo:
        """The engine's one create path: images are recorded in ``image_creates`` too; the wire body
        each create would send (``resolved`` applied) is kept in ``wire_bodies``."""
        self.wire_bodies.append(request.to_wire(resolved))
        if isinstance(request, ImageRequest):
            info = await self._create(request)
            self.image_creates.append(request)
            return info
        return await self.create_video_task(request, ledger=ledger, exclude_task_ids=exclude_task_ids,
                                            resend=resend)

    async def create_video_task(
        self, request: GenerationRequest, *, ledger: TaskLedger | None = None,
        exclude_task_ids: Collection[str] = (), resend: bool = True,
    ) -> TaskInfo:
        return await self._create(request)

    async def _create(self, request: AnyRequest) -> TaskInfo:
        if self.create_gate is not None:
            await self.create_gate.wait()
        if self.create_errors:
            raise self.create_errors.pop(0)
        task = self.add_task(request)
        self.creates.append(task.task_id)
        return TaskInfo(task_id=task.task_id, status=S.PENDING)

    async def reconcile_create(
        self, model: str, sent_at: float, *, ledger: TaskLedger | None = None,
        exclude_task_ids: Collection[str] = (), prompt: str | None = None,
    ) -> TaskInfo | None:
        self.reconcile_prompts.append(prompt)
        known = set(exclude_task_ids) | set(await ledger.known_task_ids() if ledger is not None else ())
        for task in sorted(self.tasks.values(), key=lambda t: t.created_at):
            if (task.request.model == model and task.created_at >= sent_at - 5
                    and task.task_id not in known and prompt in (None, task.request.prompt)):
                return replace(self._info(task), adopted=True)
        return None

    async def get_task(self, task_id: str) -> TaskInfo:
        if self.get_errors:
            raise self.get_errors.pop(0)
        task = self.tasks.get(task_id)
        if task is None:
            return TaskInfo(task_id=task_id, status=S.UNKNOWN)
        task.queries += 1
        return self._info(task)

    async def cancel_task(self, task_id: str) -> None:
        task = self.tasks[task_id]
        if task.status is not S.PENDING:
            raise DashScopeUnsupportedOperation("not pending", http_status=400)
        task.canceled = True

    async def download_to(self, url: str, path: Path, *, max_bytes: int) -> int:
        self.downloads += 1
        if self.download_errors:
            raise self.download_errors.pop(0)
        data = self.image if ".png" in url else self.video
        if len(data) > max_bytes:
            raise DownloadTooLarge("too large")
        path.write_bytes(data)
        return len(data)

    def _info(self, task: FakeTask) -> TaskInfo:
        status = task.status
        if status is S.SUCCEEDED and isinstance(task.request, ImageRequest):
            expires = datetime.fromtimestamp(self.clock(), UTC) + timedelta(seconds=self.url_ttl)
            count = task.request.n if self.images_returned is None else min(task.request.n, self.images_returned)
            urls = tuple(f"https://results.example/{task.task_id}-{i}.png?Expires={int(expires.timestamp())}"
                         for i in range(count))
            return TaskInfo(task_id=task.task_id, status=status, image_urls=urls, url_expires_at=expires,
                            usage=Usage(image_count=count))
        if status is S.SUCCEEDED:
            assert isinstance(task.request, GenerationRequest)
            expires = datetime.fromtimestamp(self.clock(), UTC) + timedelta(seconds=self.url_ttl)
            return TaskInfo(
                task_id=task.task_id,
                status=status,
                video_url=f"https://results.example/{task.task_id}.mp4?Expires={int(expires.timestamp())}",
                url_expires_at=expires,
                usage=Usage(billed_seconds=float(task.request.seconds), video_count=1),
            )
        if status is S.FAILED:
            return TaskInfo(task_id=task.task_id, status=status, code=self.fail_code or "InternalError",
                            message="generation failed")
        return TaskInfo(task_id=task.task_id, status=status)
