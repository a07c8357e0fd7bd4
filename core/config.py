"""The engine's knobs: limits, intervals, budgets and this replica's name (``wanbot`` reads them from the
environment in ``bot.settings``; tests build them directly)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from core.budget import Budget
from core.replica import default_replica_id


@dataclass(frozen=True)
class EngineConfig:
    max_in_flight: int = 5
    per_user_cap: int = 3
    #: Seconds a user must wait between two submissions (0 = no cooldown).
    cooldown: float = 0.0
    #: This replica's share of the account's 20 task queries/s, before dividing among replicas alive. The
    #: rest is left for cancels, create reconciliation and other replicas starting up.
    queries_per_second: float = 10.0
    #: The densest polling of a task (around its expected end, with several tasks there together).
    poll_interval: float = 1.0
    #: Time each look from the task shape's history (``core.polling``); off = every ``poll_interval``.
    predictive_polling: bool = True
    #: With predictive polling: spacing around the expected end for a task there alone, and the
    #: longest a task ever goes unlooked-at.
    solo_poll_interval: float = 2.0
    max_poll_interval: float = 15.0
    #: Multiplies the duration priors (the sandbox runs ``speed`` times faster than DashScope: 1/speed).
    duration_scale: float = 1.0
    #: Read several due tasks with one list query (``GET /tasks``) instead of one query each.
    list_sweeps: bool = True
    #: A task that has not finished this long after it was accepted is abandoned (DashScope: 3 h).
    task_timeout: float = 4 * 3600.0
    #: Finished videos downloaded and uploaded at once. Uploads stream, so one costs a few MB whatever its
    #: size; 4 delivers the 5 tasks DashScope runs at once, finishing together, in two rounds at most,
    #: while at most 4 re-encodes (ffmpeg, about a core each) share a small box's cores.
    delivery_workers: int = 4
    #: Whether a channel whose admins never set ``/wan settings threads`` opens a thread per idea.
    threads_by_default: bool = True
    #: Wait before retrying a create that DashScope refused as busy (429) or failed with a 5xx.
    create_retry_delay: float = 5.0
    max_delivery_backoff: float = 300.0
    #: How often status messages that missed an edit (platform hiccup) are retried.
    housekeeping_interval: float = 5.0
    #: This process's name among replicas sharing the database (see ``core.replica``).
    replica_id: str = field(default_factory=default_replica_id)
    #: A replica that stops renewing for this long loses its jobs to the others.
    lease_seconds: float = 30.0
    #: How often a replica with jobs waiting looks for a DashScope slot another replica freed.
    slot_poll_interval: float = 1.0
    budgets: tuple[Budget, ...] = ()
    #: Where budget days and months begin.
    timezone: str = "UTC"
    price_overrides: Mapping[str, Decimal] = field(default_factory=dict)
