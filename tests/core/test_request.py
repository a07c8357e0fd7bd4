"""The catalogue and GenerationRequest: exactly right for the model, or a sentence a chat user understands."""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.catalogue import IMAGE_MODELS, RATIOS, VIDEO_MODELS, Family, video_model
from core.errors import InvalidRequest
from core.request import MAX_SEED, GenerationRequest, ImageRequest
from core.text import has_visible


def reject(**values: Any) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        GenerationRequest.build(**values)
    return caught.value


def test_defaults_are_the_cheap_safe_ones() -> None:
    req = GenerationRequest.build(prompt="a fox")
    assert (req.model, req.resolution, req.ratio, req.duration) == ("wan2.7-t2v", "720P", "16:9", 5)
    assert req.watermark is False and req.prompt_extend is True
    assert req.estimated_cost() == Decimal("3.00")


def test_wan27_wire_body_uses_resolution_and_ratio_with_negative_in_input() -> None:
    req = GenerationRequest.build(prompt="a fox", negative_prompt="blur", resolution="1080p", ratio="9:16",
                                  duration=10, seed=42, audio_url="https://a.example/x.mp3")
    assert req.to_wire() == {
        "model": "wan2.7-t2v",
        "input": {"prompt": "a fox", "negative_prompt": "blur", "audio_url": "https://a.example/x.mp3"},
        "parameters": {"resolution": "1080P", "ratio": "9:16", "duration": 10, "prompt_extend": True,
                       "watermark": False, "seed": 42},
    }
    assert req.size == (1080, 1920)


def test_legacy_wire_body_uses_size_shot_type_and_negative_in_parameters() -> None:
    req = GenerationRequest.build(model="wan2.6-t2v", prompt="a fox", negative_prompt="blur", ratio="4:3",
                                  shot_type="multi", duration=15)
    body = req.to_wire()
    assert body["input"] == {"prompt": "a fox"}
    assert body["parameters"] == {"size": "1088*832", "negative_prompt": "blur", "shot_type": "multi",
                                  "duration": 15, "prompt_extend": True, "watermark": True}
    assert "resolution" not in body["parameters"] and "ratio" not in body["parameters"]


def test_snapshots_are_accepted_and_keep_their_id_on_the_wire() -> None:
    req = GenerationRequest.build(model="wan2.7-t2v-2026-04-25", prompt="x")
    assert req.to_wire()["model"] == "wan2.7-t2v-2026-04-25" and req.spec.family is Family.WAN27_T2V


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        ({"duration": 16}, "duration", "duration must be a whole number of seconds from 2 to 15"),
        ({"duration": 1}, "duration", "from 2 to 15"),
        ({"duration": 5.5}, "duration", "whole number"),
        ({"duration": "five"}, "duration", "whole number"),
        ({"model": "wan2.5-t2v-preview", "duration": 7}, "duration", "5 or 10"),
        ({"model": "wan2.2-t2v-plus", "duration": 10}, "duration", "seconds 5 for"),
        ({"ratio": "21:9"}, "ratio", "ratio must be 16:9, 9:16, 1:1, 4:3 or 3:4"),
        ({"resolution": "480P"}, "resolution", "720P or 1080P"),
        ({"model": "wan2.1-t2v-plus", "resolution": "1080P"}, "resolution", "720P for wan2.1-t2v-plus"),
        ({"seed": -1}, "seed", f"0 to {MAX_SEED}"),
        ({"seed": MAX_SEED + 1}, "seed", "seed must be"),
        ({"model": "sora"}, "model", "unknown model 'sora'"),
        ({"prompt": "x" * 5001}, "prompt", "5001 characters; wan2.7-t2v takes at most 5000"),
        ({"model": "wan2.6-t2v", "prompt": "x" * 1501}, "prompt", "at most 1500"),
        ({"negative_prompt": "n" * 501}, "negative_prompt", "at most 500"),
        ({"prompt": "   "}, "prompt", "the prompt is empty"),
        ({"model": "wan2.2-t2v-plus", "audio_url": "https://a/x.mp3"}, "audio_url", "cannot take an audio"),
        ({"audio_url": "file:///etc/passwd"}, "audio_url", "http(s) link"),
        ({"shot_type": "multi"}, "shot_type", "not supported"),
        ({"model": "wan2.5-t2v-preview", "shot_type": "multi"}, "shot_type", "single"),
        ({"colour": "red"}, "colour", "unknown option 'colour'"),
    ],
)
def test_each_bad_value_is_named_and_explained(values: dict[str, Any], field: str, text: str) -> None:
    err = reject(**{"prompt": "a fox", **values})
    assert err.field == field
    assert text in err.message


def test_over_long_prompts_are_rejected_not_truncated() -> None:
    err = reject(prompt="字" * 5001)
    assert "5001" in err.message
    assert GenerationRequest.build(prompt="字" * 5000).prompt == "字" * 5000


def test_with_changes_revalidates() -> None:
    req = GenerationRequest.build(prompt="a fox", seed=1)
    assert req.with_changes(resolution="1080P").estimated_cost() == Decimal("5.00")
    with pytest.raises(InvalidRequest):
        req.with_changes(duration=99)


def test_catalogue_sizes_cover_every_ratio_and_price_every_resolution() -> None:
    for model in VIDEO_MODELS:
        assert model.default_resolution in model.resolutions
        assert set(model.price_per_second) == set(model.resolutions)
        for res in model.resolutions:
            assert set(model.ratios(res)) == set(RATIOS)
            for ratio in RATIOS:
                w, h = model.pixel_size(res, ratio)
                # the pixel size matches the ratio to within rounding to a multiple of 16
                rw, rh = (int(x) for x in ratio.split(":"))
                assert abs(w / h - rw / rh) < 0.05
    assert all(m.price_per_image > 0 for m in IMAGE_MODELS)
    assert video_model("wan2.7-t2v-2026-06-12") is video_model("wan2.7-t2v")


@given(
    duration=st.integers(min_value=-5, max_value=30),
    ratio=st.sampled_from([*RATIOS, "2:1", ""]),
    resolution=st.sampled_from(["720P", "1080P", "480P", "4K", "720"]),
    model=st.sampled_from([m.id for m in VIDEO_MODELS]),
)
def test_every_request_is_either_valid_for_its_model_or_refused(duration: int, ratio: str, resolution: str,
                                                                 model: str) -> None:
    try:
        req = GenerationRequest.build(prompt="p", duration=duration, ratio=ratio or None, resolution=resolution,
                                      model=model)
    except InvalidRequest as exc:
        assert exc.message and exc.field
        return
    spec = req.spec
    assert req.seconds in spec.durations and req.resolution in spec.resolutions
    assert req.ratio in spec.ratios(req.resolution or "")
    body = req.to_wire()
    if spec.family is Family.WAN27_T2V:
        assert body["parameters"]["resolution"] == req.resolution
    else:
        w, h = req.size
        assert body["parameters"]["size"] == f"{w}*{h}"


def test_image_request_sends_n_1_by_default_and_validates_size() -> None:
    req = ImageRequest.build(prompt="a kite")
    assert req.to_wire()["parameters"] == {"size": "2K", "n": 1, "watermark": False, "thinking_mode": True}
    assert req.estimated_cost() == Decimal("0.20")
    with pytest.raises(InvalidRequest) as caught:
        ImageRequest.build(prompt="a kite", size="4K")
    assert caught.value.field == "size" and "1K or 2K" in caught.value.message
    assert ImageRequest.build(prompt="a kite", size="4k", model="wan2.7-image-pro").size == "4K"
    with pytest.raises(InvalidRequest):
        ImageRequest.build(prompt="a kite", n=5)


# -- text that is refused, cleaned, or has nothing to draw (issue 9 item 8) ------------------------------

_INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e\u200f", "\u202a\u202e\u2066\u2069",
              "\ufe0f", "\U000e0100", "\U000e0041\U000e007f", "\u0301\u0308", "\u20dd", "\u3164", "\u00ad",
              "\u180e", "\u0600", "\u3000\u00a0\u2800", "\u200b \u200b\t\u200d"]


@pytest.mark.parametrize("prompt", _INVISIBLE)
def test_a_prompt_of_invisible_characters_is_refused_not_queued(prompt: str) -> None:
    err = reject(prompt=prompt)
    assert err.field == "prompt"
    assert "prompt" in err.message and ("no visible text" in err.message or "empty" in err.message)
    with pytest.raises(InvalidRequest) as caught:
        ImageRequest.build(prompt=prompt)
    assert caught.value.field == "prompt"


@pytest.mark.parametrize(("values", "field", "text"), [
    ({"prompt": "a fox\x00"}, "prompt", "the prompt contains a control character (U+0000)"),
    ({"prompt": "\x1b[31ma fox"}, "prompt", "(U+001B)"),
    ({"prompt": "a\x1ffox"}, "prompt", "(U+001F)"),           # str.isspace() says space; still refused
    ({"prompt": "a fox\x85"}, "prompt", "(U+0085)"),          # C1 (NEL)
    ({"prompt": "a fox\ud83e"}, "prompt", "broken character (U+D83E"),
    ({"negative_prompt": "blur\x00"}, "negative_prompt", "the negative prompt contains a control character"),
    ({"audio_url": "https://a.example/x.mp3\x00"}, "audio_url", "the audio link contains a control character"),
])
def test_control_characters_are_refused_by_name_in_every_text_field(values: dict[str, Any], field: str,
                                                                     text: str) -> None:
    err = reject(**{"prompt": "a fox", **values})
    assert (err.field, text in err.message) == (field, True), err.message
    with pytest.raises(InvalidRequest, match="control character"):
        ImageRequest.build(prompt="a kite\x07")


def test_invisible_characters_inside_a_prompt_are_not_sent() -> None:
    req = GenerationRequest.build(prompt="\ufeffa\u200b fox\u202e in\u3000the\n\nsnow\u2060",
                                  negative_prompt="\u200bblur,\tnoise\u200f")
    assert req.to_wire()["input"] == {"prompt": "a fox in the snow", "negative_prompt": "blur, noise"}
    assert req.prompt == "a fox in the snow"  # stored, shown and re-rolled as sent
    assert ImageRequest.build(prompt="a\u200b kite\u00a0").to_wire()["input"]["messages"][0]["content"] == [
        {"text": "a kite"}]


def test_the_length_limit_counts_what_is_sent() -> None:
    # 5000 visible characters padded with zero-width ones: 5000 are sent, so it fits.
    assert len(GenerationRequest.build(prompt="x\u200b" * 5000).prompt) == 5000
    # "é" typed as e + combining acute is one character once composed (NFC).
    assert GenerationRequest.build(prompt="e\u0301" * 5000).prompt == "\u00e9" * 5000
    err = reject(prompt="x" * 5000 + "\u200b" + "y")
    assert "5001 characters" in err.message


def test_a_blank_negative_prompt_is_none_an_invisible_one_is_refused() -> None:
    assert GenerationRequest.build(prompt="a fox", negative_prompt="").negative_prompt is None
    assert GenerationRequest.build(prompt="a fox", negative_prompt=" \u3000\t").negative_prompt is None
    err = reject(prompt="a fox", negative_prompt="\u200b\u200d")
    assert err.field == "negative_prompt" and "no visible text" in err.message
    assert "negative_prompt" not in GenerationRequest.build(prompt="a", negative_prompt=" ").to_wire()["input"]


def test_remix_and_reroll_go_through_the_same_rule() -> None:
    req = GenerationRequest.build(prompt="a fox", seed=1)
    with pytest.raises(InvalidRequest, match="no visible text"):
        req.with_changes(prompt="\u200b\u2063")
    with pytest.raises(InvalidRequest, match="control character"):
        req.with_changes(prompt="a fox\x00")
    assert req.with_changes(prompt="a\u200b cat").prompt == "a cat"
    assert req.with_changes(seed=2).prompt == "a fox"


#: Characters with nothing for the model to read: controls, format characters, marks, whitespace, selectors.
_NOTHING_VISIBLE = st.text(
    st.characters(categories=("Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Mc", "Me"))
    | st.sampled_from(["\u2800", "\u3164", "\u115f", "\uffa0", "\ufe0f", "\U000e0100", "\U000e0041", "\ufffe"]),
    min_size=1,
)


@given(_NOTHING_VISIBLE)
def test_any_prompt_without_a_visible_character_is_refused_with_a_sentence(prompt: str) -> None:
    for model in (GenerationRequest, ImageRequest):
        with pytest.raises(InvalidRequest) as caught:
            model.build(prompt=prompt)
        assert caught.value.field == "prompt"
        message = caught.value.message
        assert message and "\n" not in message and not message.endswith(".")  # a clause for "invalid"
        assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in message)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def assert_clean_wire(body: dict[str, Any]) -> None:
    """No control character (newline and tab included) and no lone surrogate anywhere in a wire body."""
    for text in _strings(body):
        bad = [f"U+{ord(ch):04X}" for ch in text if unicodedata.category(ch) in ("Cc", "Cs")]
        assert not bad, (text, bad)
        assert json.dumps(text, ensure_ascii=False).encode("utf-8")  # encodable as sent


@given(prompt=st.text(), negative=st.none() | st.text(), audio=st.none() | st.text().map(lambda s: "https://a/" + s))
def test_any_accepted_request_sends_only_visible_clean_text(prompt: str, negative: str | None,
                                                             audio: str | None) -> None:
    try:
        req = GenerationRequest.build(prompt=prompt, negative_prompt=negative, audio_url=audio)
    except InvalidRequest as exc:
        assert exc.message and exc.field
        return
    assert_clean_wire(req.to_wire())
    assert has_visible(req.prompt) and len(req.prompt) <= req.spec.max_prompt
    assert req.negative_prompt is None or has_visible(req.negative_prompt)
    assert GenerationRequest.build(**req.model_dump()) == req  # stored requests re-validate to themselves


@pytest.mark.parametrize("url", ["https://a/x\r\nX-Evil: 1", "https://a/x y.mp3", "https://a/\u200bx.mp3"])
def test_an_audio_link_with_spaces_or_invisible_characters_is_refused(url: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        GenerationRequest.build(prompt="a fox", model="wan2.7-t2v", audio_url=url)
    assert refused.value.field == "audio_url"
