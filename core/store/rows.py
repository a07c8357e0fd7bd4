"""The mapping between a ``Job`` and a ``jobs`` row, both ways (refusing naive datetimes)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row

from core.jobs import Job, JobState, Requester
from core.port import ConversationRef, MessageRef
from core.request import load_request
from core.store.errors import CorruptJob
from core.store.schema import iso_utc, require_aware

#: Columns only ``core.store.leases`` writes: a plain save must not put back an older lease.
LEASE_COLUMNS = ("lease_owner", "lease_until")




def _aware_or_none(value: datetime | None, what: str) -> datetime | None:
    return None if value is None else require_aware(value, what)


def job_to_row(job: Job) -> dict[str, Any]:
    """The column values for ``job``. Refuses naive datetimes instead of storing an ambiguous time."""
    r = job.requester
    return {
        "id": job.id,
        "platform": r.platform,
        "workspace_id": r.workspace_id,
        "channel_id": r.channel_id,
        "user_id": r.user_id,
        "user_name": r.user_name,
        "conversation": job.conversation.to_dict(),
        "request": job.request.model_dump(mode="json"),
        "state": job.state.value,
        "created_at": require_aware(job.created_at, "created_at"),
        "updated_at": _aware_or_none(job.updated_at, "updated_at"),
        "state_times": {k: iso_utc(v) for k, v in job.state_times.items()},
        "task_id": job.task_id,
        "submit_started_at": _aware_or_none(job.submit_started_at, "submit_started_at"),
        "status_ref": job.status_ref.to_dict() if job.status_ref else None,
        "video_url": job.video_url,
        "video_expires_at": _aware_or_none(job.video_expires_at, "video_expires_at"),
        "image_urls": list(job.image_urls) if job.image_urls else None,
        "delivered_ref": job.delivered_ref.to_dict() if job.delivered_ref else None,
        "delivery_note": job.delivery_note,
        "billed_seconds": job.billed_seconds,
        "cost": job.cost,
        "reserved_seconds": job.reserved_seconds,
        "reserved_cost": job.reserved_cost,
        "lease_owner": job.lease_owner,
        "lease_until": _aware_or_none(job.lease_until, "lease_until"),
        "error_code": job.error_code,
        "error_message": job.error_message,
        "shown_state": job.shown_state,
        "version": job.version,
        "extra": dict(job.extra),
    }


def _ref(data: Mapping[str, Any] | None) -> MessageRef | None:
    return None if data is None else MessageRef.from_dict(dict(data))


def row_to_job(row: Row[Any]) -> Job:
    m = row._mapping
    try:
        request = load_request(m["request"])
        state = JobState(m["state"])
    except (ValidationError, ValueError) as exc:
        raise CorruptJob(f"job {m['id']} cannot be loaded: {exc}") from exc
    return Job(
        id=m["id"],
        requester=Requester(
            platform=m["platform"],
            user_id=m["user_id"],
            channel_id=m["channel_id"],
            workspace_id=m["workspace_id"],
            user_name=m["user_name"],
        ),
        conversation=ConversationRef.from_dict(dict(m["conversation"])),
        request=request,
        state=state,
        created_at=m["created_at"],
        state_times={k: datetime.fromisoformat(v) for k, v in m["state_times"].items()},
        task_id=m["task_id"],
        submit_started_at=m["submit_started_at"],
        status_ref=_ref(m["status_ref"]),
        video_url=m["video_url"],
        video_expires_at=m["video_expires_at"],
        image_urls=tuple(str(u) for u in m["image_urls"] or ()),
        delivered_ref=_ref(m["delivered_ref"]),
        delivery_note=m["delivery_note"],
        billed_seconds=m["billed_seconds"],
        cost=m["cost"],
        reserved_seconds=m["reserved_seconds"],
        reserved_cost=m["reserved_cost"],
        lease_owner=m["lease_owner"],
        lease_until=m["lease_until"],
        error_code=m["error_code"],
        error_message=m["error_message"],
        shown_state=m["shown_state"],
        updated_at=m["updated_at"],
        version=m["version"],
        extra=dict(m["extra"]),
    )

