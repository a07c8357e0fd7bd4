"""Variants on Discord (issue 13, item 2), through the real discord.py client against the fake.

``/wan video variants:3`` renders three seeds as one idea: the first variant's status in the channel
opens the thread, the others post their status (each labelled, each with its buttons) in it, and every
video is delivered in the thread. All N are accepted together or none (the per-user cap counts N).
``variants:ratio`` renders the same prompt across the model's ratios, as the wire bodies show.
"""

from __future__ import annotations

from typing import Any

from core.jobs import JobState
from tests.discord.conftest import button_ids, ephemeral_reply, job_id_of, status_id
from tests.discord.test_threads import fields_of, status_in

VIDEO_ROUTE = "/api/v1/services/aigc/video-generation/video-synthesis"


def video_creates(env: Any) -> list[dict[str, Any]]:
    return [body for path, body in env.creates if path.endswith(VIDEO_ROUTE)]


async def confirmed(fake: Any, inter: Any) -> Any:
    """Issue 13: a variants batch is priced up front and asks first; the requester's Confirm starts it."""
    said = await ephemeral_reply(fake, inter)
    assert said.startswith("This will cost about ¥") and "Start it?" in said, said
    asked = fake.message_of(inter)
    buttons = {c["label"]: c["custom_id"] for row in asked.components for c in row["components"]}
    click = await fake.click(fake.alice, int(asked.id), buttons["Confirm"])
    await fake.wait_for(lambda: fake.response_to(click))
    return click


async def test_three_seed_variants_are_one_idea_in_one_thread(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(threads_default=True)
    fake = env.fake
    bot = await env.start()
    inter = await confirmed(fake, await fake.slash(fake.alice, "video", prompt="a lighthouse at dusk", duration=2,
                                                   variants="3"))
    first = status_id(fake, inter)
    root = job_id_of(fake, first)
    stored = await bot.rt.store.get(root)
    assert stored is not None
    group = [j for j in await bot.rt.store.recent_for_user("discord", str(fake.guild.id), str(fake.alice.id),
                                                           limit=10) if j.extra.get("group") == root]
    assert sorted(j.extra["variant"] for j in group) == [0, 1, 2]
    assert {j.extra["variants_of"] for j in group} == {"seed"}
    for job in group:
        done = await bot.rt.engine.wait(job.id, timeout=30)
        assert done.state is JobState.DELIVERED, done.error_message

    # Three creates, three different seeds, one prompt.
    bodies = video_creates(env)
    assert len(bodies) == 3
    assert len({b["parameters"]["seed"] for b in bodies}) == 3
    assert {b["input"]["prompt"] for b in bodies} == {"a lighthouse at dusk"}
    # One thread, on the first variant's status; the others' statuses and every video are in it.
    assert fake.threads_started == [(fake.channel_id, first, "a lighthouse at dusk")]
    others = sorted((j for j in group if j.id != root), key=lambda j: j.extra["variant"])
    for number, job in enumerate(others, start=2):
        status = await fake.wait_for(lambda job=job: status_in(fake, first, job.id))
        assert fields_of(fake, status)["Variant"] == f"Variant {number} · seed {job.request.seed}"
        await fake.wait_for(lambda status=status: "🎬 Done" in fake.titles(status))
        assert f"wan:reroll:{job.id}" in button_ids(fake, status)
    assert fields_of(fake, first)["Variant"].startswith("Variant 1 · seed ")
    assert sorted(u.channel_id for u in fake.uploads) == [first] * 3

    # A variant's own buttons work: its re-roll goes into the same thread, naming it as the parent.
    second = status_in(fake, first, others[0].id)
    assert second is not None
    click = await fake.click(fake.alice, second, f"wan:reroll:{others[0].id}")
    await fake.wait_for(lambda: fake.response_to(click))
    rerolled = status_id(fake, click)
    assert fake.messages[rerolled].channel_id == first
    assert fields_of(fake, rerolled)["From"] == f"Re-roll of #{others[0].id}"


async def test_a_confirmed_batch_remembers_all_its_jobs(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(threads_default=True)
    fake = env.fake
    bot = await env.start()
    inter = await fake.slash(fake.alice, "video", prompt="two kites", duration=2, variants="2")
    await ephemeral_reply(fake, inter)
    asked = fake.message_of(inter)
    buttons = {c["label"]: c["custom_id"] for row in asked.components for c in row["components"]}
    first = await fake.click(fake.alice, int(asked.id), buttons["Confirm"])
    await fake.wait_for(lambda: fake.response_to(first))
    root = job_id_of(fake, status_id(fake, first))
    group = [j for j in await bot.rt.store.recent_for_user("discord", str(fake.guild.id), str(fake.alice.id),
                                                           limit=10) if j.extra.get("group") == root]
    assert len(group) == 2
    # A second Confirm names every job of the batch, not only the first.
    again = await fake.click(fake.alice, int(asked.id), buttons["Confirm"])
    said = await ephemeral_reply(fake, again)
    assert said.startswith("This was already started (jobs ") and all(j.id in said for j in group), said
    for job in group:
        await bot.rt.engine.wait(job.id, timeout=30)


async def test_variants_are_all_or_nothing_against_the_per_user_cap(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(per_user_cap=3, threads_default=True)
    fake = env.fake
    bot = await env.start()
    inter = await confirmed(fake, await fake.slash(fake.alice, "video", prompt="four at once is one too many",
                                                   duration=2, variants="4"))
    said = await ephemeral_reply(fake, inter)
    # Nothing is running: the sentence must not claim "you already have 3 jobs in progress".
    assert "4 variants need 4 places at once" in said and "at most 3" in said, said
    assert "already have" not in said, said
    assert await env.stored_job_ids() == set(), "nothing of the batch was stored"
    assert video_creates(env) == []
    assert bot.rt.engine.in_flight() == 0


async def test_ratio_variants_put_each_ratio_on_the_wire(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(threads_default=True)
    fake = env.fake
    bot = await env.start()
    inter = await confirmed(fake, await fake.slash(fake.alice, "video", prompt="a red kite", duration=2,
                                                   variants="ratio"))
    root = job_id_of(fake, status_id(fake, inter))
    await fake.wait_for(lambda: len(video_creates(env)) >= 3)
    group = [j for j in await bot.rt.store.recent_for_user("discord", str(fake.guild.id), str(fake.alice.id),
                                                           limit=10) if j.extra.get("group") == root]
    for job in group:
        await bot.rt.engine.wait(job.id, timeout=30)
    bodies = video_creates(env)
    shapes = [b["parameters"].get("ratio") or b["parameters"].get("size") for b in bodies]
    assert len(bodies) == len(group) >= 3 and len(set(shapes)) == len(bodies)
    assert {j.extra["variant_label"] for j in group} >= {"Variant 16:9", "Variant 9:16", "Variant 1:1"}
    assert len({b["parameters"]["seed"] for b in bodies}) == 1, "ratio variants share one seed"
