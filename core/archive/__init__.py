"""The archive (issue 13): every delivered video or image copied once to storage that outlives DashScope's 24 h links.

``backends`` (the local directory, the default) and ``s3`` (S3-compatible object storage) keep the bytes;
``archiver.Archiver`` decides what is copied when, retries what failed, applies retention and forgets a
deleted result; ``core.store.archive`` keeps the rows. ``/wan history`` reads them (``core.actions.history``).
"""

from core.archive.archiver import Archiver, SweepReport
from core.archive.backends import ArchiveBackend, LocalDirBackend

__all__ = ["ArchiveBackend", "Archiver", "LocalDirBackend", "SweepReport"]
