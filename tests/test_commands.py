"""The shared chat command parser (``core.commands``): examples people type, and fuzzing.

Property: for ANY text, ``parse_command`` returns a command whose request is already valid, or raises
``InvalidRequest`` with a sentence and the field it is about — never another exception. An accepted
request's wire body holds no control character, and a prompt with nothing visible is never accepted.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from core.commands import (
    CancelCommand,
    DefaultsCommand,
    HelpCommand,
    ImageCommand,
    JobCommand,
    StatusCommand,
    StoryboardCommand,
    UsageCommand,
    VideoCommand,
    defaults_command,
    parse_command,
    tokenize,
    validate_defaults,
    video_request,
)
from core.errors import InvalidRequest
from core.messages import Messages
from core.request import GenerationRequest, ImageRequest
from core.text import has_visible
from tests.core.test_request import assert_clean_wire

# -- examples ---------------------------------------------------------------------------------------------


def video(text: str, defaults: dict[str, object] | None = None) -> GenerationRequest:
    command = parse_command(text, defaults=defaults)
    assert isinstance(command, VideoCommand)
    return command.request


def test_flags_anywhere_with_both_spellings() -> None:
    request = video("video --ar 9:16 a fox --duration=10 in the rain --resolution 1080p --seed 42")
    assert request.prompt == "a fox in the rain"
    assert (request.ratio, request.duration, request.resolution, request.seed) == ("9:16", 10, "1080P", 42)


def test_quotes_straight_and_smart_group_words() -> None:
    assert video('video "a fox --ar 1:1 in quotes" --ratio 16:9').prompt == "a fox --ar 1:1 in quotes"
    request = video("video \u201ca fox\u201d --negative \u201cblurry, low quality\u201d")
    assert request.prompt == "a fox" and request.negative_prompt == "blurry, low quality"
    assert video("video a fox --no \u201eblur\u201c").negative_prompt == "blur"


def test_apostrophes_are_text_not_quotes() -> None:
    assert video("video a fox's tail, it's 'snowing'").prompt == "a fox's tail, it's 'snowing'"
    assert video("video the dog\u2019s bone").prompt == "the dog\u2019s bone"


def test_chinese_prompt_and_full_width_quotes() -> None:
    assert video("video 一只狐狸在雪中奔跑 --ar 9:16").prompt == "一只狐狸在雪中奔跑"
    assert video("/wan video \uff02月光下的湖\uff02").prompt == "月光下的湖"


def test_full_width_values_from_chinese_input_methods() -> None:
    request = video("video 月光下的湖 --ar 9：16 --duration １０ --negative 模糊，低画质")
    assert (request.ratio, request.duration) == ("9:16", 10)
    assert request.negative_prompt == "模糊，低画质"  # free text stays as typed


def test_midjourney_style_and_phone_dashes() -> None:
    request = video("video a kite \u2014ar 9:16 --no rain --duration 10s --no-extend --watermark")
    assert request.ratio == "9:16" and request.negative_prompt == "rain" and request.duration == 10
    assert request.prompt_extend is False and request.watermark is True
    assert video("video a kite \u2013ar 1:1").ratio == "1:1"


def test_the_other_verbs() -> None:
    assert parse_command("") == HelpCommand()
    assert parse_command("   ") == HelpCommand()
    assert parse_command("help video") == HelpCommand("video")
    assert parse_command("status ABCD1234") == StatusCommand("abcd1234")
    assert parse_command("cancel") == CancelCommand(None)
    assert parse_command("usage") == UsageCommand()
    image = parse_command("image a red apple --size 2k --n 2")
    assert isinstance(image, ImageCommand) and (image.request.size, image.request.n) == ("2K", 2)


@pytest.mark.parametrize(("text", "field", "words"), [
    ("video a fox --ratio 2:1", "ratio", "16:9, 9:16, 1:1, 4:3 or 3:4"),
    ("video a fox --duration 99", "duration", "from 2 to 15"),
    ("video a fox --duration ten", "duration", "whole number of seconds"),
    ("video a fox --seed -1", "seed", "0 to"),
    ("video a fox --seed 1e3", "seed", "whole number"),
    ("video a fox --sed 4", "sed", "unknown option --sed"),
    ("video a fox --ar", "ratio", "--ar needs a value"),
    ("video a fox --no-extend=1", "prompt_extend", "takes no value"),
    ("video --resolution 480P a fox", "resolution", "720P or 1080P"),
    ("video a fox --model sora", "model", "unknown model"),
    ("video", "prompt", "prompt is empty"),
    ("image a cat --n 9", "n", "from 1 to"),
    ("image a cat --size 8K", "size", "1K"),
    ("status a b", "job", "at most one job id"),
    ("dance", "command", "unknown command 'dance'"),
])
def test_every_problem_names_its_flag_and_allowed_values(text: str, field: str, words: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_command(text)
    assert caught.value.field == field
    assert words in caught.value.message


# -- /wan defaults ------------------------------------------------------------------------------------------


def test_defaults_show_set_and_clear() -> None:
    assert parse_command("defaults") == DefaultsCommand("show")
    assert parse_command("/wan defaults --clear") == DefaultsCommand("clear")
    command = parse_command('defaults --model wan2.6-t2v --resolution 1080P --ratio 9:16 --duration 10 '
                            '--no-extend --watermark --negative "blurry"')
    assert command == DefaultsCommand("set", {
        "model": "wan2.6-t2v", "resolution": "1080P", "ratio": "9:16", "duration": 10, "prompt_extend": False,
        "watermark": True, "negative_prompt": "blurry",
    })
    # The video aliases work, and values are stored the way a request reads them.
    assert parse_command("defaults --res 1080p --ar 9：16 --d 8s") == DefaultsCommand(
        "set", {"resolution": "1080P", "ratio": "9:16", "duration": 8})
    assert defaults_command({"model": None, "watermark": False}) == DefaultsCommand("set", {"watermark": False})
    assert defaults_command({"model": None}, clear=True) == DefaultsCommand("clear")


@pytest.mark.parametrize(("text", "field", "words"), [
    ("defaults --model wan2.2-t2v-plus --duration 10", "duration", "5 for wan2.2-t2v-plus"),
    ("defaults --resolution 480P", "resolution", "720P or 1080P for wan2.7-t2v"),
    ("defaults --ratio 2:1", "ratio", "16:9, 9:16"),
    ("defaults --seed 4", "seed", "--seed cannot be a channel default"),
    ("defaults --audio https://x.y/a.mp3", "audio_url", "--audio cannot be a channel default"),
    ("defaults --shot multi", "shot_type", "--shot cannot be a channel default"),
    ("defaults a fox --res 1080P", "prompt", "takes only options"),
    ("defaults --clear --res 1080P", "clear", "cannot be combined"),
    ("defaults --size 2K", "size", "unknown option --size"),
])
def test_invalid_defaults_name_their_flag(text: str, field: str, words: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_command(text)
    assert caught.value.field == field
    assert words in caught.value.message
    with pytest.raises(InvalidRequest):
        validate_defaults({"prompt": "a fox"})


def test_channel_defaults_go_under_typed_flags() -> None:
    defaults = {"resolution": "1080P", "ratio": "9:16", "duration": 10, "negative_prompt": "blurry"}
    request = video("video a fox", defaults)
    assert (request.resolution, request.ratio, request.duration, request.negative_prompt) == (
        "1080P", "9:16", 10, "blurry")
    typed = video("video a fox --res 720P --ar 1:1", defaults)
    assert (typed.resolution, typed.ratio, typed.duration) == ("720P", "1:1", 10)


def test_defaults_that_do_not_fit_the_typed_model_are_dropped_silently() -> None:
    defaults = {"resolution": "720P", "duration": 10, "watermark": True}
    request = video("video a fox --model wan2.2-t2v-plus", defaults)
    # wan2.2-t2v-plus makes neither 720P nor 10 s: its own values instead; the watermark still applies.
    assert (request.model, request.resolution, request.duration, request.watermark) == (
        "wan2.2-t2v-plus", "480P", 5, True)
    # A typed value is valid against the channel's model even if not against the standard one …
    assert video("video a fox --res 480P", {"model": "wan2.2-t2v-plus"}).model == "wan2.2-t2v-plus"
    # … and a mistake in what was typed is still reported as such.
    with pytest.raises(InvalidRequest, match="duration must be"):
        video_request({"prompt": "a fox", "model": "wan2.2-t2v-plus", "duration": 10}, {"duration": 5})


# -- options given twice, control and invisible characters (issue 9 item 8) --------------------------------


@pytest.mark.parametrize(("text", "field", "words"), [
    ("video a fox --duration 99 --duration 5", "duration", "--duration was given twice"),
    ("video a fox --duration 5 --duration=5", "duration", "--duration was given twice"),
    ("video a fox --ratio 16:9 --ar 9:16", "ratio", "--ratio and --ar are the same option"),
    ("video a fox --AR 16:9 \u2014ar 9:16", "ratio", "--ar was given twice"),
    ("video a fox --d 5 --duration 10", "duration", "--d and --duration are the same option"),
    ("video a fox --negative a --no b", "negative_prompt", "--negative and --no are the same option"),
    ("video a fox --seed 1 --seed 2", "seed", "--seed was given twice"),
    ("video a fox --watermark --no-watermark", "watermark", "--watermark and --no-watermark contradict"),
    ("video a fox --no-extend --no-extend", "prompt_extend", "--no-extend was given twice"),
    ("image a cat --n 1 --n 4", "n", "--n was given twice"),
    ("defaults --res 720P --resolution 1080P", "resolution", "--res and --resolution are the same option"),
    ("defaults --clear --clear", "clear", "--clear was given twice"),
])
def test_an_option_given_twice_is_refused_by_name(text: str, field: str, words: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_command(text)
    assert caught.value.field == field
    assert words in caught.value.message


@pytest.mark.parametrize(("text", "field", "words"), [
    ("video a fox\x00", "prompt", "the prompt contains a control character (U+0000)"),
    ("video \x00", "prompt", "(U+0000)"),
    ("video a\x1cfox", "prompt", "(U+001C)"),  # str.isspace() calls it space: it must not split words
    ("video a fox\x0b", "prompt", "(U+000B)"),
    ('video a fox --negative "blur\x07"', "negative_prompt", "--negative contains a control character (U+0007)"),
    ("video a fox --ar 9:16\x00", "ratio", "--ar contains a control character"),
    ("video a fox --ar\x00 9:16", "option", "an option name contains a control character"),
    ("image a kite\x1b[2J", "prompt", "(U+001B)"),
    ("status abc\x00", "command", "the command contains a control character"),
    ("video \u200b\u200d\ufeff", "prompt", "no visible text"),
    ("video \u3000\u00a0", "prompt", "prompt is empty"),
    ("image \u0301", "prompt", "no visible text"),
    ("video a fox --no \u200b", "negative_prompt", "--no needs a value"),
])
def test_control_and_invisible_text_is_refused_with_a_sentence(text: str, field: str, words: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_command(text)
    assert caught.value.field == field
    assert words in caught.value.message
    assert "\x00" not in caught.value.message


def test_invisible_characters_in_values_and_prompts_are_removed() -> None:
    request = video("video a\u200b fox \u2014ar 9:16\u200b --negative \u202eblur --duration\u00a05")
    assert (request.prompt, request.ratio, request.negative_prompt, request.duration) == (
        "a fox", "9:16", "blur", 5)
    assert video("video a\tfox\u3000runs").prompt == "a fox runs"
    assert video("video a fox \u200b--ar\u2060 9:16 --d\ufeff=10").ratio == "9:16"


def test_tokenize_keeps_an_unclosed_quote_to_the_end() -> None:
    assert tokenize('a "b c') == ["a", "b c"]
    assert tokenize('a "" b') == ["a", "", "b"]


# -- fuzzing ----------------------------------------------------------------------------------------------

# Invisible, format, control and lone-surrogate characters, alone and as words (issue 9 item 8).
_INVISIBLE_CHARS = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u2066", "\ufe0f", "\U000e0100",
                    "\U000e0041", "\u0301", "\u3164", "\u2800", "\u00ad", "\u3000", "\u00a0", "\x00", "\x01",
                    "\x07", "\x1b", "\x1c", "\x1f", "\x7f", "\x85", "\x9f", "\ud800", "\r", "\x0b"]
# Known and unknown option names, and values good and bad (full-width ones from Chinese input methods).
_FLAGS = ["ratio", "ar", "aspect", "duration", "d", "resolution", "res", "seed", "negative", "no", "model",
          "audio", "shot", "no-extend", "extend", "watermark", "no-watermark", "size", "n", "no-thinking", "clear",
          "sed", "x", "", "AR", "Duration", "=", "ar=", "n="]
_VALUES = ["9:16", "16:9", "1:1", "2:1", "5", "10", "10s", "15sec", "99", "0", "-1", "1e3", "720P", "1080p",
           "480", "42", "2147483648", "2K", "4k", "1", "4", "wan2.7-t2v", "wan2.6-t2v", "wan2.7-image", "sora",
           "single", "multi", "https://x.y/a.mp3", "ftp://x", "", " ", "NaN", "True", "ﬁ", "Ⅻ",
           "٣", "１０", "9：16", "１０８０ｐ"]
_QUOTES = ['"', "\u201c", "\u201d", "\u201e", "\u00ab", "\u00bb", "\uff02", "'", "\u2019"]
_VERBS = ["video", "v", "image", "img", "i", "status", "cancel", "usage", "help", "/wan", "wan", "VIDEO", "dance",
          "defaults"]

_word = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    st.sampled_from(["a", "fox", "狐狸", "在雪中", "fox's", "--", "—", "-", "=", "<!channel>", "&", "\t", "\n"]),
    st.text(alphabet=st.sampled_from(_INVISIBLE_CHARS), min_size=1, max_size=4),
)
_flag = st.builds(
    lambda dash, name, eq, value: f"{dash}{name}{'=' + value if eq else ''}",
    st.sampled_from(["--", "\u2014", "\u2013", "-", "---"]), st.sampled_from(_FLAGS), st.booleans(),
    st.sampled_from(_VALUES),
)
_token = st.one_of(_word, _flag, st.sampled_from(_VALUES), st.sampled_from(_QUOTES))
_command_text = st.builds(
    lambda verb, tokens, seps: verb + " " + "".join(t + s for t, s in zip(tokens, seps, strict=False)),
    st.sampled_from(_VERBS),
    st.lists(_token, max_size=14),
    st.lists(st.sampled_from([" ", " ", " ", "  ", "\t", "", "\u3000"]), min_size=14, max_size=14),
)


def _check(text: str) -> None:
    try:
        command = parse_command(text)
    except InvalidRequest as exc:
        assert exc.message.strip(), text
        assert exc.field, (text, exc.message)
        event(f"refused: {exc.field}")
        return
    event(f"parsed: {type(command).__name__}")
    if isinstance(command, VideoCommand):
        assert isinstance(command.request, GenerationRequest) and has_visible(command.request.prompt)
        assert GenerationRequest.build(**command.request.model_dump()) == command.request
        assert_clean_wire(command.request.to_wire())
    elif isinstance(command, ImageCommand):
        assert isinstance(command.request, ImageRequest) and has_visible(command.request.prompt)
        assert_clean_wire(command.request.to_wire())
    elif isinstance(command, DefaultsCommand):
        assert (command.action == "set") == bool(command.values)
        assert validate_defaults(command.values) == command.values  # stored as they will be read
    elif isinstance(command, StoryboardCommand):
        assert all(shot.strip() for shot in command.shots), text
    elif isinstance(command, JobCommand):
        assert command.job_id and command.job_id == command.job_id.strip().lower(), text
        assert (command.prompt is not None) == (command.action == "remix")
    else:
        assert isinstance(command, StatusCommand | CancelCommand | UsageCommand | HelpCommand)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_command_text)
@example("video --seed=")
@example("video \u2014")
@example("video a --duration=\u0663")
def test_fuzzed_commands_never_crash(text: str) -> None:
    _check(text)


@settings(max_examples=1500, deadline=None)
@given(st.text())
def test_any_text_at_all_never_crashes(text: str) -> None:
    _check(text)


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(["video", "v", "image", "/wan video", "wan image"]),
       st.text(alphabet=st.sampled_from(_INVISIBLE_CHARS), min_size=1, max_size=20),
       st.sampled_from(["", " --ar 9:16", " --duration 5", " --seed 7", " --negative blur"]))
def test_a_prompt_of_only_invisible_or_control_characters_is_never_queued(verb: str, junk: str, flags: str) -> None:
    text = verb + " " + junk + (flags if not verb.endswith("image") else "")
    with pytest.raises(InvalidRequest) as caught:
        parse_command(text)
    reply = Messages()("invalid", reason=caught.value.message)
    # One sentence, naming what is wrong, with nothing unprintable echoed back.
    assert caught.value.field and reply.endswith(".") and "\n" not in reply and ". " not in reply
    assert "prompt" in caught.value.message
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in reply)


def test_help_lists_the_team_studio_commands() -> None:
    """Issue 13: /wan help names what a team needs to find: variants, history, settings, the answers to a price."""
    from core.commands import HELP_TEXT
    from core.messages import Messages

    for text in (HELP_TEXT, Messages()("help.options")):
        assert "variants" in text and "/wan history" in text.replace("**", "") and "/wan settings" in text.replace(
            "**", ""), text
    assert "/wan confirm <id>" in HELP_TEXT and "/wan approve <id>" in HELP_TEXT
