"""HTTP routes of the sandbox: the DashScope API under ``/api/v1`` and signed downloads.

==============================================================  ========================================
route                                                           answer
==============================================================  ========================================
``POST /api/v1/services/aigc/video-generation/video-synthesis``  create a t2v or i2v task (async header)
``POST /api/v1/services/aigc/image-generation/generation``       create an image or edit task (async)
``POST /api/v1/services/aigc/multimodal-generation/generation``  synchronous image generation or edit
``GET  /api/v1/tasks/{task_id}``                                 task state (UNKNOWN: HTTP 200)
``POST /api/v1/tasks/{task_id}/cancel``                          cancel a PENDING task
``GET  /api/v1/tasks``                                           list tasks (paged, filtered)
``GET  /results/{object}?Expires&OSSAccessKeyId&Signature``      the MP4/PNG (OSS-style errors)
==============================================================  ========================================

Any other ``/api/v1`` path answers 400 ``InvalidParameter`` "url error, please check url!".
With ``SandboxConfig.gateway`` the sandbox is seed 004's gateway instead (``sandbox.gateway``): the create
routes under ``/wan/api/v1``, tasks at ``GET /v1/tasks/{task_id}``, DashScope's task routes 404.
Every request passes ``sandbox.middleware`` (request id, injected faults, error bodies, counters, log line).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from sandbox import gateway
from sandbox.config import DOWNLOAD_ROUTE
from sandbox.errors import (
    MSG_CANCEL,
    MSG_IN_FLIGHT,
    MSG_INSPECTION_OUTPUT,
    MSG_INTERNAL,
    MSG_NO_KEY,
    MSG_RATE,
    MSG_SYNC_UNSUPPORTED,
    MSG_URL_ERROR,
    ApiError,
    invalid,
    oss_error,
)
from sandbox.i2v import I2vInputs, parse_video_body, prepare_i2v
from sandbox.inputs import prepare_edit
from sandbox.listing import list_tasks
from sandbox.media import MediaSpec, mark_for
from sandbox.middleware import KEY_ID, REQUEST_ID, STATE, sandbox_middleware
from sandbox.middleware import json_answer as _json
from sandbox.middleware import state_of as _state
from sandbox.render import image_object, image_output, image_usage, task_body, unknown_body, video_object
from sandbox.state import SandboxState
from sandbox.stats import key_id
from sandbox.tasks import Status, Task, plan_seconds
from sandbox.triggers import Outcome, create_error, outcome
from sandbox.validation import ImageJob, VideoJob, check_audio, parse_image

J = TypeVar("J", VideoJob, ImageJob)

API = "/api/v1"
#: Largest request body read: one 20 MB input image as a data URI fits (the vendor documents no limit).
MAX_BODY = 40 * 1024 * 1024


def _authenticate(request: web.Request) -> str:
    """The caller's key id; 401 ``InvalidApiKey`` when the key is missing or not accepted."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "InvalidApiKey", MSG_NO_KEY)
    keys = _state(request).config.keys
    if keys is not None and token not in keys:
        raise ApiError(401, "InvalidApiKey", "Invalid API-key provided.")
    kid = key_id(token)
    request[KEY_ID] = kid
    return kid


def _require_async(request: web.Request) -> None:
    if request.headers.get("X-DashScope-Async", "").strip().lower() != "enable":
        raise ApiError(403, "AccessDenied", MSG_SYNC_UNSUPPORTED)


def _admit(request: web.Request, kid: str, *, submit: bool) -> None:
    state = _state(request)
    limiter = state.submit_limiter if submit else state.query_limiter
    if not limiter.try_acquire(kid):
        raise ApiError(429, "Throttling.RateQuota", MSG_RATE)


async def _body(request: web.Request) -> Any:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise invalid(f"The request body is larger than {MAX_BODY // (1024 * 1024)}MB.") from None
    try:
        if len(raw) > 1 << 20:  # data URIs make bodies of many MB: parsed in a thread, not on the loop
            return await asyncio.to_thread(json.loads, raw)
        return json.loads(raw or b"null")
    except ValueError:
        raise invalid("The request body is not valid JSON.") from None


def _origin(request: web.Request) -> str:
    configured = _state(request).config.public_origin
    return configured.rstrip("/") if configured else f"{request.scheme}://{request.host}"


def _url_for(request: web.Request) -> Callable[[str, float], str]:
    signer, origin = _state(request).signer, _origin(request)
    return lambda name, expires_at: signer.url(origin, name, expires_at)


def _check_in_flight(state: SandboxState, kid: str) -> None:
    limit = state.config.limits.tasks_in_flight
    if limit > 0 and state.store.in_flight(kid) >= limit:
        raise ApiError(429, "Throttling.RateQuota", MSG_IN_FLIGHT)


def _outcome(state: SandboxState, prompt: str) -> Outcome:
    forced = outcome(prompt)
    if forced is not None:
        return forced
    return Outcome.STUCK if state.faults.stuck() else Outcome.SUCCEED


def _task_created(request: web.Request, task: Task) -> web.Response:
    return _json(request, {"request_id": request[REQUEST_ID],
                           "output": {"task_id": task.task_id, "task_status": "PENDING"}})


# -- creates ----------------------------------------------------------------------------------------------


async def _admit_create(request: web.Request, parse: Callable[..., J]) -> tuple[SandboxState, str, J]:
    """What every async create checks, in the service's order: key, async header, rate, body, trigger
    phrases, in-flight limit. Returns the state, the caller's key id and the parsed job."""
    state = _state(request)
    kid = _authenticate(request)
    _require_async(request)
    _admit(request, kid, submit=True)
    job = parse(await _body(request), model_not_found_404=state.config.model_not_found_404)
    error = create_error(job.prompt)
    if error is not None:
        raise error
    _check_in_flight(state, kid)
    return state, kid, job


async def create_video(request: web.Request) -> web.Response:
    state, kid, job = await _admit_create(request, parse_video_body)
    inputs = I2vInputs(frames=())
    config = state.config
    if job.media:  # wan2.7-i2v: the frames (and the driving audio) are fetched and checked first
        job, inputs = await prepare_i2v(job, config.cache_dir, timeout=config.input_timeout,
                                        check=config.check_audio, audio_timeout=config.audio_timeout)
    elif job.audio_url and config.check_audio:
        await check_audio(job.audio_url, timeout=config.audio_timeout)
    task = state.store.create(kid, request[REQUEST_ID], job, _outcome(state, job.prompt))
    state.stats.created_by_key[kid] += 1
    state.media.register(video_object(task), _video_spec(state, job, task, inputs))
    return _task_created(request, task)


def _video_spec(state: SandboxState, job: VideoJob, task: Task, inputs: I2vInputs) -> MediaSpec:
    label = f"{job.model} {job.resolution} {job.ratio} {job.duration}s"
    mark = mark_for(task.task_id, job.prompt) if state.config.mark_results else ""
    return MediaSpec(kind="mp4", width=job.width, height=job.height, duration=float(job.duration),
                     text=f"{label} | {job.prompt[:240]}", seed=job.seed or 0, fps=state.config.fps,
                     min_bytes=state.config.min_video_bytes, mark=mark, sources=inputs.frames,
                     audio=inputs.audio)


def _register_images(state: SandboxState, job: ImageJob, owner_id: str, source: Path | None) -> None:
    # An edit is rendered from its last input image; its tint comes from the prompt (so kept in ``text``).
    sources, text = ((str(source),), job.prompt) if source is not None else ((), "")
    for i in range(job.n):
        state.media.register(image_object(owner_id, i),
                             MediaSpec(kind="png", width=job.width, height=job.height,
                                       seed=(job.seed or 0) * 10 + i, sources=sources, text=text))


async def _edit(state: SandboxState, job: ImageJob) -> tuple[ImageJob, Path | None]:
    return await prepare_edit(job, state.config.cache_dir, timeout=state.config.input_timeout)


async def create_image_task(request: web.Request) -> web.Response:
    state, kid, job = await _admit_create(request, parse_image)
    job, source = await _edit(state, job)
    task = state.store.create(kid, request[REQUEST_ID], job, _outcome(state, job.prompt))
    state.stats.images_by_key[kid] += job.n
    state.image_jobs.append(job)
    _register_images(state, job, task.task_id, source)
    return _task_created(request, task)


async def image_sync(request: web.Request) -> web.Response:
    state = _state(request)
    kid = _authenticate(request)
    _admit(request, kid, submit=True)
    job = parse_image(await _body(request), model_not_found_404=state.config.model_not_found_404)
    error = create_error(job.prompt)
    if error is not None:
        raise error
    job, source = await _edit(state, job)
    forced = outcome(job.prompt)
    _, run = plan_seconds(job, state.rng)
    await asyncio.sleep(state.config.scaled(run))
    if forced is Outcome.REJECT:
        raise ApiError(400, "DataInspectionFailed", MSG_INSPECTION_OUTPUT)
    if forced in (Outcome.FAIL, Outcome.STUCK):
        raise ApiError(500, "InternalError", MSG_INTERNAL)
    rid = request[REQUEST_ID]
    _register_images(state, job, rid, source)
    state.stats.images_by_key[kid] += job.n
    state.image_jobs.append(job)
    expires_at = state.clock() + state.config.scaled(state.config.limits.url_ttl_seconds)
    body = {"output": image_output(job, rid, _url_for(request), expires_at),
            "usage": image_usage(job), "request_id": rid}
    return _json(request, body)


# -- tasks ------------------------------------------------------------------------------------------------


async def query_task(request: web.Request) -> web.Response:
    state = _state(request)
    kid = _authenticate(request)
    _admit(request, kid, submit=False)
    task_id = request.match_info["task_id"]
    task = state.store.get(task_id, kid)
    if task is None:
        return _json(request, unknown_body(request[REQUEST_ID], task_id))
    url_ttl = state.config.scaled(state.config.limits.url_ttl_seconds)
    return _json(request, task_body(task, state.clock(), request[REQUEST_ID], _url_for(request), url_ttl))


async def gateway_query(request: web.Request) -> web.Response:
    """``GET /v1/tasks/{task_id}`` in gateway mode: the gateway's flat answer; 404 for an unknown id."""
    state = _state(request)
    kid = _authenticate(request)
    _admit(request, kid, submit=False)
    task_id = request.match_info["task_id"]
    task = state.store.get(task_id, kid)
    now = state.clock()
    status = task.status(now) if task is not None else Status.UNKNOWN
    if task is None or status is Status.UNKNOWN:
        return _json(request, gateway.task_not_found_body(task_id), status=404)
    url = None
    if status is Status.SUCCEEDED and isinstance(task.job, VideoJob):
        url = _url_for(request)(video_object(task), task.finished + state.config.scaled(
            state.config.limits.url_ttl_seconds))
    error = task.failure() if status is Status.FAILED else None
    return _json(request, gateway.gateway_body(task_id, status, result_url=url, error=error,
                                               created=task.created))


async def gateway_not_found(request: web.Request) -> web.Response:
    """What the gateway answers on a route it does not have (DashScope's own task routes)."""
    return _json(request, gateway.not_found_body(request.method, request.path), status=404)


async def cancel_task(request: web.Request) -> web.Response:
    state = _state(request)
    kid = _authenticate(request)
    _admit(request, kid, submit=False)
    task = state.store.get(request.match_info["task_id"], kid)
    if task is None or not task.cancel(state.clock()):
        raise ApiError(400, "UnsupportedOperation", MSG_CANCEL)
    return _json(request, {"request_id": request[REQUEST_ID]})


async def list_handler(request: web.Request) -> web.Response:
    state = _state(request)
    kid = _authenticate(request)
    _admit(request, kid, submit=False)
    body = list_tasks(state, kid, request.query)
    body["request_id"] = request[REQUEST_ID]
    return _json(request, body)


async def wrong_url(request: web.Request) -> web.Response:
    raise invalid(MSG_URL_ERROR)


# -- downloads --------------------------------------------------------------------------------------------


async def download(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    name = request.match_info["object"]
    denial = state.signer.verify(name, request.query, "Authorization" in request.headers, state.clock())
    if denial is not None:
        return oss_error(403, denial.code, denial.message, **denial.extra)
    spec = state.media.lookup(name)
    if spec is None:
        return oss_error(404, "NoSuchKey", "The specified key does not exist.", Key=name)
    path = await state.media.path(spec)
    state.stats.downloads += 1
    return web.FileResponse(path, headers={"Content-Type": spec.content_type,
                                           "x-oss-request-id": request[REQUEST_ID],
                                           "x-oss-object-type": "Normal"})


def build_app(state: SandboxState) -> web.Application:
    app = web.Application(middlewares=[sandbox_middleware], client_max_size=MAX_BODY)
    app[STATE] = state
    r = app.router
    api = gateway.PREFIX + API if state.config.gateway else API
    r.add_post(f"{api}/services/aigc/video-generation/video-synthesis", create_video, name="video.create")
    r.add_post(f"{api}/services/aigc/image-generation/generation", create_image_task, name="image.create")
    r.add_post(f"{api}/services/aigc/multimodal-generation/generation", image_sync, name="image.sync")
    if state.config.gateway:
        r.add_get(gateway.QUERY_ROUTE, gateway_query, name=gateway.ROUTE_NAME)
        r.add_route("*", f"{api}/tasks{{tail:.*}}", gateway_not_found, name="gateway.unknown")
        r.add_route("*", f"{API}/{{tail:.*}}", gateway_not_found, name="gateway.native")
    else:
        r.add_get(f"{api}/tasks", list_handler, name="task.list")
        r.add_get(f"{api}/tasks/{{task_id}}", query_task, name="task.query")
        r.add_post(f"{api}/tasks/{{task_id}}/cancel", cancel_task, name="task.cancel")
    r.add_route("*", f"{api}/{{tail:.*}}", wrong_url, name="api.unknown")
    r.add_get("/results/{object}", download, name=DOWNLOAD_ROUTE)
    return app
