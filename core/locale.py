"""Which language wanbot speaks to whom: locale tags, and the locale of the request being answered.

wanbot speaks English (``en``) and Simplified Chinese (``zh-CN``); ``core.messages`` holds both
catalogues. ``normalise`` reads whatever a platform or an operator calls a language: ``zh``, ``zh-CN``,
``zh_CN``, ``zh-Hans``, ``zh-SG`` and Discord's ``zh-CN`` are Simplified Chinese; ``zh-TW`` / ``zh-HK`` /
``zh-Hant`` have no catalogue of their own and get Simplified Chinese too (closer to them than English);
``en``, ``en-US``, ``en-GB`` … are English; anything else is not spoken (``None``), so the caller falls
back to the next choice (``pick``).

The design is one ``contextvars`` variable, the locale of the request being answered, and an explicit
locale for everything that is said later about a job:

* an adapter sets it once per incoming command, click or form (``adopt``; each of those runs in a task of
  its own, so it cannot leak into another person's answer): Discord from the interaction's ``locale``,
  then its ``guild_locale``; Slack from the person's Slack language (``users.info``, cached); the console
  from ``WANBOT_LOCALE``. Every ``core.messages.Messages`` follows it — the one the runtime builds for
  the deployment and the module-level ones alike — and uses its own locale (``WANBOT_LOCALE``) only where
  no request set one;
* a new job records the locale it was asked in (``Job.extra["locale"]``, JSON every job already has: no
  migration; ``core.engine`` writes it), and whatever is said about the job later, outside that request —
  its status edits (``StatusView.locale`` tells adapters to label buttons in it), failure sentences,
  delivery caption — is said in it (``core.engine`` runs each job's steps in ``speaking(job's locale)``
  and renders its view with ``Messages(locale, pinned=True)``); a job from before this existed has none
  and speaks the deployment's language;
* channel-wide messages (budget alerts, operator incidents in the admin channel) are pinned to the
  deployment's ``WANBOT_LOCALE``.

Why not a locale argument on every ``Messages`` call: the sentences come from dozens of places (parsers,
request checks, use cases), many with a module-level ``Messages()``; one variable per task reaches all of
them, and the explicit locale is needed only where a job outlives its request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

#: The locales wanbot has a catalogue for (``core.messages.CATALOGUES``), the default first.
EN = "en"
ZH_CN = "zh-CN"
SUPPORTED: tuple[str, ...] = (EN, ZH_CN)

#: ``Job.extra`` key: the locale the job was asked in (written by ``core.engine`` when it makes the job).
JOB_LOCALE = "locale"

_current: ContextVar[str | None] = ContextVar("wanbot_locale", default=None)


def normalise(tag: object) -> str | None:
    """The supported locale ``tag`` means (``"zh_CN"`` → ``"zh-CN"``, ``"en-US"`` → ``"en"``), or None."""
    if tag is None:
        return None
    text = str(getattr(tag, "value", tag)).strip().replace("_", "-").lower()
    if not text:
        return None
    language = text.split("-", 1)[0]
    if language == "zh":
        return ZH_CN  # zh-TW, zh-HK, zh-Hant too: no Traditional catalogue yet, and Simplified is closer
    if language == "en":
        return EN
    return None


def pick(*tags: object, default: str = EN) -> str:
    """The first of ``tags`` wanbot speaks, else ``default`` (itself normalised; English if it is not)."""
    for tag in tags:
        found = normalise(tag)
        if found is not None:
            return found
    return normalise(default) or EN


def current() -> str | None:
    """The locale of the request being answered in this task, if an adapter set one."""
    return _current.get()


def adopt(locale: str | None) -> None:
    """Answer the rest of this task in ``locale`` (an adapter, at the top of one command's task)."""
    _current.set(normalise(locale))


@contextlib.contextmanager
def speaking(locale: str | None) -> Iterator[None]:
    """Within the block, speak ``locale`` (``None``, or one wanbot does not speak: leave it as it is)."""
    chosen = normalise(locale)
    if chosen is None:
        yield
        return
    token = _current.set(chosen)
    try:
        yield
    finally:
        _current.reset(token)


def job_locale(extra: Mapping[str, Any]) -> str | None:
    """The locale a job was asked in, from its ``Job.extra`` (None for a job from before locales)."""
    value = extra.get(JOB_LOCALE)
    return normalise(value) if isinstance(value, str) else None


__all__ = ["EN", "JOB_LOCALE", "SUPPORTED", "ZH_CN", "adopt", "current", "job_locale", "normalise", "pick",
           "speaking"]
