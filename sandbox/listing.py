"""``GET /api/v1/tasks``: query-string parsing, filtering and paging of a key's tasks.

Parameters: ``start_time``/``end_time`` (``YYYYMMDDhhmmss``, UTC+8; the window may not exceed
24 h; default the last 24 h), ``model_name``, ``status``, ``page_no`` (from 1), ``page_size``
(1..100). The body is flat — ``{"total","total_page","page_no","page_size","data":[...]}`` plus
``request_id`` — with each item's times in milliseconds and newest tasks first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sandbox.clock import parse_list_time
from sandbox.errors import invalid
from sandbox.render import list_item
from sandbox.tasks import Status

if TYPE_CHECKING:
    from sandbox.state import SandboxState

_LISTABLE = {s.value for s in Status if s is not Status.UNKNOWN}


def _positive(query: Mapping[str, str], name: str, default: int, maximum: int | None = None) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or int(text) < 1:
        raise invalid(f"The parameter `{name}` must be a positive integer, got {text!r}")
    value = int(text)
    if maximum is not None and value > maximum:
        raise invalid(f"The parameter `{name}` must be at most {maximum}, got {value}")
    return value


def _time(query: Mapping[str, str], name: str) -> float | None:
    text = query.get(name)
    if not text:
        return None
    try:
        return parse_list_time(text)
    except ValueError:
        raise invalid(f"The parameter `{name}` must be like 20260416114723 (YYYYMMDDhhmmss)") from None


def list_tasks(state: SandboxState, kid: str, query: Mapping[str, str]) -> dict[str, Any]:
    limits = state.config.limits
    page_no = _positive(query, "page_no", 1)
    page_size = _positive(query, "page_size", 10, limits.max_page_size)
    window = limits.list_window_seconds
    start, end = _time(query, "start_time"), _time(query, "end_time")
    now = state.clock()
    if start is None and end is None:
        start, end = now - window, now
    elif start is None:
        assert end is not None
        start = end - window
    elif end is None:
        end = start + window
    if end < start:
        raise invalid("The parameter `end_time` must not be earlier than `start_time`")
    if end - start > window:
        raise invalid("The time window between `start_time` and `end_time` must not exceed 24 hours")
    status = query.get("status") or None
    if status is not None and status not in _LISTABLE:
        raise invalid(f"The parameter `status` must be one of {', '.join(sorted(_LISTABLE))}")
    model = query.get("model_name") or None
    end_inclusive = end + 1  # second precision: the whole end second counts
    matches = [
        t for t in state.store.tasks_of(kid)
        if start <= t.created < end_inclusive
        and (model is None or t.model == model)
        and (status is None or t.status(now).value == status)
    ]
    total = len(matches)
    first = (page_no - 1) * page_size
    data = [list_item(t, now, state.config.region) for t in matches[first:first + page_size]]
    return {"total": total, "total_page": math.ceil(total / page_size), "page_no": page_no,
            "page_size": page_size, "data": data}
