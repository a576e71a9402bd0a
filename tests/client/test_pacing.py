"""When a waiting job is looked at again (c2d_runner/ocean/pacing.py): pure rules, no sockets, no sleeping."""
from __future__ import annotations

import pytest

from c2d_runner.ocean.pacing import KEEP, PollPolicy, RunTimes, expected_run, next_delay, run_time
from c2d_runner.ocean.records import JobStatus

LOOPBACK = PollPolicy(low=0.02, high=0.5)


def ended(job_id: str, took: float, created: float = 1000.0) -> JobStatus:
    return JobStatus(job_id, 70, "Job finished", created, created + took, terminal=True, succeeded=True)


def test_nothing_learned_looks_after_the_shortest_wait_then_a_quarter_of_the_age():
    assert next_delay(0.0, None, LOOPBACK) == 0.02
    assert next_delay(0.04, None, LOOPBACK) == 0.02  # a quarter (10 ms) is below the floor
    assert next_delay(1.0, None, LOOPBACK) == 0.25
    assert next_delay(60.0, None, LOOPBACK) == 0.5  # never longer than high


def test_the_first_look_goes_where_jobs_like_it_ended():
    assert next_delay(0.0, 0.3, LOOPBACK) == pytest.approx(0.3)
    assert next_delay(0.1, 0.3, LOOPBACK) == pytest.approx(0.2)
    assert next_delay(0.295, 0.3, LOOPBACK) == 0.02  # almost there: still at least the floor
    assert next_delay(0.0, 30.0, LOOPBACK) == 0.5  # a long expected run is approached by high steps


def test_a_job_running_past_the_expected_end_is_looked_at_a_quarter_of_its_age_later():
    assert next_delay(0.4, 0.3, LOOPBACK) == pytest.approx(0.1)
    policy = PollPolicy(low=0.5, high=5.0, lateness=0.5)
    assert next_delay(4.0, 3.0, policy) == 2.0


def test_looks_per_job_grow_with_the_logarithm_of_its_run_time():
    def looks(run: float) -> int:
        age, count = 0.0, 0
        while age < run:
            age += next_delay(age, None, PollPolicy(low=0.02, high=1e9))
            count += 1
        return count

    assert looks(10.0) - looks(1.0) == looks(100.0) - looks(10.0) == pytest.approx(11, abs=1)


def test_expected_run_is_the_median_of_the_latest():
    assert expected_run([]) is None
    assert expected_run([0.1, 0.5, 0.2]) == 0.2
    assert expected_run([9.0] * 100 + [0.1] * KEEP) == 0.1  # only the latest KEEP count


def test_run_time_is_the_providers_own_for_a_job_that_is_over():
    assert run_time(ended("a", 0.25)) == pytest.approx(0.25)
    assert run_time(JobStatus("b", 40, date_created=1.0)) is None  # still running
    assert run_time(JobStatus("c", 70, date_created=None, date_finished=5.0, terminal=True)) is None
    assert run_time(ended("d", -1.0)) == 0.0  # a provider clock that steps back counts as instant


def test_run_times_learn_each_job_once_and_keep_the_latest():
    times = RunTimes()
    assert times.expected() is None
    times.learn(ended("a", 0.4))
    times.learn(ended("a", 9.0))  # the same job seen in a later listing: counted once
    times.learn(JobStatus("b", 40))  # not over: nothing to learn
    assert times.expected() == pytest.approx(0.4)
    for n in range(KEEP):
        times.learn(ended(f"j{n}", 0.1))
    assert times.expected() == pytest.approx(0.1)
