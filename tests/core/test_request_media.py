"""Image editing and animate requests: validation, and the wire bodies as the reference writes them.

The expected bodies are literal dicts written from ``shared/docs/dashscope-wan.md`` (image editing:
``content`` = one text + 1–9 ``image``; 4K refused; no ``thinking_mode`` with images. wan2.7-i2v:
``input.media`` of ``{type, url}``, prompt optional, ``resolution`` always sent, no ``ratio``/``size``),
never from ``to_wire``'s own output.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.catalogue import Family, i2v_model_ids, video_model, video_model_ids
from core.errors import InvalidRequest
from core.messages import Messages
from core.request import GenerationRequest, ImageRequest, load_request

M = Messages()
REF_A = "wanbot-media:" + "a" * 64 + ".png"
REF_B = "wanbot-media:" + "b" * 64 + ".jpg"
REF_S = "wanbot-media:" + "c" * 64 + ".wav"
DATA_A = "data:image/png;base64,AAAA"
DATA_B = "data:image/jpeg;base64,BBBB"
HOSTED_S = "https://bot.example/media/ccc.wav?sig=1"
RESOLVED = {REF_A: DATA_A, REF_B: DATA_B, REF_S: HOSTED_S}


def refused(**values: Any) -> str:
    with pytest.raises(InvalidRequest) as caught:
        GenerationRequest.build(**values)
    return caught.value.message


def refused_image(**values: Any) -> str:
    with pytest.raises(InvalidRequest) as caught:
        ImageRequest.build(**values)
    return caught.value.message


def first(url: str = REF_A) -> dict[str, str]:
    return {"type": "first_frame", "url": url}


# -- the catalogue ------------------------------------------------------------------------------------------

def test_i2v_is_in_the_catalogue_priced_as_t2v_and_apart_from_text_to_video() -> None:
    spec = video_model("wan2.7-i2v")
    assert spec is not None and spec.family is Family.WAN27_I2V
    assert video_model("wan2.7-i2v-2026-04-25") is spec
    assert spec.resolutions == ("720P", "1080P") and spec.durations == tuple(range(2, 16))
    assert spec.ratios("720P") == () and not spec.takes_ratio
    assert spec.cost("720P", 5) == Decimal("3.00") and spec.cost("1080P", 5) == Decimal("5.00")
    assert "wan2.7-i2v" not in video_model_ids() and i2v_model_ids() == ("wan2.7-i2v", "wan2.7-i2v-2026-04-25")


# -- image editing ------------------------------------------------------------------------------------------

def test_an_edit_sends_text_then_each_image_and_no_thinking_mode() -> None:
    request = ImageRequest.build(prompt="make the sky purple", images=[REF_A, REF_B], seed=3)
    assert request.to_wire(RESOLVED) == {
        "model": "wan2.7-image",
        "input": {"messages": [{"role": "user", "content": [
            {"text": "make the sky purple"}, {"image": DATA_A}, {"image": DATA_B}]}]},
        "parameters": {"size": "2K", "n": 1, "watermark": False, "seed": 3},
    }


def test_an_edit_passes_public_links_unchanged() -> None:
    request = ImageRequest.build(prompt="p", images=["https://cdn.example/a.png"], size="1K", model="wan2.7-image-pro")
    assert request.to_wire() == {
        "model": "wan2.7-image-pro",
        "input": {"messages": [{"role": "user", "content": [{"text": "p"}, {"image": "https://cdn.example/a.png"}]}]},
        "parameters": {"size": "1K", "n": 1, "watermark": False},
    }


def test_text_to_image_still_sends_thinking_mode() -> None:
    assert ImageRequest.build(prompt="p").to_wire()["parameters"] == {
        "size": "2K", "n": 1, "watermark": False, "thinking_mode": True}


def test_an_unresolved_ref_is_never_sent() -> None:
    with pytest.raises(ValueError, match="not resolved"):
        ImageRequest.build(prompt="p", images=[REF_A]).to_wire()


def test_edit_rules_are_refused_with_one_sentence() -> None:
    assert refused_image(prompt="p", images=[REF_A], size="4K", model="wan2.7-image-pro") == M("edit.no_4k")
    assert refused_image(prompt="p", images=[REF_A] * 10) == M("edit.count", most=9, count=10)
    assert refused_image(prompt="p", images=["ftp://x/a.png"]) == M("media.not_link", what=M("media.what.image"))
    assert refused_image(prompt="p", images=["https://x/a b.png"]) == M("media.link_spaces",
                                                                         what=M("media.what.image"))
    assert refused_image(prompt="p", images=["wanbot-media:../x.png"]) == M("media.bad_ref")
    # 4K without images is still text-to-image on the pro model
    assert ImageRequest.build(prompt="p", size="4K", model="wan2.7-image-pro").size == "4K"


def test_an_edit_round_trips_through_the_store() -> None:
    request = ImageRequest.build(prompt="p", images=[REF_A, REF_B])
    again = load_request(request.model_dump(mode="json"))
    assert again == request and again.refs() == (REF_A, REF_B)


# -- animate (wan2.7-i2v) ----------------------------------------------------------------------------------

def test_i2v_first_frame_only_sends_media_resolution_and_no_ratio() -> None:
    request = GenerationRequest.build(model="wan2.7-i2v", prompt="the cat turns its head", media=[first()],
                                      seed=42)
    assert request.to_wire(RESOLVED) == {
        "model": "wan2.7-i2v",
        "input": {"prompt": "the cat turns its head", "media": [{"type": "first_frame", "url": DATA_A}]},
        "parameters": {"resolution": "720P", "duration": 5, "prompt_extend": True, "watermark": False, "seed": 42},
    }


def test_i2v_all_three_in_the_reference_order_and_no_prompt_when_none() -> None:
    request = GenerationRequest.build(
        model="wan2.7-i2v", resolution="1080P", duration=10, prompt_extend=False, negative_prompt="blur",
        media=[{"type": "driving_audio", "url": REF_S}, {"type": "last_frame", "url": REF_B}, first()])
    assert request.to_wire(RESOLVED) == {
        "model": "wan2.7-i2v",
        "input": {"negative_prompt": "blur", "media": [
            {"type": "first_frame", "url": DATA_A},
            {"type": "last_frame", "url": DATA_B},
            {"type": "driving_audio", "url": HOSTED_S},
        ]},
        "parameters": {"resolution": "1080P", "duration": 10, "prompt_extend": False, "watermark": False},
    }
    assert request.refs() == (REF_A, REF_B, REF_S)
    assert request.estimated_cost() == Decimal("10.00")


def test_i2v_first_frame_and_driving_audio_as_public_links() -> None:
    request = GenerationRequest.build(model="wan2.7-i2v", prompt="sing", media=[
        first("https://cdn.example/a.png"), {"type": "driving_audio", "url": "https://cdn.example/a.mp3"}])
    assert request.to_wire()["input"] == {"prompt": "sing", "media": [
        {"type": "first_frame", "url": "https://cdn.example/a.png"},
        {"type": "driving_audio", "url": "https://cdn.example/a.mp3"}]}
    assert request.refs() == ()


def test_i2v_rules_are_refused_with_one_sentence() -> None:
    assert refused(model="wan2.7-i2v", prompt="p") == M("animate.needs_media", model="wan2.7-i2v")
    assert refused(model="wan2.7-i2v", media=[first()], ratio="16:9") == M("animate.ratio")
    assert refused(model="wan2.7-i2v", media=[{"type": "last_frame", "url": REF_A}]) == M(
        "animate.last_without_first")
    assert refused(model="wan2.7-i2v", media=[{"type": "driving_audio", "url": REF_S}]) == M(
        "animate.no_first_frame")
    assert refused(model="wan2.7-i2v", media=[first(), first(REF_B)]) == M("animate.media_twice", type="first frame")
    assert refused(prompt="p", media=[first()]) == M("animate.no_media", model="wan2.7-t2v")
    assert "duration must be" in refused(model="wan2.7-i2v", media=[first()], duration=16)
    assert "resolution must be" in refused(model="wan2.7-i2v", media=[first()], resolution="480P")
    with pytest.raises(InvalidRequest):
        GenerationRequest.build(model="wan2.7-i2v", media=[{"type": "first_clip", "url": REF_A}])


def test_a_text_to_video_prompt_is_still_required() -> None:
    assert refused() == "the prompt is empty: describe the video you want"


def test_reroll_upscale_and_remix_keep_the_media() -> None:
    request = GenerationRequest.build(model="wan2.7-i2v", media=[first(), {"type": "last_frame", "url": REF_B}])
    for changed in (request.with_changes(seed=9), request.with_changes(resolution="1080P"),
                    request.with_changes(prompt="now it rains")):
        assert changed.media == request.media and changed.ratio is None
    assert load_request(request.model_dump(mode="json")) == request


def test_t2v_audio_may_be_a_stash_ref_resolved_at_create() -> None:
    request = GenerationRequest.build(prompt="sing", audio_url=REF_S)
    assert request.refs() == (REF_S,)
    assert request.to_wire(RESOLVED)["input"] == {"prompt": "sing", "audio_url": HOSTED_S}


def test_thinking_mode_typed_with_images_is_refused_not_dropped() -> None:
    assert refused_image(prompt="p", images=[REF_A], thinking_mode=False) == M("edit.no_thinking")
    assert refused_image(prompt="p", images=[REF_A], thinking_mode=True) == M("edit.no_thinking")
    assert ImageRequest.build(prompt="p", thinking_mode=False).to_wire()["parameters"]["thinking_mode"] is False


def test_an_edit_stored_with_the_old_thinking_default_still_loads() -> None:
    stored = ImageRequest.build(prompt="p", images=[REF_A]).model_dump(mode="json")
    stored["thinking_mode"] = True  # what rows written before it became optional hold
    loaded = load_request(stored)
    assert isinstance(loaded, ImageRequest) and loaded.thinking_mode is None and loaded.images == (REF_A,)
