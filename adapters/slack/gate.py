"""The door of HTTP mode: who may reach bolt, and which requests it sees once.

Nothing of a request is read as text before its signature is checked: the HMAC (Slack's v0 scheme,
``v0=HMAC_SHA256(secret, "v0:{timestamp}:{raw body}")``) is computed over the raw bytes, so bad UTF-8,
a timestamp that is not a number or a body that is not JSON from someone without the signing secret
cost one constant-time comparison and a 401 — no parse, no traceback. (slack_sdk's ``SignatureVerifier``
decodes the body and calls ``int()`` on the timestamp first, which is exactly what must not happen.)

Only a signed request is then decoded and parsed the way bolt will parse it; anything Slack would never
send (not UTF-8, ``payload=`` that is not a JSON object, absurdly deep nesting, a slash command without
its user or channel, an interaction without its type, user, actions or view — the fields bolt and our
listeners index without looking) is a 400.

Replays: a signed request is remembered by the digest of its body for twice the timestamp window (a
timestamp may be up to a window ahead of our clock, and stays valid a window after it). A second request
with the same body — an attacker replaying a captured request, or Slack retrying one we already took
(``X-Slack-Retry-Num``: same body, fresh signature) — is answered 200 without acting. Slash commands and
interactions carry a fresh ``trigger_id`` each, so two distinct requests never share a body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl

#: Slack's rule: a timestamp more than five minutes from now is refused.
WINDOW = 5 * 60.0
#: Bodies Slack sends are a few kB (a modal's state at most tens); nesting is a dozen levels deep.
MAX_DEPTH = 64
#: Memory bound for remembered bodies (a digest and a float each).
MAX_REMEMBERED = 100_000


class Verdict(Enum):
    ACT = "act"
    UNSIGNED = "unsigned"
    MALFORMED = "malformed"
    REPLAY = "replay"


@dataclass(frozen=True)
class Checked:
    verdict: Verdict
    #: The decoded body (``ACT`` only): what bolt is given.
    text: str = ""
    #: Why a request was turned away, for one log line.
    reason: str = ""
    digest: bytes = b""


class SlackGate:
    def __init__(self, signing_secret: str, *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._secret = signing_secret.encode()
        self._clock = clock
        self._monotonic = monotonic
        #: body digest → when it may be forgotten (monotonic); insertion order is expiry order.
        self._seen: OrderedDict[bytes, float] = OrderedDict()

    def check(self, headers: Mapping[str, str], raw: bytes) -> Checked:
        reason = self._signature_problem(headers, raw)
        if reason is not None:
            return Checked(Verdict.UNSIGNED, reason=reason)
        digest = hashlib.sha256(raw).digest()
        self._expire()
        if digest in self._seen:
            return Checked(Verdict.REPLAY, reason="a request already taken", digest=digest)
        try:
            text = raw.decode("utf-8")
            _parse(text, headers.get("Content-Type"))
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            return Checked(Verdict.MALFORMED, reason=_short(exc))
        # Remembered before bolt acts, so a replay arriving while the first is still being handled is caught.
        self._seen[digest] = self._monotonic() + 2 * WINDOW
        if len(self._seen) > MAX_REMEMBERED:
            self._seen.popitem(last=False)
        return Checked(Verdict.ACT, text=text, digest=digest)

    def forget(self, checked: Checked) -> None:
        """The request was not taken after all (we answered 5xx): Slack's retry must be acted on."""
        self._seen.pop(checked.digest, None)

    def _signature_problem(self, headers: Mapping[str, str], raw: bytes) -> str | None:
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        if not timestamp or not signature:
            return "no signature"
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return "a timestamp that is not a number"
        if abs(self._clock() - int(timestamp)) > WINDOW:
            return "a timestamp outside the five-minute window"
        expected = "v0=" + hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + raw,
                                    hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return "a bad signature"
        return None

    def _expire(self) -> None:
        now = self._monotonic()
        while self._seen:
            digest, until = next(iter(self._seen.items()))
            if until > now:
                break
            del self._seen[digest]


def _parse(text: str, content_type: str | None) -> None:
    """Parse ``text`` as bolt will (``slack_bolt.request.internals.parse_body``); raise ``ValueError``
    for anything that is not a Slack request body."""
    if not text:
        return
    if (content_type or "").split(";")[0].strip() == "application/json" or text.startswith("{"):
        _payload(_object(json.loads(text)))
        return
    params = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in text:
        payload = params.get("payload")
        if payload is not None:
            _payload(_object(json.loads(payload)))
        return
    if "command" in params:
        for name in ("command", "user_id", "channel_id"):
            if not params.get(name):
                raise ValueError(f"a slash command without {name}")


#: Interactions that come from a person: bolt and the listeners read ``user.id``.
_FROM_A_PERSON = frozenset({"block_actions", "view_submission", "view_closed", "shortcut", "message_action",
                            "block_suggestion", "interactive_message", "dialog_submission"})


def _payload(body: dict[str, Any]) -> None:
    """The fields of a JSON body or an interaction payload that bolt indexes without looking first."""
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        raise ValueError("a payload without a type")
    for name in ("team", "channel", "user", "enterprise", "container"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            raise ValueError(f"{name} is not an object")
    if kind in _FROM_A_PERSON and not isinstance((body.get("user") or {}).get("id"), str):
        raise ValueError(f"a {kind} payload without user.id")
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions or not all(
                isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            raise ValueError("block_actions without actions")
    if kind.startswith("view_") or "view" in body:
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("type"), str) or not isinstance(
                view.get("callback_id"), str):
            raise ValueError("a view payload without its view")
    if kind == "event_callback" or "event" in body:
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise ValueError("an event without its type")


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("the payload is not a JSON object")
    # Iterative, so the check itself cannot recurse too deep.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"the payload nests deeper than {MAX_DEPTH} levels")
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return value


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:120]}"
