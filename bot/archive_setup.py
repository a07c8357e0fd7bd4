"""Builds the archive (issue 13) from the settings: the backend, its spool, retention, the signed route.

``WANBOT_ARCHIVE_S3_BUCKET`` set → ``core.archive.s3.S3Backend`` (the ``s3`` extra); else the local
directory ``Settings.archive_root()``, whose copies are linked through ``bot.archive_host`` when the bot
has an address (``WANBOT_PUBLIC_URL``) and not linked otherwise (history then links the chat message).
The spool — files delivered and not yet archived — is ``<archive root>/.spool`` in both cases.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bot.archive_host import ArchiveHost
from bot.media_host import load_secret
from bot.settings import Settings
from core.archive import Archiver, LocalDirBackend
from core.archive.archiver import Download
from core.archive.backends import ArchiveBackend
from core.jobs import Job
from core.store import JobStore


def build_archive(settings: Settings, store: JobStore, job: Callable[[str], Awaitable[Job | None]], *,
                  clock: Callable[[], float],
                  download: Download | None = None) -> tuple[Archiver, ArchiveHost | None]:
    """The archiver, and the route serving a local archive (None for S3: its links are presigned)."""
    root = settings.archive_root()
    root.mkdir(parents=True, exist_ok=True)
    host: ArchiveHost | None = None
    backend: ArchiveBackend
    if settings.archive_s3_bucket:
        from core.archive.s3 import S3Backend, S3Config

        secret = settings.archive_s3_secret_access_key
        backend = S3Backend(S3Config(
            bucket=settings.archive_s3_bucket, endpoint_url=settings.archive_s3_endpoint,
            region=settings.archive_s3_region, access_key_id=settings.archive_s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None, prefix=settings.archive_s3_prefix))
    else:
        local = LocalDirBackend(root)
        configured = settings.media_secret.get_secret_value() if settings.media_secret else None
        public = settings.public_url
        host = ArchiveHost(local, load_secret(configured, settings.media_root()), lambda: public, clock=clock)
        local.signer = host.url_for
        backend = local
    retention = settings.archive_retention_days or None
    archiver = Archiver(backend, store.archive, job, spool=root / ".spool",
                        now=lambda: datetime.fromtimestamp(clock(), UTC), retention_days=retention,
                        download=download)
    return archiver, host
