"""What the adapter tells ``core.actions`` about who asked (``adapters.discord.caller.caller_of``), and the
operator's allow-list, now core's ``AllowList``, refusing through the adapter's one error path."""

from __future__ import annotations

from typing import Any

from core.actions import Caller, ChatActions, granted
from tests.discord.conftest import button_ids, ephemeral_reply, job_id_of, status_id
from tests.discord.images import png
from tests.fakes.discord_server import MANAGE_MESSAGES, MEMBER_PERMISSIONS

MANAGE_CHANNELS = 1 << 4
ADMINISTRATOR = 1 << 3


class CallerSpy(ChatActions):
    """Remembers the ``Caller`` of every action (each passes ``check_allowed`` first)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.callers: list[Caller] = []

    def check_allowed(self, caller: Caller) -> None:
        self.callers.append(caller)
        super().check_allowed(caller)


async def test_an_interaction_becomes_a_caller(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=150)
    fake = env.fake
    thread = fake.add_thread()
    role = next(r for r, name in fake.guild.roles.items() if name == "video-makers")
    spies: list[CallerSpy] = []

    def spy(rt: Any) -> CallerSpy:
        spies.append(CallerSpy(rt.engine, rt.messages, allow=rt.actions.allow))
        return spies[-1]

    await env.start(actions=spy)
    callers = spies[0].callers

    await ephemeral_reply(fake, await fake.slash(fake.mod, "usage", channel_id=thread, roles=[role],
                                                 permissions=MEMBER_PERMISSIONS | MANAGE_MESSAGES))
    mod = callers[-1]
    assert (mod.platform, mod.workspace_id, mod.user_id, mod.user_name) == (
        "discord", str(fake.guild.id), str(fake.mod.id), "mod")
    assert (mod.channel_id, mod.thread_id) == (str(fake.channel_id), str(thread)), "a thread is its parent channel"
    assert str(role) in mod.roles and all(isinstance(r, str) for r in mod.roles)
    assert await granted(mod.moderator) and not await granted(mod.channel_admin)
    assert mod.locale == "en-US"

    for permissions in (MEMBER_PERMISSIONS | MANAGE_CHANNELS, MEMBER_PERMISSIONS | ADMINISTRATOR):
        await ephemeral_reply(fake, await fake.slash(fake.owner, "usage", permissions=permissions))
        admin = callers[-1]
        assert await granted(admin.channel_admin) and admin.thread_id is None

    await ephemeral_reply(fake, await fake.slash(fake.alice, "usage"))
    plain = callers[-1]
    assert not await granted(plain.moderator) and not await granted(plain.channel_admin)

    dm = fake.dm_channel()
    await ephemeral_reply(fake, await fake.slash(fake.alice, "usage", channel_id=dm,
                                                 permissions=MEMBER_PERMISSIONS | MANAGE_MESSAGES | MANAGE_CHANNELS))
    direct = callers[-1]
    assert (direct.workspace_id, direct.channel_id, direct.roles) == (None, str(dm), frozenset())
    assert not await granted(direct.moderator) and not await granted(direct.channel_admin)


async def test_the_allow_list_refuses_commands_buttons_and_modals_ephemerally(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=1)  # slow: the job stays cancellable
    fake = env.fake
    role = next(r for r, name in fake.guild.roles.items() if name == "video-makers")
    env.overrides["discord_allowed_roles"] = str(role)
    bot = await env.start()
    denied = "wanbot isn't enabled for you here. Ask an admin if you think it should be."

    inter = await fake.slash(fake.alice, "video", prompt="a fox", roles=[role])
    await fake.wait_for(lambda: fake.response_to(inter))
    status = status_id(fake, inter)
    job_id = job_id_of(fake, status)
    await fake.wait_for(lambda: "🎬 Waiting for DashScope" in fake.titles(status))

    # Alice without her role (it was taken away): every way in says the same, and nothing happens.
    click = await fake.click(fake.alice, status, f"wan:cancel:{job_id}")
    assert await ephemeral_reply(fake, click) == denied
    assert not (await env.job(bot, job_id)).state.terminal
    for sub, options in (("status", {}), ("usage", {}), ("defaults", {}), ("storyboard", {}),
                         ("cancel", {"job": job_id}), ("video", {"prompt": "a second fox"})):
        assert await ephemeral_reply(fake, await fake.slash(fake.alice, sub, **options)) == denied, sub
    assert not (await env.job(bot, job_id)).state.terminal

    # With it she cancels, and opens Remix; without it, the other buttons and the modal refuse.
    cancel = await fake.click(fake.alice, status, f"wan:cancel:{job_id}", roles=[role])
    assert (await ephemeral_reply(fake, cancel)).startswith("Cancelled job")
    await fake.wait_for(lambda: f"wan:remix:{job_id}" in button_ids(fake, status))
    remix = await fake.click(fake.alice, status, f"wan:remix:{job_id}", roles=[role])
    assert (await fake.wait_for(lambda: fake.response_to(remix))).type == 9
    for action in ("reroll", "remix", "delete"):
        click = await fake.click(fake.alice, status, f"wan:{action}:{job_id}")
        assert await ephemeral_reply(fake, click) == denied, action
    assert await ephemeral_reply(fake, await fake.submit_modal(fake.alice, remix, ["mine now"])) == denied
    assert await env.stored_job_ids() == {job_id}
    assert not fake.messages[status].deleted


async def test_the_allow_list_refuses_editing_and_animating_before_any_form(make_env) -> None:  # type: ignore[no-untyped-def]
    env = await make_env(speed=300)
    fake = env.fake
    role = next(r for r, name in fake.guild.roles.items() if name == "video-makers")
    env.overrides["discord_allowed_roles"] = str(role)
    bot = await env.start()
    denied = "wanbot isn't enabled for you here. Ask an admin if you think it should be."
    photo = fake.user_message(fake.bob, attachments=[fake.attachment("p.png", png())])
    for menu in ("Edit with Wan", "Animate with Wan"):
        inter = await fake.message_command(fake.alice, menu, photo.id)
        assert await ephemeral_reply(fake, inter) == denied, menu
        assert fake.response_to(inter).type == 4, "no form"
    for sub, options in (("image", {"prompt": "x", "image": fake.attachment("q.png", png())}),
                         ("animate", {"image": fake.attachment("r.png", png())})):
        assert await ephemeral_reply(fake, await fake.slash(fake.alice, sub, **options)) == denied, sub
    assert await env.stored_job_ids() == set() and await bot.rt.store.active() == []
    # Nothing was even fetched: the refusal comes before the files.
    assert [path for path, _ in fake.cdn.gets] == []
