"""Marked results (``SandboxConfig.mark_results``): a delivered MP4 names the task and prompt it came from."""

from __future__ import annotations

from pathlib import Path

from sandbox import ManualClock
from sandbox.media import MediaSpec, MediaStore, probe, read_mark
from tests.sandbox.conftest import KEY, StartApi, video_body


async def test_marked_result_names_its_task_and_prompt_and_still_plays(start: StartApi, clock: ManualClock,
                                                                       tmp_path: Path) -> None:
    api = await start(mark_results=True, cache_dir=tmp_path / "media")
    task_id = await api.create_id(video_body("a kite over the dunes", model="wan2.7-t2v", resolution="720P",
                                             duration=2))
    clock.advance(5)
    _, body = await api.query(task_id)
    assert body["output"]["task_status"] == "SUCCEEDED", body
    status, kind, data = await api.fetch(body["output"]["video_url"])
    assert (status, kind) == (200, "video/mp4")
    assert read_mark(data) == {"task_id": task_id, "prompt": "a kite over the dunes"}
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(data)
    assert (await probe(clip)).duration > 1.5
    assert api.sandbox.stats.tasks_created(KEY) == 1


async def test_unmarked_by_default_and_marks_share_one_encode(tmp_path: Path) -> None:
    media = MediaStore(tmp_path, draw_text=False)
    spec = MediaSpec(kind="mp4", width=64, height=64, duration=1.0, fps=5)
    plain = (await media.path(spec)).read_bytes()
    assert read_mark(plain) is None
    a = (await media.path(MediaSpec(**{**spec.__dict__, "mark": '{"task_id": "a", "prompt": "p"}'}))).read_bytes()
    b = (await media.path(MediaSpec(**{**spec.__dict__, "mark": '{"task_id": "b", "prompt": "p"}'}))).read_bytes()
    assert media.generated == 1, "one ffmpeg encode; marks are copies"
    assert a.startswith(plain) and b.startswith(plain)
    assert read_mark(a) == {"task_id": "a", "prompt": "p"} and read_mark(b) == {"task_id": "b", "prompt": "p"}
