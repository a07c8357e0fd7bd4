"""Gateway mode: the sandbox as the third-party gateway of seed 004 instead of DashScope itself.

With ``SandboxConfig.gateway`` the sandbox stands where such a gateway stands:

* DashScope's create routes (and the synchronous image route) answer under the gateway's prefix,
  ``/wan/api/v1/...``, with DashScope's own create answer (``output.task_id``, ``task_status: PENDING``);
* tasks are polled at the gateway's own route, ``GET /v1/tasks/{task_id}``, whose answer is flat:
  ``{"task_id", "status", "result_url", "error"}``, ``status`` one of ``submitted | in_progress |
  completed | failed | cancelled``; an unknown (or expired) id is a 404;
* DashScope's task routes (``/wan/api/v1/tasks…`` and ``/api/v1/…``: query, list, cancel) are 404s, the
  "wrong route" a client that does not know the gateway's shape keeps polling;
* result files are the same signed URLs, downloaded without an Authorization header.
"""

from __future__ import annotations

from typing import Any

from sandbox.tasks import Status

#: Where the gateway passes DashScope's API through (``https://api.apiyi.com/wan/api/v1/...`` in seed 004).
PREFIX = "/wan"
#: The gateway's own task route.
QUERY_ROUTE = "/v1/tasks/{task_id}"
ROUTE_NAME = "gateway.query"

#: DashScope's states in the gateway's words (the reference: ``submitted|in_progress|completed|failed``).
WORDS: dict[Status, str] = {
    Status.PENDING: "submitted",
    Status.RUNNING: "in_progress",
    Status.SUCCEEDED: "completed",
    Status.FAILED: "failed",
    Status.CANCELED: "cancelled",
}


def not_found_body(method: str, path: str) -> dict[str, Any]:
    """A gateway's 404: an OpenAI-style ``error`` envelope, as such gateways print it."""
    return {"error": {"message": f"Invalid URL ({method} {path})", "type": "invalid_request_error",
                      "param": "", "code": ""}}


def task_not_found_body(task_id: str) -> dict[str, Any]:
    return {"error": {"message": f"task {task_id} not found", "type": "invalid_request_error",
                      "param": "", "code": "task_not_found"}}


def gateway_body(task_id: str, status: Status, *, result_url: str | None, error: tuple[str, str] | None,
                 created: float) -> dict[str, Any]:
    """The gateway's answer for a task DashScope still knows (``status`` is never UNKNOWN here)."""
    body: dict[str, Any] = {"task_id": task_id, "status": WORDS[status], "created_at": int(created)}
    if result_url is not None:
        body["result_url"] = result_url
    if error is not None:
        code, message = error
        body["error"] = {"code": code, "message": message}
    return body


__all__ = ["PREFIX", "QUERY_ROUTE", "ROUTE_NAME", "WORDS", "gateway_body", "not_found_body",
           "task_not_found_body"]
