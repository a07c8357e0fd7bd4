"""The chaos checker on hand-made observations: a clean run passes, and each kind of breakage is caught."""

from __future__ import annotations

import dataclasses

from tests.chaos.invariants import JobRow, Observation, Post, Reply, Sent, TaskRow, UploadRow, check
from tests.chaos.schedule import Command, Moment, build

ALICE = Command(0, "U_ALICE", "C_MEMBER", "chaos 0-0 a", "video chaos 0-0 a")
BOB = Command(1, "U_BOB", "C_CHAOS_A", "chaos 0-1 b", "video chaos 0-1 b")


def _delivered(c: Command, job: str, task: str, ts: str) -> tuple[JobRow, TaskRow, Post, UploadRow]:
    return (JobRow(job, "DELIVERED", c.prompt, c.user, c.channel, task, ts, None, "DELIVERED"),
            TaskRow(task, c.prompt, "SUCCEEDED", None),
            Post(c.channel, ts, f"[{job}] 🎬 Done · 2s", False, "DELIVERED"),
            UploadRow(f"F{job}", f"wan-{job}.mp4", c.channel, ts, True, False, {"task_id": task, "prompt": c.prompt}))


def clean() -> Observation:
    a, b = _delivered(ALICE, "ja", "ta", "1.1"), _delivered(BOB, "jb", "tb", "2.2")
    return Observation(sent=[Sent(ALICE, 200, 1), Sent(BOB, 200, 1)], jobs=[a[0], b[0]], tasks=[a[1], b[1]],
                       posts=[a[2], b[2]], uploads=[a[3], b[3]], replies=[])


def invariants(obs: Observation) -> set[str]:
    return {v.invariant for v in check(obs).violations}


def test_a_clean_run_has_no_violations() -> None:
    verdict = check(clean())
    assert verdict.violations == [] and verdict.delivered == 2 and verdict.orphans == []


def test_an_acknowledged_command_without_a_job_is_lost_unless_the_user_was_told() -> None:
    obs = clean()
    obs.jobs = obs.jobs[1:]
    obs.posts, obs.uploads, obs.tasks = obs.posts[1:], obs.uploads[1:], obs.tasks[1:]
    assert invariants(obs) == {"lost"}
    obs.sent[0] = Sent(ALICE, None, 1, error="reset")  # never acknowledged: need not exist
    assert invariants(obs) == set()
    obs.sent[0] = Sent(ALICE, 200, 1)
    obs.replies = [Reply(None, None, "Too many jobs", ALICE.key)]
    verdict = check(obs)
    assert verdict.violations == [] and verdict.refused == 1


def test_a_swapped_video_is_caught_three_ways() -> None:
    """Bob's job adopted Alice's orphan: wrong task prompt, wrong video, and Alice's prompt billed twice."""
    obs = clean()
    orphan = TaskRow("t-orphan", ALICE.prompt, "SUCCEEDED", "500_after")
    obs.tasks.append(orphan)
    obs.jobs[1] = dataclasses.replace(obs.jobs[1], task_id="t-orphan")
    obs.uploads[1] = dataclasses.replace(obs.uploads[1], mark={"task_id": "t-orphan", "prompt": ALICE.prompt})
    verdict = check(obs)
    assert {v.invariant for v in verdict.violations} == {"swap", "duplicate-task"}
    assert {v.subject for v in verdict.violations if v.invariant == "swap"} == {"#0", "#1/jb"}


def test_an_orphan_the_bot_found_and_cancelled_is_reported_not_a_violation() -> None:
    obs = clean()
    obs.tasks.append(TaskRow("t-extra", ALICE.prompt, "CANCELED", "503_after"))
    verdict = check(obs)
    assert verdict.violations == [] and verdict.orphans == ["t-extra"]
    obs.tasks[-1] = TaskRow("t-extra", ALICE.prompt, "SUCCEEDED", "503_after")
    assert invariants(obs) == {"duplicate-task"}
    obs.log = "WARNING wanbot.dashscope: orphan task t-extra found on the account (not PENDING)"
    assert invariants(obs) == set()


def test_a_leftover_queued_message_with_cancel_is_caught() -> None:
    obs = clean()
    obs.posts.append(Post("C_MEMBER", "0.5", "[ja] 🎬 Queued · #1", False, "QUEUED", frozenset({"ja"})))
    assert invariants(obs) == {"status"}
    obs.posts[-1] = dataclasses.replace(obs.posts[-1], deleted=True)
    assert invariants(obs) == set()
    obs.posts.append(Post("C_MEMBER", "0.6", "[zz] 🎬 Queued · #1", False, "QUEUED", frozenset({"zz"})))
    assert invariants(obs) == {"orphan-status"}
    obs.posts[-1] = Post("C_MEMBER", "0.7", "Re-roll?", False, None, frozenset({"ja"}))
    assert invariants(obs) == {"status"}


def test_delivery_in_the_wrong_channel_twice_or_for_a_failed_job() -> None:
    obs = clean()
    obs.uploads[0] = dataclasses.replace(obs.uploads[0], channel_id="C_CHAOS_B")
    assert invariants(obs) == {"delivery"}
    obs = clean()
    obs.uploads.append(dataclasses.replace(obs.uploads[0], file_id="F2"))
    assert invariants(obs) == {"delivery"}
    obs = clean()
    obs.jobs[0] = dataclasses.replace(obs.jobs[0], state="FAILED", shown_state="FAILED", error_message="x")
    obs.posts[0] = dataclasses.replace(obs.posts[0], shown="FAILED")
    assert invariants(obs) == {"delivery"}


def test_failures_must_be_told_and_jobs_must_end() -> None:
    obs = clean()
    obs.uploads = obs.uploads[1:]
    obs.jobs[0] = dataclasses.replace(obs.jobs[0], state="FAILED", shown_state="FAILED", error_message="")
    obs.posts[0] = dataclasses.replace(obs.posts[0], shown="FAILED")
    assert invariants(obs) == {"failed-silently"}
    obs.jobs[0] = dataclasses.replace(obs.jobs[0], state="RUNNING", error_message=None)
    assert invariants(obs) == {"stuck", "status"}
    obs.unsettled = ["job ja RUNNING"]
    assert "unsettled" in invariants(obs)


def test_the_schedule_is_a_function_of_the_seed() -> None:
    assert build(7) == build(7) and build(7) != build(8)
    schedule = build(7)
    assert len({c.prompt for c in schedule.commands}) == len(schedule.commands)
    assert len(schedule.kills) == 2 and all(isinstance(k.moment, Moment) for k in schedule.kills)
    f = schedule.faults
    assert f.rate_429_after + f.rate_500_after + f.rate_503_after + f.reset_after_rate + f.drop_after_rate > 0
