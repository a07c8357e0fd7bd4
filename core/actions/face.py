"""The engine as the chat actions see it: the few verbs they need, and nothing else.

``core.engine.Engine`` implements ``EngineFace``; tests of ``core.actions`` may pass anything that does.
Adapters never see this: they get ``core.actions.ChatActions`` (the use cases) and implement
``core.port.ChatPort`` (how the engine reaches them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from core.jobs import CancelOutcome, Job, Requester
from core.port import ChatPort, ConversationRef, PostStatus, StatusView
from core.request import AnyRequest
from core.store.jobstore import UsageTotals


class EngineFace(Protocol):
    @property
    def timezone(self) -> str:
        """Where budget days and months begin (``EngineConfig.timezone``)."""
        ...

    @property
    def price_overrides(self) -> Mapping[str, Decimal]: ...

    def now(self) -> datetime: ...

    async def accept(self, requester: Requester, conversation: ConversationRef, request: AnyRequest, *,
                     post_status: PostStatus | None = None, extra: Mapping[str, Any] | None = None) -> Job: ...

    async def accept_batch(self, requester: Requester, conversation: ConversationRef,
                           requests: Sequence[tuple[str, AnyRequest, Mapping[str, Any]]], *,
                           post_status: PostStatus | None = None) -> list[Job]:
        """All of ``requests`` (job id, request, extra) accepted together, or none (``core.variants``)."""
        ...

    async def cancel(self, job_id: str) -> CancelOutcome: ...

    async def get(self, job_id: str) -> Job | None: ...

    async def wait(self, job_id: str, timeout: float | None = None) -> Job: ...

    def view(self, job: Job) -> StatusView: ...

    async def recent_jobs(self, platform: str, workspace_id: str | None, user_id: str, *,
                          limit: int) -> list[Job]: ...

    async def usage(self, *, since: datetime, platform: str, workspace_id: str | None,
                    user_id: str | None) -> UsageTotals: ...

    async def channel_defaults(self, platform: str, workspace_id: str | None, channel_id: str) -> dict[str, Any]: ...

    async def set_channel_defaults(self, platform: str, workspace_id: str | None, channel_id: str,
                                   values: dict[str, Any], *, by: str) -> None: ...

    async def channel_settings(self, platform: str, workspace_id: str | None, channel_id: str) -> dict[str, Any]:
        """The channel's ``/wan settings`` with defaults filled in (``core.channel_settings.resolve``)."""
        ...

    async def idea_root(self, platform: str, workspace_id: str | None, channel_id: str,
                        thread_id: str) -> Job | None:
        """The idea a thread belongs to (``core.ideas``), or ``None``."""
        ...

    def port(self, platform: str) -> ChatPort: ...


__all__ = ["EngineFace"]
