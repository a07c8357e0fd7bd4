"""API dialects: which routes a DashScope-compatible service answers, and how its task answers read.

Owns ``Dialect`` (routes as templates, plus the ``TaskShape`` of its task answers), the presets and
``parse_dialect``, which reads the one setting ``WANBOT_DASHSCOPE_GATEWAY``. Everything a gateway does
differently is data here; the client has no per-vendor branch.

Presets:

* ``dashscope`` (the default): DashScope's own API — also what a proxy that only adds a path prefix speaks
  (``DASHSCOPE_HTTP_BASE_URL=https://proxy.example/wan`` is enough for those).
* ``v1-tasks``: a gateway (seed 004) that takes DashScope's create body under its prefix
  (``{base}/services/aigc/video-generation/video-synthesis``, answered in DashScope's create shape) but is
  polled at its own route ``GET {origin}/v1/tasks/{task_id}`` with a flat answer: ``status`` one of
  ``submitted | in_progress | completed | failed``, ``result_url``, ``error``. It documents no task list
  and no cancel, so a ``v1-tasks`` client has neither: sweeps are off, a PENDING job cannot be cancelled,
  and a create whose answer is lost cannot be looked up (the job fails clearly instead of paying twice).

Route templates start with ``{base}`` (the ``…/api/v1`` root in use) or ``{origin}`` (its
``scheme://host[:port]``) — never another host, so the bearer key never leaves the configured one — and
the task routes hold ``{task_id}``. A preset can be adjusted by ``key=value`` overrides after its name::

    WANBOT_DASHSCOPE_GATEWAY=v1-tasks query={origin}/v1/tasks/{task_id} result=result_url|video_url

Keys: ``create``, ``image_create``, ``query``, ``cancel``, ``list`` (routes; ``none`` for no such route);
``wrap``, ``id``, ``status``, ``result``, ``error`` (answer fields, ``|`` between alternatives, ``wrap=none``
for a flat answer); ``words`` (``word:STATUS|…``, STATUS one of PENDING RUNNING SUCCEEDED FAILED CANCELED
UNKNOWN); ``not_found`` (``word|…``: status words that mean "no such task").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, urlsplit

from core.dashscope.models import DEFAULT_SHAPE, TaskShape, TaskStatus, status_word
from core.errors import ConfigError

SETTING = "WANBOT_DASHSCOPE_GATEWAY"


@dataclass(frozen=True)
class Dialect:
    """The routes (templates) and answer shape of one DashScope-compatible API."""

    name: str = "dashscope"
    video_create: str = "{base}/services/aigc/video-generation/video-synthesis"
    image_create: str = "{base}/services/aigc/image-generation/generation"
    query: str = "{base}/tasks/{task_id}"
    cancel: str | None = "{base}/tasks/{task_id}/cancel"
    list: str | None = "{base}/tasks"
    shape: TaskShape = field(default_factory=lambda: DEFAULT_SHAPE)

    @property
    def can_list(self) -> bool:
        """The service has ``GET /tasks``: watcher sweeps and create reconciliation can use it."""
        return self.list is not None

    @property
    def can_cancel(self) -> bool:
        return self.cancel is not None

    def route(self, template: str, task_id: str | None = None) -> str:
        """What ``Transport.exchange`` takes: a path under the base (``/tasks/…``) for a ``{base}`` route,
        else ``{origin}`` left in place for the transport to fill in."""
        path = template.replace("{task_id}", _segment(task_id)) if "{task_id}" in template else template
        return path[len("{base}"):] if path.startswith("{base}") else path


def origin_of(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def _segment(task_id: str | None) -> str:
    task_id = (task_id or "").strip()
    if not task_id:
        raise ValueError("task_id is empty")
    return quote(task_id, safe="")


DASHSCOPE = Dialect()

#: The gateway of seed 004; the reference's status words for it are in ``shape.words``.
V1_TASKS = Dialect(
    name="v1-tasks",
    query="{origin}/v1/tasks/{task_id}",
    cancel=None,
    list=None,
    shape=TaskShape(
        wrapper=("output", "data"),
        task_id=("task_id", "id"),
        status=("status", "task_status"),
        result_url=("result_url", "video_url"),
        error=("error",),
        words={"SUBMITTED": TaskStatus.PENDING, "QUEUED": TaskStatus.PENDING,
               "IN_PROGRESS": TaskStatus.RUNNING, "PROCESSING": TaskStatus.RUNNING,
               "COMPLETED": TaskStatus.SUCCEEDED, "FAILED": TaskStatus.FAILED,
               "CANCELLED": TaskStatus.CANCELED, "CANCELED": TaskStatus.CANCELED},
        not_found=frozenset({"NOT_FOUND"}),
    ),
)

PRESETS: dict[str, Dialect] = {DASHSCOPE.name: DASHSCOPE, V1_TASKS.name: V1_TASKS}
_PRESET_ALIASES = {"": "dashscope", "native": "dashscope", "none": "dashscope", "v1_tasks": "v1-tasks"}

_ROUTE_KEYS = {"create": "video_create", "image_create": "image_create", "query": "query", "cancel": "cancel",
               "list": "list"}
_FIELD_KEYS = {"wrap": "wrapper", "id": "task_id", "status": "status", "result": "result_url", "error": "error"}
_OPTIONAL_ROUTES = {"cancel", "list"}
_FIELD_RE = re.compile(r"^[A-Za-z_][\w.-]*$")


def _bad(detail: str) -> ConfigError:
    return ConfigError(f"{SETTING} {detail}")


def _route(key: str, value: str) -> str | None:
    if value.lower() == "none":
        if key not in _OPTIONAL_ROUTES:
            raise _bad(f"needs a {key} route; only cancel and list may be none")
        return None
    if not value.startswith(("{base}/", "{origin}/")):
        raise _bad(f"route {key}={value!r} must start with {{base}}/ or {{origin}}/ (the configured host only)")
    needs_id = key in ("query", "cancel")
    if needs_id != ("{task_id}" in value):
        raise _bad(f"route {key}={value!r} must {'' if needs_id else 'not '}contain {{task_id}}")
    leftover = value.replace("{base}", "").replace("{origin}", "").replace("{task_id}", "")
    if "{" in leftover or "}" in leftover or any(ch.isspace() for ch in leftover):
        raise _bad(f"route {key}={value!r} may use only {{base}}, {{origin}} and {{task_id}}")
    return value


def _fields(key: str, value: str) -> tuple[str, ...]:
    if key == "wrap" and value.lower() == "none":
        return ()
    names = tuple(part.strip() for part in value.split("|") if part.strip())
    if not names or not all(_FIELD_RE.match(name) for name in names):
        raise _bad(f"{key}={value!r} must be field names separated by |")
    return names


def _words(value: str) -> dict[str, TaskStatus]:
    words: dict[str, TaskStatus] = {}
    for item in filter(None, (p.strip() for p in value.split("|"))):
        word, sep, status = item.partition(":")
        try:
            if not sep or not word.strip():
                raise ValueError(item)
            words[status_word(word)] = TaskStatus(status.strip().upper())
        except ValueError:
            raise _bad(f"words entry {item!r} must be word:STATUS, STATUS one of "
                       f"{' '.join(s.value for s in TaskStatus)}") from None
    return words


def parse_dialect(value: str | None) -> Dialect:
    """The dialect a ``WANBOT_DASHSCOPE_GATEWAY`` value names: a preset, then optional overrides.

    Raises ``ConfigError`` with one sentence naming what is wrong.
    """
    tokens = (value or "").replace(",", " ").split()
    name = tokens[0].lower() if tokens and "=" not in tokens[0] else ""
    overrides = tokens[1:] if name else tokens
    name = _PRESET_ALIASES.get(name, name)
    base = PRESETS.get(name)
    if base is None:
        raise _bad(f"names an unknown preset {tokens[0]!r}; use one of: {', '.join(PRESETS)} (optionally followed "
                   "by overrides such as query={origin}/v1/tasks/{task_id})")
    routes: dict[str, Any] = {}
    shape: dict[str, Any] = {}
    for token in overrides:
        key, sep, raw = token.partition("=")
        key = key.strip().lower()
        if not sep or not raw.strip():
            raise _bad(f"override {token!r} must be key=value")
        raw = raw.strip()
        if key in _ROUTE_KEYS:
            routes[_ROUTE_KEYS[key]] = _route(key, raw)
        elif key in _FIELD_KEYS:
            shape[_FIELD_KEYS[key]] = _fields(key, raw)
        elif key == "words":
            shape["words"] = {**base.shape.words, **_words(raw)}
        elif key == "not_found":
            shape["not_found"] = frozenset(status_word(w) for w in raw.split("|") if w.strip())
        else:
            known = ", ".join([*_ROUTE_KEYS, *_FIELD_KEYS, "words", "not_found"])
            raise _bad(f"has an unknown override {key!r}; known: {known}")
    if not routes and not shape:
        return base
    label = base.name + " (customised)"
    return replace(base, name=label, shape=replace(base.shape, **shape), **routes)


__all__ = ["DASHSCOPE", "PRESETS", "SETTING", "V1_TASKS", "Dialect", "origin_of", "parse_dialect"]
