"""Secrets never print: URLs shown without their passwords, and a scrubber for every line wanbot writes.

Two layers:

* Where wanbot itself shows a URL (``wanbot doctor``, start-up logs, ``repr(Settings)``) it shows
  ``redact_url(url)``: ``postgresql://user:pw@host/db`` → ``postgresql://user:***@host/db``, and the
  values of sensitive query parameters (``?password=``) masked too.
* Underneath, a ``Redactor`` knows every secret value of the running configuration — the DashScope key,
  the Discord token, the Slack tokens and signing secret, the passwords inside configured URLs — and
  replaces each occurrence in any text; it also masks the password of any ``scheme://user:pw@`` and any
  ``?password=`` it meets, configured or not. It is the last step of the log formatter and of doctor's
  output, so an exception message or a library's log line that echoes a URL or a header cannot leak one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

MASK = "***"
#: Query parameters whose values are credentials (libpq's ``password``/``sslpassword``, tokens, keys, the
#: media host's link signature ``sig``: a logged link would let anyone fetch the file until it expires).
SENSITIVE_QUERY = frozenset({"password", "passwd", "pwd", "pass", "sslpassword", "secret", "token", "access_token",
                             "api_key", "apikey", "key", "sig"})
#: Shorter values are not scrubbed wherever they appear: a short password (docker-compose's "wanbot")
#: would mask every logger name. Inside URLs (``user:pw@``, ``?password=``) any length is masked.
MIN_SCRUB_LENGTH = 8
#: ``scheme://user:password@``: in a string SQLAlchemy cannot parse (``redact_url``), and in free text.
_USERINFO = re.compile(r"(://[^/:@\s]*:)[^/@\s]*@")
#: ``?password=…`` / ``&token=…`` in free text (a URL inside a log line or an error message).
_NAMES = "|".join(sorted(SENSITIVE_QUERY, key=len, reverse=True))
_QUERY = re.compile(rf"([?&;](?:{_NAMES})=)[^&;#\s'\"]+", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``url`` with its password and sensitive query values replaced by ``***``; a string that is not a
    URL at all is all ``***`` (no telling which part of it is secret)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return _USERINFO.sub(rf"\1{MASK}@", url) if "://" in url else MASK
    hidden = {name: MASK for name in parsed.query if name.lower() in SENSITIVE_QUERY}
    if hidden:
        parsed = parsed.update_query_dict(hidden)
    # render_as_string percent-encodes the query's mask; the password's it writes as is.
    return parsed.render_as_string(hide_password=True).replace("%2A%2A%2A", MASK)


def url_secrets(url: str) -> set[str]:
    """The credentials inside ``url``, as SQLAlchemy reads them and as they are spelled in the string."""
    found: set[str] = set()
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        match = _USERINFO.search(url)
        if match:
            found.add(match.group(0)[len(match.group(1)):-1])
        return found
    if parsed.password:
        found.add(str(parsed.password))
    raw = urlsplit(url)
    if raw.password:  # percent-encoded, as it appears in the string
        found.add(raw.password)
    for name, value in parsed.query.items():
        if name.lower() in SENSITIVE_QUERY:
            found.update([value] if isinstance(value, str) else value)
    return found


class Redactor:
    """Replaces every known secret value in a text with ``***`` (longest first, so none is half-masked),
    then every URL password and sensitive query value."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = tuple(sorted({s for s in secrets if len(s) >= MIN_SCRUB_LENGTH}, key=len, reverse=True))

    @classmethod
    def of(cls, settings: BaseModel) -> Redactor:
        """Every secret in a settings object: ``SecretStr`` values, and credentials in its URL strings."""
        secrets: set[str] = set()
        for name in type(settings).model_fields:
            value = getattr(settings, name)
            if isinstance(value, SecretStr):
                secrets.add(value.get_secret_value())
            elif isinstance(value, str) and "://" in value:
                secrets |= url_secrets(value)
        return cls(secrets)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        text = _USERINFO.sub(rf"\1{MASK}@", text)
        return _QUERY.sub(rf"\1{MASK}", text)


class RedactingFormatter(logging.Formatter):
    """A log formatter whose every output line — message, arguments, traceback — is scrubbed."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None, *, redact: Redactor) -> None:
        super().__init__(fmt, datefmt)
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))
