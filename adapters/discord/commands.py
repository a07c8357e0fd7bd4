"""The ``/wan`` slash command group and the two message menus: typed options in, one ``Handlers`` call out.

Choices come from the catalogue (models, variants, settings names), ranges from the request limits,
descriptions from ``core.messages`` (``discord.cmd.*``, ``defaults.cmd.*``). The options whose values
depend on the model (resolution, ratio, duration, shot type, image size) are completed as they are typed
(Discord's autocomplete) from the catalogue entry of the model picked in the same command
(``Handlers.suggest`` → ``core.suggest``), so ``480P`` is never offered for wan2.7; core still refuses,
in one sentence naming the valid ones, a value typed by hand that the model does not take. A handler
only gathers the options actually given (``None`` = not given, so the channel's defaults apply) and hands
them over; ``core.actions`` validates, checks the allow-list and decides. Every exception reaches
``CommandTree.on_error`` → ``adapters.discord.errors`` (ephemeral, no traceback).

Images in: ``/wan image`` takes up to nine attachment options (``image``, ``image2`` … ``image9``); with any,
it edits them (``Handlers.edit_image``). ``/wan animate`` takes a first frame (an attachment, or ``job``: one
of the caller's image results), an optional last frame and driving audio, and every video option except
``ratio`` (the video takes the image's shape). ``message_menus`` are the message context-menu commands
**Edit with Wan** and **Animate with Wan**.

Every description, worded choice and menu name is a ``locale_str`` tagged with its catalogue key, which
``adapters.discord.translator`` turns into Discord's zh-CN localisations at sync; names stay ASCII.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from adapters.discord.handlers import Handlers
from adapters.discord.translator import tagged
from core.catalogue import I2V_MODELS, IMAGE_MODELS, VIDEO_MODELS
from core.channel_settings import SETTINGS
from core.commands import defaults_command
from core.messages import Messages
from core.request import MAX_SEED
from core.votes import WINDOWS

_M = Messages(pinned=True)  # registered once, at import, in English; zh-CN through the translator


def _t(key: str, *, limit: int = 100, **fields: Any) -> app_commands.locale_str:
    """The English text of ``key``, tagged so ``adapters.discord.translator`` localises it at sync."""
    return tagged(_M(key, **fields), key, limit=limit, **fields)


def _d(key: str) -> app_commands.locale_str:
    return _t(f"discord.cmd.{key}")


def _dd(key: str) -> app_commands.locale_str:
    return _t(f"defaults.cmd.{key}")


#: One value offered while an option is typed (a string, or whole seconds for ``duration``).
Choice = app_commands.Choice[Any]


def _choices(values: list[str]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=v, value=v) for v in values][:25]


_VIDEO_MODELS = _choices([m.id for m in VIDEO_MODELS])
_IMAGE_MODELS = _choices([m.id for m in IMAGE_MODELS])
_MIN_DURATION = min(d for m in VIDEO_MODELS for d in m.durations)
_MAX_DURATION = max(d for m in VIDEO_MODELS for d in m.durations)
_MAX_PROMPT = max(m.max_prompt for m in VIDEO_MODELS)

Duration = app_commands.Range[int, _MIN_DURATION, _MAX_DURATION]
#: ``/wan animate``: the image-to-video models' own durations and prompt limit.
_I2V_MAX_PROMPT = max(m.max_prompt for m in I2V_MODELS)
I2vDuration = app_commands.Range[int, min(d for m in I2V_MODELS for d in m.durations),
                                 max(d for m in I2V_MODELS for d in m.durations)]
Seed = app_commands.Range[int, 0, MAX_SEED]
#: ``variants`` (issue 13, ``core.variants``): 2–4 seeds, or the model's ratios.
_VARIANTS = [app_commands.Choice(name=_t("discord.variants.seeds", count=n), value=str(n)) for n in (2, 3, 4)] + [
    app_commands.Choice(name=_t("discord.variants.ratio"), value="ratio")]


class WanGroup(app_commands.Group):
    def __init__(self, handlers: Handlers) -> None:
        super().__init__(name="wan", description=_d("wan"))
        self.handlers = handlers

    # -- autocomplete: the model-dependent options, from the catalogue (issue 14) ------------------------------

    async def _resolution(self, interaction: discord.Interaction[Any], current: str) -> list[Choice]:
        return await self.handlers.suggest(interaction, "resolution", current)

    async def _ratio(self, interaction: discord.Interaction[Any], current: str) -> list[Choice]:
        return await self.handlers.suggest(interaction, "ratio", current)

    async def _duration(self, interaction: discord.Interaction[Any], current: str) -> list[Choice]:
        return await self.handlers.suggest(interaction, "duration", current)

    async def _shot_type(self, interaction: discord.Interaction[Any], current: str) -> list[Choice]:
        return await self.handlers.suggest(interaction, "shot_type", current)

    async def _size(self, interaction: discord.Interaction[Any], current: str) -> list[Choice]:
        return await self.handlers.suggest(interaction, "size", current)

    @app_commands.command(name="video", description=_d("video"))
    @app_commands.describe(
        prompt=_d("prompt"), model=_d("model"), resolution=_d("resolution"), ratio=_d("ratio"),
        duration=_d("duration"), negative=_d("negative"), seed=_d("seed"), prompt_extend=_d("prompt_extend"),
        watermark=_d("watermark"), shot_type=_d("shot_type"), audio=_d("audio"), audio_url=_d("audio_url"),
        variants=_d("variants"),
    )
    @app_commands.choices(model=_VIDEO_MODELS, variants=_VARIANTS)
    @app_commands.autocomplete(resolution=_resolution, ratio=_ratio, duration=_duration, shot_type=_shot_type)
    async def video(
        self,
        interaction: discord.Interaction[Any],
        prompt: app_commands.Range[str, 1, _MAX_PROMPT],
        model: str | None = None,
        resolution: str | None = None,
        ratio: str | None = None,
        duration: Duration | None = None,
        negative: str | None = None,
        seed: Seed | None = None,
        prompt_extend: bool | None = None,
        watermark: bool | None = None,
        shot_type: str | None = None,
        audio: discord.Attachment | None = None,
        audio_url: str | None = None,
        variants: str | None = None,
    ) -> None:
        # An attached sound track goes to core as the file Discord describes (core checks it and, with a
        # media host, keeps a copy: the attachment's signed link dies in about a day); a typed link as is.
        await self.handlers.video(interaction, dict(
            prompt=prompt, model=model, resolution=resolution, ratio=ratio, duration=duration,
            negative_prompt=negative, seed=seed, prompt_extend=prompt_extend, watermark=watermark,
            shot_type=shot_type, audio_url=None if audio else audio_url,
        ), audio=audio, variants=variants)

    @app_commands.command(name="storyboard", description=_d("storyboard"))
    @app_commands.describe(duration=_d("duration"), model=_d("model"), resolution=_d("resolution"),
                           ratio=_d("ratio"), seed=_d("seed"))
    @app_commands.choices(model=_VIDEO_MODELS)
    @app_commands.autocomplete(resolution=_resolution, ratio=_ratio, duration=_duration)
    async def storyboard(
        self,
        interaction: discord.Interaction[Any],
        duration: Duration | None = None,
        model: str | None = None,
        resolution: str | None = None,
        ratio: str | None = None,
        seed: Seed | None = None,
    ) -> None:
        await self.handlers.storyboard(interaction, dict(
            model=model, resolution=resolution, ratio=ratio, duration=duration, seed=seed,
        ))

    @app_commands.command(name="image", description=_d("image"))
    @app_commands.describe(prompt=_d("prompt"), model=_d("image_model"), size=_d("size"), n=_d("n"),
                           seed=_d("seed"), watermark=_d("watermark"), thinking_mode=_d("thinking_mode"),
                           image=_d("edit_image"), **{f"image{k}": _d("edit_image_more") for k in range(2, 10)})
    @app_commands.choices(model=_IMAGE_MODELS)
    @app_commands.autocomplete(size=_size)
    async def image(
        self,
        interaction: discord.Interaction[Any],
        prompt: app_commands.Range[str, 1, 5000],
        model: str | None = None,
        size: str | None = None,
        n: app_commands.Range[int, 1, 4] | None = None,
        seed: Seed | None = None,
        watermark: bool | None = None,
        thinking_mode: bool | None = None,
        image: discord.Attachment | None = None,
        image2: discord.Attachment | None = None,
        image3: discord.Attachment | None = None,
        image4: discord.Attachment | None = None,
        image5: discord.Attachment | None = None,
        image6: discord.Attachment | None = None,
        image7: discord.Attachment | None = None,
        image8: discord.Attachment | None = None,
        image9: discord.Attachment | None = None,
    ) -> None:
        typed = dict(prompt=prompt, model=model, size=size, n=n, seed=seed, watermark=watermark,
                     thinking_mode=thinking_mode)
        files = [image, image2, image3, image4, image5, image6, image7, image8, image9]
        if any(f is not None for f in files):
            await self.handlers.edit_image(interaction, typed, files)
        else:
            await self.handlers.image(interaction, typed)

    @app_commands.command(name="animate", description=_d("animate"))
    @app_commands.describe(
        image=_d("first_frame"), last_frame=_d("last_frame"), audio=_d("driving_audio"), prompt=_d("animate_prompt"),
        negative=_d("negative"), resolution=_d("resolution"), duration=_d("animate_duration"), seed=_d("seed"),
        prompt_extend=_d("prompt_extend"), watermark=_d("watermark"), job=_d("animate_job"),
    )
    @app_commands.autocomplete(resolution=_resolution, duration=_duration)
    async def animate(
        self,
        interaction: discord.Interaction[Any],
        image: discord.Attachment | None = None,
        last_frame: discord.Attachment | None = None,
        audio: discord.Attachment | None = None,
        prompt: app_commands.Range[str, 1, _I2V_MAX_PROMPT] | None = None,
        negative: str | None = None,
        resolution: str | None = None,
        duration: I2vDuration | None = None,
        seed: Seed | None = None,
        prompt_extend: bool | None = None,
        watermark: bool | None = None,
        job: str | None = None,
    ) -> None:
        # ``image`` is optional only so that ``job`` can stand in for it; core takes exactly one of the two.
        await self.handlers.animate(interaction, dict(
            prompt=prompt, negative_prompt=negative, resolution=resolution, duration=duration, seed=seed,
            prompt_extend=prompt_extend, watermark=watermark,
        ), first=image, last=last_frame, audio=audio, job_id=job)

    @app_commands.command(name="status", description=_d("status"))
    @app_commands.describe(job=_d("job"))
    async def status(self, interaction: discord.Interaction[Any], job: str | None = None) -> None:
        await self.handlers.status(interaction, job)

    @app_commands.command(name="cancel", description=_d("cancel"))
    @app_commands.describe(job=_d("job"))
    async def cancel(self, interaction: discord.Interaction[Any], job: str | None = None) -> None:
        await self.handlers.cancel(interaction, job)

    @app_commands.command(name="usage", description=_d("usage"))
    async def usage(self, interaction: discord.Interaction[Any]) -> None:
        await self.handlers.usage(interaction)

    @app_commands.command(name="defaults", description=_t("defaults.cmd"))
    @app_commands.describe(
        model=_dd("model"), resolution=_dd("resolution"), ratio=_dd("ratio"), duration=_dd("duration"),
        negative=_dd("negative"), prompt_extend=_dd("prompt_extend"), watermark=_dd("watermark"), clear=_dd("clear"),
    )
    @app_commands.choices(model=_VIDEO_MODELS)
    @app_commands.autocomplete(resolution=_resolution, ratio=_ratio, duration=_duration)
    async def defaults(
        self,
        interaction: discord.Interaction[Any],
        model: str | None = None,
        resolution: str | None = None,
        ratio: str | None = None,
        duration: Duration | None = None,
        negative: str | None = None,
        prompt_extend: bool | None = None,
        watermark: bool | None = None,
        clear: bool | None = None,
    ) -> None:
        # No options: show them; options: replace them (validated as one request); clear: remove them.
        command = defaults_command(
            dict(model=model, resolution=resolution, ratio=ratio, duration=duration, negative_prompt=negative,
                 prompt_extend=prompt_extend, watermark=watermark),
            clear=bool(clear),
        )
        await self.handlers.defaults(interaction, command)

    @app_commands.command(name="history", description=_d("history"))
    @app_commands.describe(user=_d("history_user"), text=_d("history_text"))
    async def history(self, interaction: discord.Interaction[Any], user: discord.User | None = None,
                      text: app_commands.Range[str, 1, 200] | None = None) -> None:
        # Issue 13: this channel's past results; a person (a user option) and words to look for.
        await self.handlers.history(interaction, str(user.id) if user is not None else None, text)

    @app_commands.command(name="top", description=_t("top.cmd"))
    @app_commands.describe(window=_t("top.cmd.window"))
    @app_commands.choices(window=_choices(list(WINDOWS)))
    async def top(self, interaction: discord.Interaction[Any], window: str | None = None) -> None:
        # Issue 13 votes: the channel's most-voted results, each with Promote.
        await self.handlers.top(interaction, window)

    @app_commands.command(name="settings", description=_t("settings.cmd"))
    @app_commands.describe(name=_t("settings.cmd.name"), value=_t("settings.cmd.value"))
    @app_commands.choices(name=_choices(list(SETTINGS)))
    async def settings(self, interaction: discord.Interaction[Any], name: str | None = None,
                       value: str | None = None) -> None:
        # Issue 13: no name → every setting with its value and help; a name and a value → set it (admins).
        await self.handlers.settings(interaction, name, value)

    @app_commands.command(name="notify", description=_d("notify"))
    @app_commands.describe(choice=_d("notify_choice"))
    @app_commands.choices(choice=_choices(["on", "off"]))
    async def notify(self, interaction: discord.Interaction[Any], choice: str | None = None) -> None:
        # Issue 14: no choice → say whether I'm pinged; on/off → set it (stored per person).
        await self.handlers.notify(interaction, choice)

    @app_commands.command(name="help", description=_d("help"))
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        await self.handlers.help(interaction)


def message_menus(handlers: Handlers) -> list[app_commands.ContextMenu]:
    """The message context-menu commands (right-click a message → Apps): Edit with Wan, Animate with Wan."""
    return [
        app_commands.ContextMenu(name=_t("discord.menu.edit", limit=32), callback=handlers.edit_menu),
        app_commands.ContextMenu(name=_t("discord.menu.animate", limit=32), callback=handlers.animate_menu),
    ]
