"""The guard simulator: the pilot's guards on shift, reporting through the real HTTP ingest.

``make demo`` runs it next to the server; ``python -m shouwang simulate --url …`` runs it on
its own against any Shouwang server. What the guards do is in ``shouwang.sim.behaviour``; this
module sends their fixes the way real devices do:

- about half the guards report like **Traccar Client** on a phone: one
  ``GET /api/v1/ingest/osmand?id=…&lat=…&speed=<knots>…`` per fix, sent from a small
  thread pool;
- the other half report like a **radio gateway**: every ~2 s one
  ``POST /api/v1/positions`` with all their fixes that came due.

An HTTP error never stops the loop: it is logged at WARNING (at most once per 10 s per
kind) and counted. While the server does not answer, the simulator backs off (1 s
doubling to 30 s): gateway fixes wait in a bounded queue, phone fixes are dropped.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

from live.fixes import KNOT_MPS
from live.ingest.protocols import MAX_BATCH_FIXES
from shouwang.sim.behaviour import GuardWorld, SimFix
from shouwang.sim.responder import AutoResponder

if TYPE_CHECKING:
    from shouwang.dataset import Dataset

log = logging.getLogger("shouwang.sim.simulator")  # also when run as __main__

#: Connect and read time-outs of every request, seconds.
TIMEOUT_S = (2.0, 5.0)
#: A guard counts as "reporting" while his latest accepted fix is younger than this.
REPORTING_WINDOW_S = 120.0
#: Most gateway fixes kept while the server is down (the oldest go first).
MAX_PENDING_FIXES = 20_000
#: Most phone requests waiting for a pool thread before new ones are dropped.
MAX_INFLIGHT = 400
BACKOFF_S = (1.0, 30.0)
HEALTH_WAIT_S = 60.0


def _brief(exc: Exception) -> str:
    """The gist of a requests error, without the URL and query it repeats."""
    root: BaseException = exc
    while root.__context__ is not None and root.__context__ is not root:
        root = root.__context__
    return f"{type(exc).__name__}: {str(root)[-120:]}"


def batch_item(fix: SimFix) -> dict[str, Any]:
    """The fix as one element of ``POST /api/v1/positions``."""
    item: dict[str, Any] = {
        "device_id": fix.device_id,
        "lat": round(fix.lat, 7),
        "lon": round(fix.lon, 7),
        "ts": round(fix.ts, 3),
        "accuracy_m": round(fix.accuracy_m, 1),
        "speed_mps": round(fix.speed_mps, 2),
        "battery_pct": round(fix.battery_pct, 1),
        "charging": fix.charging,
    }
    if fix.heading_deg is not None:
        item["heading_deg"] = round(fix.heading_deg, 1)
    if fix.alarm:
        item["alarm"] = fix.alarm
    return item


def osmand_params(fix: SimFix) -> dict[str, str]:
    """Query parameters of ``GET /api/v1/ingest/osmand`` as Traccar Client sends them.

    Speed is in knots (the OsmAnd protocol's unit), the timestamp whole epoch seconds and
    the bearing 0 when standing still, as the app does.
    """
    params = {
        "id": fix.device_id,
        "lat": f"{fix.lat:.7f}",
        "lon": f"{fix.lon:.7f}",
        "timestamp": str(int(fix.ts)),
        "speed": f"{fix.speed_mps / KNOT_MPS:.2f}",
        "bearing": f"{fix.heading_deg or 0.0:.1f}",
        "accuracy": f"{fix.accuracy_m:.1f}",
        "batt": f"{fix.battery_pct:.0f}",
        "charge": "true" if fix.charging else "false",
    }
    if fix.alarm:
        params["alarm"] = fix.alarm
    return params


@dataclass
class SimStats:
    """Counters of what was sent and what the server answered."""

    sent: int = 0  # fixes in requests the server answered
    accepted: int = 0
    late: int = 0
    rejected: int = 0
    failed: int = 0  # fixes in requests that failed (connection, 5xx, whole-request 4xx)
    unsent: int = 0  # fixes dropped before sending (server down, too many in flight)
    reasons: Counter = field(default_factory=Counter)  # rejected fixes by problem
    last_accepted: dict[str, float] = field(default_factory=dict)  # device_id → wall time

    def reporting(self, now: float, window_s: float = REPORTING_WINDOW_S) -> int:
        """Guards whose latest accepted fix is at most ``window_s`` old."""
        return sum(1 for t in self.last_accepted.values() if now - t <= window_s)


class Simulator:
    """Simulated guards sending fixes to a Shouwang server over HTTP.

    Parameters
    ----------
    base_url
        Root of the server, e.g. ``http://127.0.0.1:8050``.
    dataset
        The loaded data set (``shouwang.dataset.load_dataset``).
    speedup
        Behaviour clock rate (patrols and breaks shorter in wall-clock time); fix
        timestamps stay wall-clock time and walking stays under 8 m/s.
    tz
        Time zone of the shifts.
    seed
        Random seed: the same seed gives the same guards' lives.
    report_every_s
        Report interval of on-duty guards (off-duty guards: about 60 s).
    clock
        Wall clock, epoch seconds.
    osmand_workers, batch_every_s, tick_s
        Phone-request threads, gateway POST interval, and how often the guards advance.
    auto_respond
        The guards answer their dispatch tasks by themselves (True: with the defaults
        of :class:`shouwang.sim.responder.AutoResponder`; a dict: its options; None: never).
    """

    def __init__(
        self,
        base_url: str,
        dataset: Dataset,
        *,
        speedup: float = 1.0,
        tz: str = "Asia/Shanghai",
        seed: int = 7,
        report_every_s: float = 5.0,
        clock: Callable[[], float] = time.time,
        osmand_workers: int = 8,
        batch_every_s: float = 2.0,
        tick_s: float = 0.5,
        auto_respond: bool | dict | None = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.world = GuardWorld(
            dataset, speedup=speedup, tz=tz, seed=seed, report_every_s=report_every_s
        )
        self.clock = clock
        self.osmand_workers = osmand_workers
        self.batch_every_s = batch_every_s
        self.tick_s = tick_s
        self.stats = SimStats()
        self._world_lock = threading.Lock()  # the run loop and the hooks both move guards
        self._lock = threading.Lock()  # stats, pending batch, back-off
        self._pending: deque[SimFix] = deque(maxlen=MAX_PENDING_FIXES)
        self._inflight = 0
        self._down_until = 0.0
        self._backoff_s = 0.0
        self._warned: dict[str, float] = {}
        self._stop = threading.Event()
        self._done = threading.Event()
        self._done.set()
        self._local = threading.local()
        options = auto_respond if isinstance(auto_respond, dict) else {}
        self.responder = AutoResponder(
            self.base_url, self, dataset.guards["guard_id"].astype(str), clock=clock, **options
        ) if auto_respond else None  # fmt: skip

    # ------------------------------------------------------------------ behaviour

    def step(self, now: float) -> list[SimFix]:
        """Advance every guard to ``now`` (epoch s) and return the fixes due; no HTTP."""
        with self._world_lock:
            return self.world.step(now)

    def send_guard_to(self, guard_id: str, lon: float, lat: float) -> None:
        """Hook for the dispatch workflow: the guard goes to ``lon, lat`` and waits there.

        He walks (rides, if his mobility is ``ebike``) in a straight line; a later issue
        will route him on the street graph through his unit's gate. He waits until
        :meth:`release_guard` or the end of his shift. Raises KeyError for an unknown id.
        """
        with self._world_lock:
            self.world.send_guard_to(guard_id, lon, lat, self.clock())

    def release_guard(self, guard_id: str) -> None:
        """A dispatched guard walks back to his post."""
        with self._world_lock:
            self.world.release_guard(guard_id, self.clock())

    def trigger_sos(self, guard_id: str) -> None:
        """The guard's next fix carries ``alarm=sos`` (one-click alarm)."""
        with self._world_lock:
            self.world.trigger_sos(guard_id)

    # ------------------------------------------------------------------ running

    def run(self) -> None:
        """Wait for the server (up to ~60 s), then send fixes until :meth:`stop`.

        A simulator runs once: after :meth:`stop` (even one called before ``run``
        started) it returns at once.
        """
        self._done.clear()
        pool = ThreadPoolExecutor(self.osmand_workers, thread_name_prefix="sim-osmand")
        batcher = threading.Thread(target=self._batch_loop, name="sim-batch", daemon=True)
        try:
            if not self.wait_for_server(HEALTH_WAIT_S) and not self._stop.is_set():
                log.warning(
                    "%s/api/v1/health did not answer 200 within %.0f s; sending anyway",
                    self.base_url,
                    HEALTH_WAIT_S,
                )
            batcher.start()
            if self.responder is not None:
                threading.Thread(target=self.responder.run, args=(self._stop,), daemon=True,
                                 name="sim-responder").start()  # fmt: skip
            while not self._stop.is_set():
                try:
                    self._route(self.step(self.clock()), pool)
                except Exception:  # a bug in one tick must not end the demo
                    log.exception("simulator tick failed")
                self._stop.wait(self.tick_s)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            if batcher.is_alive():
                batcher.join(2.0)
            self._done.set()

    def stop(self) -> None:
        """Stop :meth:`run`; returns once its threads have finished (at most ~2 s)."""
        self._stop.set()
        self._done.wait(2.5)

    def wait_for_server(self, timeout_s: float = HEALTH_WAIT_S) -> bool:
        """Poll ``/api/v1/health`` until it answers 200; False after ``timeout_s`` or stop."""
        deadline = time.monotonic() + timeout_s
        session = self._session()
        while not self._stop.is_set():
            try:
                if session.get(f"{self.base_url}/api/v1/health", timeout=TIMEOUT_S).ok:
                    return True
            except requests.RequestException:
                pass
            if time.monotonic() >= deadline:
                return False
            self._stop.wait(0.5)
        return False

    # ------------------------------------------------------------------ status

    def status_line(self) -> str:
        """One line for the person watching: fixes sent, answers, guards reporting."""
        now = self.clock()
        with self._lock:
            s = self.stats
            reasons = ", ".join(f"{k} {v}" for k, v in s.reasons.most_common(3))
            reporting = s.reporting(now)
            line = (
                f"{s.sent} fixes sent: {s.accepted} accepted, {s.late} late, {s.rejected} "
                f"rejected{f' ({reasons})' if reasons else ''}; {s.failed} failed, "
                f"{s.unsent} not sent, {len(self._pending)} queued"
            )
        with self._world_lock:
            on_duty = int(self.world.duty.sum()) if self.world.started else 0
        return (
            f"{line}; {reporting}/{self.world.n} guards reporting, {on_duty} on duty"
            f" (speedup {self.world.speedup:g}x)"
        )

    # ------------------------------------------------------------------ sending

    def _session(self) -> requests.Session:
        """One pooled session per sender thread (requests sessions are not thread-safe)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["User-Agent"] = "shouwang-simulator"
        return session

    def _warn(self, kind: str, message: str, *args: Any) -> None:
        """Log at WARNING, at most once per 10 s per kind, so a dead server cannot flood."""
        now = time.monotonic()
        if now - self._warned.get(kind, -1e9) >= 10.0:
            self._warned[kind] = now
            log.warning(message, *args)

    def _server_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _mark_down(self) -> None:
        with self._lock:
            self._backoff_s = min(max(self._backoff_s * 2, BACKOFF_S[0]), BACKOFF_S[1])
            self._down_until = time.monotonic() + self._backoff_s

    def _mark_up(self) -> None:
        with self._lock:
            self._backoff_s = 0.0
            self._down_until = 0.0

    def _route(self, fixes: list[SimFix], pool: ThreadPoolExecutor) -> None:
        down = self._server_down()
        with self._lock:
            for fix in fixes:
                if fix.transport == "batch":
                    self._pending.append(fix)  # the deque drops the oldest when full
                elif down or self._inflight >= MAX_INFLIGHT:
                    self.stats.unsent += 1
                else:
                    self._inflight += 1
                    pool.submit(self._send_osmand, fix)

    def _send_osmand(self, fix: SimFix) -> None:
        try:
            if self._stop.is_set() or self._server_down():
                with self._lock:
                    self.stats.unsent += 1
                return
            try:
                resp = self._session().get(
                    f"{self.base_url}/api/v1/ingest/osmand",
                    params=osmand_params(fix),
                    timeout=TIMEOUT_S,
                )
            except requests.RequestException as exc:
                self._mark_down()
                self._count_failed(1)
                self._warn(
                    "osmand-conn",
                    "simulator: OsmAnd GET to %s failed (%s); backing off %.0f s",
                    self.base_url,
                    _brief(exc),
                    self._backoff_s,
                )
                return
            self._answered(resp, [fix], "osmand")
        finally:
            with self._lock:
                self._inflight -= 1

    def _batch_loop(self) -> None:
        while not self._stop.wait(self.batch_every_s):
            self._flush_batch()
        if not self._server_down():  # last fixes of a clean stop
            self._flush_batch(final=True)

    def _flush_batch(self, final: bool = False) -> None:
        if self._server_down():
            return
        with self._lock:
            fixes = list(self._pending)
            self._pending.clear()
        for start in range(0, len(fixes), MAX_BATCH_FIXES):
            chunk = fixes[start : start + MAX_BATCH_FIXES]
            try:
                resp = self._session().post(
                    f"{self.base_url}/api/v1/positions",
                    json=[batch_item(f) for f in chunk],
                    timeout=TIMEOUT_S,
                )
            except requests.RequestException as exc:
                self._mark_down()
                with self._lock:  # keep them for when the server is back, oldest first
                    self._pending.extendleft(reversed(fixes[start:]))
                if final:  # the server often stops first (make demo); not worth a warning
                    log.debug("simulator: last batch not delivered: %s", _brief(exc))
                    return
                self._warn(
                    "batch-conn",
                    "simulator: batch POST to %s failed (%s); %d fixes kept for later",
                    self.base_url,
                    _brief(exc),
                    len(fixes) - start,
                )
                return
            self._answered(resp, chunk, "batch")

    def _count_failed(self, count: int) -> None:
        with self._lock:
            self.stats.failed += count

    def _answered(self, resp: requests.Response, fixes: list[SimFix], kind: str) -> None:
        """Count the server's answer to a request carrying ``fixes``."""
        if resp.status_code >= 500:
            self._mark_down()
            self._count_failed(len(fixes))
            self._warn(
                f"{kind}-5xx",
                "simulator: %s answered %d: %.200s",
                kind,
                resp.status_code,
                resp.text,
            )
            return
        self._mark_up()
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code != 200 or not isinstance(body, dict):
            # 400/403: the request as a whole was refused (bad fields, unknown device).
            with self._lock:
                self.stats.sent += len(fixes)
                self.stats.rejected += len(fixes)
                self.stats.reasons[f"http {resp.status_code}"] += len(fixes)
            self._warn(
                f"{kind}-{resp.status_code}",
                "simulator: %s refused (%d): %.300s",
                kind,
                resp.status_code,
                resp.text,
            )
            return
        refused = {r.get("index"): r.get("errors") or [] for r in body.get("rejected", [])}
        now = self.clock()
        with self._lock:
            stats = self.stats
            stats.sent += len(fixes)
            stats.accepted += int(body.get("accepted", 0))
            stats.late += int(body.get("late", 0))
            stats.rejected += len(refused)
            for errors in refused.values():
                for error in errors[:1]:  # the first problem names the filter at fault
                    text = error.get("problem") if isinstance(error, dict) else None
                    stats.reasons[str(text or error)[:48]] += 1
            for index, fix in enumerate(fixes):
                if index not in refused:
                    stats.last_accepted[fix.device_id] = now


def run_until_stopped(sim: Simulator, duration_s: float | None) -> None:
    """Run ``sim`` in a thread, print its status every 10 s, stop it at the end.

    Ends after ``duration_s`` seconds (None: at Ctrl-C) or when the simulator
    stops by itself (``python -m shouwang simulate``).
    """
    print(f"simulator: {sim.world.n} guards → {sim.base_url} (waiting for the server…)", flush=True)
    runner = threading.Thread(target=sim.run, name="simulator", daemon=True)
    runner.start()
    deadline = math.inf if duration_s is None else time.monotonic() + duration_s
    try:
        while runner.is_alive() and time.monotonic() < deadline:
            time.sleep(max(0.0, min(10.0, deadline - time.monotonic())))
            print(f"simulator: {sim.status_line()}", flush=True)
    except KeyboardInterrupt:
        pass
    sim.stop()
    print(f"simulator stopped: {sim.status_line()}", flush=True)
