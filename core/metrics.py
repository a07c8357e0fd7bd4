"""Prometheus metrics: an ``EngineObserver`` that keeps wanbot's gauges, counters and histogram.

Each ``Metrics`` owns its own ``CollectorRegistry`` — never prometheus-client's global one — so tests and
several engines in one process never see each other's numbers. ``render()`` is the text exposition the
``/metrics`` endpoint serves. Every callback is a few in-memory updates (the engine calls them
synchronously, on the event loop).

=============================================  =========  ==============================================
name                                           type       meaning
=============================================  =========  ==============================================
``wanbot_jobs{state}``                         gauge      live jobs this process runs, by state (unfinished
                                                         states only: finished ones are the counter below)
``wanbot_jobs_finished_total{state}``          counter    jobs that reached DELIVERED/FAILED/CANCELED/…
``wanbot_job_duration_seconds{model}``         histogram  request → delivered, per model
``wanbot_spend_yuan_total{model}``             counter    what DashScope billed for finished jobs, in yuan
``wanbot_queue_depth``                         gauge      jobs waiting in the fair queue
``wanbot_dashscope_in_flight``                 gauge      DashScope task slots in use
``wanbot_task_detection_lag_seconds``          histogram  DashScope's end time → wanbot saw it
``wanbot_dashscope_errors_total{code}``        counter    failed create/query/cancel calls, by code
``wanbot_uploaded_bytes_total``                counter    video bytes that reached a chat platform
``wanbot_uploaded_videos_total``               counter    videos that reached a chat platform
``wanbot_orphan_tasks_total{action}``          counter    unknown DashScope tasks found: cancelled / left
``process_*``, ``python_*``                    various    prometheus-client's process, GC and platform
=============================================  =========  ==============================================
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from core.jobs import Job, JobState

#: Detection lag is ~1 s by design (the watcher's poll interval); the tail shows throttling or backlog.
LAG_BUCKETS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0)
#: A job's whole life, request to delivery: 1–5 minutes typically, hours when the account's queue is long.
DURATION_BUCKETS = (15.0, 30.0, 60.0, 90.0, 120.0, 180.0, 240.0, 300.0, 450.0, 600.0, 900.0, 1800.0, 3600.0,
                    7200.0)
#: Finished jobs remembered so a late field update (a button, a note) does not count them twice. Past
#: this many the oldest are forgotten: memory stays flat on a bot that runs for months.
FINISHED_MEMORY = 10_000
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """The Prometheus side of ``core.observe.EngineObserver``, plus ``on_uploaded`` for ``Delivery``."""

    def __init__(self, *, process: bool = True) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.jobs = Gauge("wanbot_jobs", "Unfinished jobs by current state.", ["state"], registry=r)
        for state in JobState:  # every series exists from the first scrape, so rate() and alerts see zeros
            if not state.terminal:
                self.jobs.labels(state.value).set(0)
        self.finished = Counter("wanbot_jobs_finished", "Jobs that reached a terminal state.", ["state"],
                                registry=r)
        for state in JobState:
            if state.terminal:
                self.finished.labels(state.value)
        self.duration = Histogram("wanbot_job_duration_seconds", "Seconds from the request to the delivered result.",
                                  ["model"], buckets=DURATION_BUCKETS, registry=r)
        self.spend = Counter("wanbot_spend_yuan", "What DashScope billed for finished jobs, in yuan (CNY).",
                             ["model"], registry=r)
        self.queue = Gauge("wanbot_queue_depth", "Jobs waiting in wanbot's fair queue for a DashScope slot.",
                           registry=r)
        self.in_flight = Gauge("wanbot_dashscope_in_flight", "DashScope task slots in use (SUBMITTING, PENDING, "
                               "RUNNING).", registry=r)
        self.detection_lag = Histogram("wanbot_task_detection_lag_seconds",
                                       "Seconds between a task's DashScope end time and wanbot seeing it.",
                                       buckets=LAG_BUCKETS, registry=r)
        self.dashscope_errors = Counter("wanbot_dashscope_errors", "Failed DashScope calls, by error code.",
                                        ["code"], registry=r)
        self.uploaded_bytes = Counter("wanbot_uploaded_bytes", "Video bytes uploaded to chat platforms.",
                                      registry=r)
        self.uploaded_videos = Counter("wanbot_uploaded_videos", "Videos uploaded to chat platforms.", registry=r)
        self.orphan_tasks = Counter("wanbot_orphan_tasks", "Unknown DashScope tasks found on the account, by what "
                                    "was done (cancelled while PENDING, else left).", ["action"], registry=r)
        for action in ("cancelled", "left"):
            self.orphan_tasks.labels(action)
        if process:
            ProcessCollector(registry=r)
            PlatformCollector(registry=r)
            GCCollector(registry=r)
        self._active: dict[str, JobState] = {}
        self._finished: dict[str, None] = {}  # insertion-ordered: the oldest is forgotten first

    # -- seeding -----------------------------------------------------------------------------------------

    def seed(self, jobs: Iterable[Job]) -> None:
        """Count the store's unfinished jobs in their states (at start, before the engine resumes them)."""
        for job in jobs:
            self.job_changed(job)

    # -- EngineObserver ----------------------------------------------------------------------------------

    def job_changed(self, job: Job) -> None:
        if job.id in self._finished:
            return  # terminal states are final: a later update only changes fields
        old = self._active.get(job.id)
        if old is job.state:
            return
        if old is not None:
            self.jobs.labels(old.value).dec()
        if job.state.terminal:
            self._active.pop(job.id, None)
            self.finished.labels(job.state.value).inc()
            if job.state is JobState.DELIVERED:
                self.duration.labels(job.request.model).observe(job.elapsed(job.updated_at or job.created_at))
            if job.cost:
                self.spend.labels(job.request.model).inc(float(job.cost))
            self._finished[job.id] = None
            if len(self._finished) > FINISHED_MEMORY:
                del self._finished[next(iter(self._finished))]
        else:
            self.jobs.labels(job.state.value).inc()
            self._active[job.id] = job.state

    def queue_depth(self, waiting: int, in_flight: int) -> None:
        self.queue.set(waiting)
        self.in_flight.set(in_flight)

    def task_finished_seen(self, lag_seconds: float) -> None:
        self.detection_lag.observe(lag_seconds)

    def dashscope_error(self, code: str) -> None:
        self.dashscope_errors.labels(code or "Unknown").inc()

    def uploaded(self, size: int) -> None:
        self.uploaded_bytes.inc(size)
        self.uploaded_videos.inc()

    def orphan_task(self, action: str) -> None:
        self.orphan_tasks.labels(action).inc()

    async def on_uploaded(self, size: int) -> None:
        """``Delivery(on_uploaded=...)``'s async hook."""
        self.uploaded(size)

    # -- exposition --------------------------------------------------------------------------------------

    def render(self) -> bytes:
        """The Prometheus text format. Reads ``/proc`` for the process collector: call it off the loop."""
        return generate_latest(self.registry)
