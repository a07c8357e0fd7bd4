"""``core.metrics.Metrics``: jobs move between state gauges, each instance has its own registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from prometheus_client.parser import text_string_to_metric_families

from core.jobs import Job, JobState, Requester
from core.metrics import Metrics
from core.port import ConversationRef
from core.request import GenerationRequest


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    """One sample's value from the rendered text, as Prometheus would scrape it."""
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    raise AssertionError(f"no sample {name}{labels}")


def job(job_id: str, state: JobState) -> Job:
    return Job(
        id=job_id, requester=Requester(platform="test", user_id="u1", channel_id="c1"),
        conversation=ConversationRef(platform="test", channel_id="c1"),
        request=GenerationRequest.build(prompt="a fox"), state=state, created_at=datetime.now(UTC),
    )


def test_a_job_is_counted_once_in_its_current_state() -> None:
    m = Metrics(process=False)
    assert sample(m, "wanbot_jobs", state="QUEUED") == 0  # every state's series exists from the start
    m.seed([job("a", JobState.QUEUED), job("b", JobState.RUNNING)])
    m.job_changed(job("a", JobState.QUEUED))  # a field update in the same state moves nothing
    assert sample(m, "wanbot_jobs", state="QUEUED") == 1
    for state in (JobState.SUBMITTING, JobState.PENDING, JobState.RUNNING, JobState.SUCCEEDED, JobState.DELIVERED):
        m.job_changed(job("a", state))
    m.job_changed(job("a", JobState.DELIVERED))  # a later update of a finished job (a button) counts nothing
    assert sample(m, "wanbot_jobs", state="QUEUED") == 0
    assert sample(m, "wanbot_jobs", state="RUNNING") == 1  # job b
    assert sample(m, "wanbot_jobs_finished_total", state="DELIVERED") == 1
    assert sample(m, "wanbot_jobs_finished_total", state="FAILED") == 0  # every outcome's series exists


def test_the_live_gauge_holds_no_finished_states() -> None:
    """Issue 14: ``wanbot_jobs{state="DELIVERED"}`` only ever grew — a counter dressed as a gauge."""
    m = Metrics(process=False)
    m.job_changed(job("a", JobState.RUNNING))
    m.job_changed(job("a", JobState.DELIVERED))
    names = {(s.name, s.labels.get("state")) for f in text_string_to_metric_families(m.render().decode())
             for s in f.samples}
    assert not any(name == "wanbot_jobs" and state in {s.value for s in JobState if s.terminal}
                   for name, state in names)
    assert sample(m, "wanbot_jobs", state="RUNNING") == 0


def test_duration_by_model_and_spend_in_yuan() -> None:
    m = Metrics(process=False)
    start = job("a", JobState.QUEUED)
    m.job_changed(start)
    done = start.moved_to(JobState.DELIVERED, start.created_at + timedelta(seconds=100), cost=Decimal("3.50"))
    m.job_changed(done)
    failed = job("b", JobState.FAILED).evolve(cost=None)
    m.job_changed(failed)
    model = start.request.model
    assert sample(m, "wanbot_job_duration_seconds_count", model=model) == 1  # failures are not durations
    assert sample(m, "wanbot_job_duration_seconds_sum", model=model) == 100
    assert sample(m, "wanbot_job_duration_seconds_bucket", model=model, le="120.0") == 1
    assert sample(m, "wanbot_job_duration_seconds_bucket", model=model, le="90.0") == 0
    assert sample(m, "wanbot_spend_yuan_total", model=model) == 3.5


def test_counters_histogram_and_gauges() -> None:
    m = Metrics(process=False)
    m.queue_depth(3, 5)
    m.task_finished_seen(0.8)
    m.task_finished_seen(4.0)
    m.dashscope_error("Throttling.RateQuota")
    m.dashscope_error("Throttling.RateQuota")
    m.dashscope_error("InvalidParameter")
    m.uploaded(1000)
    m.uploaded(234)
    assert sample(m, "wanbot_queue_depth") == 3 and sample(m, "wanbot_dashscope_in_flight") == 5
    assert sample(m, "wanbot_task_detection_lag_seconds_count") == 2
    assert sample(m, "wanbot_task_detection_lag_seconds_bucket", le="1.0") == 1
    assert sample(m, "wanbot_dashscope_errors_total", code="Throttling.RateQuota") == 2
    assert sample(m, "wanbot_dashscope_errors_total", code="InvalidParameter") == 1
    assert sample(m, "wanbot_uploaded_bytes_total") == 1234 and sample(m, "wanbot_uploaded_videos_total") == 2


def test_two_instances_never_share_numbers() -> None:
    first, second = Metrics(), Metrics()  # the global registry would refuse the second (duplicate names)
    first.uploaded(10)
    assert sample(first, "wanbot_uploaded_videos_total") == 1
    assert sample(second, "wanbot_uploaded_videos_total") == 0
    assert "process_cpu_seconds_total" in first.render().decode()
