"""A storyboard: up to five shots become Wan's multi-shot prompt, sharing the duration in whole seconds.

``Shot 1 [0-3 seconds] wide shot: … Shot 2 [3-6 seconds] …`` — the form the Wan 2.6/2.7 docs describe
for multi-shot videos. Every surface collects the shots its own way (Discord and Slack: a modal with
five fields; the console: shots separated by ``|``) and calls ``ChatActions.storyboard``.
"""

from __future__ import annotations

from core.errors import InvalidRequest
from core.messages import Messages
from core.text import has_visible, strip_invisible

MAX_SHOTS = 5


def compose_storyboard(shots: list[str], duration: int, messages: Messages) -> str:
    """``Shot i [a-b seconds] text`` for each non-empty shot, splitting ``duration`` evenly."""
    # A shot of only invisible characters is an empty shot: it must not make a "Shot 2 [3-6 seconds]" with
    # nothing to film. Control characters are left in, so building the request refuses them by name.
    texts = [" ".join(s.split()) for s in shots if s and has_visible(strip_invisible(s))]
    if not texts:
        raise InvalidRequest(messages("storyboard.empty"), field="shots")
    if len(texts) > MAX_SHOTS:
        raise InvalidRequest(messages("storyboard.too_many", most=MAX_SHOTS, shots=len(texts)), field="shots")
    if duration < len(texts):
        raise InvalidRequest(messages("storyboard.too_short", shots=len(texts), duration=duration),
                             field="duration")
    bounds = [round(i * duration / len(texts)) for i in range(len(texts) + 1)]
    return " ".join(
        f"Shot {i + 1} [{bounds[i]}-{bounds[i + 1]} seconds] {text}" for i, text in enumerate(texts)
    )


__all__ = ["MAX_SHOTS", "compose_storyboard"]
