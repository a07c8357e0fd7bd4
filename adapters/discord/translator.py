"""The slash commands in Chinese: a discord.py ``Translator`` that fills ``*_localizations`` at sync.

``adapters.discord.commands`` tags every description, every worded choice and the message menus' names
with their catalogue key (``locale_str(english, key=…, fields=…)``); at ``tree.sync`` discord.py asks this
translator for each of Discord's locales, and it answers the Simplified Chinese text for ``zh-CN`` (and for
``zh-TW``: there is no Traditional catalogue, and Simplified reads better there than English) and nothing
for the others, which keep the English default.

Slash command, subcommand and option **names** stay ASCII (``/wan video prompt:…``) in every language: they
are what people type, and every message, the help and the other platforms name them that way (``/wan
video``, ``--seed``); a Chinese client shows their Chinese descriptions beside them. The message menus'
names are labels people read in the Apps menu, never type, so they are localised ("用万相编辑").
Discord's limits are kept: 32 characters for a name, 100 for a description or a choice.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from core.locale import ZH_CN, normalise
from core.messages import CATALOGUES, Messages

#: Discord's locales that get the Chinese catalogue.
CHINESE = frozenset({discord.Locale.chinese, discord.Locale.taiwan_chinese})
_NAMES = frozenset({Where.command_name, Where.group_name, Where.parameter_name})
_ZH = Messages(ZH_CN, pinned=True)


def tagged(text: str, key: str, *, limit: int = 100, **fields: Any) -> app_commands.locale_str:
    """``text`` (the English default, cut to ``limit``) marked as catalogue ``key`` for the translator."""
    return app_commands.locale_str(text[:limit], key=key, fields=fields, limit=limit)


class WanTranslator(app_commands.Translator):
    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        if locale not in CHINESE or normalise(locale.value) != ZH_CN:
            return None
        key = string.extras.get("key")
        if not isinstance(key, str) or key not in CATALOGUES[ZH_CN]:
            return None  # a value (a model id, 720P, 16:9), or an English text without a translation yet
        limit = 32 if context.location in _NAMES else int(string.extras.get("limit", 100))
        return _ZH(key, **string.extras.get("fields", {}))[:limit]


__all__ = ["CHINESE", "WanTranslator", "tagged"]
