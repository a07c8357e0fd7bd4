"""The Chinese catalogue (``core.messages_zh``) against the English one, and locale handling (``core.locale``).

Every English key must have a Chinese text and every Chinese key an English one, with the same
placeholders (names and format specs, as ``string.Formatter`` parses them). When English keys are added
without a translation, the failure prints them ready to paste into ``core/messages_zh.py`` (English text
as the value, to be translated).
"""

from __future__ import annotations

import string

import pytest

from core import locale
from core.messages import CATALOGUES, EN, Messages
from core.messages_zh import ZH


def placeholders(template: str) -> set[tuple[str, str]]:
    """``{(name, format spec)}`` of ``template`` (``{{ago}}`` is literal text, not a placeholder)."""
    return {(name, spec or "") for _, name, spec, _ in string.Formatter().parse(template) if name is not None}


def test_every_english_key_has_a_chinese_text_and_no_other() -> None:
    missing = [key for key in EN if key not in ZH]
    extra = sorted(key for key in ZH if key not in EN)
    ready = "\n".join(f"    {key!r}: {EN[key]!r},  # TODO translate" for key in missing)
    assert not missing, f"{len(missing)} English key(s) have no Chinese text; add to core/messages_zh.py:\n" \
                        f"ZH.update({{\n{ready}\n}})"
    assert not extra, f"Chinese key(s) with no English text (renamed or removed in EN?): {extra}"


def test_placeholders_match_key_by_key() -> None:
    wrong = {key: (sorted(placeholders(EN[key])), sorted(placeholders(text)))
             for key, text in ZH.items() if key in EN and placeholders(EN[key]) != placeholders(text)}
    assert not wrong, "placeholders differ (key: (English, Chinese)):\n" + "\n".join(
        f"  {key}: {en} vs {zh}" for key, (en, zh) in sorted(wrong.items()))


def test_chinese_texts_are_chinese_and_keep_the_markup() -> None:
    # Not a copy of the English: a text made only of ASCII is a value that needs no words (a format, "1080P").
    untranslated = [k for k, v in ZH.items() if v == EN[k] and any(c.isalpha() for c in v.replace("{", " ")
                    .split("}")[-1]) and not _wordless(v)]
    assert untranslated == [], untranslated
    for key, text in EN.items():
        for mark in ("**", "`", "/wan", "--", "🎬", "🖼️", "🎞️", "📚", "\n", "<", "#"):
            assert text.count(mark) <= ZH[key].count(mark), (key, mark)


def _wordless(text: str) -> bool:
    """Formats, ids and values that read the same in both languages."""
    bare = "".join(part.split("}")[-1] for part in text.split("{"))
    return all(not c.isalpha() or c in "P" for c in bare) or text in {"off", "on", "admins", "1080P"}


def test_every_sentence_formats_in_both_languages() -> None:
    class Any_(dict[str, object]):
        def __missing__(self, key: str) -> object:
            return 1.5

    for table in (EN, ZH):
        for text in table.values():
            text.format_map(Any_())  # raises on a broken brace


def test_the_ticking_clock_keeps_its_token() -> None:
    """``{ago}`` survives formatting in both languages: the adapter puts its ticking relative time there."""
    for lang in ("en", "zh-CN"):
        clock = Messages(lang)("line.clock")
        assert clock.count("{ago}") == 1, (lang, clock)
    assert Messages("zh-CN")("line.clock").replace("{ago}", "<t:1:R>") == "<t:1:R>提交"


@pytest.mark.parametrize(("tag", "expected"), [
    ("zh", "zh-CN"), ("zh-CN", "zh-CN"), ("zh_CN", "zh-CN"), ("zh-Hans", "zh-CN"), ("ZH-cn", "zh-CN"),
    ("zh-TW", "zh-CN"), ("en", "en"), ("en-US", "en"), ("en_GB", "en"), ("fr", None), ("", None), (None, None),
])
def test_locale_tags(tag: str | None, expected: str | None) -> None:
    assert locale.normalise(tag) == expected


def test_registered_and_followed() -> None:
    assert CATALOGUES["zh-CN"] is ZH
    m = Messages("en")
    assert m("state.QUEUED") == "Queued"
    with locale.speaking("zh_CN"):
        assert m("state.QUEUED") == "排队中"
        assert Messages("en", pinned=True)("state.QUEUED") == "Queued"  # what is said about an English job
        with locale.speaking("fr"):  # not spoken: nothing changes
            assert m("state.QUEUED") == "排队中"
    assert m("state.QUEUED") == "Queued"
    assert Messages("zh")("job.not_found", job_id="abc") == "找不到任务 abc。"
    assert Messages("de").locale == "en"
