"""The use-case layer: every chat action once, for every surface (see ``core.actions.chat``)."""

from core.actions.caller import AllowList, Caller, Permission, granted
from core.actions.chat import ChatActions, random_seed
from core.actions.replies import sentence_for
from core.actions.results import (
    Cancelled,
    CancelOutcome,
    DefaultsReport,
    Deleted,
    HelpText,
    Origin,
    Result,
    SettingsReport,
    SpendDecision,
    Started,
    StatusReport,
    UsageReport,
    UsageRow,
)
from core.actions.storyboard import MAX_SHOTS, compose_storyboard

__all__ = [
    "MAX_SHOTS", "AllowList", "CancelOutcome", "Cancelled", "Caller", "ChatActions", "DefaultsReport", "Deleted",
    "HelpText", "Origin", "Permission", "Result",
    "SettingsReport", "SpendDecision", "Started", "StatusReport", "UsageReport", "UsageRow",
    "compose_storyboard", "granted", "random_seed", "sentence_for",
]
