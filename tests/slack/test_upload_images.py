"""``SlackPort.upload_images``: one upload (three steps, streamed) with every image, in the status message's thread."""

from __future__ import annotations

from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.port import SlackPort
from core.port import ConversationRef, MessageRef, StatusView
from tests.fakes.slack_server import TOKEN, FakeSlack


async def test_several_images_go_up_in_one_call_into_the_thread(fake_slack: FakeSlack, tmp_path: Path) -> None:
    port = SlackPort(AsyncWebClient(token=TOKEN, base_url=fake_slack.api_url.rstrip("/") + "/"))
    paths = []
    for i in (1, 2, 3):
        path = tmp_path / f"wan-job1-{i}.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes([i]) * (100 * i))
        paths.append(path)
    conv = ConversationRef("slack", "C_MEMBER", "T1")
    status = await port.post_status(conv, StatusView(job_id="job1", state="SUCCEEDED", title="Uploading",
                                                     prompt="a lake"))
    ref = await port.upload_images(conv, paths, caption="three lakes", reply_to=status)
    completes = [c for c in fake_slack.calls if c.method == "files.completeUploadExternal"]
    assert len(completes) == 1, "one message, several files"
    shared = [u for u in fake_slack.uploads.values() if u.completed]
    assert sorted(u.filename for u in shared) == [p.name for p in paths]
    assert {u.thread_ts for u in shared} == {status.message_id}
    assert [u.received for u in sorted(shared, key=lambda u: u.filename)] == [p.stat().st_size for p in paths]
    assert any(u.initial_comment == "three lakes" for u in shared)
    assert sorted(ref.message_id.split(",")) == sorted(u.file_id for u in shared)
    # A crash after the upload: the first image's name finds it again.
    found = await port.find_upload(conv, filename=paths[0].name, reply_to=status)
    assert isinstance(found, MessageRef)
    assert sorted(found.message_id.split(",")) == sorted(ref.message_id.split(","))



async def test_deleting_delivered_images_deletes_every_file(fake_slack: FakeSlack, tmp_path: Path) -> None:
    port = SlackPort(AsyncWebClient(token=TOKEN, base_url=fake_slack.api_url.rstrip("/") + "/"))
    paths = []
    for i in (1, 2):
        path = tmp_path / f"wan-job2-{i}.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes([i]) * 50)
        paths.append(path)
    conv = ConversationRef("slack", "C_MEMBER", "T1")
    ref = await port.upload_images(conv, paths, caption="", reply_to=None)
    await port.delete_message(ref)
    deleted = [str(c.args.get("file")) for c in fake_slack.calls if c.method == "files.delete"]
    assert sorted(deleted) == sorted(ref.message_id.split(",")) and len(deleted) == 2
