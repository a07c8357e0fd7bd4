"""zh-CN on Discord end to end (issue 14, item 6): the registered commands' localisations, and answers in
the interaction's language — replies, the status message and every later edit of it — while an English
interaction stays English."""

from __future__ import annotations

from typing import Any

from core.jobs import JobState
from core.messages import EN
from core.messages_zh import ZH
from tests.discord.conftest import ephemeral_reply, status_id
from tests.fakes.discord_server import MANAGE_MESSAGES, MEMBER_PERMISSIONS, FakeDiscord

MANAGE_CHANNELS = 1 << 4  # the permission that makes a channel admin (as tests/discord/test_spend.py)


def job_of(fake: FakeDiscord, message_id: int) -> str:
    """The job id on a status embed, in either language."""
    fields = fake.messages[message_id].embeds[0]["fields"]
    return str(next(f["value"] for f in fields if f["name"] in (EN["field.job"], ZH["field.job"])))


def labels(fake: FakeDiscord, message_id: int) -> list[str]:
    return [c.get("label", "") for row in fake.messages[message_id].components for c in row["components"]]


def option(command: dict[str, Any], name: str) -> dict[str, Any]:
    return next(o for o in command.get("options", []) if o["name"] == name)


async def test_commands_are_registered_with_chinese_descriptions_and_ascii_names(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    await env.start()
    _, wan = fake.registered("wan")
    assert wan is not None
    assert wan["description"] == EN["discord.cmd.wan"]
    assert wan["description_localizations"]["zh-CN"] == ZH["discord.cmd.wan"]
    assert "zh-CN" not in (wan.get("name_localizations") or {})  # typed names stay ASCII everywhere
    video = option(wan, "video")
    assert video["description_localizations"]["zh-CN"] == ZH["discord.cmd.video"]
    assert option(video, "seed")["description_localizations"]["zh-CN"] == ZH["discord.cmd.seed"]
    assert "zh-CN" not in (option(video, "seed").get("name_localizations") or {})
    variants = option(video, "variants")["choices"]
    assert [c["name_localizations"]["zh-CN"] for c in variants] == ["2 个种子", "3 个种子", "4 个种子",
                                                                   ZH["discord.variants.ratio"]]
    # Values like 16:9 are completed per model (autocomplete), so they have no fixed, localised choices.
    assert option(video, "ratio").get("autocomplete") is True and "choices" not in option(video, "ratio")
    assert option(option(wan, "defaults"), "clear")["description_localizations"]["zh-CN"] == ZH["defaults.cmd.clear"]
    assert option(wan, "settings")["description_localizations"]["zh-CN"] == ZH["settings.cmd"]
    # The Apps-menu names are read, not typed: those are Chinese for a Chinese client.
    _, menu = fake.registered("Edit with Wan", 3)
    assert menu is not None and menu["name_localizations"]["zh-CN"] == ZH["discord.menu.edit"]
    # Every localisation keeps within Discord's limits.
    def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
        return [node, *(n for o in node.get("options", []) for n in walk(o)), *node.get("choices", [])]
    for node in walk(wan):
        assert all(len(t) <= 100 for t in (node.get("description_localizations") or {}).values())
        assert all(len(t) <= 100 for t in (node.get("name_localizations") or {}).values())


async def test_a_chinese_interaction_is_answered_in_chinese_and_an_english_one_in_english(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    fake.alice.locale = "zh-CN"
    bot = await env.start()

    inter = await fake.slash(fake.alice, "video", prompt="黄昏的灯塔", duration=2)
    callback = await fake.wait_for(lambda: fake.response_to(inter))
    assert callback.data["embeds"][0]["title"] == "🎬 排队中"
    status = status_id(fake, inter)
    job_id = job_of(fake, status)
    job = await bot.rt.engine.wait(job_id, timeout=20)
    assert job.state is JobState.DELIVERED, job.error_message
    assert job.extra["locale"] == "zh-CN"
    # Every later edit is Chinese too: it is made by the watcher, long after Alice's interaction.
    await fake.wait_for(lambda: "🎬 完成" in fake.titles(status))
    assert fake.titles(status) == ["🎬 等待 DashScope", "🎬 生成中", "🎬 上传中", "🎬 完成"]
    # While it ran, Discord's own ticking timestamp stood where the Chinese words put it.
    running = [e.payload["embeds"][0] for e in fake.edits_of(status) if e.payload["embeds"][0]["title"] == "🎬 生成中"]
    assert f"<t:{int(job.created_at.timestamp())}:R>提交" in running[0]["description"]
    final = fake.messages[status].embeds[0]
    assert {f["name"] for f in final["fields"]} >= {"模型", "规格", "费用", "任务"}
    assert labels(fake, status) == ["重新生成", "改写", "1080P", "删除"]
    caption = fake.messages[fake.uploads[0].message_id].content
    assert f"2 秒 · 任务 {job_id}" in caption and caption.endswith(f"由 <@{fake.alice.id}> 发起"), caption

    # Her ephemeral answers and refusals, from the use cases and from the parsers alike.
    none = await fake.slash(fake.alice, "cancel")
    assert await ephemeral_reply(fake, none) == "你没有进行中的任务。"
    unknown = await fake.slash(fake.alice, "status", job="zzzz2345")
    assert await ephemeral_reply(fake, unknown) == "找不到任务 zzzz2345。"
    helped = await fake.slash(fake.alice, "help")
    assert "生成视频" in await ephemeral_reply(fake, helped)

    # Bob's client is English: so are his answers, his own job's status, and a click on Alice's job.
    english = await fake.slash(fake.bob, "video", prompt="a lighthouse at dusk", duration=2)
    answered = await fake.wait_for(lambda: fake.response_to(english))
    assert answered.data["embeds"][0]["title"] == "🎬 Queued"
    refused = await fake.click(fake.bob, status, f"wan:delete:{job_id}")
    assert (await ephemeral_reply(fake, refused)).startswith("Only the person who asked")
    # A Chinese click on Bob's English job: the answer is Chinese, his status message stays English.
    bobs = status_id(fake, english)
    await bot.rt.engine.wait(job_of(fake, bobs), timeout=20)
    await fake.wait_for(lambda: "🎬 Done" in fake.titles(bobs))
    no = await fake.click(fake.alice, bobs, f"wan:delete:{job_of(fake, bobs)}")
    assert await ephemeral_reply(fake, no) == ZH["action.not_yours"]
    assert labels(fake, bobs) == ["Re-roll", "Remix", "1080P", "Delete"]


async def test_the_status_stays_in_the_job_language_whoever_changes_it(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=1)  # PENDING lasts seconds: time enough to click Cancel
    fake = env.fake
    fake.alice.locale = "zh-CN"
    await env.start()
    inter = await fake.slash(fake.alice, "video", prompt="纸船", seed=7)
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    job_id = job_of(fake, status)
    await fake.wait_for(lambda: "🎬 等待 DashScope" in fake.titles(status))
    # An English-speaking moderator cancels it: their answer is English, Alice's message stays Chinese.
    done = await fake.click(fake.mod, status, f"wan:cancel:{job_id}", permissions=MEMBER_PERMISSIONS | MANAGE_MESSAGES)
    assert await ephemeral_reply(fake, done) == f"Cancelled job {job_id}. Nothing was billed."
    await fake.wait_for(lambda: "🎬 已取消" in fake.titles(status))
    assert labels(fake, status) == ["重新生成", "改写", "删除"]


async def test_the_server_language_when_wanbot_does_not_speak_the_person_s(make_env) -> None:  # type: ignore[no-untyped-def]
    fake = FakeDiscord()
    fake.guild.locale = "zh-CN"
    fake.bob.locale = "fr"  # no French catalogue: the server's language, not English
    env = await make_env(speed=150, fake=fake)
    await env.start()
    inter = await fake.slash(fake.bob, "cancel")
    assert await ephemeral_reply(fake, inter) == "你没有进行中的任务。"
    fake.alice.locale = "en-GB"  # a language wanbot speaks wins over the server's
    inter = await fake.slash(fake.alice, "cancel")
    assert await ephemeral_reply(fake, inter) == EN["job.none_active"]


async def test_the_deployment_language_is_the_last_choice(make_env) -> None:  # type: ignore[no-untyped-def]
    fake = FakeDiscord()
    fake.bob.locale = "fr"
    fake.guild.locale = "de"
    env = await make_env(speed=150, fake=fake, locale="zh-CN")
    await env.start()
    inter = await fake.slash(fake.bob, "cancel")
    assert await ephemeral_reply(fake, inter) == "你没有进行中的任务。"


async def test_a_chinese_interaction_s_refusals_from_the_request_checks_and_settings_are_chinese(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    fake.alice.locale = "zh-CN"
    fake.mod.locale = "zh-CN"
    await env.start()
    long = await fake.slash(fake.alice, "video", prompt="黄昏的灯塔", duration=99)
    assert await ephemeral_reply(fake, long) == (
        "这个请求无法执行：wan2.7-t2v 的时长（duration）必须是整数秒：2 到 15。")
    bad = await fake.slash(fake.mod, "settings", name="confirm_over", value="abc",
                           permissions=MEMBER_PERMISSIONS | MANAGE_CHANNELS)
    assert await ephemeral_reply(fake, bad) == (
        "这个请求无法执行：confirm\\_over 的值应为：以元为单位的金额（例如 15）或 off，而不是 'abc'。")
    assert env.creates == []
    # The same refusal to an English client is today's English sentence.
    english = await fake.slash(fake.bob, "video", prompt="a lighthouse", duration=99)
    assert await ephemeral_reply(fake, english) == (
        "That request doesn't work: duration must be a whole number of seconds from 2 to 15 for wan2.7-t2v.")
