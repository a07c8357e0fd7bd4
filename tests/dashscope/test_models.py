"""Parsing: every response example from the vendor seeds (verbatim fixtures) and the doc's variants."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.dashscope import TaskInfo, TaskPage, TaskStatus, Usage, parse_beijing_time, url_expiry
from core.errors import DashScopeRateLimited, DashScopeServerError, parse_error_body

from .conftest import FIXTURES, fixture

SEEDS = Path("/work/shared/seeds")


def test_fixtures_are_verbatim_copies_of_the_seeds() -> None:
    if not SEEDS.exists():
        pytest.skip("seed documents not available")
    seeds = {p.name[:3]: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
    files = sorted(FIXTURES.glob("seed*.json"))
    assert len(files) == 11
    for path in files:
        text = path.read_text(encoding="utf-8").rstrip("\n")
        assert text in seeds[path.name[4:7]], path.name


TASK_FIXTURES = sorted(p.name for p in FIXTURES.glob("seed*.json") if "image" not in p.name)


@pytest.mark.parametrize("name", TASK_FIXTURES)
def test_every_seed_task_answer_parses(name: str) -> None:
    body = fixture(name)
    info = TaskInfo.from_wire(body)
    assert info.task_id
    assert info.status in (TaskStatus.PENDING, TaskStatus.SUCCEEDED)
    assert info.request_id == body["request_id"]
    assert info.code is None  # SDK printouts carry "code": "" / null at the top: not a failure
    if info.status is TaskStatus.SUCCEEDED:
        assert info.video_url and info.video_url.startswith("https://")
        assert info.url_expires_at is None  # the seeds redact it as Expires=xxx
        assert info.usage is not None and info.usage.billed_seconds is not None
    else:
        assert info.usage is None and info.video_url is None  # "video_url": "" counts as absent


def test_wan27_query_with_times_and_usage() -> None:
    info = TaskInfo.from_wire(fixture("seed002_sdk_call_succeeded.json"))
    assert info.submit_time == datetime(2026, 4, 16, 3, 47, 23, 879000, tzinfo=UTC)
    assert info.scheduled_time == datetime(2026, 4, 16, 3, 47, 34, 351000, tzinfo=UTC)
    assert info.end_time == datetime(2026, 4, 16, 3, 52, 35, 323000, tzinfo=UTC)
    assert info.orig_prompt and info.orig_prompt.startswith("Shot from a low angle")
    assert info.usage == Usage(billed_seconds=10.0, video_count=1, resolution="720P", ratio="16:9")
    # video_duration is 0 in this printout: output_video_duration wins.
    assert info.usage.raw["video_duration"] == 0


def test_java_printout_floats_and_string_sr() -> None:
    info = TaskInfo.from_wire(fixture("seed002_java_query_succeeded.json"))
    assert info.usage is not None
    assert info.usage.billed_seconds == 10.0 and info.usage.resolution == "720P"
    assert info.usage.ratio is None
    assert info.end_time == datetime(2026, 4, 16, 15, 17, 56, 380000, tzinfo=UTC)


def test_wan26_query_falls_back_to_video_duration_and_ignores_task_metrics() -> None:
    info = TaskInfo.from_wire(fixture("seed000_query_succeeded_wan26.json"))
    assert info.status is TaskStatus.SUCCEEDED
    assert info.usage is not None and info.usage.billed_seconds == 5.0 and info.usage.video_count == 1
    assert info.submit_time is None and info.end_time is None


def test_sdk_create_printout_with_null_usage() -> None:
    info = TaskInfo.from_wire(fixture("seed002_sdk_async_create.json"))
    assert info.status is TaskStatus.PENDING and not info.status.terminal
    assert info.task_id == "721164c6-8619-4a35-a6d9-xxxxxx"


# -- the doc's variants -----------------------------------------------------------------------------------


def test_doc_query_example_with_expiry() -> None:
    body = {"request_id": "...",
            "output": {"task_id": "...", "task_status": "SUCCEEDED",
                       "submit_time": "2026-04-16 11:47:23.879", "scheduled_time": "2026-04-16 11:47:34.351",
                       "end_time": "2026-04-16 11:52:35.323", "orig_prompt": "...",
                       "video_url": "https://dashscope-result-bj.oss-accelerate.aliyuncs.com/xxx.mp4"
                                    "?Expires=1787904126&OSSAccessKeyId=a&Signature=b"},
            "usage": {"duration": 10, "input_video_duration": 0, "output_video_duration": 10,
                      "video_count": 1, "SR": 720, "ratio": "16:9"}}
    info = TaskInfo.from_wire(body)
    assert info.url_expires_at == datetime.fromtimestamp(1787904126, UTC)
    assert info.usage is not None and info.usage.resolution == "720P"


@pytest.mark.parametrize(
    ("usage", "billed", "resolution"),
    [
        ({"output_video_duration": "10", "SR": "1080"}, 10.0, "1080P"),
        ({"duration": 10.0, "SR": "720P", "fps": 30}, 10.0, "720P"),
        ({"video_duration": 5, "video_count": "1"}, 5.0, None),
        ({"duration": "n/a", "video_duration": 5}, 5.0, None),
        ({"SR": 720.0, "output_video_duration": 7.5}, 7.5, "720P"),
        ({"video_count": True}, None, None),
    ],
)
def test_usage_tolerance(usage: dict[str, object], billed: float | None, resolution: str | None) -> None:
    parsed = Usage.from_wire(usage)
    assert parsed is not None
    assert parsed.billed_seconds == billed and parsed.resolution == resolution


def test_failed_as_200_lowercase_status_and_missing_request_id() -> None:
    info = TaskInfo.from_wire({"output": {"task_id": "t", "task_status": "failed",
                                          "code": "data_inspection_failed", "message": "flagged"}})
    assert info.status is TaskStatus.FAILED and info.status.terminal
    assert info.code == "DataInspectionFailed" and info.message == "flagged"
    assert info.request_id is None


@pytest.mark.parametrize(
    ("raw", "status"),
    [("running", TaskStatus.RUNNING), ("Canceled", TaskStatus.CANCELED), ("CANCELLED", TaskStatus.CANCELED),
     ("UNKNOWN", TaskStatus.UNKNOWN), ("weird", TaskStatus.UNKNOWN), (None, TaskStatus.UNKNOWN),
     ("in_progress", TaskStatus.RUNNING), ("completed", TaskStatus.SUCCEEDED)],
)
def test_status_spellings(raw: str | None, status: TaskStatus) -> None:
    assert TaskStatus.parse(raw) is status
    assert TaskStatus.UNKNOWN.terminal


def test_gateway_shape_is_tolerated() -> None:
    info = TaskInfo.from_wire({"id": "g1", "status": "completed",
                               "result_url": "https://x/y.mp4?Expires=1787904126", "error": None})
    assert info.task_id == "g1" and info.status is TaskStatus.SUCCEEDED
    assert info.video_url == "https://x/y.mp4?Expires=1787904126" and info.url_expires_at is not None
    failed = TaskInfo.from_wire({"id": "g2", "status": "failed", "error": {"code": "x", "message": "m"}})
    assert failed.status is TaskStatus.FAILED and failed.message == "m"


def test_no_task_id_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        TaskInfo.from_wire({"request_id": "r", "code": "InvalidApiKey"})


def test_list_page() -> None:
    page = TaskPage.from_wire({
        "total": "2", "total_page": 1, "page_no": 1, "page_size": 10, "request_id": "r",
        "data": [
            {"task_id": "a", "status": "SUCCEEDED", "model_name": "wan2.7-t2v", "gmt_create": 1787000000000,
             "start_time": 1787000001000, "end_time": 1787000100000, "extra": 1},
            {"task_id": "b", "task_status": "pending", "gmt_create": "1787000005000"},
            {"no_id": True},
        ],
    })
    assert [t.task_id for t in page.tasks] == ["a", "b"]
    assert page.tasks[0].created_at == datetime.fromtimestamp(1787000000, UTC)
    assert page.tasks[0].ended_at == datetime.fromtimestamp(1787000100, UTC)
    assert page.tasks[1].status is TaskStatus.PENDING and page.total == 2
    assert TaskPage.from_wire({}).tasks == ()


def test_time_and_expiry_helpers() -> None:
    assert parse_beijing_time("2026-04-16 11:47:23") == datetime(2026, 4, 16, 3, 47, 23, tzinfo=UTC)
    assert parse_beijing_time("garbage") is None and parse_beijing_time(None) is None
    assert url_expiry("https://x/y?Expires=xxx") is None and url_expiry(None) is None


@pytest.mark.parametrize(
    ("status", "body", "cls", "code", "rid"),
    [
        (400, {"request_id": "r1", "code": "InvalidParameter", "message": "Model not exist."}, None,
         "InvalidParameter", "r1"),
        (401, {"error": {"code": "invalid_api_key", "message": "bad key"}}, None, "InvalidApiKey", None),
        (429, {"code": "Throttling.RateQuota", "message": "slow down"}, DashScopeRateLimited,
         "Throttling.RateQuota", None),
        (500, {"request_id": "r5", "code": "InternalError.Timeout", "message": "3h"}, DashScopeServerError,
         "InternalError.Timeout", "r5"),
    ],
)
def test_error_bodies_via_core_errors(status: int, body: dict[str, object], cls: type | None, code: str,
                                      rid: str | None) -> None:
    err = parse_error_body(status, body)
    if cls is not None:
        assert isinstance(err, cls)
    assert err.code == code and err.request_id == rid and err.http_status == status


def test_actual_prompt_from_the_query_output() -> None:
    # wan2.x video answers: ``output.actual_prompt`` beside ``orig_prompt`` when prompt_extend rewrote it.
    body = {"request_id": "r", "output": {"task_id": "t", "task_status": "SUCCEEDED",
                                          "video_url": "https://x/v.mp4", "orig_prompt": "a fox",
                                          "actual_prompt": "A red fox trots through snow, low sun."}}
    info = TaskInfo.from_wire(body)
    assert info.orig_prompt == "a fox" and info.actual_prompt == "A red fox trots through snow, low sun."


def test_actual_prompt_from_output_results() -> None:
    # The older async image answers keep both prompts on each ``output.results[]`` entry.
    body = {"request_id": "r", "output": {"task_id": "t", "task_status": "SUCCEEDED", "results": [
        {"url": "https://x/a.png", "orig_prompt": "a fox", "actual_prompt": "A red fox, studio light."}]}}
    assert TaskInfo.from_wire(body).actual_prompt == "A red fox, studio light."


def test_no_actual_prompt_on_the_seed_wan27_answers() -> None:
    assert TaskInfo.from_wire(fixture("seed002_sdk_call_succeeded.json")).actual_prompt is None
    assert TaskInfo.from_wire(fixture("seed002_java_query_succeeded.json")).actual_prompt is None
