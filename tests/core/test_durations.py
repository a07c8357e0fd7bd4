"""Task durations: the reference's priors until the deployment has history, then its own range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.durations import PRIOR_RUN_720P_5S, Durations, prior_run, shape_of
from core.jobs import JobState
from core.request import GenerationRequest
from tests.store.test_store import make_job

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _learn(d: Durations, shape: str, queue: float, run: float) -> None:
    d.learn(shape, submitted=T0, scheduled=T0 + timedelta(seconds=queue),
            ended=T0 + timedelta(seconds=queue + run))


def test_the_shape_is_model_resolution_and_length() -> None:
    request = GenerationRequest.build(prompt="a fox", model="wan2.7-t2v", resolution="1080P", duration=10)
    assert shape_of(request) == "wan2.7-t2v/1080P/10"


def test_priors_come_from_the_reference_and_scale_with_the_clip() -> None:
    assert prior_run("wan2.7-t2v/720P/5") == PRIOR_RUN_720P_5S
    low, high = prior_run("wan2.7-t2v/1080P/15")
    assert low > PRIOR_RUN_720P_5S[0] * 3 and high > 300  # "1080P/long clips can exceed 5 min"
    assert Durations(scale=0.1).run_window("wan2.7-t2v/720P/5") == (7.0, 14.0)  # a 10× faster sandbox


def test_history_replaces_the_prior_once_there_is_enough() -> None:
    d = Durations(min_samples=3, margin=0.05)
    shape = "wan2.7-t2v/720P/5"
    _learn(d, shape, 5, 200)
    _learn(d, shape, 6, 220)
    assert d.run_window(shape) == PRIOR_RUN_720P_5S  # two samples are not history yet
    _learn(d, shape, 7, 210)
    low, high = d.run_window(shape)
    assert low == 200 * 0.95 and high == 220 * 1.05
    q_low, q_high = d.queue_window(shape)
    assert q_low == 5 * 0.95 and q_high == 7 * 1.05
    assert d.window(shape) == (q_low + low, q_high + high)
    assert d.run_window("wan2.7-t2v/720P/10") != (low, high)  # shapes learn apart


def test_impossible_spans_are_not_learnt() -> None:
    d = Durations(min_samples=1)
    shape = "wan2.7-t2v/720P/5"
    d.learn(shape, submitted=T0, scheduled=T0 - timedelta(seconds=5), ended=T0 - timedelta(seconds=10))
    d.learn(shape, submitted=None, scheduled=None, ended=T0)
    assert d.samples(shape) == 0 and d.run_window(shape) == PRIOR_RUN_720P_5S


def test_prime_reads_delivered_jobs_state_times() -> None:
    d = Durations(min_samples=2, margin=0.0)
    jobs = []
    for run in (100.0, 120.0):
        job = make_job()
        times = {JobState.PENDING.value: T0, JobState.RUNNING.value: T0 + timedelta(seconds=10),
                 JobState.SUCCEEDED.value: T0 + timedelta(seconds=10 + run)}
        jobs.append(job.evolve(state=JobState.DELIVERED, state_times=times))
    jobs.append(make_job())  # no RUNNING/SUCCEEDED times: skipped
    assert d.prime(jobs) == 2
    assert d.run_window(shape_of(jobs[0].request)) == (100.0, 120.0)


def test_typical_is_this_deployments_own_median_and_none_before_enough_samples() -> None:
    from datetime import UTC, datetime, timedelta

    from core.durations import Durations

    d = Durations(min_samples=3)
    t0 = datetime(2026, 12, 3, tzinfo=UTC)
    assert d.typical("wan2.7-t2v/720P/5") is None  # priors are never shown as "usually"
    for queue, run in ((10, 100), (20, 140), (5, 90)):
        d.learn("wan2.7-t2v/720P/5", submitted=t0, scheduled=t0 + timedelta(seconds=queue),
                ended=t0 + timedelta(seconds=queue + run))
    assert d.typical("wan2.7-t2v/720P/5") == 10 + 100
    assert d.typical("wan2.7-t2v/1080P/5") is None
