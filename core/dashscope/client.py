"""``DashScopeClient``: every DashScope call wanbot makes, with the right retry rule for each.

Owns the call semantics on top of ``transport`` (one exchange) and ``reconcile`` (which listed task is
ours):

* Reads (query, list) and cancel are retried on 429/5xx/broken connections with jittered backoff.
* A video create is **never resent while its outcome is uncertain**. Only a 4xx answer with a JSON
  error body other than 429 is a definite refusal (no task exists). Anything else — 429, any 5xx (JSON
  or not), a timeout or reset after sending, a garbled 2xx — may have made a task: the client lists the
  model's tasks around the first uncertain send and adopts the one unknown task it finds (see
  ``reconcile``); it sends again only after the re-checks show nothing, raises ``CreateAmbiguous`` when
  several unknown tasks could be it, and ``TransportError(ambiguous=True)`` when the list or a query of
  a listed task fails.
* An image task (``X-DashScope-Async: enable`` on the image-generation route) is created by the same
  code as a video task — ``create_task`` picks the route from the request's kind — so it gets the same
  never-resend-while-uncertain rule and is found again in the task list the same way.
* The synchronous image call (``generate_image``) has no task to find afterwards, so an ambiguous
  answer is raised.
* Routes and the task answer's shape come from a ``Dialect`` (``core.dashscope.dialect``): DashScope's own
  by default, or a gateway's. A dialect without a task list cannot resolve an uncertain create, so such a
  create raises ``CreateAmbiguous`` (no task ids) at once: the job fails clearly, nothing is sent twice.
* A task query answered 404 (DashScope itself answers an unknown id with 200 ``UNKNOWN``), or a gateway's
  "not found" status word, raises ``TaskNotFound``; the engine gives such a task a bounded grace.

The session is injected and shared; the key travels on each request only, and never in any text.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from core.dashscope import reconcile as rec
from core.dashscope.dialect import DASHSCOPE, Dialect
from core.dashscope.download import CHUNK, Downloader
from core.dashscope.models import TaskInfo, TaskPage, TaskStatus, TaskSummary
from core.dashscope.reconcile import StaticLedger, TaskLedger
from core.dashscope.retry import ReconcilePolicy, RetryPolicy, parse_retry_after
from core.dashscope.transport import Answer, Redactor, Transport, error_from_answer
from core.errors import ConfigError, DashScopeError, DashScopeUnsupportedOperation, TransportError, WanbotError
from core.request import AnyRequest, GenerationRequest, ImageRequest

log = logging.getLogger("wanbot.dashscope")

CREATE_PATH = "/services/aigc/video-generation/video-synthesis"
#: Image tasks: the synchronous call's body (``…/multimodal-generation/generation``, which wanbot does not
#: use: only the sandbox serves it, for the official SDK) with ``X-DashScope-Async: enable``, then queried
#: as a task — the vendor's advice, since an image can take a minute or two.
IMAGE_TASK_PATH = "/services/aigc/image-generation/generation"
TASKS_PATH = "/tasks"
#: ``GET /tasks`` refuses windows longer than this.
MAX_LIST_WINDOW = timedelta(hours=24)
#: Task ids are queryable for 24 h; remembering handed-out ids a little longer is enough.
_HANDED_OUT_TTL = 26 * 3600.0


class DashScopeClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        api_key: str | None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen dataclass, safe to share
        rng: random.Random | None = None,
        request_timeout: float = 30.0,
        reconcile: ReconcilePolicy = ReconcilePolicy(),  # noqa: B008
        download_connect_timeout: float = 10.0,
        download_read_timeout: float = 30.0,
        dialect: Dialect = DASHSCOPE,
    ) -> None:
        # A default Authorization header on the shared session would go to the storage host too
        # (403 SignatureDoesNotMatch on every download) and to anything else using the session.
        if "Authorization" in session.headers or session.auth is not None:
            raise ConfigError("the HTTP session must not carry default auth; the client adds it per request")
        self._redact = Redactor(api_key)
        self.dialect = dialect
        self._has_key = bool(api_key)
        self._transport = Transport(session, base_url=base_url, api_key=api_key,
                                    request_timeout=request_timeout, redact=self._redact)
        self._clock = clock
        self._sleep = sleep
        self._retry = retry
        self._rng = rng or random.Random()
        self._reconcile = reconcile
        self._request_timeout = request_timeout
        self._downloader = Downloader(session, clock=clock, sleep=sleep, rng=self._rng, retry=retry,
                                      redact=self._redact, connect_timeout=download_connect_timeout,
                                      read_timeout=download_read_timeout)
        #: task id → when this instance handed it out; a reconciliation never adopts these again.
        self._handed_out: dict[str, float] = {}
        # Creates whose HTTP exchange is still open: their tasks may already be listed but not yet
        # handed out, so a reconciliation waits for them rather than adopting a sibling's task.
        # One create (with its reconciliation) at a time. DashScope reports a task's prompt only once it
        # has SUCCEEDED, so two creates lost at the same moment could not be told apart in the task
        # list; one at a time, a lost create's task is the only unclaimed one of ours in its window.
        # (Creates take well under a second and the account allows 5 per second and 5 in flight, so
        # serialising them costs nothing a user would notice.)
        self._create_lock = asyncio.Lock()

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    def __repr__(self) -> str:
        key = "'<redacted>'" if self._has_key else "None"
        return f"DashScopeClient(base_url={self.base_url!r}, api_key={key})"

    # -- tasks (video and image) ------------------------------------------------------------------------

    async def create_video_task(
        self,
        request: GenerationRequest,
        *,
        ledger: TaskLedger | None = None,
        exclude_task_ids: Collection[str] = (),
        resend: bool = True,
    ) -> TaskInfo:
        """``create_task`` for a video request (the name callers used before images were tasks)."""
        return await self.create_task(request, ledger=ledger, exclude_task_ids=exclude_task_ids, resend=resend)

    async def create_task(
        self,
        request: AnyRequest,
        *,
        ledger: TaskLedger | None = None,
        exclude_task_ids: Collection[str] = (),
        resend: bool = True,
        resolved: Mapping[str, str] | None = None,
    ) -> TaskInfo:
        """Start a DashScope task for ``request`` — a video (``video-synthesis``) or an image job
        (``image-generation``), both with ``X-DashScope-Async: enable`` — and return it. An uncertain
        answer is resolved through the task list, never resent.

        Returns the task (``adopted=True`` when it was found in the list rather than in the answer).
        Raises the ``DashScopeError`` of a definite refusal, or of an uncertain answer once the list
        proved nothing was made and the attempts are used up; ``CreateAmbiguous`` when several unknown
        tasks could be this create's; ``TransportError(ambiguous=True)`` when the list (or a query of a
        listed task) failed, so the create is still unresolved and must not be resent. ``ledger`` says
        which tasks the deployment already knows (default: ``exclude_task_ids``). ``resend=False`` raises
        the error of a create proven absent instead of sending again (the engine re-queues the job, so a
        resend goes through the store, where a replica that lost the job is stopped). ``resolved`` maps
        each stashed input file the request names (``request.refs()``) to what DashScope is sent.
        """
        async with self._create_lock:
            return await self._create(request, ledger or StaticLedger(exclude_task_ids), resend, resolved)

    async def _create(self, request: AnyRequest, ledger: TaskLedger, resend: bool,
                      resolved: Mapping[str, str] | None = None) -> TaskInfo:
        body = request.to_wire(resolved)
        d = self.dialect
        path = d.route(d.image_create if isinstance(request, ImageRequest) else d.video_create)
        what = f"{request.kind} create"
        first_uncertain: float | None = None
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self._retry.attempts
            sent_at = self._clock()
            answer: Answer | None = None
            # What the uncertain answer would mean if the list proves no task was made.
            refused: WanbotError
            try:
                answer = await self._send_create(body, path)
            except TransportError as exc:
                if not exc.ambiguous:  # never left this host: a plain retry is safe
                    if last:
                        raise
                    await self._sleep(self._retry.backoff(attempt, self._rng))
                    continue
                uncertainty, refused = exc.message, exc
            else:
                if answer.ok and answer.body is not None:
                    try:
                        info = TaskInfo.from_wire(answer.body)
                    except ValueError:
                        # A proxy that wraps an error in a 2xx, or a garbled 2xx: the task may exist.
                        uncertainty = f"a {answer.status} answer without a task id ({answer.snippet})"
                        refused = (error_from_answer(answer, self._redact)
                                   if answer.body.get("code") or answer.body.get("error")
                                   else self._bad_success(answer, what))
                    else:
                        self._hand_out(info.task_id)
                        return info
                elif answer.ok:
                    uncertainty = f"an unreadable {answer.status} answer ({answer.snippet})"
                    refused = self._bad_success(answer, what)
                elif _definite_refusal(answer):
                    # DashScope read the request and said no (InvalidParameter, Arrearage, …): no task.
                    raise error_from_answer(answer, self._redact)
                else:
                    # 429 and every 5xx, JSON or not: the service (or a gateway before it) may have made
                    # the task before the error, so it is resolved before anything is sent again.
                    refused = error_from_answer(answer, self._redact)
                    uncertainty = f"HTTP {answer.status} {refused.code}"

            first_uncertain = sent_at if first_uncertain is None else first_uncertain
            log.warning("dashscope create for %s is uncertain (%s); resolving it via the task list",
                        request.model, uncertainty)
            found = await self._resolve(request.model, first_uncertain, ledger=ledger, prompt=request.prompt)
            if found is not None:
                return found
            # Proven absent: the answer meant what it said, so it is now a plain (maybe retryable) error.
            if isinstance(refused, TransportError):
                refused = TransportError(
                    f"create for {request.model} got no usable answer in {attempt} attempts; "
                    "the task list shows no task was created",
                    ambiguous=False, http_status=refused.http_status, request_id=refused.request_id,
                )
            if last or not refused.retryable or not resend:
                raise refused
            log.info("dashscope create for %s: no task was created; sending again", request.model)
            # The re-checks were the backoff; only what is left of a server's Retry-After is waited for.
            retry_after = parse_retry_after(answer.headers, sent_at) if answer is not None else None
            if retry_after is not None:
                left = min(retry_after, self._retry.max_retry_after) - (self._clock() - sent_at)
                if left > 0:
                    await self._sleep(left)

    async def _send_create(self, body: Mapping[str, Any], path: str = CREATE_PATH) -> Answer:
        return await self._transport.exchange("POST", path, json_body=body, async_header=True)

    async def reconcile_create(
        self,
        model: str,
        sent_at: float,
        *,
        ledger: TaskLedger | None = None,
        exclude_task_ids: Collection[str] = (),
        prompt: str | None = None,
    ) -> TaskInfo | None:
        """The task an unresolved create (first sent at epoch ``sent_at``) produced, or None if none did.

        Looks once, then again after each ``ReconcilePolicy.recheck_delays`` wait (the list lags).
        Raises ``TransportError(ambiguous=True)`` when the list or a query of a listed task fails (the
        caller must not resend then), and ``CreateAmbiguous`` when several unknown tasks could be it.
        ``prompt``, when given, rules out tasks whose reported ``orig_prompt`` differs.
        """
        async with self._create_lock:
            return await self._resolve(model, sent_at, ledger=ledger or StaticLedger(exclude_task_ids),
                                       prompt=prompt)

    async def _resolve(self, model: str, sent_at: float, *, ledger: TaskLedger, prompt: str | None
                       ) -> TaskInfo | None:
        """``reconcile_create`` for a caller that already holds the create lock."""
        if not self.dialect.can_list:
            # No list to look in: whether a task was made cannot be known, and a resend could pay twice.
            raise CreateAmbiguous(
                f"a create for {model} got no clear answer and the {self.dialect.name} API has no task list "
                "to check whether a task was made; not resending",
                task_ids=(),
            )
        waits = (0.0, *self._reconcile.recheck_delays)
        for look, wait in enumerate(waits, start=1):
            if wait:
                await self._sleep(wait)
            start, end = rec.window(sent_at, self._clock(), self._reconcile.skew)
            end = min(end, start + MAX_LIST_WINDOW)
            try:
                rows = [row async for row in self.iter_tasks(
                    start=start, end=end, model_name=model,
                    page_size=self._reconcile.page_size, max_pages=self._reconcile.max_pages)]
            except WanbotError as exc:
                raise TransportError(
                    f"could not check whether a create for {model} reached DashScope "
                    f"(task list failed: {exc}); not resending",
                    ambiguous=True,
                ) from exc
            # Read at every look: another replica may have stored a task id (or an orphan) meanwhile.
            exclude = set(await ledger.known_task_ids()) | self._handed_out.keys()
            found = await self._adopt(rec.candidates(rows, model=model, start=start, end=end, exclude=exclude),
                                      prompt, ledger, model)
            log.info("dashscope reconcile %s look %d/%d window %s..%s: %d listed, adopted %s",
                     model, look, len(waits), rec.list_time(start), rec.list_time(end), len(rows),
                     found.task_id if found else "-")
            if found is not None:
                return found
        return None

    async def _adopt(self, rows: list[TaskSummary], prompt: str | None, ledger: TaskLedger, model: str
                     ) -> TaskInfo | None:
        """The one row that can be this create's task; None when no row can; ``CreateAmbiguous`` when
        several can (all of them are then orphans: none may be adopted, every PENDING one is cancelled)."""
        owners: list[TaskInfo] = []
        foreign: list[TaskInfo] = []
        unchecked: list[TaskInfo] = []
        for row in rows:
            if len(owners) >= 2:
                unchecked.append(row.as_task_info())  # already ambiguous: no need to query the rest
                continue
            try:
                info = await self.get_task(row.task_id)
            except WanbotError as exc:
                # A bare list row says nothing about whose task it is: this look failed, try later.
                raise TransportError(
                    f"could not query listed task {row.task_id} while resolving a create for {model} "
                    f"({exc}); not adopting it",
                    ambiguous=True,
                ) from exc
            if prompt is not None and rec.same_prompt(prompt, info.orig_prompt) is False:
                foreign.append(info)  # made from another prompt: certainly not this create's
            else:
                owners.append(info)
        if foreign:
            await ledger.orphans_found(foreign, "made from another prompt")
        if len(owners) == 1:
            self._hand_out(owners[0].task_id)
            return replace(owners[0], adopted=True)
        if owners:
            orphans = [*owners, *unchecked]
            await ledger.orphans_found(orphans, "several unknown tasks could be one uncertain create")
            for info in orphans:
                self._hand_out(info.task_id)
            raise CreateAmbiguous(
                f"{len(orphans)} unknown {model} tasks could belong to one uncertain create; adopting none",
                task_ids=tuple(info.task_id for info in orphans),
            )
        return None

    def _hand_out(self, task_id: str) -> None:
        now = self._clock()
        if len(self._handed_out) > 1000:
            self._handed_out = {k: t for k, t in self._handed_out.items() if now - t < _HANDED_OUT_TTL}
        self._handed_out[task_id] = now

    async def get_task(self, task_id: str) -> TaskInfo:
        """The task's state; ``TaskNotFound`` on a 404 (or the dialect's "not found" word)."""
        shape = self.dialect.shape
        try:
            answer = await self._call("GET", self.dialect.route(self.dialect.query, task_id))
        except DashScopeError as exc:
            if exc.http_status == 404:
                raise TaskNotFound(f"task query for {task_id}: HTTP 404 ({exc.message})",
                                   request_id=exc.request_id, http_status=404) from None
            raise
        assert answer.body is not None
        if shape.says_not_found(answer.body):
            raise TaskNotFound(f"task query for {task_id}: the service says no such task",
                               request_id=answer.request_id, http_status=answer.status)
        try:
            return TaskInfo.from_wire(answer.body, shape, task_id=task_id)
        except ValueError:
            if answer.body.get("code") or answer.body.get("error"):
                # A proxy that wraps errors in HTTP 200.
                raise error_from_answer(answer, self._redact) from None
            raise self._bad_success(answer, "task query") from None

    async def cancel_task(self, task_id: str) -> None:
        """Cancel a PENDING task; DashScope refuses others with ``UnsupportedOperation`` (so does a dialect
        without a cancel route, for every task)."""
        if self.dialect.cancel is None:
            raise DashScopeUnsupportedOperation(f"the {self.dialect.name} API has no cancel route",
                                                code="UnsupportedOperation")
        path = self.dialect.route(self.dialect.cancel, task_id)
        try:
            await self._call("POST", path)
        except DashScopeError as exc:
            # A retried cancel whose first try succeeded unseen is refused as "not PENDING": check.
            if (
                isinstance(exc, DashScopeUnsupportedOperation)
                and getattr(exc, "after_lost_answer", False)
                and (await self.get_task(task_id)).status is TaskStatus.CANCELED
            ):
                return
            raise

    async def list_tasks(
        self,
        *,
        start: datetime,
        end: datetime,
        model_name: str | None = None,
        status: str | None = None,
        page_no: int = 1,
        page_size: int = 10,
    ) -> TaskPage:
        """One page of ``GET /tasks`` for ``[start, end]`` (aware datetimes, at most 24 h apart)."""
        if self.dialect.list is None:
            raise DashScopeUnsupportedOperation(f"the {self.dialect.name} API has no task list",
                                                code="UnsupportedOperation")
        if end < start or end - start > MAX_LIST_WINDOW:
            raise ValueError("list_tasks needs start <= end and a window of at most 24 hours")
        params = {"start_time": rec.list_time(start), "end_time": rec.list_time(end),
                  "page_no": str(page_no), "page_size": str(page_size)}
        if model_name:
            params["model_name"] = model_name
        if status:
            params["status"] = status
        answer = await self._call("GET", self.dialect.route(self.dialect.list), params=params)
        assert answer.body is not None
        return TaskPage.from_wire(answer.body)

    async def iter_tasks(
        self,
        *,
        start: datetime,
        end: datetime,
        model_name: str | None = None,
        status: str | None = None,
        page_size: int = 100,
        max_pages: int = 50,
    ) -> AsyncIterator[TaskSummary]:
        """Every task in the window, page after page (bounded by ``max_pages``)."""
        for page_no in range(1, max_pages + 1):
            page = await self.list_tasks(start=start, end=end, model_name=model_name, status=status,
                                         page_no=page_no, page_size=page_size)
            for row in page.tasks:
                yield row
            if not page.tasks or page_no >= page.total_page:
                return

    # -- images -----------------------------------------------------------------------------------------

    # -- result files -----------------------------------------------------------------------------------

    async def download_to(self, url: str, path: Path, *, max_bytes: int, timeout: float = 600.0) -> int:
        """Stream ``url`` into ``path`` (no auth header, capped, atomic); return the byte count."""
        return await self._downloader.download_to(url, path, max_bytes=max_bytes, timeout=timeout)

    def stream(
        self, url: str, *, max_bytes: int, chunk_size: int = CHUNK, timeout: float = 600.0
    ) -> AsyncIterator[bytes]:
        """The file at ``url`` in chunks, never more than ``max_bytes`` in total."""
        return self._downloader.stream(url, max_bytes=max_bytes, chunk_size=chunk_size, timeout=timeout)

    # -- plumbing ---------------------------------------------------------------------------------------

    async def _call(self, method: str, path: str, *, params: Mapping[str, str] | None = None) -> Answer:
        """A read or cancel: retried on 429, retryable 5xx, broken connections and garbled answers."""
        lost_answer = False
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self._retry.attempts
            try:
                answer = await self._transport.exchange(method, path, params=params)
            except TransportError as exc:
                lost_answer = lost_answer or exc.ambiguous
                if last:
                    raise
                await self._sleep(self._retry.backoff(attempt, self._rng))
                continue
            if answer.ok and answer.body is not None:
                return answer
            if answer.ok:
                if last:
                    raise self._bad_success(answer, f"{method} {path}")
                await self._sleep(self._retry.backoff(attempt, self._rng))
                continue
            err = error_from_answer(answer, self._redact)
            if lost_answer:
                setattr(err, "after_lost_answer", True)  # noqa: B010 - read by cancel_task only
            if not err.retryable or last:
                raise err
            lost_answer = lost_answer or (answer.body is None and answer.status >= 500)
            await self._sleep(self._backoff(attempt, answer))

    def _backoff(self, attempt: int, answer: Answer) -> float:
        return self._retry.backoff(attempt, self._rng, parse_retry_after(answer.headers, self._clock()))

    def _bad_success(self, answer: Answer, what: str, *, ambiguous: bool = False) -> TransportError:
        return TransportError(
            self._redact(f"{what}: unusable HTTP {answer.status} answer ({answer.snippet or 'empty'})"),
            ambiguous=ambiguous,
            http_status=answer.status,
            request_id=answer.request_id,
        )


def _definite_refusal(answer: Answer) -> bool:
    """A 4xx with a JSON error body other than 429: DashScope read the create and made no task."""
    return 400 <= answer.status < 500 and answer.status != 429 and answer.body is not None


class CreateAmbiguous(TransportError):
    """Several unknown tasks could be one uncertain create's: none is adopted (``task_ids`` lists them)."""

    default_code = "CreateAmbiguous"

    def __init__(self, message: str, *, task_ids: tuple[str, ...]) -> None:
        super().__init__(message, ambiguous=True, code="CreateAmbiguous")
        self.task_ids = task_ids


class TaskNotFound(DashScopeError):
    """A task query answered 404, or a gateway's "not found": the engine fails the job after a grace."""

    default_code = "TaskNotFound"


__all__ = [
    "CREATE_PATH", "IMAGE_TASK_PATH", "MAX_LIST_WINDOW", "TASKS_PATH", "CreateAmbiguous",
    "DashScopeClient", "TaskNotFound",
]
