"""What a configuration mistake looks like to the person who made it: one sentence per problem.

pydantic's ``ValidationError`` text is written for developers (the field path, the error type, a link to
its docs); an operator who typed ``WANBOT_MAX_IN_FLIGHT=x`` needs "WANBOT_MAX_IN_FLIGHT must be a whole
number, not 'x'." ``sentences`` turns each error into that, naming the environment variable. Our own
validators (``bot.settings``) already raise complete sentences that start with the variable's name; those
are passed through as they are. A secret's value is never repeated back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

#: What pydantic's error types mean, as the end of "<VARIABLE> must be …".
_EXPECTED = {
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "bool_parsing": "true or false (1/0, yes/no, on/off)",
    "decimal_parsing": "a number",
    "path_type": "a path",
    "url_parsing": "a URL",
}


def _shown(value: Any, secret: bool) -> str:
    if secret:
        return "(hidden)"
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= 60 else text[:57] + "…")


def _sentence(error: Any, secret_names: set[str]) -> str:
    name = ".".join(str(part) for part in error.get("loc", ())) or "a setting"
    kind = error.get("type", "")
    given = error.get("input")
    secret = name in secret_names
    if kind == "value_error":
        # Our validators' own sentences ("WANBOT_BUDGETS: cannot read …"): drop pydantic's prefix.
        message = str(error.get("ctx", {}).get("error") or error.get("msg", ""))
        message = message.removeprefix("Value error, ")
        return message if message.startswith(name) else f"{name}: {message}"
    ctx = error.get("ctx") or {}
    if kind in _EXPECTED:
        return f"{name} must be {_EXPECTED[kind]}, not {_shown(given, secret)}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = {"greater_than": "more than", "greater_than_equal": "at least", "less_than": "less than",
                 "less_than_equal": "at most"}[kind]
        limit = next(iter(ctx.values()), "?")
        return f"{name} must be {bound} {limit}, not {_shown(given, secret)}"
    if kind == "literal_error":
        return f"{name} must be {ctx.get('expected', 'one of the listed values')}, not {_shown(given, secret)}"
    if kind == "extra_forbidden":
        return f"{name} is not a wanbot setting"
    return f"{name}: {error.get('msg', 'is not valid')} (got {_shown(given, secret)})"


def sentences(exc: ValidationError, *, secret_names: Iterable[str] = ()) -> list[str]:
    """One sentence per problem in ``exc``, in the order pydantic found them, each naming its variable."""
    hidden = set(secret_names)
    return [_sentence(error, hidden) for error in exc.errors(include_url=False)]
