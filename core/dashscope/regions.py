"""Base URL resolution: which ``…/api/v1`` root every DashScope route hangs from.

Owns one pure function, ``resolve_base_url``. It reads no environment itself: the settings layer passes
the values in (including ``DASHSCOPE_HTTP_BASE_URL`` through ``env_base_url``), so the precedence is
testable as a table and matches the official SDK:

1. an explicit ``base_url`` setting,
2. else the env value ``DASHSCOPE_HTTP_BASE_URL`` (which, like the SDK's, already ends in ``/api/v1``),
3. else the ``region`` preset.

Custom bases may be proxy prefixes (``https://api.example.com/wan``): ``/api/v1`` is appended unless the
value already ends with it. Key, endpoint and model must share a region — a key from another region gets
401 ``InvalidApiKey`` — which is why the Singapore preset insists on a workspace id instead of silently
falling back to the retiring ``dashscope-intl`` domain.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from core.errors import ConfigError

API_SUFFIX = "/api/v1"

#: Region presets. ``{workspace_id}`` is filled in for the workspace-scoped domains.
REGION_BASES: dict[str, str] = {
    "beijing": "https://dashscope.aliyuncs.com/api/v1",
    "singapore": "https://{workspace_id}.ap-southeast-1.maas.aliyuncs.com/api/v1",
    # Legacy Singapore domain, being retired by the vendor; kept because existing keys still use it.
    "intl": "https://dashscope-intl.aliyuncs.com/api/v1",
}

#: Spellings people type for the same preset.
_ALIASES: dict[str, str] = {
    "cn": "beijing",
    "cn-beijing": "beijing",
    "china": "beijing",
    "sg": "singapore",
    "ap-southeast-1": "singapore",
    "international": "intl",
    "dashscope-intl": "intl",
}

# A workspace id becomes a DNS label: letters, digits and dashes only.
_WORKSPACE_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def normalize_base(value: str) -> str:
    """Validate an http(s) base and make it end in exactly one ``/api/v1``."""
    base = value.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"DashScope base URL must be an http(s) URL, got {value!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"DashScope base URL must not carry a query or fragment: {value!r}")
    if not base.endswith(API_SUFFIX):
        base += API_SUFFIX
    return base


def resolve_base_url(
    *,
    region: str | None = "beijing",
    workspace_id: str | None = None,
    base_url: str | None = None,
    env_base_url: str | None = None,
) -> str:
    """Return the ``…/api/v1`` root to use; raise ``ConfigError`` on contradictory or bad settings.

    ``base_url`` (explicit setting) wins over ``env_base_url`` (``DASHSCOPE_HTTP_BASE_URL``), which wins
    over the ``region`` preset. Empty strings count as "not set", as an unset env var often arrives as "".
    """
    for candidate in (base_url, env_base_url):
        if candidate and candidate.strip():
            return normalize_base(candidate)

    name = (region or "beijing").strip().lower()
    name = _ALIASES.get(name, name)
    template = REGION_BASES.get(name)
    if template is None:
        known = ", ".join(sorted(REGION_BASES))
        raise ConfigError(f"unknown DashScope region {region!r}; choose one of: {known}, or set a base URL")
    if "{workspace_id}" not in template:
        return template
    ws = (workspace_id or "").strip()
    if not ws:
        raise ConfigError(
            f"region {name!r} needs a workspace id (the domain is {{WorkspaceId}}.ap-southeast-1."
            "maas.aliyuncs.com); set it, or use region 'intl' for the legacy domain"
        )
    if not _WORKSPACE_RE.match(ws):
        raise ConfigError(f"workspace id {ws!r} is not a valid host name label")
    return template.format(workspace_id=ws.lower())


__all__ = ["API_SUFFIX", "REGION_BASES", "normalize_base", "resolve_base_url"]
