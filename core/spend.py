"""Spend that asks first: the gate in front of every job start, and what a held-back command looks like.

``SpendGate.check`` is called by the start path (``core.actions.chat.ChatActions._start``) with ALL the
requests one command would start (one, or a variants batch) *before* anything is stored, queued,
reserved or created. It prices them (``estimated_cost``, the same figure budgets reserve) and reads the
channel's settings (``core.channel_settings``):

* over ``approve_over`` (default off), and the requester is not an approver themselves → an ``approve``
  ask: nothing is reserved while it waits (a budget is checked when it is approved, so a request nobody
  approves never blocks anyone else's budget);
* over ``confirm_over`` (default ¥10), or a batch of two or more → a ``confirm`` ask for the requester;
* on a platform in ``confirm_every`` (issue 14: the console on a real key), any priced command → a
  ``confirm`` ask: its one user sees model, format and price before every spend;
* else ``None``: go.

An ask is stored (``core.store.spend``) and raised as ``SpendPending``, which every surface renders with
the price and its buttons (a surface without buttons shows the typed form, ``confirm <id>``). Confirming
or approving runs the normal start, so the budget, the per-user cap and the queue still apply then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from core.access import ActionRefused
from core.channel_settings import resolve, threshold
from core.jobs import Requester, new_job_id
from core.messages import Messages
from core.port import ConversationRef
from core.request import AnyRequest, GenerationRequest, ImageRequest
from core.store.settings import ChannelSettings
from core.store.spend import SpendAsk, SpendAsks

#: How long a requester's confirmation stays valid, and how long an approval waits.
CONFIRM_TTL = timedelta(minutes=10)
APPROVE_TTL = timedelta(days=1)


class SpendPending(ActionRefused):
    """Nothing was started: the command waits for a Confirm or an Approve. ``message`` is the typed form
    (``confirm <id>``) for surfaces without buttons; ``ask`` is what the buttons act on."""

    default_code = "SpendAsked"

    def __init__(self, ask: SpendAsk, message: str, *, price: str, approval: str | None = None,
                 approval_typed: str | None = None) -> None:
        super().__init__(message)
        self.ask = ask
        #: "This will cost about ¥15.00 (1080P, 15 s). Start it?" — what a surface with buttons shows.
        self.price = price
        #: An approval's message to the channel (who asked, the price), for buttons and typed.
        self.approval = approval
        self.approval_typed = approval_typed


def mention(platform: str, user_id: str, name: str | None = None) -> str:
    """How a message names a person: a mention on the chat platforms (sent with pings allowed only for
    whom the port is told), the name elsewhere."""
    return f"<@{user_id}>" if platform in ("discord", "slack") else (name or user_id)


def money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


def summary(requests: Sequence[AnyRequest], messages: Messages) -> str:
    """``1080P, 15 s`` for one video, ``2 image(s)``, ``3 jobs`` for a batch."""
    if len(requests) != 1:
        return messages("spend.summary.many", count=len(requests))
    request = requests[0]
    if isinstance(request, ImageRequest):
        return messages("spend.summary.image", n=request.n)
    assert isinstance(request, GenerationRequest)
    return messages("spend.summary.video", resolution=request.resolution, seconds=request.seconds)


class SpendGate:
    def __init__(self, asks: SpendAsks, settings: ChannelSettings, messages: Messages, *,
                 now: Callable[[], datetime], price_overrides: Mapping[str, Decimal] | None = None,
                 confirm_every: Collection[str] = ()) -> None:
        self.asks = asks
        #: Issue 14: platforms where every priced command is confirmed first, whatever the channel's settings.
        self.confirm_every = frozenset(confirm_every)
        self.settings = settings
        self.messages = messages
        self.now = now
        self.price_overrides = dict(price_overrides or {})

    def total(self, requests: Sequence[AnyRequest]) -> Decimal:
        return sum((r.estimated_cost(self.price_overrides) for r in requests), Decimal(0))

    async def check(self, requester: Requester, conversation: ConversationRef, requests: Sequence[AnyRequest], *,
                    origin: str, parent_id: str | None,
                    approves: Callable[[list[str]], Awaitable[bool]]) -> SpendAsk | None:
        """``None`` to go on; else the stored ask (raise ``pending(ask)``). ``approves(approver ids)``:
        whether the requester is an approver here (their own costly job then needs no approval)."""
        total = self.total(requests)
        values = resolve(await self.settings.get(requester.platform, requester.workspace_id,
                                                 requester.channel_id))
        approve_over, confirm_over = threshold(values["approve_over"]), threshold(values["confirm_over"])
        over = confirm_over is not None and (total > confirm_over or len(requests) >= 2)
        always = requester.platform in self.confirm_every and total > 0
        if approve_over is not None and total > approve_over and not await approves(list(values["approver_role"])):
            kind, ttl = "approve", APPROVE_TTL
        elif over or always:
            kind, ttl = "confirm", CONFIRM_TTL
        else:
            return None
        now = self.now()
        ask = SpendAsk(id=new_job_id(), kind=kind, requester=requester, conversation=conversation,
                       requests=tuple(requests), origin=origin, parent_id=parent_id, total=total,
                       created_at=now, expires_at=now + ttl)
        await self.asks.add(ask)
        return ask

    def pending(self, ask: SpendAsk) -> SpendPending:
        """The refusal-shaped answer to a held-back command."""
        m = self.messages
        fields = dict(total=money(ask.total), summary=summary(ask.requests, m), ask_id=ask.id)
        if ask.kind == "approve":
            sent = m("spend.approval.sent", **fields)
            who = mention(ask.requester.platform, ask.requester.user_id, ask.requester.user_name)
            typed = self.approval_text(ask, who, typed=True)
            return SpendPending(ask, f"{sent} {typed}", price=sent, approval=self.approval_text(ask, who),
                                approval_typed=typed)
        return SpendPending(ask, m("spend.ask.typed", **fields), price=m("spend.ask", **fields))

    def approval_text(self, ask: SpendAsk, who: str, *, typed: bool = False) -> str:
        """What the channel reads while an approval waits (``who``: the requester, as the platform shows them)."""
        fields = dict(total=money(ask.total), summary=summary(ask.requests, self.messages), ask_id=ask.id, who=who)
        return self.messages("spend.approval.typed" if typed else "spend.approval", **fields)


__all__ = ["APPROVE_TTL", "CONFIRM_TTL", "SpendGate", "SpendPending", "mention", "money", "summary"]
