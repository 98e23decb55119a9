"""Background jobs and the one supervisor that starts and stops them.

Every background worker of a process is a :class:`Job`: ``start``, ``stop``
and ``health``. :class:`ThreadJob` is the usual kind, one daemon thread; a
job says only what its thread does. The app context holds one
:class:`Supervisor`, which starts the jobs in the order they were added,
stops them in reverse, and reports each job's health (``/api/v1/health``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

log = logging.getLogger(__name__)

__all__ = ["Job", "JobHealth", "Supervisor", "ThreadJob"]

J = TypeVar("J")


@dataclass(frozen=True)
class JobHealth:
    """How a job is doing.

    Attributes
    ----------
    running
        Whether its thread(s) are alive.
    last_run_at
        Epoch seconds of its last completed round (None: none yet).
    last_error
        The last failure (``"ExcType: message"``), None when the last round
        went well.
    """

    running: bool
    last_run_at: float | None = None
    last_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class Job(Protocol):
    """A background worker of one process."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> JobHealth: ...


class ThreadJob:
    """A daemon thread running :meth:`_run` until :meth:`stop`.

    Subclasses implement ``_run`` and return when ``self._stop`` is set
    (``self._stop.wait(period)`` is the usual loop), and wrap each round in
    ``with self._round():`` so :meth:`health` can say when it last ran and
    what last went wrong (a failing round is logged and the loop goes on).
    ``start`` is a no-op while the thread runs; ``stop`` waits up to
    ``stop_timeout_s`` for it.
    """

    name = "job"
    stop_timeout_s = 5.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_run_at: float | None = None
        self._last_error: str | None = None

    def _run(self) -> None:  # pragma: no cover - subclasses say what runs
        raise NotImplementedError

    @contextmanager
    def _round(self, what: str | None = None) -> Iterator[None]:
        """One round of work: on success note the time, on failure log and note the error."""
        try:
            yield
        except Exception as exc:  # keep the loop going; the log says what went wrong
            log.exception("%s failed", what or self.name)
            self._last_error = f"{type(exc).__name__}: {exc}"
        else:
            self._last_run_at, self._last_error = time.time(), None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.stop_timeout_s)
            self._thread = None

    def health(self) -> JobHealth:
        running = self._thread is not None and self._thread.is_alive()
        return JobHealth(running, self._last_run_at, self._last_error)


class PeriodicJob(ThreadJob):
    """A job that runs :meth:`tick` every ``every_s`` seconds until stopped.

    Each tick is one :meth:`ThreadJob._round`: a failing tick is logged, shown
    in :meth:`health`, and the next one runs on time.
    """

    every_s = 5.0

    def tick(self) -> object:  # pragma: no cover - subclasses say what runs
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            with self._round(self.name):
                self.tick()


class Supervisor:
    """Starts the process's jobs in order, stops them in reverse, reports their health.

    Jobs are added while the process is being built (the app context, the
    pages); nothing runs until :meth:`start`.
    """

    def __init__(self) -> None:
        self._jobs: list[Job] = []
        self._started = False

    @property
    def jobs(self) -> tuple[Job, ...]:
        return tuple(self._jobs)

    def add(self, job: Job) -> Job:
        """Supervise ``job`` (started at once if the others run already)."""
        if any(j.name == job.name for j in self._jobs):
            raise ValueError(f"a job named {job.name!r} is supervised already")
        self._jobs.append(job)
        if self._started:
            job.start()
        return job

    def find(self, kind: type[J]) -> J:
        """The supervised job of class ``kind`` (StopIteration when there is none)."""
        return next(j for j in self._jobs if isinstance(j, kind))

    def start(self) -> None:
        """Start every job, in the order they were added."""
        self._started = True
        for job in self._jobs:
            log.debug("starting %s", job.name)
            job.start()

    def stop(self) -> None:
        """Stop every job, last started first; one that fails to stop does not keep others up."""
        self._started = False
        for job in reversed(self._jobs):
            try:
                job.stop()
            except Exception:
                log.exception("stopping %s failed", job.name)

    def health(self) -> dict[str, dict[str, Any]]:
        """Each job's :class:`JobHealth` by name, in start order."""
        return {job.name: job.health().as_dict() for job in self._jobs}
