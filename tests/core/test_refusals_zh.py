"""The refusals that were English literals in core code (issue 14, item 6, the rest) follow the request's
locale: Chinese under ``speaking("zh-CN")``, the same English as before without it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core import locale
from core.channel_settings import parse_setting
from core.commands import parse_command
from core.errors import InvalidRequest
from core.image_request import ImageRequest
from core.messages import EN
from core.messages_zh import ZH
from core.request import GenerationRequest

#: (what is typed, the English refusal as it always read, the key of the Chinese one, its fields)
CASES: list[tuple[Callable[[], object], str, str, dict[str, object]]] = [
    (lambda: parse_command("video x --duration 99"),
     "duration must be a whole number of seconds from 2 to 15 for wan2.7-t2v",
     "request.duration", {"allowed": "2 到 15", "model": "wan2.7-t2v"}),
    (lambda: parse_command("video x --duration soon"), "--duration must be a whole number of seconds, not 'soon'",
     "input.must_be", {"flag": "duration", "what": ZH["input.whole_seconds"], "value": "'soon'"}),
    (lambda: parse_command("video x --seed"), "--seed needs a value (0 to 2147483647)",
     "input.needs_value", {"name": "seed", "hint": "0 到 2147483647"}),
    (lambda: parse_command("video x --negative"), "--negative needs a value (text to avoid)",
     "input.needs_value", {"name": "negative", "hint": ZH["input.hint.negative"]}),
    (lambda: GenerationRequest.build(prompt="x", seed=-1), "seed must be a whole number from 0 to 2147483647",
     "request.seed_range", {"most": 2147483647}),
    (lambda: parse_command("image a cat --size 8K"), "size must be 1K or 2K for wan2.7-image",
     "image.size", {"options": "1K 或 2K", "model": "wan2.7-image"}),
    (lambda: ImageRequest.build(prompt="x", n=9), "n must be a whole number from 1 to 4",
     "image.n", {"most": 4}),
    (lambda: ImageRequest.build(prompt="x", model="dall-e"),
     "unknown image model 'dall-e'; choose wan2.7-image or wan2.7-image-pro",
     "image.unknown_model", {"model": "'dall-e'", "known": "wan2.7-image 或 wan2.7-image-pro"}),
    (lambda: parse_setting("confirm_over", "abc"), "confirm_over takes an amount in yuan (e.g. 15) or off, not 'abc'",
     "settings.takes", {"setting": "confirm_over", "expected": ZH["settings.expect.yuan"], "text": "'abc'"}),
    (lambda: parse_setting("colour", "red"), "'colour' is not a channel setting; the settings are approve_over, "
     "approver_role, confirm_over, threads, vote_emoji",
     "settings.unknown", {"name": "'colour'",
                          "known": "approve_over, approver_role, confirm_over, threads, vote_emoji"}),
    (lambda: parse_command("settings threads"),
     "/wan settings threads needs a value (or type /wan settings to see them all)",
     "settings.needs_value", {"name": "threads"}),
    (lambda: parse_command("confirm"), "/wan confirm takes one id (it is in the message that asked)",
     "spend.one_id", {"verb": "confirm"}),
    (lambda: parse_command("top yesterday"), "/wan top takes today, week or all, not 'yesterday'",
     "top.bad_window", {"word": "'yesterday'"}),
    (lambda: parse_command("promote"), "/wan promote takes one job id (it is in /wan top)", "promote.one_id", {}),
    (lambda: parse_command("notify maybe"), "/wan notify takes on or off, not 'maybe'", "notify.bad",
     {"words": "'maybe'"}),
    (lambda: parse_command("reroll"), "/wan reroll needs a job id (it is on the status message)",
     "job.needs_id", {"verb": "reroll"}),
    (lambda: parse_command("upscale a b"), "/wan upscale takes one job id", "job.one_id", {"verb": "upscale"}),
    (lambda: parse_command("status a b"), "/wan status takes at most one job id", "job.at_most_one_id",
     {"verb": "status"}),
    (lambda: parse_command("remix abc"), "/wan remix needs the job id and the new prompt", "job.remix_needs", {}),
    (lambda: parse_command("defaults --clear --ratio 9:16"), "--clear cannot be combined with other options",
     "defaults.clear_alone", {}),
    (lambda: parse_command("image a cat --image"), "--image needs a value (a link to an image)",
     "media.needs_link", {"name": "image"}),
    (lambda: parse_command("animate --first"),
     "--first needs a value (link to the first frame (JPEG, PNG, BMP or WEBP))",
     "input.needs_value", {"name": "first", "hint": ZH["input.hint.first"]}),
    (lambda: GenerationRequest.build(prompt="x", model="wan2.5-t2v-preview", duration=7),
     "duration must be a whole number of seconds 5 or 10 for wan2.5-t2v-preview",
     "request.duration", {"allowed": "5 或 10", "model": "wan2.5-t2v-preview"}),
    (lambda: GenerationRequest.build(prompt="x", shot_type="multi"), "shot_type for wan2.7-t2v: not supported",
     "request.shot_type_unsupported", {"model": "wan2.7-t2v"}),
]


def refusal(typed: Callable[[], object]) -> str:
    with pytest.raises(InvalidRequest) as caught:
        typed()
    return caught.value.message


@pytest.mark.parametrize(("typed", "english", "key", "fields"), CASES, ids=[c[2] for c in CASES])
def test_a_refusal_is_chinese_for_a_chinese_request_and_unchanged_in_english(
        typed: Callable[[], object], english: str, key: str, fields: dict[str, object]) -> None:
    assert refusal(typed) == english
    with locale.speaking("zh-CN"):
        chinese = refusal(typed)
    assert chinese == ZH[key].format(**fields)
    assert chinese != english and EN[key] != ZH[key]


def test_a_hint_that_lists_values_reads_the_same_in_both_languages() -> None:
    with locale.speaking("zh-CN"):
        text = refusal(lambda: parse_command("video x --resolution"))
    assert text == ZH["input.needs_value"].format(name="resolution", hint="720P | 1080P")
