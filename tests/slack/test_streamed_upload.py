"""``SlackPort``'s uploads stream the file from disk through Slack's three upload steps (issue 11, item 4).

Real slack_sdk against the fake: ``files.getUploadURLExternal`` with the file's length, the bytes POSTed to
the upload URL, ``files.completeUploadExternal`` into the thread. The files are larger than the 1 MB an
aiohttp body may be by default, and the port must never hold one whole: ``Path.read_bytes`` is banned and
the traced memory of an upload stays far below the file's size.
"""

from __future__ import annotations

import hashlib
import json
import os
import tracemalloc
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.port import SlackPort
from core.errors import PlatformError, UploadTooLarge
from core.port import ConversationRef, MessageRef, StatusView
from tests.fakes.slack_server import TOKEN, FakeSlack

MB = 1024 * 1024
CONV = ConversationRef("slack", "C_MEMBER", "T1")


def _port(fake: FakeSlack) -> SlackPort:
    return SlackPort(AsyncWebClient(token=TOKEN, base_url=fake.api_url))


def _file(path: Path, size: int) -> str:
    """A file of ``size`` random bytes (an MP4-like head); returns its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        head = b"\x00\x00\x00\x18ftypmp42"
        handle.write(head)
        digest.update(head)
        left = size - len(head)
        while left > 0:
            block = os.urandom(min(MB, left))
            handle.write(block)
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


@pytest.fixture
def no_whole_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a file whole is what the streamed upload replaces: any such read fails the test."""

    def banned(self: Path) -> bytes:
        raise AssertionError(f"{self} read whole")

    monkeypatch.setattr(Path, "read_bytes", banned)


async def _status(port: SlackPort) -> MessageRef:
    return await port.post_status(CONV, StatusView(job_id="job1", state="SUCCEEDED", title="Uploading",
                                                   prompt="a lake"))


async def test_a_video_goes_up_in_three_calls_and_arrives_intact(
        fake_slack: FakeSlack, tmp_path: Path, no_whole_reads: None) -> None:
    path = tmp_path / "clip.mp4"
    sha = _file(path, 5 * MB + 123)  # more than the fake's (and aiohttp's) old 1 MB body limit
    port = _port(fake_slack)
    status = await _status(port)

    ref = await port.upload_video(CONV, path, filename="wan-job1.mp4", size=path.stat().st_size,
                                  caption="a lake, 5 s", reply_to=status)

    methods = [c.method for c in fake_slack.calls if c.method.startswith("files.")]
    assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    [step1] = fake_slack.called("files.getUploadURLExternal")
    assert (step1.args["filename"], int(step1.args["length"])) == ("wan-job1.mp4", 5 * MB + 123)
    [upload] = fake_slack.uploads.values()
    assert upload.received == 5 * MB + 123 and upload.sha256 == sha  # step 2: every byte, in order
    [step3] = fake_slack.called("files.completeUploadExternal")
    assert json.loads(step3.args["files"]) == [{"id": upload.file_id, "title": "wan-job1.mp4"}]
    assert upload.completed and (upload.channel_id, upload.thread_ts) == ("C_MEMBER", status.message_id)
    assert upload.initial_comment == "a lake, 5 s"
    assert ref.message_id == upload.file_id and ref.conversation.thread_id == status.message_id
    # After a crash, the delivery looks for it before uploading again.
    found = await port.find_upload(CONV, filename="wan-job1.mp4", reply_to=status)
    assert found is not None and found.message_id == upload.file_id


async def test_an_upload_holds_a_small_part_of_the_file_in_memory(
        fake_slack: FakeSlack, tmp_path: Path, no_whole_reads: None) -> None:
    """Python allocations (the fake's included, it runs in this process) while 24 MB go up."""
    path = tmp_path / "big.mp4"
    sha = _file(path, 24 * MB)
    port = _port(fake_slack)
    tracemalloc.start()
    try:
        await port.upload_video(CONV, path, filename="wan-big.mp4", size=24 * MB, caption="", reply_to=None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [upload] = fake_slack.uploads.values()
    assert upload.sha256 == sha
    assert peak < 4 * MB, f"{peak / MB:.1f} MB traced for a 24 MB upload"


async def test_images_stream_too_and_share_one_message(
        fake_slack: FakeSlack, tmp_path: Path, no_whole_reads: None) -> None:
    paths, digests = [], []
    for i in (1, 2):
        path = tmp_path / f"wan-job1-{i}.png"
        digests.append(_file(path, 2 * MB + i))
        paths.append(path)
    port = _port(fake_slack)
    status = await _status(port)

    ref = await port.upload_images(CONV, paths, caption="two lakes", reply_to=status)

    assert len(fake_slack.called("files.getUploadURLExternal")) == 2
    assert len(fake_slack.called("files.completeUploadExternal")) == 1
    shared = sorted(fake_slack.uploads.values(), key=lambda u: u.filename)
    assert [u.sha256 for u in shared] == digests and all(u.completed for u in shared)
    assert {u.thread_ts for u in shared} == {status.message_id}
    assert sorted(ref.message_id.split(",")) == sorted(u.file_id for u in shared)


async def test_a_refused_upload_url_is_a_platform_error(fake_slack: FakeSlack, tmp_path: Path) -> None:
    """5xx: retryable (the engine uploads again, with a new URL); 413: too large (the delivery re-encodes).
    Either way nothing is completed, so nothing shows in the channel."""
    path = tmp_path / "clip.mp4"
    _file(path, 2 * MB)
    port = _port(fake_slack)
    fake_slack.fail("upload", "upstream", status=503)
    with pytest.raises(PlatformError) as down:
        await port.upload_video(CONV, path, filename="a.mp4", size=2 * MB, caption="", reply_to=None)
    assert down.value.retryable and down.value.http_status == 503
    fake_slack.fail("upload", "too large", status=413)
    with pytest.raises(UploadTooLarge):
        await port.upload_video(CONV, path, filename="a.mp4", size=2 * MB, caption="", reply_to=None)
    assert fake_slack.called("files.completeUploadExternal") == []
    # The next attempt goes through.
    await port.upload_video(CONV, path, filename="a.mp4", size=2 * MB, caption="", reply_to=None)
    assert [u.completed for u in fake_slack.uploads.values()] == [False, False, True]


async def test_a_file_that_changed_size_after_step_one_is_not_completed(
        fake_slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake checks the body against the declared length: an upload never completes short."""
    path = tmp_path / "clip.mp4"
    _file(path, 2 * MB)
    port = _port(fake_slack)
    step1 = port.client.files_getUploadURLExternal
    calls = 0

    async def shrink_after_step1(**kwargs: object) -> object:
        nonlocal calls
        calls += 1
        answer = await step1(**kwargs)  # type: ignore[arg-type]  # (the keywords slack_sdk sends)
        if calls == 1:
            os.truncate(path, MB)
        return answer

    monkeypatch.setattr(port.client, "files_getUploadURLExternal", shrink_after_step1)
    with pytest.raises(PlatformError) as short:
        await port.upload_video(CONV, path, filename="a.mp4", size=2 * MB, caption="", reply_to=None)
    assert short.value.retryable
    assert fake_slack.called("files.completeUploadExternal") == []
