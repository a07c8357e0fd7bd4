"""zh-CN on Slack end to end (issue 14, item 6): a person whose Slack language is Chinese (``users.info``
with ``include_locale``, looked up once) is answered in Chinese — replies, the status message and its later
edits, the buttons — while an English one stays English; ``WANBOT_LOCALE=zh-CN`` is the language of
those whose Slack language wanbot does not speak or cannot learn."""

from __future__ import annotations

from typing import Any

from core.jobs import JobState
from core.messages import EN
from tests.slack.conftest import SlackBot, job_id_of, until, video


async def _answer(bot: SlackBot, text: str, user: str) -> str:
    before = len(bot.ephemeral_texts(user))
    status, _ = await bot.command(text, user=user)
    assert status == 200
    await until(lambda: len(bot.ephemeral_texts(user)) > before, what="an ephemeral answer")
    return bot.ephemeral_texts(user)[before]


def _buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def _locale_lookups(bot: SlackBot, user: str) -> int:
    return len([c for c in bot.fake.called("users.info") if c.args.get("user") == user
                and c.args.get("include_locale")])


async def test_a_chinese_slack_user_is_answered_in_chinese(bot: SlackBot) -> None:
    bot.fake.locales["U_ZH"] = "zh-CN"
    assert await _answer(bot, "cancel", "U_ZH") == "你没有进行中的任务。"
    assert await _answer(bot, "status nosuch23", "U_ZH") == "找不到任务 nosuch23。"
    assert await _answer(bot, "video --variants 9 a fox", "U_ZH") == (
        "这个请求无法执行：--variants 接受 2 到 4 的数字或 ratio，而不是 9。")  # a parser's refusal, in Chinese
    assert "本频道过去的结果" in await _answer(bot, "help", "U_ZH")
    assert await _answer(bot, "cancel", "U1") == EN["job.none_active"]  # U1's Slack is English

    message = await video(bot, "video 黄昏的灯塔 --duration 2", user="U_ZH")
    assert message.history[0].startswith(f"[{job_id_of(message)}] 🎬 排队中")
    head = message.blocks[0]["text"]["text"]
    assert "^{ago}|" in head and head.endswith("提交")  # Slack's ticking date, then the Chinese words
    assert _buttons(message.blocks) == ["取消"]
    assert bot.rt is not None
    job = await bot.rt.engine.wait(job_id_of(message), timeout=20)
    assert job.state is JobState.DELIVERED, job.error_message
    shown = bot.fake.messages[message.ts]
    await until(lambda: "🎬 完成" in shown.history[-1], what="the last edit")
    assert [t.split(" · ")[0].split("🎬 ")[1] for t in shown.history] == ["排队中", "等待 DashScope", "生成中",
                                                                       "上传中", "完成"]
    assert _buttons(shown.blocks) == ["重新生成", "改写", "1080P", "删除"]
    # Asked Slack once for her language, however many commands she sent.
    assert _locale_lookups(bot, "U_ZH") == 1


async def test_wanbot_locale_is_the_language_of_those_slack_does_not_tell(make_bot) -> None:  # type: ignore[no-untyped-def]
    bot: SlackBot = await make_bot(locale="zh-CN")
    bot.fake.locales["U_FR"] = "fr-FR"  # no French catalogue
    assert await _answer(bot, "cancel", "U_FR") == "你没有进行中的任务。"
    bot.fake.fail("users.info", "missing_scope")  # a workspace that did not grant users:read
    assert await _answer(bot, "cancel", "U_NOSCOPE") == "你没有进行中的任务。"
    assert await _answer(bot, "cancel", "U_NOSCOPE") == "你没有进行中的任务。"
    assert _locale_lookups(bot, "U_NOSCOPE") == 1  # a look-up that can never work is not repeated
    assert await _answer(bot, "cancel", "U1") == EN["job.none_active"]  # an English Slack user stays English


async def test_a_failed_lookup_answers_in_the_deployment_language_and_asks_again(bot: SlackBot) -> None:
    bot.fake.locales["U_ZH"] = "zh-CN"
    bot.fake.fail("users.info", status=500, error="internal_error")
    assert await _answer(bot, "cancel", "U_ZH") == EN["job.none_active"]
    assert await _answer(bot, "cancel", "U_ZH") == "你没有进行中的任务。"
