"""Variants (issue 13, item 2): one ``/wan video`` rendered N ways, started together or not at all.

``--variants N`` (2–4) renders the prompt with N different seeds; ``--variants ratio`` renders it across
the model's ratios (16:9, 9:16 and 1:1, those the model offers at the resolution).
The N requests are priced up front and accepted as ONE batch (``Engine.accept_batch``: the per-user cap,
the cooldown and the budgets see all N together — all of them are stored, or none and one sentence).

Each variant is a job of its own with its own status message and buttons; ``Job.extra`` records
``group`` (the batch's id: the first variant's job id), ``variant`` (0-based), ``variants_of`` ("seed" or
"ratio") and ``variant_label`` ("Variant 2 · seed 1234", "Variant 9:16") that its status shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import InvalidRequest
from core.messages import Messages
from core.request import GenerationRequest

MIN_VARIANTS = 2
MAX_VARIANTS = 4
#: The ratios ``--variants ratio`` renders (those of them the model has at the resolution): landscape,
#: portrait, square — three, inside the default per-user cap of 3 jobs in progress.
RATIO_ORDER = ("16:9", "9:16", "1:1")


@dataclass(frozen=True)
class VariantsOf:
    """What ``--variants`` asked for: ``kind`` "seed" with ``count``, or "ratio"."""

    kind: str
    count: int = 0


def parse_variants(text: str, messages: Messages) -> VariantsOf:
    word = text.strip().lower()
    if word in ("ratio", "ratios"):
        return VariantsOf("ratio")
    if word.isdigit() and MIN_VARIANTS <= int(word) <= MAX_VARIANTS:
        return VariantsOf("seed", int(word))
    shown = text.strip()[:20] or messages("variants.nothing")
    raise InvalidRequest(messages("variants.bad", value=shown), field="variants")


def variant_requests(request: GenerationRequest, of: VariantsOf, messages: Messages,
                     seeds: list[int]) -> list[tuple[GenerationRequest, str]]:
    """The N requests and each one's label; ``seeds`` holds (at least) one fresh seed per variant."""
    if request.animates:
        raise InvalidRequest(messages("variants.ratio_unsupported", model=request.model), field="variants")
    if of.kind == "seed":
        return [(request.with_changes(seed=seed), messages("variants.label.seed", number=i + 1, seed=seed))
                for i, seed in enumerate(seeds[:of.count])]
    offered = request.spec.ratios(request.resolution or request.spec.default_resolution)
    ratios = [r for r in RATIO_ORDER if r in offered][:MAX_VARIANTS]
    if len(ratios) < MIN_VARIANTS:
        raise InvalidRequest(messages("variants.ratio_unsupported", model=request.model), field="variants")
    seed = request.seed if request.seed is not None else seeds[0]
    return [(request.with_changes(ratio=ratio, seed=seed), messages("variants.label.ratio", ratio=ratio))
            for ratio in ratios]


__all__ = ["MAX_VARIANTS", "MIN_VARIANTS", "VariantsOf", "parse_variants", "variant_requests"]
