"""Block Kit rendering, mrkdwn escaping and the adapter's error translations, without any server."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.blocks import Mrkdwn, escape, fallback_text, fit, quote, safe, status_blocks
from adapters.slack.errors import SlackNotInChannel, platform_error, reply_for
from core.errors import InvalidRequest, PlatformError, QuotaExceeded, UploadTooLarge
from core.messages import Messages
from core.port import StatusField, StatusView

M = Messages()


def _view(**changes: Any) -> StatusView:
    values: dict[str, Any] = {"job_id": "abcd2345", "state": "DELIVERED", "title": "🎬 Done",
                              "prompt": "a fox <!here>", "line": "1m 02s",
                              "fields": (StatusField("Avoid", "<@U1> & rain"),), "actions": ("reroll", "delete")}
    values.update(changes)
    return StatusView(**values)


def test_escape_turns_the_three_control_characters_into_entities() -> None:
    assert escape("<!channel> & <@U1> *bold* 狐狸") == "&lt;!channel&gt; &amp; &lt;@U1&gt; *bold* 狐狸"
    assert safe(Mrkdwn("*already*")) == "*already*" and safe("<x>") == "&lt;x&gt;"


def test_fit_cuts_on_whole_entities_within_the_limit() -> None:
    cut = fit("&" * 1000, 100)
    assert len(cut) <= 100 and cut.endswith("…") and cut[:-1] == "&amp;" * 19
    assert fit("short", 100) == "short"


def test_quote_marks_every_line_and_a_user_cannot_open_one() -> None:
    assert quote("one\n> two") == ">one\n>&gt; two"


def test_status_blocks_escape_everything_echoed_and_carry_the_job_id() -> None:
    blocks = status_blocks(_view(link="https://x/y.mp4?a=1&b=2", detail="too big <b>"), M)
    dumped = json.dumps(blocks)
    assert "<!here>" not in dumped and "<@U1>" not in dumped and "<b>" not in dumped
    assert "&lt;!here&gt;" in dumped and "&lt;@U1&gt; &amp; rain" in dumped
    assert "<https://x/y.mp4?a=1&amp;b=2|Download the video>" in dumped
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [("wan_reroll", "abcd2345"),
                                                                         ("wan_delete", "abcd2345")]
    assert "confirm" in actions["elements"][1]


def test_no_actions_block_when_there_is_nothing_to_click() -> None:
    assert all(b["type"] != "actions" for b in status_blocks(_view(actions=()), M))


def _api_error(status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> SlackApiError:
    response = AsyncSlackResponse(client=None, http_verb="POST", api_url="https://slack.com/api/x", req_args={},
                                  data=data, headers=headers or {}, status_code=status)
    return SlackApiError("failed", response)  # type: ignore[no-untyped-call]


def test_slack_errors_become_platform_errors() -> None:
    limited = platform_error(_api_error(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}))
    assert (limited.code, limited.retryable, limited.retry_after) == ("ratelimited", True, 7.0)
    absent = platform_error(_api_error(200, {"ok": False, "error": "not_in_channel"}))
    assert isinstance(absent, SlackNotInChannel) and (absent.code, absent.retryable) == ("not_in_channel", False)
    private = platform_error(_api_error(200, {"ok": False, "error": "method_not_supported_for_channel_type"}))
    assert isinstance(private, SlackNotInChannel) and private.code == "method_not_supported_for_channel_type"
    down = platform_error(_api_error(503, {}))
    assert (down.code, down.retryable) == ("http_503", True)
    too_large = platform_error(_api_error(200, {"ok": False, "error": "file_too_large"}))
    assert isinstance(too_large, UploadTooLarge) and too_large.code == "TooLarge"
    assert not isinstance(down, SlackNotInChannel | UploadTooLarge)
    upload = platform_error(SlackRequestError("Failed to upload a file (status: 500)"))
    assert (upload.code, upload.retryable) == ("slack_unreachable", True)


def test_every_error_becomes_one_plain_sentence() -> None:
    assert reply_for(InvalidRequest("--ar needs a value", field="ratio"), M) == (
        "That request doesn't work: --ar needs a value.")
    assert reply_for(QuotaExceeded("Easy there: you can try again in 3 s."), M).startswith("Easy there")
    not_here = platform_error(_api_error(200, {"ok": False, "error": "channel_not_found"}))
    assert "/invite @wanbot" in reply_for(not_here, M)
    assert "/invite @wanbot" not in reply_for(PlatformError("x", code="slack_unreachable"), M)
    assert reply_for(RuntimeError("secret internals"), M) == M("error.internal")


def _mrkdwn_objects(blocks: Any) -> list[dict[str, Any]]:
    """Every mrkdwn text object anywhere in ``blocks``."""
    found: list[dict[str, Any]] = []
    stack = [blocks]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("type") == "mrkdwn":
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def test_every_mrkdwn_object_is_verbatim_so_slack_parses_nothing_in_it() -> None:
    blocks = status_blocks(_view(prompt="@here see #general and https://evil.example", detail="x @channel"), M)
    objects = _mrkdwn_objects(blocks)
    assert len(objects) >= 4  # head, prompt, a field, the detail
    assert all(o.get("verbatim") is True for o in objects), objects


def test_bare_broadcast_words_are_defused_everywhere_they_are_escaped() -> None:
    for word in ("@here", "@channel", "@everyone", "@HERE"):
        out = escape(f"hi {word}!")
        assert word not in out and out == f"hi @\u2060{word[1:]}!"
    assert escape("mail me at a@herely.com") == "mail me at a@herely.com"  # not a broadcast word
    assert "@here" not in fallback_text(_view(detail="@here"))
    assert "@channel" not in json.dumps(status_blocks(_view(prompt="@channel"), M), ensure_ascii=False)


def test_a_link_the_engine_makes_cannot_carry_a_label_of_its_own() -> None:
    blocks = status_blocks(_view(link="https://x/y.mp4?q=a|Free Nitro"), M)
    [text] = [o["text"] for o in _mrkdwn_objects(blocks) if o["text"].startswith("<https://")]
    assert text == "<https://x/y.mp4?q=a%7CFree%20Nitro|Download the video>"
    # Not a web link: shown as text, never as a clickable label.
    texts = [o["text"] for o in _mrkdwn_objects(status_blocks(_view(link="javascript:alert(1)|Safe"), M))]
    assert not any(t.startswith("<") for t in texts) and "Download the video: javascript:alert(1)|Safe" in texts


def test_an_unfinished_job_ticks_with_slacks_own_relative_time() -> None:
    """Issue 14: the elapsed time was a frozen "1m 12s" until the next edit; Slack's ``{ago}`` token ticks."""
    from datetime import UTC, datetime

    since = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    view = _view(state="RUNNING", title="🎬 Generating", line="1m 12s", since=since, place="",
                 clock="asked {ago} · usually ~2 min")
    head = status_blocks(view, M)[0]["text"]["text"]
    at = int(since.timestamp())
    assert head == f"*🎬 Generating*  ·  asked <!date^{at}^{{ago}}|2026-12-03 14:00 UTC> · usually ~2 min"
    queued = _view(state="QUEUED", title="🎬 Queued", line="next in line · 3s", since=since, place="next in line",
                   clock="asked {ago}")
    assert status_blocks(queued, M)[0]["text"]["text"].startswith("*🎬 Queued*  ·  next in line  ·  asked <!date^")
    done = status_blocks(_view(), M)[0]["text"]["text"]
    assert done == "*🎬 Done*  ·  1m 02s"  # finished: the frozen total, no ticking
