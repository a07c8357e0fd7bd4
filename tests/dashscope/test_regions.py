"""Base URL resolution: presets, proxies, and SDK-like precedence (explicit > env > region)."""

from __future__ import annotations

import pytest

from core.dashscope import resolve_base_url
from core.errors import ConfigError

BJ = "https://dashscope.aliyuncs.com/api/v1"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, BJ),
        ({"region": None}, BJ),
        ({"region": "beijing"}, BJ),
        ({"region": "Beijing "}, BJ),
        ({"region": "cn-beijing"}, BJ),
        ({"region": "singapore", "workspace_id": "ws123"}, "https://ws123.ap-southeast-1.maas.aliyuncs.com/api/v1"),
        ({"region": "intl"}, "https://dashscope-intl.aliyuncs.com/api/v1"),
        ({"base_url": "https://api.example.com/wan"}, "https://api.example.com/wan/api/v1"),
        ({"base_url": "https://api.example.com/wan/"}, "https://api.example.com/wan/api/v1"),
        ({"base_url": "https://api.example.com/wan/api/v1"}, "https://api.example.com/wan/api/v1"),
        ({"base_url": "http://127.0.0.1:8080/api/v1/"}, "http://127.0.0.1:8080/api/v1"),
        # precedence: explicit > env > region
        ({"base_url": "https://a.example/x", "env_base_url": "https://b.example/api/v1", "region": "intl"},
         "https://a.example/x/api/v1"),
        ({"env_base_url": "https://b.example/api/v1", "region": "intl"}, "https://b.example/api/v1"),
        ({"env_base_url": "https://proxy.example/wan", "region": "singapore"},
         "https://proxy.example/wan/api/v1"),
        ({"base_url": "", "env_base_url": "  ", "region": "intl"}, "https://dashscope-intl.aliyuncs.com/api/v1"),
    ],
)
def test_resolution_table(kwargs: dict[str, str | None], expected: str) -> None:
    assert resolve_base_url(**kwargs) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"region": "singapore"},
        {"region": "singapore", "workspace_id": " "},
        {"region": "singapore", "workspace_id": "bad.host/evil"},
        {"region": "mars"},
        {"base_url": "ftp://x.example"},
        {"base_url": "dashscope.aliyuncs.com"},
        {"env_base_url": "https://x.example/api/v1?token=1"},
    ],
)
def test_bad_settings_raise_config_error(kwargs: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        resolve_base_url(**kwargs)
