"""The bot token goes only to Slack's file host; the fake's file host answers only to the token."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from adapters.slack.commands import unwrap_links
from adapters.slack.files import FileHost, images_of, input_file
from adapters.slack.shortcuts import ANIMATE_SHORTCUT, EDIT_SHORTCUT
from tests.fakes.slack_server import TOKEN, FakeSlack
from tests.slack.wire import png

PROD = FileHost.for_api("https://slack.com/api/")


def test_real_slack_files_are_on_files_slack_com_over_https_only() -> None:
    assert FileHost("https", "files.slack.com", 443) == PROD
    assert PROD.serves("https://files.slack.com/files-pri/T1-F1/download/a.png")
    assert PROD.serves("https://FILES.slack.com:443/files-pri/T1-F1/a.png")
    for url in ("http://files.slack.com/files-pri/T1-F1/a.png",          # not https
                "https://files.slack.com.evil.example/files-pri/a.png",   # a look-alike host
                "https://evil.example/files.slack.com/a.png",
                "https://files.slack.com@evil.example/a.png",              # user-info: the host is evil.example
                "https://user:pw@files.slack.com/a.png",
                "https://files.slack.com:8443/a.png",
                "https://slack.com/api/files.info",                        # the API, not the file host
                "https://evil-files.slack.com/a.png", "ftp://files.slack.com/a.png", "/etc/passwd", "",
                "https://[::1/a.png"):
        assert not PROD.serves(url), url
        assert PROD.headers_for(url, TOKEN) == {}, url
    assert PROD.headers_for("https://files.slack.com/x", TOKEN) == {"Authorization": f"Bearer {TOKEN}"}


def test_a_fake_or_proxy_serves_its_files_where_it_serves_the_api() -> None:
    host = FileHost.for_api("http://127.0.0.1:4321/api/")
    assert host == FileHost("http", "127.0.0.1", 4321)
    assert host.serves("http://127.0.0.1:4321/files-pri/T-F/download/a.png")
    assert not host.serves("http://127.0.0.1:4322/files-pri/T-F/download/a.png")
    assert not host.serves("http://localhost:4321/files-pri/T-F/download/a.png")
    assert not host.serves("https://files.slack.com/files-pri/T-F/download/a.png")
    with pytest.raises(ValueError):
        FileHost.for_api("not a url")


def test_only_images_wan_reads_are_taken_and_each_becomes_an_input_file() -> None:
    files = [{"id": "F1", "mimetype": "image/png", "name": "a.png"}, {"id": "F2", "mimetype": "application/pdf"},
             {"id": "F3", "mimetype": "image/gif"}, {"id": "F4", "mimetype": "image/webp"},
             {"id": "F5", "file_access": "check_file_info"}, {"mimetype": "image/png"}]
    assert [f["id"] for f in images_of(files)] == ["F1", "F4", "F5"]
    made = input_file({"id": "F1", "name": "a.png", "mimetype": "image/png", "size": 12,
                       "url_private": "https://files.slack.com/files-pri/T-F1/a.png",
                       "url_private_download": "https://files.slack.com/files-pri/T-F1/download/a.png"}, PROD, TOKEN)
    assert (made.url, made.filename, made.content_type, made.size) == (
        "https://files.slack.com/files-pri/T-F1/download/a.png", "a.png", "image/png", 12)
    assert dict(made.headers) == {"Authorization": f"Bearer {TOKEN}"}
    elsewhere = input_file({"id": "F9", "url_private_download": "https://cdn.example/a.png"}, PROD, TOKEN)
    assert dict(elsewhere.headers) == {}


async def test_the_fake_file_host_serves_bytes_only_with_the_bot_token(fake_slack: FakeSlack) -> None:
    image = png(300, 240)
    made = fake_slack.files.add("sunset.png", image, "image/png")
    assert FileHost.for_api(fake_slack.api_url).serves(made.url_private_download)
    async with aiohttp.ClientSession() as session:
        async with session.get(made.url_private_download, headers={"Authorization": f"Bearer {TOKEN}"}) as answer:
            assert answer.status == 200 and await answer.read() == image
            assert answer.content_type == "image/png"
        for headers in ({}, {"Authorization": "Bearer xoxb-someone-else"}):
            async with session.get(made.url_private_download, headers=headers, allow_redirects=False) as answer:
                assert answer.status == 302 and "/signin" in answer.headers["Location"]
            async with session.get(made.url_private, headers=headers) as answer:  # followed: a sign-in page
                assert answer.status == 200 and answer.content_type == "text/html"
    assert [f.status for f in fake_slack.files.fetched(made)] == [200, 302, 302, 302, 302]


def test_the_manifest_declares_both_message_shortcuts_and_files_read() -> None:
    yaml = pytest.importorskip("yaml")
    manifest = yaml.safe_load((Path(__file__).parents[2] / "slack-manifest.yml").read_text())
    shortcuts = {s["callback_id"]: s for s in manifest["features"]["shortcuts"]}
    assert set(shortcuts) == {EDIT_SHORTCUT, ANIMATE_SHORTCUT}
    assert {s["type"] for s in shortcuts.values()} == {"message"}
    assert [shortcuts[EDIT_SHORTCUT]["name"], shortcuts[ANIMATE_SHORTCUT]["name"]] == ["Edit with Wan",
                                                                                       "Animate with Wan"]
    assert all(len(s["name"]) <= 24 and len(s["description"]) <= 80 for s in shortcuts.values())
    assert "files:read" in manifest["oauth_config"]["scopes"]["bot"]


def test_slack_link_markup_in_a_link_flag_becomes_the_bare_url_and_the_prompt_stays_as_typed() -> None:
    text = ("animate <https://evil.example|Free Nitro> --first <https://x.example/a.png?a=1&amp;b=2|a.png> "
            "--last=<https://y.example/b.jpg> --IMAGE <http://z.example/c.png>")
    assert unwrap_links(text) == ("animate <https://evil.example|Free Nitro> --first https://x.example/a.png?a=1&b=2 "
                                  "--last=https://y.example/b.jpg --IMAGE http://z.example/c.png")
    others = "<mailto:me@example.com> <#C123|general> <@U1> --first <mailto:x@y.z> --seed <https://x.y>"
    assert unwrap_links(others) == others
