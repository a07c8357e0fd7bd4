"""Async client for Alibaba Cloud DashScope's Wan APIs (text-to-video tasks, images, result files).

Modules, one concept each:

* ``regions``   — which ``…/api/v1`` base to talk to (region presets, proxies, env precedence)
* ``dialect``   — which routes and answer shape that base speaks (DashScope's own, or a gateway's)
* ``models``    — typed, tolerant parsing of every answer shape
* ``retry``     — backoff timing and the reconciliation policy
* ``transport`` — one HTTP exchange, key redaction, error answers → ``core.errors``
* ``reconcile`` — which listed task a lost create produced
* ``download``  — streaming, capped, atomic downloads of signed result URLs
* ``client``    — ``DashScopeClient``, the calls with their retry rules
"""

from core.dashscope.client import CREATE_PATH, TASKS_PATH, CreateAmbiguous, DashScopeClient, TaskNotFound
from core.dashscope.dialect import DASHSCOPE, V1_TASKS, Dialect, parse_dialect
from core.dashscope.download import display_url, parse_storage_error
from core.dashscope.models import (
    BEIJING,
    TaskInfo,
    TaskPage,
    TaskStatus,
    TaskSummary,
    Usage,
    parse_beijing_time,
    url_expiry,
)
from core.dashscope.reconcile import StaticLedger, TaskLedger
from core.dashscope.regions import REGION_BASES, normalize_base, resolve_base_url
from core.dashscope.retry import ReconcilePolicy, RetryPolicy
from core.dashscope.transport import Redactor

__all__ = [
    "BEIJING",
    "CREATE_PATH",
    "DASHSCOPE",
    "REGION_BASES",
    "TASKS_PATH",
    "CreateAmbiguous",
    "DashScopeClient",
    "Dialect",
    "ReconcilePolicy",
    "Redactor",
    "RetryPolicy",
    "StaticLedger",
    "TaskInfo",
    "TaskLedger",
    "TaskNotFound",
    "TaskPage",
    "TaskStatus",
    "TaskSummary",
    "Usage",
    "V1_TASKS",
    "display_url",
    "normalize_base",
    "parse_beijing_time",
    "parse_dialect",
    "parse_storage_error",
    "resolve_base_url",
    "url_expiry",
]
