"""The JSON shapes of successful answers, exactly as the service prints them.

- ``task_body``: ``GET /tasks/{id}`` for every state (wan2.7 and legacy usage shapes, FAILED with
  ``code``/``message`` inside ``output``, ``UNKNOWN`` with nothing but the id).
- ``list_item``: one entry of ``GET /tasks`` (times in ms, no ``output`` wrapper).
- ``image_output``: the ``choices`` block of an image answer, sync or async.

Result URLs are built by the caller-supplied ``url_for(object_name, expires_at)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.catalogue import Family
from sandbox.clock import dashscope_time, epoch_ms
from sandbox.tasks import Status, Task
from sandbox.validation import ImageJob, VideoJob

UrlFor = Callable[[str, float], str]
#: The wan2.7 video families: one answer shape (wan2.7-i2v's is t2v's).
_WAN27_VIDEO = frozenset({Family.WAN27_T2V, Family.WAN27_I2V})


def video_object(task: Task) -> str:
    return f"{task.task_id}.mp4"


def image_object(owner_id: str, index: int) -> str:
    return f"{owner_id}-{index}.png"


def unknown_body(request_id: str, task_id: str) -> dict[str, Any]:
    return {"request_id": request_id, "output": {"task_id": task_id, "task_status": "UNKNOWN"}}


def task_body(task: Task, now: float, request_id: str, url_for: UrlFor, url_ttl: float) -> dict[str, Any]:
    status = task.status(now)
    if status is Status.UNKNOWN:
        return unknown_body(request_id, task.task_id)
    output: dict[str, Any] = {"task_id": task.task_id, "task_status": status.value,
                              "submit_time": dashscope_time(task.created)}
    if status is not Status.PENDING and task.canceled_at is None:
        output["scheduled_time"] = dashscope_time(task.scheduled)
    end = task.end_time(now)
    if end is not None:
        output["end_time"] = dashscope_time(end)
    body: dict[str, Any] = {"request_id": request_id, "output": output}
    job = task.job
    if status is Status.FAILED:
        output["code"], output["message"] = task.failure()
    elif status is Status.SUCCEEDED:
        expires_at = task.finished + url_ttl
        if isinstance(job, VideoJob):
            output.update(_video_result(task, job, url_for(video_object(task), expires_at)))
            body["usage"] = video_usage(job)
        else:
            output.update(image_output(job, task.task_id, url_for, expires_at))
            body["usage"] = image_usage(job)
    return body


#: What the sandbox's "prompt extension" adds: one of these, picked by the prompt (the same prompt always
#: gets the same rewrite), after the prompt itself — a plausible shape of the service's longer rewrites.
_EXPANSIONS = (
    "Cinematic wide shot, soft golden-hour light, slow dolly-in, shallow depth of field, rich natural colours.",
    "Medium shot with gentle handheld movement, warm practical lighting, fine film grain, calm ambient sound.",
    "Slow aerial push-in, crisp morning light, high dynamic range, smooth motion, realistic textures.",
)


def extended_prompt(prompt: str) -> str:
    """The sandbox's stand-in for DashScope's prompt extension: the prompt plus a short cinematic expansion."""
    expansion = _EXPANSIONS[sum(prompt.encode()) % len(_EXPANSIONS)]
    return f"{prompt.rstrip().rstrip('.')}. {expansion}"


def _video_result(task: Task, job: VideoJob, url: str) -> dict[str, Any]:
    out: dict[str, Any] = {"orig_prompt": job.prompt}
    # wan2.6 and earlier report the rewrite as ``actual_prompt`` only with prompt_extend on; the seed's
    # wan2.7-t2v answers (prompt_extend on) carry ``orig_prompt`` alone, so the sandbox does the same.
    if job.family not in _WAN27_VIDEO:
        if job.prompt_extend:
            out["actual_prompt"] = extended_prompt(job.prompt)
        out["video_url"] = url
        out["task_metrics"] = {"TOTAL": 1, "SUCCEEDED": 1, "FAILED": 0}
    else:
        out["video_url"] = url
    return out


def video_usage(job: VideoJob) -> dict[str, Any]:
    if job.family is Family.WAN27_I2V:  # t2v's shape; SR is the resolution class (the shape is the image's)
        return {"duration": job.duration, "input_video_duration": 0, "output_video_duration": job.duration,
                "video_count": 1, "SR": int(job.resolution.rstrip("P")), "ratio": job.ratio}
    if job.family is Family.WAN27_T2V:
        return {"duration": job.duration, "input_video_duration": 0, "output_video_duration": job.duration,
                "video_count": 1, "SR": job.height if job.width >= job.height else job.width,
                "ratio": job.ratio}
    return {"video_count": 1, "video_duration": job.duration, "video_ratio": job.size}


def image_output(job: ImageJob, owner_id: str, url_for: UrlFor, expires_at: float) -> dict[str, Any]:
    content = [{"image": url_for(image_object(owner_id, i), expires_at), "type": "image"}
               for i in range(job.n)]
    return {"choices": [{"finish_reason": "stop",
                         "message": {"content": content, "role": "assistant"}}],
            "finished": True}


def image_usage(job: ImageJob) -> dict[str, Any]:
    input_tokens = 18 + len(job.prompt) // 4
    output_tokens = 2 * job.n
    return {"image_count": job.n, "input_tokens": input_tokens, "output_tokens": output_tokens,
            "size": job.size, "total_tokens": input_tokens + output_tokens}


def list_item(task: Task, now: float, region: str) -> dict[str, Any]:
    status = task.status(now)
    item: dict[str, Any] = {
        "api_key_id": task.key_id,
        "caller_parent_id": "sandbox",
        "caller_uid": "sandbox",
        "gmt_create": epoch_ms(task.created),
        "start_time": epoch_ms(task.scheduled if status is not Status.PENDING else task.created),
        "endpoint": "aigc/image-generation" if task.is_image else "aigc/video-generation",
        "model_name": task.model,
        "region": region,
        "request_id": task.request_id,
        "status": status.value,
        "task_id": task.task_id,
        "user_api_unique_key": f"apikey:v1:aigc:{'image' if task.is_image else 'video'}-generation",
    }
    end = task.end_time(now)
    if end is not None:
        item["end_time"] = epoch_ms(end)
    return item
