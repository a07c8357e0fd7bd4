"""What each job of a variants batch records (``core.variants``, ``core.ideas``): its group and label.

The first variant is the idea (it opens the thread when the channel has threads on); the others belong to
it: ``idea`` is the first's id, not a parent (a variant's siblings are not its parents).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.ideas import GROUP, IDEA, THREAD_NAME, VARIANT, VARIANT_LABEL, VARIANTS_OF


def variant_extra(placed: Mapping[str, Any], job_ids: Sequence[str], index: int, kind: str,
                  label: str) -> dict[str, Any]:
    """``Job.extra`` of variant ``index`` of the batch ``job_ids``; ``placed``: where the batch was placed
    (``core.actions.threads``: a thread to open, or the lineage of a ``/wan`` typed in a thread)."""
    extra = dict(placed)
    if index > 0:
        extra.pop(THREAD_NAME, None)  # one thread for the group: the first variant's
        extra.setdefault(IDEA, job_ids[0])
    extra.update({GROUP: job_ids[0], VARIANT: index, VARIANTS_OF: kind, VARIANT_LABEL: label})
    return extra


__all__ = ["variant_extra"]
