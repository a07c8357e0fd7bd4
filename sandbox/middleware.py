"""The sandbox's one middleware and the request-scoped keys every handler reads.

``sandbox_middleware`` gives each request its uuid4 ``request_id``, applies injected faults (before the
handler — nothing is done — or after it ran: the answer is lost or replaced, see ``sandbox.config.Faults``),
renders ``ApiError`` as the flat error body, counts, and logs one line to ``wanbot.sandbox`` (key hash only).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.errors import ApiError
from sandbox.faults import Fault
from sandbox.state import SandboxState

log = logging.getLogger("wanbot.sandbox")

STATE: web.AppKey[SandboxState] = web.AppKey("sandbox_state", SandboxState)
REQUEST_ID: web.RequestKey[str] = web.RequestKey("sandbox_request_id", str)
KEY_ID: web.RequestKey[str] = web.RequestKey("sandbox_key_id", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Dropped(Exception):
    """Internal: close the connection without answering."""


def state_of(request: web.Request) -> SandboxState:
    return request.app[STATE]


def json_answer(request: web.Request, body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers={"X-Request-Id": request[REQUEST_ID]},
                             dumps=lambda obj: json.dumps(obj, ensure_ascii=False))


def _drop(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.close()
    raise _Dropped


def _reset(request: web.Request) -> None:
    """Abort the connection with a TCP RST: ``SO_LINGER`` 0 makes the close reset instead of FIN."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    raise _Dropped


async def _before_effect(request: web.Request, fault: Fault) -> None:
    """Apply a fault that stands in for the handler: nothing is done."""
    state = state_of(request)
    if fault.error_answer:
        raise state.faults.error(fault)
    await request.read()
    _drop(request)


def _after_effect(request: web.Request, fault: Fault) -> web.Response:
    """Apply a fault to a request the handler already acted on: lose or replace its answer."""
    state = state_of(request)
    if fault is Fault.DROP_AFTER:
        _drop(request)
    if fault is Fault.RESET_AFTER:
        _reset(request)
    err = state.faults.error(fault)
    state.stats.errors_by_code[err.code] += 1
    return json_answer(request, err.body(request[REQUEST_ID]), status=err.status)


@web.middleware
async def sandbox_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = state_of(request)
    route = request.match_info.route.name or "unmatched"
    request[REQUEST_ID] = str(uuid.uuid4())
    state.stats.requests_by_route[route] += 1
    started = time.perf_counter()
    fault: Fault | None = None
    response: web.StreamResponse | None = None
    try:
        if state.faults.applies(route):
            delay = state.faults.latency()
            if delay > 0:
                await asyncio.sleep(delay)
            fault = state.faults.decide(route)
            if fault is not None:
                state.stats.record_fault(request[REQUEST_ID], fault.value)
                if fault.before_effect:
                    await _before_effect(request, fault)
        try:
            response = await handler(request)
        except ApiError as err:
            state.stats.errors_by_code[err.code] += 1
            response = json_answer(request, err.body(request[REQUEST_ID]), status=err.status)
        if fault is not None:
            response = _after_effect(request, fault)
    except ApiError as err:  # injected error before the effect
        state.stats.errors_by_code[err.code] += 1
        response = json_answer(request, err.body(request[REQUEST_ID]), status=err.status)
    except _Dropped:
        _log(request, route, None, started, fault.value if fault else "dropped")
        return web.Response(status=499)
    _log(request, route, response, started, fault.value if fault else "")
    state.stats.responses_by_status[response.status] += 1
    return response


def _log(request: web.Request, route: str, response: web.StreamResponse | None, started: float,
         note: str) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    status = response.status if response is not None else "---"
    ms = (time.perf_counter() - started) * 1000
    kid = request.get(KEY_ID, "-")
    log.info("%s %s %s -> %s %.1fms key=%s rid=%s%s", request.method, request.path, route, status, ms,
             kid, request[REQUEST_ID], f" [{note}]" if note else "")
