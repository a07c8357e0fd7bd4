"""Status views of edits and animations: titles say what they started from; an animation has no ratio."""

from __future__ import annotations

from datetime import UTC, datetime

from core.jobs import Job, JobState, Requester
from core.messages import Messages
from core.port import ConversationRef
from core.request import GenerationRequest, ImageRequest
from core.status import status_view

M = Messages()
NOW = datetime(2026, 1, 1, 12, 5, 0, tzinfo=UTC)
REF = "wanbot-media:" + "a" * 64 + ".png"


def view(request: GenerationRequest | ImageRequest, state: JobState = JobState.DELIVERED) -> dict[str, object]:
    job = Job(id="abcd2345", requester=Requester(platform="test", user_id="u1", channel_id="c1"),
              conversation=ConversationRef(platform="test", channel_id="c1"), request=request, state=state,
              created_at=datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC), state_times={state.value: NOW})
    v = status_view(job, now=NOW, position=None, messages=M)
    return {"title": v.title, "actions": v.actions, "fields": {f.name: f.value for f in v.fields}}


def test_an_edit_of_three_images_says_so() -> None:
    got = view(ImageRequest.build(prompt="p", images=[REF] * 3))
    assert got["title"] == "🖼️ Done · from 3 images"
    assert got["actions"] == ("reroll", "remix", "animate", "delete")
    assert view(ImageRequest.build(prompt="p", images=[REF]))["title"] == "🖼️ Done · from an image"
    assert view(ImageRequest.build(prompt="p"))["title"] == "🖼️ Done"


def test_an_animation_reads_like_a_video_titled_animate() -> None:
    request = GenerationRequest.build(model="wan2.7-i2v", media=[{"type": "first_frame", "url": REF}], duration=4)
    got = view(request, JobState.RUNNING)
    assert got["title"] == "🎞️ Animate · Generating · from an image"
    assert got["fields"] == {"Model": "wan2.7-i2v", "Format": "720P · 4s", "Estimate": "¥2.40", "Job": "abcd2345"}
    done = view(request)
    assert done["actions"] == ("reroll", "remix", "upscale", "delete")
    assert view(request.with_changes(resolution="1080P"))["actions"] == ("reroll", "remix", "delete")
