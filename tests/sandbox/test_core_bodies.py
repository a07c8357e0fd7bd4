"""wanbot's own wire bodies (``core.request``) for image editing and wan2.7-i2v are bodies the sandbox takes.

The sandbox checks against the reference on its own (``test_image_edit``, ``test_i2v``); this ties the two
ends together: what ``to_wire`` builds is accepted as it is, and read as what was meant.
"""

from __future__ import annotations

from core.request import GenerationRequest, ImageRequest, MediaItem
from sandbox import Limits
from sandbox.validation import VideoJob
from tests.sandbox.conftest import Api, StartApi
from tests.sandbox.inputs_kit import ImageHost, png


async def test_an_animate_body_from_core(start: StartApi, image_host: ImageHost) -> None:
    api: Api = await start(limits=Limits.unlimited())
    first = image_host.put("f.png", png(640, 360, (200, 30, 40)))
    last = image_host.put("l.png", png(640, 360, (20, 40, 210)))
    request = GenerationRequest(model="wan2.7-i2v", resolution="720P", duration=4, seed=9,
                                media=(MediaItem(type="first_frame", url=first),
                                       MediaItem(type="last_frame", url=last)))
    task_id = await api.create_id(request.to_wire())
    task = api.sandbox.task(task_id)
    assert task is not None and isinstance(task.job, VideoJob)
    assert task.job.media == (("first_frame", first), ("last_frame", last))
    assert (task.job.resolution, task.job.duration, task.job.seed, task.job.prompt) == ("720P", 4, 9, "")
    assert (task.job.width, task.job.height) == (1280, 720) and task.job.ratio == "16:9"


async def test_an_image_edit_body_from_core(api: Api, image_host: ImageHost) -> None:
    url = image_host.put("e.png", png(500, 1000, (20, 40, 210)))
    request = ImageRequest(prompt="add a red balloon", images=(url,), size="2K", n=1)
    code, answer = await api.image(request.to_wire())
    assert code == 200, answer
    (job,) = api.sandbox.image_jobs
    assert job.images == (url,) and job.thinking_mode is None  # not sent with input images
    assert job.height == 2 * job.width and answer["usage"]["size"] == f"{job.width}*{job.height}"
