"""``core.suggest``: what is offered for an option is exactly what the model's request accepts."""

from __future__ import annotations

import pytest

from core.catalogue import I2V_MODELS, IMAGE_MODELS, VIDEO_MODELS
from core.errors import InvalidRequest
from core.messages import Messages
from core.request import GenerationRequest, ImageRequest
from core.suggest import LIMIT, option_values, suggest

M = Messages()
CANDIDATES = {
    "resolution": ("480P", "720P", "1080P", "4K"),
    "ratio": ("16:9", "9:16", "1:1", "4:3", "3:4", "2:1"),
    "duration": tuple(range(1, 20)),
    "shot_type": ("single", "multi"),
}


def _accepted(model: str, option: str, value: object) -> bool:
    try:
        GenerationRequest.build(prompt="a fox", model=model, **{option: value})
    except InvalidRequest:
        return False
    return True


@pytest.mark.parametrize("model", [m.id for m in VIDEO_MODELS])
@pytest.mark.parametrize("option", list(CANDIDATES))
def test_a_text_to_video_model_is_offered_exactly_the_values_it_accepts(model: str, option: str) -> None:
    offered = set(option_values("video", option, model))
    assert offered == {v for v in CANDIDATES[option] if _accepted(model, option, v)}


def test_the_image_to_video_model_and_image_models_too() -> None:
    for spec in I2V_MODELS:
        assert option_values("animate", "resolution", spec.id) == ("720P", "1080P")
        assert option_values("animate", "duration", None) == spec.durations
    for image in IMAGE_MODELS:
        for size in ("1K", "2K", "4K", "8K"):
            try:
                ImageRequest.build(prompt="a fox", model=image.id, size=size)
                accepted = True
            except InvalidRequest:
                accepted = False
            assert accepted == (size in option_values("image", "size", image.id)), (image.id, size)


def test_no_model_or_an_unknown_one_means_the_commands_default() -> None:
    assert option_values("video", "resolution", None) == ("720P", "1080P")
    assert option_values("video", "resolution", "nope") == ("720P", "1080P")
    assert option_values("video", "resolution", "wan2.7-t2v-2026-04-25") == ("720P", "1080P")  # a snapshot
    assert option_values("animate", "resolution", "wan2.5-t2v-preview") == ("720P", "1080P")  # not an i2v model
    assert option_values("video", "ratio", "wan2.7-i2v") == ("16:9", "9:16", "1:1", "4:3", "3:4")
    assert option_values("animate", "ratio", None) == ()
    assert option_values("video", "size", None) == () and option_values("image", "resolution", None) == ()


def test_typed_text_filters_prefix_first_then_contains_and_labels_seconds() -> None:
    found = suggest("video", "ratio", "9", M, model="wan2.7-t2v")
    assert [s.value for s in found] == ["9:16", "16:9"]
    assert [(s.value, s.label) for s in suggest("video", "duration", "1", M, model="wan2.5-t2v-preview")] == [
        (10, "10 s")]
    assert [s.value for s in suggest("video", "resolution", " 1080p ", M, model="wan2.6-t2v")] == ["1080P"]
    assert len(suggest("video", "duration", "", M, model="wan2.7-t2v")) <= LIMIT
