"""The job supervisor: start in order, stop in reverse, health of each job."""

from __future__ import annotations

import threading

import pytest

from shouwang.jobs import Job, JobHealth, PeriodicJob, Supervisor


class Recorder:
    """A job that only notes when it is started and stopped."""

    def __init__(self, name: str, log: list[str], fail_stop: bool = False) -> None:
        self.name, self.log, self.fail_stop = name, log, fail_stop

    def start(self) -> None:
        self.log.append(f"start {self.name}")

    def stop(self) -> None:
        self.log.append(f"stop {self.name}")
        if self.fail_stop:
            raise RuntimeError("stuck")

    def health(self) -> JobHealth:
        return JobHealth(running=False)


class Rounds(PeriodicJob):
    """Fails its first tick, then succeeds; a test waits on ``done``."""

    name = "rounds"
    every_s = 0.01

    def __init__(self) -> None:
        super().__init__()
        self.n = 0
        self.done = threading.Event()

    def tick(self) -> None:
        self.n += 1
        if self.n == 1:
            raise ValueError("first tick fails")  # the loop must go on
        self.done.set()


def test_jobs_start_in_order_and_stop_in_reverse_even_when_one_fails():
    log: list[str] = []
    sup = Supervisor()
    for name in ("a", "b", "c"):
        sup.add(Recorder(name, log, fail_stop=name == "b"))
    assert log == []  # adding starts nothing
    sup.start()
    sup.stop()
    assert log == ["start a", "start b", "start c", "stop c", "stop b", "stop a"]


def test_a_job_added_to_a_running_supervisor_starts_at_once_and_names_are_unique():
    log: list[str] = []
    sup = Supervisor()
    sup.start()
    sup.add(Recorder("late", log))
    assert log == ["start late"]
    with pytest.raises(ValueError, match="late"):
        sup.add(Recorder("late", log))
    assert isinstance(sup.find(Recorder), Job)


def test_thread_job_health_says_running_last_run_and_last_error():
    job = Rounds()
    assert job.health() == JobHealth(running=False)
    sup = Supervisor()
    sup.add(job)
    sup.start()
    try:
        assert job.done.wait(5)
        health = sup.health()["rounds"]
        assert health["running"] and health["last_run_at"] is not None
        assert health["last_error"] is None  # the failure was followed by a good round
    finally:
        sup.stop()
    assert not job.health().running


def test_a_failing_round_is_reported_until_a_good_one():
    job = Rounds()
    with job._round():
        raise ValueError("boom")
    assert job.health().last_error == "ValueError: boom" and job.health().last_run_at is None
