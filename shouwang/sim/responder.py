"""Simulated guards answer their dispatch tasks, so one person can try a call in the demo.

:class:`AutoResponder` polls the server's open incidents (``GET /api/v1/incidents``)
every ``poll_s`` and, for each new assignment of one of its guards, acts as the guard
would on his phone page: after a short human delay he accepts (``acknowledged``),
sets off (``en_route``) and walks there (the simulator's ``send_guard_to``); the
server's arrival detection sets him on scene once his fixes come within
``ARRIVAL_RADIUS_M`` (the responder does it itself if arrival never comes); a few
minutes on scene later he clears the task and walks back to his post
(``release_guard``). A task ended by the dispatcher (stood down, incident closed or
cancelled, timed out) sends him back too. Every step goes through the same HTTP API
as the phone page (``X-Actor: guard:<id>``).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import requests

log = logging.getLogger("shouwang.sim.simulator")

TIMEOUT_S = (2.0, 5.0)


class GuardMover(Protocol):
    """What the responder needs of the simulator (:class:`shouwang.sim.simulator.Simulator`)."""

    def send_guard_to(self, guard_id: str, lon: float, lat: float) -> None: ...

    def release_guard(self, guard_id: str) -> None: ...


@dataclass
class _Task:
    """One assignment the responder is playing."""

    guard_id: str
    incident_id: str
    lon: float
    lat: float
    seen_at: float
    answer_at: float  # when the human delay is over
    sent_at: float | None = None  # when he set off
    on_scene_at: float | None = None


class AutoResponder:
    """Answer the assignments of simulated guards over the HTTP API.

    Parameters
    ----------
    base_url
        Root of the server.
    mover
        Moves the simulated guards (``send_guard_to``, ``release_guard``).
    guard_ids
        The guards this responder plays.
    poll_s
        Time between two reads of the open incidents.
    ack_delay_s
        (min, max) seconds a guard takes to accept a task.
    clear_after_s
        Seconds on scene before he clears the task.
    arrive_within_s
        After this long en route without arrival detected, he reports arrival himself.
    clock
        Wall clock, epoch seconds.
    seed
        Random seed of the delays.
    """

    def __init__(
        self,
        base_url: str,
        mover: GuardMover,
        guard_ids: Iterable[str],
        *,
        poll_s: float = 2.0,
        ack_delay_s: tuple[float, float] = (4.0, 12.0),
        clear_after_s: float = 180.0,
        arrive_within_s: float = 600.0,
        clock: Callable[[], float] = time.time,
        seed: int = 7,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.mover = mover
        self.guard_ids = set(guard_ids)
        self.poll_s = poll_s
        self.ack_delay_s = ack_delay_s
        self.clear_after_s = clear_after_s
        self.arrive_within_s = arrive_within_s
        self.clock = clock
        self._rng = random.Random(seed)
        self._tasks: dict[str, _Task] = {}  # assignment id → task
        self._session = requests.Session()
        self._session.headers["User-Agent"] = "shouwang-simulator"
        self.steps = 0  # transitions sent (for the status line and tests)

    # -- one round ---------------------------------------------------------------------
    def poll_once(self) -> list[tuple[str, str]]:
        """Read the open incidents and take every step that is due; returns (assignment, step)."""
        resp = self._session.get(
            f"{self.base_url}/api/v1/incidents",
            params={"status": "open,dispatched,on_scene", "limit": "500"},
            timeout=TIMEOUT_S,
        )
        resp.raise_for_status()
        now = self.clock()
        live: dict[str, tuple[dict, dict]] = {}
        for inc in resp.json().get("incidents", []):
            for a in inc.get("assignments", []):
                if a["guard_id"] in self.guard_ids and a["active"]:
                    live[a["assignment_id"]] = (inc, a)
        done: list[tuple[str, str]] = []
        for aid in [a for a in self._tasks if a not in live]:  # ended by someone else
            ended = self._tasks.pop(aid)
            if ended.sent_at is not None:
                self.mover.release_guard(ended.guard_id)
            done.append((aid, "released"))
        for aid, (inc, a) in live.items():
            task = self._tasks.get(aid)
            if task is None:
                delay = self._rng.uniform(*self.ack_delay_s)
                task = self._tasks[aid] = _Task(
                    a["guard_id"], inc["incident_id"], float(inc["lon"]), float(inc["lat"]),
                    seen_at=now, answer_at=now + delay,
                )  # fmt: skip
            done += self._advance(aid, task, a["status"], now)
        return done

    def _advance(self, aid: str, task: _Task, status: str, now: float) -> list[tuple[str, str]]:
        steps: list[tuple[str, str]] = []
        if status == "assigned" and now >= task.answer_at:
            for to in ("acknowledged", "en_route"):
                if self._move(aid, task.guard_id, to):
                    steps.append((aid, to))
            status = "en_route"
        if status in ("acknowledged", "en_route") and now >= task.answer_at:
            if task.sent_at is None:  # also after a restart of the simulator
                self.mover.send_guard_to(task.guard_id, task.lon, task.lat)
                task.sent_at = now
                steps.append((aid, "walking"))
            elif now - task.sent_at > self.arrive_within_s and self._move(
                aid, task.guard_id, "on_scene"
            ):
                steps.append((aid, "on_scene"))
        if status == "on_scene":
            if task.on_scene_at is None:
                task.on_scene_at = now
            elif now - task.on_scene_at >= self.clear_after_s and self._move(
                aid, task.guard_id, "cleared"
            ):
                self._tasks.pop(aid, None)
                self.mover.release_guard(task.guard_id)
                steps.append((aid, "cleared"))
        return steps

    def _move(self, aid: str, guard_id: str, to: str) -> bool:
        resp = self._session.post(
            f"{self.base_url}/api/v1/assignments/{aid}/transition",
            json={"to": to},
            headers={"X-Actor": f"guard:{guard_id}"},
            timeout=TIMEOUT_S,
        )
        if resp.status_code != 200:  # moved meanwhile (dispatcher, timeout): next poll sees it
            log.info("simulator: %s %s -> %s refused (%d)", guard_id, aid, to, resp.status_code)
            return False
        self.steps += 1
        return True

    # -- running -------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; an error is logged and the next poll tries again."""
        while not stop.wait(self.poll_s):
            try:
                self.poll_once()
            except (requests.RequestException, ValueError) as exc:
                log.debug("simulator: dispatch poll failed: %s", exc)
            except Exception:  # a bug in one poll must not end the demo
                log.exception("simulator: dispatch auto-responder failed")
