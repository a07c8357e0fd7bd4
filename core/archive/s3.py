"""The S3-compatible archive backend (AWS S3, MinIO, R2, OSS's S3 API …), through aiobotocore.

Installed with the ``s3`` extra (``pip install 'wanbot[s3]'``). Objects go to ``<prefix><key>`` in the
configured bucket with their content type; links are presigned GET URLs (SigV4, at most 7 days — the
longest SigV4 allows; each ``/wan history`` signs fresh ones, so a link is never older than that). Path-style
addressing when an endpoint is set (what self-hosted servers expect), virtual-hosted on AWS.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: How long a history link works (SigV4's maximum is 7 days).
LINK_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class S3Config:
    bucket: str
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    prefix: str = ""


class S3Backend:
    name = "s3"

    def __init__(self, config: S3Config, *, link_seconds: int = LINK_SECONDS) -> None:
        try:
            from aiobotocore.session import get_session  # the optional ``s3`` extra
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError("S3 archiving needs the s3 extra: pip install 'wanbot[s3]'") from exc
        self.config = config
        self._session = get_session()
        self._link_seconds = link_seconds

    def object_key(self, key: str) -> str:
        return f"{self.config.prefix}{key}"

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[Any]:
        from botocore.config import Config

        c = self.config
        style = "path" if c.endpoint_url else "auto"
        async with self._session.create_client(
            "s3", endpoint_url=c.endpoint_url, region_name=c.region or "us-east-1",
            aws_access_key_id=c.access_key_id, aws_secret_access_key=c.secret_access_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": style},
                          retries={"max_attempts": 3, "mode": "standard"}),
        ) as client:
            yield client

    async def put(self, key: str, source: Path, content_type: str) -> None:
        # Read off the event loop (a result is a few MB); a failed put leaves no object behind.
        body = await asyncio.to_thread(source.read_bytes)
        async with self._client() as client:
            await client.put_object(Bucket=self.config.bucket, Key=self.object_key(key), Body=body,
                                    ContentType=content_type)

    async def delete(self, key: str) -> None:
        async with self._client() as client:
            await client.delete_object(Bucket=self.config.bucket, Key=self.object_key(key))

    async def link(self, key: str) -> str | None:
        async with self._client() as client:
            url = await client.generate_presigned_url(
                "get_object", Params={"Bucket": self.config.bucket, "Key": self.object_key(key)},
                ExpiresIn=self._link_seconds)
        return str(url)
