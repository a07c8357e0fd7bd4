"""Which language to answer a Slack user in: their Slack language, else ``WANBOT_LOCALE``.

Slack sends no locale with a slash command or an interaction; ``users.info`` with ``include_locale=true``
(scope ``users:read``, which the permission checks already need) reports the person's language as
``user.locale`` ("zh-CN", "en-US"). ``UserLocales.of`` asks once per person and remembers the answer
(a bounded cache: a person who changes their Slack language is heard in it after a restart). A command
waits for it at most ``LOOKUP_BUDGET`` seconds, so a slow Slack cannot eat its 3 s: past that it is answered
in the deployment's language while the look-up finishes in the background for the next one. A failed
look-up answers the deployment's language; one that can never succeed (``missing_scope``,
``user_not_found``) is remembered too, a passing one (rate limit, 5xx) is asked again next time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Protocol

from core.errors import PlatformError
from core.locale import pick

log = logging.getLogger("wanbot.slack")

#: Seconds a ``users.info`` look-up may take before the command goes on in the deployment's language.
LOOKUP_BUDGET = 0.5
#: People remembered (least recently asked about forgotten first).
CACHE_SIZE = 10_000


class LocaleSource(Protocol):
    async def user_locale(self, user_id: str) -> str | None: ...


class UserLocales:
    def __init__(self, source: LocaleSource, *, default: str, budget: float = LOOKUP_BUDGET,
                 size: int = CACHE_SIZE) -> None:
        self._source = source
        self.default = pick(default)
        self._budget = budget
        self._size = size
        self._known: OrderedDict[str, str | None] = OrderedDict()
        #: Look-ups still on their way (one per person; a slow one finishes in the background).
        self._asking: dict[str, asyncio.Task[None]] = {}

    async def of(self, user_id: str | None) -> str:
        """The locale to answer ``user_id`` in (the deployment's when unknown)."""
        if not user_id:
            return self.default
        if user_id not in self._known:
            asking = self._asking.get(user_id)
            if asking is None:
                asking = self._asking[user_id] = asyncio.create_task(self._look_up(user_id))
            try:
                async with asyncio.timeout(self._budget):
                    await asyncio.shield(asking)
            except TimeoutError:
                log.info("users.info for %s's language took over %.1f s; answering in %s this time", user_id,
                         self._budget, self.default)
                return self.default
        if user_id not in self._known:
            return self.default  # the look-up failed; it is asked again next time
        self._known.move_to_end(user_id)
        return pick(self._known[user_id], default=self.default)

    async def _look_up(self, user_id: str) -> None:
        try:
            found = await self._source.user_locale(user_id)
        except PlatformError as exc:
            log.info("could not look up %s's language (%s); answering in %s", user_id, exc.code, self.default)
            if exc.retryable:
                return
            found = None  # missing_scope, user_not_found: asking again would not help
        except Exception:  # a language is never worth losing the command over
            log.warning("looking up %s's language failed; answering in %s", user_id, self.default, exc_info=True)
            return
        finally:
            self._asking.pop(user_id, None)
        self._known[user_id] = found
        if len(self._known) > self._size:
            self._known.popitem(last=False)


__all__ = ["LOOKUP_BUDGET", "LocaleSource", "UserLocales"]
