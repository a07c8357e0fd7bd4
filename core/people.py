"""Who is named and who is pinged (issue 14).

* Every status message and every delivered result names its requester ("Requested by …") without pinging
  anyone: ``StatusView.requested_by`` and the uploads' ``requester``; each adapter renders the name its
  own non-pinging way (Discord ``<@id>`` with no mention allowed, Slack a display name, the console a name).
* When a job is done (DELIVERED) or did not finish (FAILED, EXPIRED), its requester alone is pinged, once:
  ``RequesterNotices`` posts one short message through ``ChatPort.notify(..., mention=(requester,))`` where
  the job lives (its idea's thread, else its channel). Discord sends it with ``allowed_mentions`` naming just
  that user (no roles, no @everyone, whatever the prompt says); Slack un-escapes only that ``<@U…>``. A
  status *edit* never pings (neither platform notifies on edits), which is why the ping is a new message.
  The done message links to the result (Discord's jump URL; Slack's permalink of the message sharing the
  file in the status message's thread). A CANCELED job pings nobody: someone chose to stop it.
* ``/wan notify off`` (stored per person, ``core.store.user_prefs``) keeps the naming and drops the ping;
  ``on`` (the default) brings it back. Only platforms whose mentions ping (``PINGING``) are told anything: the
  console's one user is watching the terminal.

The ping is sent at most once: the job's ``extra[NOTIFIED]`` is stored before the message is posted, so a
crash in between loses that one ping rather than sending it twice after a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from core.errors import WanbotError
from core.ideas import in_its_thread
from core.jobbook import JobBook
from core.jobs import Job, JobState
from core.messages import Messages, shorten
from core.store.user_prefs import UserPrefs

log = logging.getLogger("wanbot.people")

#: Platforms where a mention pings someone (``core.spend.mention`` names people the same way there).
PINGING = frozenset({"discord", "slack"})
#: ``user_prefs`` key: ``"off"`` = name me, do not ping me (absent or ``"on"``: ping).
NOTIFY_PREF = "notify"
#: ``Job.extra`` key: the requester's finished-job ping was sent (or deliberately not: opted out).
NOTIFIED = "requester_notified"
#: The states that ping: done, or not done for a reason the requester did not choose.
TOLD = frozenset({JobState.DELIVERED, JobState.FAILED, JobState.EXPIRED})
#: A failure's reason is one or two sentences; anything longer is cut.
REASON_LIMIT = 300


def who(job: Job) -> str:
    """The requester as a mention (it pings only where ``notify`` allows that one id)."""
    return f"<@{job.requester.user_id}>"


async def pings(prefs: UserPrefs, platform: str, workspace_id: str | None, user_id: str) -> bool:
    """Does this person want a ping when a job of theirs finishes? (Yes unless they said ``off``.)"""
    return platform in PINGING and await prefs.get(platform, workspace_id, user_id, NOTIFY_PREF) != "off"


class RequesterNotices:
    """The book's listener that pings a finished job's requester (see the module docstring)."""

    def __init__(self, *, book: JobBook, prefs: UserPrefs, messages: Messages,
                 spawn: Callable[[Awaitable[None], str | None], None]) -> None:
        self._book = book
        self._prefs = prefs
        self._messages = messages
        self._spawn = spawn
        #: Jobs whose ping is being sent by this process (the listener sees each save; one ping each).
        self._telling: set[str] = set()

    def seen(self, job: Job) -> None:
        """``JobBook.listeners``: called with every stored job."""
        if (job.state not in TOLD or job.conversation.platform not in PINGING or job.extra.get(NOTIFIED)
                or job.id in self._telling):
            return
        self._telling.add(job.id)
        self._spawn(self._tell(job.id), job.id)

    async def _tell(self, job_id: str) -> None:
        try:
            job = self._book.peek(job_id)
            if job is None or job.extra.get(NOTIFIED):
                return
            r = job.requester
            wanted = await pings(self._prefs, r.platform, r.workspace_id, r.user_id)
            # Stored first: at most one ping, even across a crash right after it.
            job = await self._book.update(job_id, extra={NOTIFIED: "sent" if wanted else "opted_out"})
            if not wanted:
                return
            port = self._book.port(job)
            text = await self._text(job)
            await port.notify(in_its_thread(job).conversation, text, mention=(r.user_id,))
        except WanbotError as exc:
            log.warning("job %s: could not ping its requester: %s", job_id, exc)
        finally:
            self._telling.discard(job_id)

    async def _text(self, job: Job) -> str:
        m = self._messages
        if job.state is not JobState.DELIVERED:
            reason = shorten(job.error_message or m("error.Unknown"), REASON_LIMIT)
            return m("people.failed", who=who(job), job_id=job.id, reason=reason)
        link: str | None = None
        port = self._book.port(job)
        for ref in (job.delivered_ref, job.status_ref):  # a link-only result: its status message holds the link
            if ref is None:
                continue
            try:
                link = await port.message_link(ref)
            except WanbotError as exc:
                log.info("job %s: no link for its ping (%s)", job.id, exc.code)
            if link:
                break
        key = "people.ready.image" if job.is_image else "people.ready.video"
        return m(key, who=who(job), link=link or m("people.no_link", job_id=job.id))


__all__ = ["NOTIFIED", "NOTIFY_PREF", "PINGING", "RequesterNotices", "pings"]
