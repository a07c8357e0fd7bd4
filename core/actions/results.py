"""What a chat action returns: plain, typed facts an adapter renders in its own way.

Refusals are not results: they are raised as ``core.errors`` exceptions (``ActionRefused``,
``QuotaExceeded``, ``InvalidRequest`` …) and each adapter's one error path shows
``core.actions.replies.sentence_for`` of them. Every result carries ``text``, the sentence (from the
message catalogue) a plain-text surface shows, so every adapter shows the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from core.actions.history import HistoryReport
from core.actions.votes import TopReport
from core.jobs import CancelOutcome, Job
from core.port import StatusView


class Origin(StrEnum):
    """How a new job came about."""

    NEW = "new"
    STORYBOARD = "storyboard"
    REROLL = "reroll"
    UPSCALE = "upscale"
    REMIX = "remix"
    #: ``/wan animate`` (from an attachment, or ``from_job``: an image result).
    ANIMATE = "animate"
    #: ``/wan image`` with input images.
    EDIT = "edit"


@dataclass(frozen=True)
class Started:
    """A new job is stored and queued; its status message follows from the engine."""

    job: Job
    origin: Origin
    #: The job it was made from (re-roll, 1080P, remix).
    parent: Job | None
    #: "Re-rolling job abc with a new seed as job xyz." — empty for a new request (its status says it all).
    text: str
    #: Its status message goes elsewhere than where the caller is (an idea's thread, ``core.ideas``): the
    #: surface answers the caller with ``text`` instead of the status message.
    elsewhere: bool = False
    #: Every job started with it (a variants batch, ``job`` first); empty for a single job.
    group: tuple[str, ...] = ()

    @property
    def job_ids(self) -> tuple[str, ...]:
        return self.group or (self.job.id,)


@dataclass(frozen=True)
class Cancelled:
    job_id: str
    outcome: CancelOutcome
    text: str


@dataclass(frozen=True)
class Deleted:
    job_id: str
    #: What could not be deleted ("the video", "the status message"), in the catalogue's words.
    kept: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class StatusReport:
    views: tuple[StatusView, ...]

    @property
    def text(self) -> str:
        return "\n".join(view.as_text() for view in self.views)


@dataclass(frozen=True)
class UsageRow:
    #: "You, today"
    label: str
    videos: int
    images: int
    billed_seconds: float
    cost: Decimal
    #: "You, today: 2 video(s), 10 s billed, ¥5.00"
    text: str


@dataclass(frozen=True)
class UsageReport:
    title: str
    rows: tuple[UsageRow, ...]

    @property
    def text(self) -> str:
        return "\n".join([self.title, *(row.text for row in self.rows)])


@dataclass(frozen=True)
class DefaultsReport:
    """``/wan defaults``: what the channel's defaults are now (after a change, if one was made)."""

    values: dict[str, object]
    changed: bool
    text: str


@dataclass(frozen=True)
class HelpText:
    text: str



@dataclass(frozen=True)
class SettingsReport:
    """Issue 13, ``/wan settings``: every channel setting's value (after a change, if one was made)."""

    values: dict[str, object]
    changed: bool
    text: str


@dataclass(frozen=True)
class SpendDecision:
    """Issue 13: a held-back command cancelled or declined (a Confirm or Approve answers ``Started``)."""

    ask_id: str
    state: str
    text: str


Result = (Started | Cancelled | Deleted | StatusReport | UsageReport | DefaultsReport | HelpText | HistoryReport
          | SettingsReport | SpendDecision | TopReport)

__all__ = ["CancelOutcome", "Cancelled", "DefaultsReport", "Deleted", "HelpText", "Origin", "Result",
           "SettingsReport", "SpendDecision", "Started",
           "StatusReport", "UsageReport", "UsageRow"]
