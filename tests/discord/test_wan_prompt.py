"""The prompt Wan rendered on Discord: shown on the finished message, and a Remix that starts from it.

Prompt extension's rewrite comes back as ``output.actual_prompt`` on wan2.6 and earlier (the sandbox,
like the service, reports one only with prompt_extend on; the seed's wan2.7-t2v answers carry none).
"""

from __future__ import annotations

from adapters.discord.markup import plain
from core.jobs import JobState
from sandbox.render import extended_prompt
from tests.discord.conftest import button_ids, job_id_of, status_id

#: Markdown and a broadcast word: the field must show them as text and ping nobody.
PROMPT = "a **paper** boat on a pond @everyone"


async def test_finished_message_shows_wans_prompt_and_remix_starts_from_it(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    inter = await fake.slash(fake.alice, "video", prompt=PROMPT, model="wan2.6-t2v", duration=2)
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    job_id = job_id_of(fake, status)
    job = await bot.rt.engine.wait(job_id, timeout=30)
    assert job.state is JobState.DELIVERED, job.error_message
    await fake.wait_for(lambda: "🎬 Done" in fake.titles(status))

    rewrite = extended_prompt(PROMPT)
    assert job.wan_prompt == rewrite and job.request.prompt == PROMPT
    fields = {f["name"]: f for f in fake.messages[status].embeds[0]["fields"]}
    shown = fields["Prompt Wan used"]
    assert shown["value"] == plain(rewrite) and not shown["inline"]
    assert "**paper**" not in shown["value"] and "@everyone" not in shown["value"]
    ids = button_ids(fake, status)
    assert ids.index(f"wan:remixwan:{job_id}") == ids.index(f"wan:remix:{job_id}") + 1

    # Remix still starts from the prompt as typed ...
    remix = await fake.click(fake.alice, status, f"wan:remix:{job_id}")
    modal = await fake.wait_for(lambda: fake.response_to(remix))
    assert modal.type == 9 and modal.data["components"][0]["component"]["value"] == PROMPT
    # ... and Remix Wan's prompt from the one Wan rendered, in a form of its own title.
    from_wan = await fake.click(fake.alice, status, f"wan:remixwan:{job_id}")
    modal = await fake.wait_for(lambda: fake.response_to(from_wan))
    assert modal.type == 9 and modal.data["title"] == "Remix from the prompt Wan used"
    assert modal.data["components"][0]["component"]["value"] == rewrite
    submitted = await fake.submit_modal(fake.alice, from_wan, [rewrite + " At night."])
    await fake.wait_for(lambda: fake.response_to(submitted))
    remixed = await env.job(bot, job_id_of(fake, status_id(fake, submitted)))
    assert remixed.request.prompt == rewrite + " At night." and remixed.request.model == "wan2.6-t2v"


async def test_no_rewrite_no_field_and_no_button(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    bot = await env.start()
    # prompt_extend off on a legacy model, and wan2.7-t2v (whose answers carry no actual_prompt).
    off = await fake.slash(fake.alice, "video", prompt="a fox", model="wan2.6-t2v", duration=2, prompt_extend=False)
    plain27 = await fake.slash(fake.alice, "video", prompt="a fox", duration=2)
    for inter in (off, plain27):
        await fake.wait_for(lambda inter=inter: fake.response_to(inter))
        status = status_id(fake, inter)
        job = await bot.rt.engine.wait(job_id_of(fake, status), timeout=30)
        assert job.state is JobState.DELIVERED and job.wan_prompt is None
        await fake.wait_for(lambda status=status: "🎬 Done" in fake.titles(status))
        assert "Prompt Wan used" not in {f["name"] for f in fake.messages[status].embeds[0]["fields"]}
        assert not any(":remixwan:" in i for i in button_ids(fake, status))
