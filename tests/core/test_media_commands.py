"""The text forms of editing and animate: ``image … --image`` and ``animate …`` (console and Slack)."""

from __future__ import annotations

import pytest

from core.commands import HELP_TEXT, ImageCommand, parse_command
from core.errors import InvalidRequest
from core.media_commands import AnimateCommand, EditCommand
from core.messages import Messages

M = Messages()


def test_image_with_images_is_an_edit_in_the_order_given() -> None:
    command = parse_command('image "make it snow" --image https://a.example/1.png --size 1K '
                            '--image=<https://files.example/2.jpg|two.jpg> --seed 4')
    assert command == EditCommand({"size": "1K", "seed": 4, "prompt": "make it snow"},
                                  ("https://a.example/1.png", "https://files.example/2.jpg"))


def test_image_without_images_is_still_text_to_image() -> None:
    assert isinstance(parse_command("image a kite --size 4K --model wan2.7-image-pro"), ImageCommand)


def test_more_than_nine_images_is_refused_while_parsing() -> None:
    text = "image p " + " ".join(f"--image https://a.example/{i}.png" for i in range(10))
    with pytest.raises(InvalidRequest) as refused:
        parse_command(text)
    assert refused.value.message == M("edit.count", most=9, count=10)


def test_animate_with_frames_audio_and_options() -> None:
    command = parse_command("/wan animate a slow zoom --first https://a.example/f.png --last ./l.png "
                            "--audio https://a.example/s.mp3 --res 1080p --d 8 --no-extend --seed 3")
    assert command == AnimateCommand(
        {"resolution": "1080p", "duration": 8, "prompt_extend": False, "seed": 3, "prompt": "a slow zoom"},
        first="https://a.example/f.png", last="./l.png", audio="https://a.example/s.mp3")


def test_animate_from_a_job_without_a_prompt() -> None:
    assert parse_command("animate --from ABCD2345") == AnimateCommand({}, from_job="abcd2345")


def test_animate_refuses_a_ratio_and_unknown_options() -> None:
    with pytest.raises(InvalidRequest) as ratio:
        parse_command("animate --first https://a.example/f.png --ar 9:16")
    assert ratio.value.message == M("animate.ratio")
    with pytest.raises(InvalidRequest, match="unknown option --shot"):
        parse_command("animate --first https://a.example/f.png --shot multi")
    with pytest.raises(InvalidRequest, match="given twice"):
        parse_command("animate --first https://a.example/f.png --first https://a.example/g.png")


def test_help_names_both() -> None:
    assert "--image <link>" in HELP_TEXT and "/wan animate" in HELP_TEXT and "--from <image job>" in HELP_TEXT
