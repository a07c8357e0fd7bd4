"""Issue 13's use cases: ``/wan settings``, and Confirm / Cancel / Approve / Decline of a held-back command.

* ``/wan settings`` shows every per-channel setting (``core.channel_settings``) with its value and help;
  setting one needs the permission ``/wan defaults`` needs (``Caller.channel_admin``).
* A held-back command (``core.spend``) is confirmed or cancelled only by its requester, approved or
  declined only by an approver of its channel: the ``approver_role`` setting's ids (a Discord role the
  caller has, or a Slack user id — Slack user groups are not read: no ``usergroups:read`` scope), or the
  channel's admins when it is empty. An approver may approve their own request (they would not have been
  asked: ``SpendGate.check`` lets an approver's own job through to the confirm step).
* ``claim`` moves a pending ask out of ``pending`` in one conditional write before anything starts, so a
  double click or a click on another replica starts it once; the normal start then runs (budget, cap,
  queue): a refusal then is answered as it would be for a fresh command, and the ask is ``refused``.
  An expired ask is one sentence.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from core.access import ActionRefused
from core.actions.caller import Caller, granted
from core.actions.face import EngineFace
from core.actions.results import Origin, SettingsReport, SpendDecision, Started
from core.budget_alerts import BudgetAlerts
from core.channel_settings import SETTINGS, parse_setting, resolve
from core.errors import QuotaExceeded
from core.jobs import Job
from core.messages import Messages
from core.port import PostStatus
from core.request import AnyRequest
from core.spend import SpendGate, mention, money, summary
from core.spend_commands import SettingsCommand, SpendCommand
from core.store.spend import PENDING, SpendAsk

log = logging.getLogger("wanbot.spend")

#: Starts one request as ``owner`` (``ChatActions._start`` without the gate).
#: Starts an ask's requests (one job, or a variants batch as one idea) once it is confirmed or approved.
Start = Callable[[Caller, Sequence[AnyRequest], Origin, Job | None, PostStatus | None], Awaitable[Started]]


def shown_value(value: Any, messages: Messages) -> str:
    if value in ("off", None):
        return messages("settings.value.off")
    if isinstance(value, bool):
        return messages("settings.value.on" if value else "settings.value.off")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else messages("settings.value.admins")
    return str(value)


def owner_of(ask: SpendAsk) -> Caller:
    """The requester, where they asked: whom the started jobs belong to."""
    r = ask.requester
    return Caller(platform=r.platform, workspace_id=r.workspace_id, channel_id=r.channel_id, user_id=r.user_id,
                  user_name=r.user_name, thread_id=ask.conversation.thread_id)


class SpendDesk:
    def __init__(self, engine: EngineFace, messages: Messages, gate: SpendGate, *,
                 alerts: BudgetAlerts | None = None) -> None:
        self.engine = engine
        self.messages = messages
        self.gate = gate
        #: The 80 % budget alerts, told after each accepted job (None: none).
        self.alerts = alerts

    async def accepted(self, job: Job) -> None:
        """After a job is stored and reserved: the budget alerts (never failing the start)."""
        if self.alerts is None:
            return
        try:
            await self.alerts.after_accept(job)
        except Exception:
            log.exception("job %s: the budget alerts failed", job.id)

    # -- /wan settings ------------------------------------------------------------------------------------

    async def settings(self, caller: Caller, command: SettingsCommand) -> SettingsReport:
        m = self.messages
        store = self.gate.settings
        if command.name is not None:
            name, value = parse_setting(command.name, command.value or "")
            if not await granted(caller.channel_admin):
                raise ActionRefused(m("settings.denied"), code="NotAdmin")
            await store.update(caller.platform, caller.workspace_id, caller.channel_id, {name: value},
                               by=caller.user_id)
            values = resolve(await store.get(caller.platform, caller.workspace_id, caller.channel_id))
            return SettingsReport(values, True, m("settings.saved", name=name, value=shown_value(value, m)))
        values = resolve(await store.get(caller.platform, caller.workspace_id, caller.channel_id))
        rows = [m("settings.row", name=name, value=shown_value(values[name], m), help=m(setting.help_key))
                for name, setting in SETTINGS.items()]
        return SettingsReport(values, False, "\n".join([m("settings.title"), *rows]))

    # -- who decides ----------------------------------------------------------------------------------------

    async def approves(self, caller: Caller, approver_ids: list[str]) -> bool:
        if approver_ids:
            return caller.user_id in approver_ids or bool(caller.roles & set(approver_ids))
        return await granted(caller.channel_admin)

    async def _approver_ids(self, ask: SpendAsk) -> list[str]:
        r = ask.requester
        values = resolve(await self.gate.settings.get(r.platform, r.workspace_id, r.channel_id))
        return list(values["approver_role"])

    # -- deciding -------------------------------------------------------------------------------------------

    async def decide(self, caller: Caller, command: SpendCommand, start: Start, *,
                     post_status: PostStatus | None = None) -> Started | SpendDecision:
        m = self.messages
        ask = await self.gate.asks.get(command.ask_id)
        if ask is None or not _here(ask, caller):
            raise ActionRefused(m("spend.not_found", ask_id=command.ask_id[:40]), code="NotFound")
        approving = command.action in ("approve", "decline")
        if approving != (ask.kind == "approve"):
            # Confirm on an approval (or approve on a confirmation): the buttons never offer it.
            raise ActionRefused(m("spend.not_found", ask_id=ask.id), code="NotFound")
        if approving:
            if not await self.approves(caller, await self._approver_ids(ask)):
                raise ActionRefused(m("spend.not_approver"), code="NotApprover")
        elif caller.user_id != ask.requester.user_id:
            raise ActionRefused(m("spend.not_yours"), code="NotYours")
        self._refuse_settled(ask)
        target = {"confirm": "started", "approve": "started", "dismiss": "cancelled", "decline": "declined"}
        state = target[command.action]
        if not await self.gate.asks.claim(ask.id, state=state, by=caller.user_id, now=self.gate.now()):
            again = await self.gate.asks.get(ask.id)
            if again is not None and again.state == PENDING:  # still pending: it ran out of time
                await self.gate.asks.expire(ask.id)
                raise ActionRefused(m("spend.expired"), code="Expired")
            self._refuse_settled(again or ask)
            raise ActionRefused(m("spend.expired"), code="Expired")
        if state == "cancelled":
            return SpendDecision(ask.id, state, m("spend.dismissed"))
        if state == "declined":
            await self._tell_declined(ask, caller)
            return SpendDecision(ask.id, state, m("spend.declined"))
        return await self._start_all(ask, start, post_status)

    async def _start_all(self, ask: SpendAsk, start: Start, post_status: PostStatus | None) -> Started:
        parent = await self.engine.get(ask.parent_id) if ask.parent_id else None
        owner = owner_of(ask)
        started: list[Started] = []
        try:
            # All together: a variants batch is accepted as one idea, all or none (``ChatActions``).
            started.append(await start(owner, ask.requests, Origin(ask.origin), parent, post_status))
        except QuotaExceeded:
            # The budget (or the cap) said no now: nothing more starts; what did start stays started.
            await self.gate.asks.settle(ask.id, state="started" if started else "refused",
                                        job_ids=tuple(i for s in started for i in s.job_ids))
            raise
        await self.gate.asks.settle(ask.id, state="started", job_ids=tuple(i for s in started for i in s.job_ids))
        return started[0]

    async def _tell_declined(self, ask: SpendAsk, by: Caller) -> None:
        """The requester hears it in the channel (their mention only)."""
        m = self.messages
        text = m("spend.declined.notice", mention=mention(ask.requester.platform, ask.requester.user_id,
                                                           ask.requester.user_name),
                 total=money(ask.total), summary=summary(ask.requests, m), by=by.user_name or by.user_id)
        notify = getattr(self.engine.port(ask.requester.platform), "notify", None)
        if notify is not None:
            await notify(ask.conversation, text, mention=(ask.requester.user_id,))

    def _refuse_settled(self, ask: SpendAsk) -> None:
        m = self.messages
        if ask.state == PENDING:
            if ask.expires_at <= self.gate.now():
                raise ActionRefused(m("spend.expired"), code="Expired")
            return
        if ask.state == "started":
            key = "spend.already.started.many" if len(ask.job_ids) > 1 else "spend.already.started"
            raise ActionRefused(m(key, job_ids=", ".join(ask.job_ids) or "…"), code="Done")
        key = f"spend.already.{ask.state}"
        raise ActionRefused(m(key) if m.has(key) else m("spend.expired"), code="Done")


def _here(ask: SpendAsk, caller: Caller) -> bool:
    r = ask.requester
    return (r.platform, r.workspace_id or None, r.channel_id) == (
        caller.platform, caller.workspace_id or None, caller.channel_id)


__all__ = ["SpendDesk", "owner_of", "shown_value"]
