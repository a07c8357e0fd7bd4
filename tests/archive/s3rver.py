"""A real S3-compatible server for the archive tests: ``s3rver`` (npm), run as a subprocess over HTTP.

Why s3rver: no MinIO server binary is obtainable from the registries this project may use (PyPI, Debian,
npm) — Debian ships only MinIO's Go libraries and PyPI only its clients — while s3rver is a maintained
S3 implementation on npm that speaks the REST API over real HTTP: PUT/GET/DELETE objects, SigV4
signed requests and presigned URLs, path-style buckets. The tests talk to it with the same
aiobotocore client production uses; nothing is mocked.

It is installed on demand (``npm install``) into ``WANBOT_S3RVER_DIR`` (default
``~/.cache/wanbot/s3rver``), so the README's test command works on a fresh clone; later runs reuse it.
Its fixed credentials are ``S3RVER`` / ``S3RVER``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

VERSION = "3.7.1"
ACCESS_KEY = "S3RVER"
SECRET_KEY = "S3RVER"
CACHE = Path(os.environ.get("WANBOT_S3RVER_DIR", Path.home() / ".cache" / "wanbot" / "s3rver"))


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    bucket: str
    directory: Path


def installed() -> Path:
    """The s3rver entry script, installed into the cache first if needed."""
    script = CACHE / "node_modules" / "s3rver" / "bin" / "s3rver.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise RuntimeError("the archive's S3 tests need Node.js and npm (to install s3rver)")
    CACHE.mkdir(parents=True, exist_ok=True)
    # pytest-xdist workers each start a session: one installs, the others wait for it on the lock.
    with (CACHE / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not script.is_file():
            subprocess.run([npm, "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "--silent",
                            f"s3rver@{VERSION}"], check=True, timeout=300, stdout=subprocess.DEVNULL)
    if not script.is_file():
        raise RuntimeError(f"npm installed s3rver but {script} is missing")
    return script


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Bounded wait for the port to accept (a server start-up, not a state change under test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"s3rver exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("s3rver did not start listening")


@contextmanager
def running(directory: Path, bucket: str = "wanbot-archive") -> Iterator[S3Server]:
    script = installed()
    port = _free_port()
    directory.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [shutil.which("node") or "node", str(script), "-d", str(directory), "-a", "127.0.0.1", "-p", str(port),
         "--silent", "--no-vhost-buckets", "--configure-bucket", bucket],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_listening(port, proc)
        yield S3Server(f"http://127.0.0.1:{port}", bucket, directory)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
