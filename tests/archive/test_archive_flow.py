"""The archive end to end (issue 13): a complete wanbot on the sandbox delivers a video; the archive copy has
the same bytes, on the local directory and on a real S3-compatible server (s3rver, ``tests.archive.s3rver``);
the rows survive a restart; DashScope's signed link expiring (the sandbox's clock moved a day on) does not
matter, because history links the archive copy — fetched here; Delete removes the copy; an archive that is
down never fails the delivery and catches up at the next start."""

from __future__ import annotations

from contextlib import AsyncExitStack

import aiohttp

from adapters.console.app import CALLER
from core.jobs import JobState
from core.request import ImageRequest
from tests.archive.conftest import World, archived, s3_settings
from tests.archive.s3rver import S3Server


async def _fetch(url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.read()


async def test_local_archive_keeps_the_same_bytes_past_dashscope_s_expiry_and_a_restart(world: World) -> None:
    async with AsyncExitStack() as stack:
        rt = await world.start(stack)
        job = await world.video(rt)
        assert job.state is JobState.DELIVERED
        [entry] = await archived(rt, job.id)
        assert world.port is not None
        delivered = world.port.saved[job.id].read_bytes()
        copy = world.tmp / "archive" / f"{job.id}.mp4"
        assert entry.key == f"{job.id}.mp4" and entry.backend == "local" and entry.size == len(delivered)
        assert copy.read_bytes() == delivered
        assert not list((world.tmp / "archive" / ".spool").glob("*/*"))  # nothing left waiting
        assert len(world.served) == 1  # the delivery's own download was archived: DashScope was asked once
    world.shift[0] = 25 * 3600.0  # a day later: DashScope's signed link is dead
    assert job.video_url is not None
    assert (await _fetch(job.video_url))[0] == 403
    async with AsyncExitStack() as stack:  # a new process on the same database and directory
        rt = await world.start(stack)
        assert [e.key for e in (await rt.store.archive.for_jobs([job.id]))[job.id]] == [f"{job.id}.mp4"]
        report = await rt.actions.history(CALLER)
        [shown] = report.entries
        assert shown.job_id == job.id and shown.archived and shown.link is not None
        assert "/archive/" in shown.link
        assert await _fetch(shown.link) == (200, delivered)
        tampered = shown.link.replace("sig=", "sig=0")
        assert (await _fetch(tampered))[0] == 403
        deleted = await rt.actions.delete(CALLER, job.id)
        assert deleted.kept == ()
        assert not copy.exists()
        assert await rt.store.archive.for_jobs([job.id]) == {}
        assert (await _fetch(shown.link))[0] == 404


async def test_s3_archive_keeps_the_same_bytes_and_delete_removes_the_object(world: World, s3: S3Server) -> None:
    world.overrides.update(s3_settings(s3, "flow/"))
    async with AsyncExitStack() as stack:
        rt = await world.start(stack)
        job = await world.video(rt, "a kite over the sea")
        [entry] = await archived(rt, job.id)
        assert entry.backend == "s3"
        assert world.port is not None
        delivered = world.port.saved[job.id].read_bytes()
        stored = s3.directory / s3.bucket / "flow" / f"{job.id}.mp4._S3rver_object"
        assert stored.read_bytes() == delivered  # in the server's own store, under the prefix
        world.shift[0] = 25 * 3600.0
        assert job.video_url is not None and (await _fetch(job.video_url))[0] == 403
        [shown] = (await rt.actions.history(CALLER)).entries
        assert shown.archived and shown.link is not None and "X-Amz-Signature=" in shown.link
        assert await _fetch(shown.link) == (200, delivered)
        await rt.actions.delete(CALLER, job.id)
        assert await rt.store.archive.for_jobs([job.id]) == {}
        assert (await _fetch(shown.link))[0] == 404
        assert not stored.exists()


async def test_an_archive_that_is_down_never_fails_the_delivery_and_catches_up_after_restart(
        world: World, s3: S3Server) -> None:
    dead = {**s3_settings(s3, "late/"), "archive_s3_endpoint": "http://127.0.0.1:9"}  # nothing listens there
    async with AsyncExitStack() as stack:
        rt = await world.start(stack, **dead)
        job = await world.video(rt, "a fox in the snow")
        assert job.state is JobState.DELIVERED  # the archive failing changed nothing for the person
        assert world.port is not None
        delivered = world.port.saved[job.id].read_bytes()
        spooled = world.tmp / "archive" / ".spool" / job.id / f"{job.id}.mp4"
        assert await rt.store.archive.for_jobs([job.id]) == {}
        assert spooled.read_bytes() == delivered  # kept locally until it is archived
    world.overrides.update(s3_settings(s3, "late/"))
    async with AsyncExitStack() as stack:  # the sweep at start puts it where it belongs
        rt = await world.start(stack)
        [entry] = await archived(rt, job.id)
        assert entry.backend == "s3"
        [shown] = (await rt.actions.history(CALLER)).entries
        assert shown.link is not None and await _fetch(shown.link) == (200, delivered)
        assert not spooled.exists()


async def test_an_image_job_s_images_are_each_archived_with_their_bytes(world: World) -> None:
    async with AsyncExitStack() as stack:
        rt = await world.start(stack)
        started = await rt.actions.image(CALLER, ImageRequest.build(prompt="a red kite", n=2))
        job = await rt.actions.wait(CALLER, started.job.id, timeout=60)
        assert job.state is JobState.DELIVERED, job.error_message
        entries = await archived(rt, job.id)
        assert [(e.key, e.content_type) for e in entries] == [(f"{job.id}-1.png", "image/png"),
                                                              (f"{job.id}-2.png", "image/png")]
        for entry, url in zip(entries, job.image_urls, strict=True):
            status, original = await _fetch(url)
            assert status == 200
            assert (world.tmp / "archive" / entry.key).read_bytes() == original
            assert entry.size == len(original)
