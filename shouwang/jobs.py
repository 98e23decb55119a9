"""Background jobs: one thread each, started and stopped with the app.

``AppContext.start_background`` starts every job in ``extras["background"]``
and ``close`` stops them; a job only says what its thread does.
"""

from __future__ import annotations

import threading


class ThreadJob:
    """A daemon thread running :meth:`_run` until :meth:`stop`.

    Subclasses implement ``_run`` and return when ``self._stop`` is set
    (``self._stop.wait(period)`` is the usual loop). ``start`` is a no-op
    while the thread runs; ``stop`` waits up to five seconds for it.
    """

    thread_name = "job"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:  # pragma: no cover - subclasses say what runs
        raise NotImplementedError

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
