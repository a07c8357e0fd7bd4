"""``adapters.slack.locales.UserLocales`` on its own: a slow look-up does not hold the command, and finishes
for the next one; each person is asked about once."""

from __future__ import annotations

import asyncio

from adapters.slack.locales import UserLocales


class Slow:
    def __init__(self) -> None:
        self.asked: list[str] = []
        self.answer = asyncio.Event()

    async def user_locale(self, user_id: str) -> str | None:
        self.asked.append(user_id)
        await self.answer.wait()
        return "zh-CN"


async def test_a_slow_lookup_answers_the_default_now_and_the_person_s_language_next_time() -> None:
    slow = Slow()
    locales = UserLocales(slow, default="en", budget=0.0)
    assert await locales.of("U1") == "en"  # Slack has not answered: the command goes on in the default
    assert await locales.of("U1") == "en"  # still waiting: not asked a second time
    slow.answer.set()
    await asyncio.gather(*locales._asking.values())
    assert await locales.of("U1") == "zh-CN"
    assert slow.asked == ["U1"]
    assert await locales.of(None) == "en"
