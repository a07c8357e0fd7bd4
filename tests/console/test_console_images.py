"""``ConsolePort.upload_images``: the images land in the output folder, the first one last."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from adapters.console.port import PLATFORM, ConsolePort
from core.port import ConversationRef


async def test_images_are_copied_into_the_output_folder_and_found_again(tmp_path: Path) -> None:
    out = io.StringIO()
    port = ConsolePort(Console(file=out, width=200), tmp_path / "out", live=False)
    conv = ConversationRef(PLATFORM, "console")
    paths = []
    for i in (1, 2):
        path = tmp_path / f"wan-job12345-{i}.png"
        path.write_bytes(b"\x89PNG" + bytes([i]) * 50)
        paths.append(path)
    assert await port.find_upload(conv, filename=paths[0].name, reply_to=None) is None
    ref = await port.upload_images(conv, paths, caption="two lakes", reply_to=None)
    for path in paths:
        assert (tmp_path / "out" / path.name).read_bytes() == path.read_bytes()
    assert not list((tmp_path / "out").glob("*.part"))
    assert port.saved["job12345"] == tmp_path / "out" / paths[0].name
    assert str(tmp_path / "out" / paths[1].name) in out.getvalue().replace("\n", "")
    found = await port.find_upload(conv, filename=paths[0].name, reply_to=None)
    assert found is not None and found.message_id == ref.message_id
