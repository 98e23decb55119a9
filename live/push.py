"""Live push: guard positions and statuses to the map wall within a second.

:class:`PushRelay` sits between the live store and the browsers. It is a
handler on the process's event bus (:class:`live.state.bus.EventBus`, which
follows the store's Redis ``events`` channel, so every web process of a
city-scale deployment sees every fix, whichever process ingested it) and
gathers the fixes announced there; its own thread, every ``interval_s``,
applies them to an in-process model of every guard and emits ONE small
batched Socket.IO message with only the guards that changed. Every
``status_every_s`` the model is checked against :meth:`LiveStore.states`
(signal lost after ``SIGNAL_LOST_AFTER_S``, shift changes, duty overrides,
dispatch marks, SOS), and the differences go out in the same kind of message.

Messages (namespace ``/live``)
------------------------------
``snapshot`` (to a client when it connects, and to all when the roster changes)::

    {"t": server epoch s, "crs": "wgs84"|"gcj02", "full": true,
     "ids": [...], "name": [...], "unit": [...], "zone": [...],
     "lon": [...], "lat": [...], "st": [...], "age": [...], "sos": [...]}

``guards`` (about once per ``interval_s``, only when something changed)::

    {"t": ..., "crs": ..., "ids": [...], "lon": [...], "lat": [...],
     "st": [...], "age": [...], "sos": [...] (only when the open SOS set changed)}

``st`` is the index of the status in :data:`STATUS_CODES`; ``age`` whole
seconds since the guard's last fix at ``t`` (null: never reported); ``lon`` /
``lat`` are in the map's drawing CRS (GCJ-02 for AMap/Tencent tiles), rounded
to 1e-6 degrees (0.1 m), null when the guard has no fix.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from flask_socketio import SocketIO

from live.state.bus import EventBus
from live.state.events import Event
from live.state.status import derive_status
from live.state.store import LiveStore
from shouwang.jobs import ThreadJob
from shouwang.vocab import EventType, GuardStatus

if TYPE_CHECKING:
    from flask_socketio import SocketIO

log = logging.getLogger(__name__)

NAMESPACE = "/live"
#: Status of code i is STATUS_CODES[i]; the browser gets the same list.
STATUS_CODES: tuple[str, ...] = tuple(s.value for s in GuardStatus)
_CODE = {s: i for i, s in enumerate(STATUS_CODES)}
_OFF_DUTY = _CODE[GuardStatus.OFF_DUTY]
DRAWN_CRSES = ("wgs84", "gcj02")


class _Model:
    """Every guard's last known drawing state, one numpy slot per guard."""

    def __init__(self, states: pd.DataFrame) -> None:
        self.ids = states["guard_id"].astype(str).to_numpy()
        self.index = {gid: i for i, gid in enumerate(self.ids)}
        self.name = states["name"].astype(str).to_numpy()
        self.unit = states["unit_id"].astype(str).to_numpy()
        self.zone = states["zone_id"].fillna("").astype(str).to_numpy()
        self.post_lon = states["post_lon"].to_numpy(dtype=float)
        self.post_lat = states["post_lat"].to_numpy(dtype=float)
        n = len(self.ids)
        self.lon = np.full(n, np.nan)
        self.lat = np.full(n, np.nan)
        self.ts = np.full(n, np.nan)
        self.on_duty = np.zeros(n, dtype=bool)
        self.dispatched = np.zeros(n, dtype=bool)
        self.code: npt.NDArray[np.integer[Any]] = np.full(n, _OFF_DUTY, dtype=np.int8)
        self.sos: tuple[str, ...] = ()

    def absorb(self, states: pd.DataFrame, sos: tuple[str, ...]) -> np.ndarray:
        """Take the store's view as the truth; return which guards differ."""
        lon = states["lon"].to_numpy(dtype=float)
        lat = states["lat"].to_numpy(dtype=float)
        ts = states["last_fix_at"].to_numpy(dtype=float)
        code = states["status"].map(_CODE).to_numpy(dtype=np.int8)
        # An event may already have brought a newer fix than this read saw.
        newer = ~(self.ts > ts)
        changed = newer & ~(_same(lon, self.lon) & _same(lat, self.lat) & _same(ts, self.ts))
        self.lon = np.where(newer, lon, self.lon)
        self.lat = np.where(newer, lat, self.lat)
        self.ts = np.where(newer, ts, self.ts)
        self.on_duty = states["on_duty"].to_numpy(dtype=bool)
        self.dispatched = states["incident_id"].notna().to_numpy()
        # Where an event is ahead of this read, keep the status computed for it.
        merged = np.where(newer, code, self.code)
        changed |= merged != self.code
        self.code = merged
        self.sos = sos
        return changed


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _rounded(values: np.ndarray, digits: int) -> list[float | None]:
    return [None if math.isnan(v) else v for v in np.round(values, digits).tolist()]


class PushRelay(ThreadJob):
    """Relays live store events to Socket.IO clients in small batches.

    A background job (its ticker thread) and a handler on the event bus
    (:meth:`listen_on`).

    Parameters
    ----------
    store
        The live store (guard states, open SOS).
    socketio
        The ``flask_socketio.SocketIO`` server of this process.
    interval_s
        Shortest time between two batches: a fix waits at most this long (plus
        the work of one tick) before it is sent; after a quiet spell at once.
    status_every_s
        How often the model is checked against :meth:`LiveStore.states`.
    drawn_crs
        ``wgs84``, or ``gcj02`` when the map is drawn over AMap/Tencent tiles:
        positions are converted for drawing only.
    """

    name = "push-relay"

    def __init__(
        self,
        store: LiveStore,
        socketio: SocketIO,
        *,
        interval_s: float = 1.0,
        status_every_s: float = 3.0,
        drawn_crs: str = "wgs84",
        namespace: str = NAMESPACE,
    ) -> None:
        if drawn_crs not in DRAWN_CRSES:
            raise ValueError(f"drawn_crs must be one of {DRAWN_CRSES}, not {drawn_crs!r}")
        super().__init__()
        self.store = store
        self.socketio = socketio
        self.interval_s = interval_s
        self.status_every_s = status_every_s
        self.drawn_crs = drawn_crs
        self.namespace = namespace
        self._to_drawn = _drawing_projection(drawn_crs)
        self._lock = threading.RLock()  # model, pending fixes and emission order
        self._pending: dict[str, tuple[float, float, float]] = {}
        self._check_due = True
        self._model: _Model | None = None
        self._unsent = np.zeros(0, dtype=bool)  # guards changed since the last message
        self._sent_sos: tuple[str, ...] = ()
        self._resnapshot = False
        self._states: pd.DataFrame | None = None
        self._states_at = -math.inf
        self._last_check = -math.inf
        self._wake = threading.Event()  # set when something arrived for the next batch
        self.sent = 0  # messages emitted (for health and tests)
        socketio.on_event("connect", self._on_connect, namespace=namespace)

    # -- life cycle -----------------------------------------------------------
    def listen_on(self, bus: EventBus) -> None:
        """Take every event of ``bus``; after it (re)connects, check everything."""
        bus.subscribe(self.handle_event, name="push relay")
        bus.on_connect(self.resync)

    def stop(self) -> None:
        """Stop the ticker thread."""
        self._wake.set()
        super().stop()

    # -- reads for pages ------------------------------------------------------
    def states(self, max_age_s: float = 10.0) -> pd.DataFrame:
        """The latest :meth:`LiveStore.states` frame (read again when older than ``max_age_s``).

        While the relay is not running (not started yet, or stopped), nothing
        keeps the frame fresh, so every call reads the store.
        """
        with self._lock:
            stale = self._states is None or time.monotonic() - self._states_at > max_age_s
            if stale or self._thread is None:
                self._check(self.store.clock())
            assert self._states is not None  # _check has read them
            return self._states

    def snapshot(self) -> dict[str, Any]:
        """The full message a newly connected client starts from."""
        with self._lock:
            now = self.store.clock()
            if self._model is None:
                self._check(now)
            model = self._model
            assert model is not None  # _check has built it
            return {
                **self._encode(model, np.arange(len(model.ids)), now),
                "full": True,
                "name": model.name.tolist(),
                "unit": model.unit.tolist(),
                "zone": model.zone.tolist(),
                "sos": list(model.sos),
            }

    # -- events -----------------------------------------------------------------
    def handle_event(self, event: Event) -> None:
        """Take one event of the bus: fixes move guards, anything else makes a check due."""
        with self._lock:
            if event.type == EventType.FIXES:
                for g in event.get("guards", ()):
                    gid, ts = str(g["guard_id"]), float(g["ts"])
                    old = self._pending.get(gid)
                    if old is None or ts >= old[2]:
                        self._pending[gid] = (float(g["lon"]), float(g["lat"]), ts)
            else:  # duty changes, alarms, anything new: check against the store soon
                self._check_due = True
        self._wake.set()

    def resync(self) -> None:
        """Check against the store at the next tick (events may have been missed)."""
        with self._lock:
            self._check_due = True
        self._wake.set()

    def tick(self, now: float | None = None) -> dict[str, Any] | None:
        """Apply what arrived, check statuses when due, emit one message.

        Returns the ``guards`` message sent (None when nothing changed or
        when the roster changed and everyone got a new snapshot instead).
        """
        with self._lock:
            now = self.store.clock() if now is None else now
            if self._check_due or now - self._last_check >= self.status_every_s:
                self._check(now)
            self._apply_pending(now)
            model = self._model
            assert model is not None  # _check has built it
            if self._resnapshot:  # the roster changed: everyone starts again
                self._resnapshot = False
                self._unsent[:] = False
                self._sent_sos = model.sos
                self.socketio.emit("snapshot", self.snapshot(), namespace=self.namespace)
                self.sent += 1
                return None
            sos_changed = model.sos != self._sent_sos
            if not self._unsent.any() and not sos_changed:
                return None
            message = self._encode(model, np.flatnonzero(self._unsent), now)
            self._unsent[:] = False
            if sos_changed:
                message["sos"] = list(model.sos)
                self._sent_sos = model.sos
            self.socketio.emit("guards", message, namespace=self.namespace)
            self.sent += 1
            return message

    # -- internals --------------------------------------------------------------
    def _on_connect(self, auth: object = None) -> None:
        from flask_socketio import emit

        # Under the lock, so no batch built before this snapshot reaches the client after it.
        with self._lock:
            emit("snapshot", self.snapshot())

    def _check(self, now: float) -> None:
        """Read the store's states into the model; mark what differs as unsent."""
        states = self.store.states(now)
        sos = tuple(sorted(self.store.open_sos()))
        self._states, self._states_at = states, time.monotonic()
        self._last_check, self._check_due = now, False
        model = self._model
        ids = states["guard_id"].astype(str).to_numpy()
        if model is None or len(ids) != len(model.ids) or not (ids == model.ids).all():
            fresh = _Model(states)
            fresh.absorb(states, sos)
            self._resnapshot = model is not None
            self._model, self._unsent = fresh, np.zeros(len(ids), dtype=bool)
            if model is None:
                self._sent_sos = sos
            return
        self._unsent |= model.absorb(states, sos)

    def _apply_pending(self, now: float) -> None:
        model = self._model
        assert model is not None  # called after _check
        pending, self._pending = self._pending, {}
        known = [(model.index[g], v) for g, v in pending.items() if g in model.index]
        if not known:
            return
        idx = np.fromiter((i for i, _ in known), dtype=np.intp, count=len(known))
        lon, lat, ts = (np.array([v[k] for _, v in known]) for k in range(3))
        newer = ~(model.ts[idx] > ts)  # a late event must not move a guard back
        idx, lon, lat, ts = idx[newer], lon[newer], lat[newer], ts[newer]
        model.lon[idx], model.lat[idx], model.ts[idx] = lon, lat, ts
        # The store's own rules (live.state.status), applied to the guards that just moved.
        moved = pd.DataFrame(
            {
                "on_duty": model.on_duty[idx],
                # numpy's stubs reject a None branch; at run time it makes an object array
                "incident_id": np.where(model.dispatched[idx], "", None),  # type: ignore[call-overload]
                "last_fix_at": ts,
                "age_s": now - ts,
                "lon": lon,
                "lat": lat,
                "post_lon": model.post_lon[idx],
                "post_lat": model.post_lat[idx],
            }
        )
        status = derive_status(
            moved,
            post_radius_m=self.store.post_radius_m,
            signal_lost_after_s=self.store.signal_lost_after_s,
        )
        model.code[idx] = status.map(_CODE).to_numpy(dtype=np.int8)
        self._unsent[idx] = True

    def _encode(self, model: _Model, idx: np.ndarray, now: float) -> dict[str, Any]:
        lon, lat = self._to_drawn(model.lon[idx], model.lat[idx])
        age = now - model.ts[idx]
        return {
            "t": round(now, 3),
            "crs": self.drawn_crs,
            "ids": model.ids[idx].tolist(),
            "lon": _rounded(lon, 6),
            "lat": _rounded(lat, 6),
            "st": model.code[idx].tolist(),
            "age": [None if math.isnan(a) else round(max(a, 0)) for a in age.tolist()],
        }

    def _run(self) -> None:
        # Leading edge: a fix after a quiet spell goes out at once; under steady load one
        # batch per interval_s. The timeout keeps the status checks going when all is quiet.
        while not self._stop.is_set():
            self._wake.wait(self.status_every_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            with self._round("push tick"):
                self.tick()
            self._stop.wait(self.interval_s)


def _drawing_projection(
    drawn_crs: str,
) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    if drawn_crs == "wgs84":
        return lambda lon, lat: (lon, lat)
    from geo.crs import wgs84_to_gcj02

    def to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(lon) == 0:
            return lon, lat
        out_lon, out_lat = wgs84_to_gcj02(lon, lat)
        return np.where(np.isnan(lon), np.nan, out_lon), np.where(np.isnan(lat), np.nan, out_lat)

    return to_gcj02
