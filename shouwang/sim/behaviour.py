"""What the simulated guards do: a seeded state machine per guard, moved with numpy.

The pure part of the guard simulator (``shouwang.sim.simulator`` sends the fixes over HTTP;
docs/simulator.md describes the guards' day). :class:`GuardWorld` holds every guard's
state as arrays; :meth:`GuardWorld.step` advances all of them to a wall-clock time and
returns the fixes due.

Time: behaviour runs on a simulated clock ``sim = start + (wall - start) * speedup``, so
with ``speedup`` > 1 patrols and breaks are shorter in wall-clock time. Shifts follow the
wall clock (``live.state.shifts.on_duty``), so the simulator and the server agree on who is on
duty; fix timestamps are wall-clock time (the server rejects future ones); walking is
capped at :data:`MAX_WALL_SPEED_MPS` of wall-clock speed; signal losses last wall-clock
minutes.

Movement: every activity is a path of timed waypoints (``(n, K)`` times, ``(n, K, 2)``
local metric positions, padded by repeating the last waypoint), so placing all guards
at an instant is one vectorised interpolation; standing still is two waypoints at the
same place. Activities change rarely and are chained per guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import local_crs, to_local
from live.state.shifts import on_duty, rotation_offset

#: Fastest any simulated guard moves in wall-clock terms, m/s. The server's speed filter
#: (15 m/s) allows for the new fix's noise but not the previous one's (at most
#: HONEST_NOISE_M): with 4 s between fixes it never sees more than 8 + 20/4 = 13 m/s.
#: Shorter report intervals lower the cap (see ``GuardWorld.max_wall_mps``).
MAX_WALL_SPEED_MPS = 8.0
HONEST_NOISE_M = 20.0
#: Walking speed range inside the unit, m/s (per guard).
WALK_MPS = (1.1, 1.4)
#: Speed towards a dispatch target, m/s, by mobility.
DISPATCH_MPS = {"foot": 1.8, "ebike": 4.0}
#: Mean time from one patrol round's start to the next, minutes (per guard, uniform in range).
ROUND_GAP_MIN = (40.0, 90.0)
#: Share of post stints that end in a break instead of a patrol round.
BREAK_SHARE = 0.2
#: Break length, minutes.
BREAK_MIN = (10.0, 20.0)
#: Stop at each patrol checkpoint, seconds.
CHECKPOINT_DWELL_S = (15.0, 60.0)
#: Signal-loss length, minutes, and the share of on-duty time it should take. Wall-clock
#: time whatever the speed-up: the map marks a guard signal lost only after
#: SIGNAL_LOST_AFTER_S (120 s) of silence, which a sped-up loss would never reach.
SIGNAL_LOSS_MIN = (3.0, 15.0)
SIGNAL_LOSS_SHARE = 0.025
#: Report interval of off-duty guards, seconds.
OFF_DUTY_REPORT_S = 60.0
#: Every guard's first fix comes within this many seconds of the first step.
FIRST_REPORT_WITHIN_S = 10.0
#: Share of fixes with a hopeless accuracy, and that accuracy, metres.
BAD_FIX_SHARE = 0.01
BAD_FIX_ACCURACY_M = 150.0
#: Share of guards living in their unit's dormitory (the others walk out of the gate).
DORMITORY_SHARE = 0.6
#: Battery drain on duty and charge at rest, percent per simulated hour.
DRAIN_PCT_H = (2.5, 5.0)
CHARGE_PCT_H = 25.0


class Activity(IntEnum):
    """What a guard is doing; the server derives its own status from the fixes."""

    RESTING = 0  # off duty, at his rest spot
    POST = 1  # standing at his post (gate room)
    PATROL = 2  # walking a patrol round past the checkpoints
    BREAK = 3  # walked somewhere in the unit, standing, walking back
    ARRIVING = 4  # coming on shift, walking to the post
    LEAVING = 5  # shift over, walking to the dormitory or out of the gate
    DISPATCHED = 6  # sent to a spot by the dispatcher, walking there / waiting there
    RETURNING = 7  # released from a dispatch, walking back to the post


#: Activities that last until something external happens (duty change, release).
_HOLDING = (Activity.RESTING, Activity.DISPATCHED)


@dataclass(frozen=True, slots=True)
class SimFix:
    """One position report of a simulated guard, ready for either wire format."""

    guard_id: str
    device_id: str
    transport: str  # "osmand" (one GET per fix, like Traccar Client) or "batch"
    ts: float  # epoch seconds, wall clock
    lon: float
    lat: float
    accuracy_m: float
    speed_mps: float
    heading_deg: float | None
    battery_pct: float
    charging: bool
    on_duty: bool
    alarm: str | None = None


def _interior_points(
    polygon: BaseGeometry, rng: np.random.Generator, count: int, inset_m: float
) -> np.ndarray:
    """``count`` random points inside ``polygon`` (local metres), kept ``inset_m`` off the wall."""
    inner: BaseGeometry = polygon.buffer(-inset_m)
    if inner.is_empty or inner.area < 1.0:
        inner = polygon
    minx, miny, maxx, maxy = inner.bounds
    found = np.empty((0, 2))
    for _ in range(50):  # rejection sampling; units are roughly convex, so few rounds
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(count * 4, 2))
        found = np.vstack([found, xy[shapely.contains_xy(inner, xy[:, 0], xy[:, 1])]])
        if len(found) >= count:
            return found[:count]
    centre = np.array(inner.representative_point().coords[0])
    return np.vstack([found, np.repeat(centre[None, :], count - len(found), axis=0)])


class GuardWorld:
    """Every simulated guard's state, advanced by :meth:`step`.

    Parameters
    ----------
    dataset
        Anything with ``units``, ``gates``, ``checkpoints`` and ``guards`` GeoDataFrames
        in EPSG:4326 as described in docs/design.md (a ``shouwang.dataset.Dataset``).
    speedup
        Rate of the behaviour clock against the wall clock (see the module notes).
    tz
        Time zone of the shifts.
    seed
        Seed of the random generator: the same seed and the same sequence of ``step``
        times give the same fixes.
    report_every_s
        Report interval of on-duty guards (each interval jittered by ±20 %).
    """

    def __init__(
        self,
        dataset: Any,
        *,
        speedup: float = 1.0,
        tz: str = "Asia/Shanghai",
        seed: int = 7,
        report_every_s: float = 5.0,
    ) -> None:
        if speedup <= 0:
            raise ValueError(f"speedup must be positive, got {speedup}")
        if report_every_s <= 0:
            raise ValueError(f"report_every_s must be positive, got {report_every_s}")
        self.speedup = float(speedup)
        self.tz = tz
        self.report_every_s = float(report_every_s)
        self.rng = np.random.default_rng(seed)
        # Keep (move + noise of the previous fix) / shortest interval under ~14 m/s.
        shortest_s = 0.8 * self.report_every_s
        cap = 14.0 - HONEST_NOISE_M / shortest_s
        self.max_wall_mps = float(np.clip(cap, 1.5, MAX_WALL_SPEED_MPS))
        self._setup(dataset)
        self.started = False

    # ------------------------------------------------------------------ set-up

    def _setup(self, ds: Any) -> None:
        rng = self.rng
        guards = ds.guards.sort_values("guard_id").reset_index(drop=True)
        n = len(guards)
        if n == 0:
            raise ValueError("the data set has no guards to simulate")
        self.n = n
        self.guard_ids = guards["guard_id"].astype(str).to_numpy()
        self.device_ids = guards["device_id"].astype(str).to_numpy()
        self.shifts = guards["shift"].astype(str).to_numpy()
        self.offsets = np.array([rotation_offset(g) for g in self.guard_ids])
        self.mobility = guards["mobility"].astype(str).to_numpy()
        self.index = {g: i for i, g in enumerate(self.guard_ids)}
        self.crs = local_crs(guards["post_lon"].to_numpy(float), guards["post_lat"].to_numpy(float))
        # Kept here rather than via geo.crs.to_wgs84, which resolves the CRS on every call.
        self._unproject = pyproj.Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        self.post = self._local(guards["post_lon"], guards["post_lat"])

        units = ds.units.set_index(ds.units["unit_id"].astype(str))
        project = lambda xy: self._local(xy[:, 0], xy[:, 1])  # noqa: E731
        unit_geom = {u: shapely.transform(g, project) for u, g in units.geometry.items()}
        gates = ds.gates
        gates_xy = self._local(gates.geometry.x, gates.geometry.y)
        gate_xy = dict(zip(gates["gate_id"].astype(str), gates_xy, strict=True))
        cps = ds.checkpoints.sort_values(["unit_id", "seq"])
        cp_xy = self._local(cps.geometry.x, cps.geometry.y)
        unit_of_cp = cps["unit_id"].astype(str).to_numpy()

        self.unit_ids = guards["unit_id"].astype(str).to_numpy()
        self.patrol_points: dict[str, np.ndarray] = {}
        self.spots: dict[str, np.ndarray] = {}  # break spots inside each unit
        dorm: dict[str, np.ndarray] = {}
        for u in np.unique(self.unit_ids):
            poly = unit_geom.get(u)
            posts = self.post[self.unit_ids == u]
            if poly is None or poly.is_empty:  # tolerate a guard whose unit has no wall
                poly = shapely.Point(posts.mean(axis=0)).buffer(40.0)
            self.spots[u] = _interior_points(poly, rng, 32, inset_m=5.0)
            dorm[u] = _interior_points(poly, rng, 1, inset_m=8.0)[0]
            pts = cp_xy[unit_of_cp == u]
            self.patrol_points[u] = pts if len(pts) else self.spots[u][:3]

        # The gate each guard walks through; his post is within 50 m of it.
        gate_ids = guards["post_gate_id"].astype(str).to_numpy()
        self.gate = np.array([gate_xy.get(g, p) for g, p in zip(gate_ids, self.post, strict=True)])
        # Out of the gate: away from the unit's centre, 40–120 m into the street.
        centres = {u: np.array(g.centroid.coords[0]) for u, g in unit_geom.items()}
        away = self.gate - np.array(
            [centres.get(u, p) for u, p in zip(self.unit_ids, self.post, strict=True)]
        )
        away /= np.maximum(np.linalg.norm(away, axis=1, keepdims=True), 1e-9)
        outside = self.gate + away * rng.uniform(40.0, 120.0, (n, 1))
        self.dormitory = rng.random(n) < DORMITORY_SHARE
        dorm_xy = np.array([dorm[u] for u in self.unit_ids]) + rng.normal(0, 2.0, (n, 2))
        self.rest = np.where(self.dormitory[:, None], dorm_xy, outside)

        # Per-guard habits.
        self.walk_mps = rng.uniform(*WALK_MPS, n)
        self.round_gap_s = rng.uniform(*ROUND_GAP_MIN, n) * 60.0
        self.drain_pct_h = rng.uniform(*DRAIN_PCT_H, n)
        self.battery = rng.uniform(55.0, 100.0, n)
        # About half report like Traccar Client (one GET per fix), half through a gateway.
        transport = np.full(n, "batch", dtype=object)
        transport[rng.permutation(n)[: n // 2]] = "osmand"
        self.transport = transport

        most_cps = max(len(p) for p in self.patrol_points.values())
        self.K = max(2 * most_cps + 3, 8)
        self.times = np.zeros((n, self.K))
        self.points = np.zeros((n, self.K, 2))
        self.activity = np.zeros(n, dtype=np.int8)
        self.ends = np.full(n, np.inf)  # sim time the activity is over (inf: holding)
        self.sos = np.zeros(n, dtype=bool)

    def _local(self, lon: Any, lat: Any) -> np.ndarray:
        """WGS-84 degrees to ``(k, 2)`` metres in the world's local CRS."""
        x, y = to_local(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), self.crs)
        return np.column_stack([x, y])

    # ------------------------------------------------------------------ time

    def sim_time(self, wall: float) -> float:
        """Behaviour clock at wall-clock time ``wall`` (after the first step)."""
        return self.sim0 + (wall - self.wall0) * self.speedup

    def _speed(self, mps: np.ndarray | float) -> np.ndarray:
        """Simulated-time speed whose wall-clock speed stays under the cap."""
        return np.minimum(mps, self.max_wall_mps / self.speedup)

    # ------------------------------------------------------------------ paths

    def _set_path(
        self, i: int, activity: Activity, pts: np.ndarray, times: np.ndarray, hold: bool = False
    ) -> None:
        """Give guard ``i`` a timed path; pad by repeating the last waypoint."""
        k = len(pts)
        self.points[i, :k] = pts
        self.points[i, k:] = pts[-1]
        self.times[i, :k] = times
        # Strictly increasing padding times keep the interpolation free of 0/0.
        self.times[i, k:] = times[-1] + 1e9 * np.arange(1, self.K - k + 1)
        self.activity[i] = activity
        self.ends[i] = np.inf if hold else times[-1]

    def _walk(
        self,
        i: int,
        act: Activity,
        start: float,
        waypoints: list[np.ndarray],
        mps: float,
        dwell_s: np.ndarray | None = None,
        hold: bool = False,
    ) -> None:
        """Walk through ``waypoints`` from ``start``, stopping ``dwell_s[j]`` at the
        ``j``-th intermediate waypoint."""
        pts, times = [waypoints[0]], [start]
        speed = float(self._speed(mps))
        for j, p in enumerate(waypoints[1:], start=1):
            pts.append(p)
            times.append(times[-1] + max(float(np.linalg.norm(p - pts[-2])) / speed, 1e-3))
            if dwell_s is not None and j < len(waypoints) - 1:
                pts.append(p)
                times.append(times[-1] + float(dwell_s[j - 1]))
        self._set_path(i, act, np.array(pts), np.array(times), hold=hold)

    def _stand(self, i: int, act: Activity, start: float, where: np.ndarray, dur_s: float) -> None:
        times = np.array([start, start + max(dur_s, 1e-3)])
        self._set_path(i, act, np.array([where, where]), times, hold=act in _HOLDING)

    def positions(self, sim_t: float) -> tuple[np.ndarray, np.ndarray]:
        """True positions (local metres) and wall-clock velocities (m/s) of all guards."""
        rows = np.arange(self.n)
        idx = np.clip((self.times <= sim_t).sum(axis=1) - 1, 0, self.K - 2)
        t0, t1 = self.times[rows, idx], self.times[rows, idx + 1]
        p0, p1 = self.points[rows, idx], self.points[rows, idx + 1]
        frac = np.clip((sim_t - t0) / (t1 - t0), 0.0, 1.0)
        pos = p0 + frac[:, None] * (p1 - p0)
        moving = (sim_t >= t0) & (sim_t < t1)
        vel = np.where(moving[:, None], (p1 - p0) / (t1 - t0)[:, None], 0.0) * self.speedup
        return pos, vel

    # ------------------------------------------------------------------ activities

    def _post_stint(self, i: int, start: float, fraction: float = 1.0) -> None:
        """Stand at the post until the next round or break is due."""
        stint_s = self.round_gap_s[i] * self.rng.uniform(0.6, 1.4) * fraction
        self._stand(i, Activity.POST, start, self.post[i], stint_s)

    def _patrol(self, i: int, start: float) -> None:
        cps = self.patrol_points[self.unit_ids[i]]
        dwell_s = self.rng.uniform(*CHECKPOINT_DWELL_S, len(cps))
        route = [self.post[i], *cps, self.post[i]]
        self._walk(i, Activity.PATROL, start, route, self.walk_mps[i], dwell_s)

    def _break(self, i: int, start: float) -> None:
        spots = self.spots[self.unit_ids[i]]
        spot = spots[self.rng.integers(len(spots))]
        # Out, stand, back: the dwell at the spot is the break.
        dwell_s = np.array([self.rng.uniform(*BREAK_MIN) * 60.0])
        self._walk(
            i, Activity.BREAK, start, [self.post[i], spot, self.post[i]], self.walk_mps[i], dwell_s
        )

    def _after(self, i: int, start: float) -> None:
        """Chain the next activity when guard ``i``'s current one ends at ``start``."""
        act = Activity(self.activity[i])
        if act == Activity.POST:
            if self.rng.random() < BREAK_SHARE:
                self._break(i, start)
            else:
                self._patrol(i, start)
        elif act == Activity.LEAVING:
            self._stand(i, Activity.RESTING, start, self.rest[i], 0.0)
        else:  # PATROL, BREAK, ARRIVING, RETURNING all end at the post
            self._post_stint(i, start)

    def _come_on(self, i: int, start: float, pos: np.ndarray) -> None:
        via = [self.gate[i]] if not self.dormitory[i] else []
        self._walk(i, Activity.ARRIVING, start, [pos, *via, self.post[i]], self.walk_mps[i])

    def _go_off(self, i: int, start: float, pos: np.ndarray) -> None:
        # Hand over at the post, then out of the gate (or to the dormitory).
        tail = [self.rest[i]] if self.dormitory[i] else [self.gate[i], self.rest[i]]
        self._walk(i, Activity.LEAVING, start, [pos, self.post[i], *tail], self.walk_mps[i])

    # ------------------------------------------------------------------ start

    def _start(self, now: float) -> None:
        rng = self.rng
        self.wall0 = self.sim0 = float(now)
        self._duty_cache: tuple[int, np.ndarray] | None = None
        self.duty = self._duty_at(now)
        s = self.sim0
        for i in range(self.n):
            if not self.duty[i]:
                self._stand(i, Activity.RESTING, s, self.rest[i], 0.0)
            elif rng.random() < 0.15:
                self._patrol(i, s)
            else:
                self._post_stint(i, s, fraction=rng.random())
        self.next_report = now + rng.uniform(0.0, FIRST_REPORT_WITHIN_S, self.n)
        self.reported = np.zeros(self.n, dtype=bool)
        self.lost_until = np.full(self.n, -np.inf)
        self.next_loss = now + self._loss_gaps(self.n)
        self.last_sim = s
        self.started = True

    def _duty_at(self, now: float) -> np.ndarray:
        """``live.state.shifts.on_duty`` for all guards, cached per quarter hour: shifts change
        on the hour (local time zones are whole quarter hours off UTC)."""
        key = int(now // 900)
        if self._duty_cache is None or self._duty_cache[0] != key:
            self._duty_cache = (key, on_duty(self.shifts, self.offsets, now, self.tz))
        return self._duty_cache[1]

    def _loss_gaps(self, k: int) -> np.ndarray:
        """Signal-loss inter-arrival times (wall s) giving SIGNAL_LOSS_SHARE of duty time."""
        mean_loss_s = np.mean(SIGNAL_LOSS_MIN) * 60.0
        mean_gap_s = mean_loss_s * (1.0 - SIGNAL_LOSS_SHARE) / SIGNAL_LOSS_SHARE
        return self.rng.exponential(mean_gap_s, k)

    # ------------------------------------------------------------------ step

    def step(self, now: float) -> list[SimFix]:
        """Advance every guard to wall-clock time ``now``; return the fixes due by then.

        The first call starts the world at ``now``: every guard reports within
        :data:`FIRST_REPORT_WITHIN_S` seconds of it. A ``now`` earlier than the previous
        one advances nothing (it may still return fixes due by then).
        """
        if not self.started:
            self._start(now)
        s = max(self.sim_time(now), self.last_sim)
        rng = self.rng

        # Shift changes (wall clock) interrupt whatever the guard was doing.
        duty = self._duty_at(now)
        changed = () if duty is self.duty else np.flatnonzero(duty != self.duty)
        if len(changed):
            pos, _ = self.positions(s)
            for i in changed:
                (self._come_on if duty[i] else self._go_off)(int(i), s, pos[i])
            self.lost_until[changed] = -np.inf
            # A guard coming on duty does not wait out his off-duty minute (but keeps at
            # least one on-duty interval after his last fix).
            came = changed[duty[changed]]
            soon = now + self.report_every_s * rng.uniform(0.8, 1.2, len(came))
            self.next_report[came] = np.minimum(self.next_report[came], soon)
        self.duty = duty

        # Chain finished activities from the instant they ended, so coarse steps lose nothing.
        while True:
            ended = np.flatnonzero(self.ends <= s)
            if not len(ended):
                break
            for i in ended:
                self._after(int(i), float(self.ends[i]))

        # Battery: drains on duty, charges while resting.
        dt_h = (s - self.last_sim) / 3600.0
        resting = self.activity == Activity.RESTING
        rate_pct_h = np.where(resting, CHARGE_PCT_H, -self.drain_pct_h * duty)
        self.battery = np.clip(self.battery + rate_pct_h * dt_h, 3.0, 100.0)
        self.last_sim = s

        # Signal loss starts (only once a guard has reported, so all appear at start).
        loss_due = self.next_loss <= now
        if loss_due.any():
            starts = np.flatnonzero(loss_due & duty & self.reported)
            self.lost_until[starts] = now + rng.uniform(*SIGNAL_LOSS_MIN, len(starts)) * 60.0
            self.next_loss[starts] = self.lost_until[starts] + self._loss_gaps(len(starts))
            idle = np.flatnonzero(loss_due & ~duty)  # off duty: keep the clock running
            self.next_loss[idle] = now + self._loss_gaps(len(idle))

        due = self.next_report <= now
        if not due.any():
            return []
        interval = np.where(duty, self.report_every_s, OFF_DUTY_REPORT_S)
        self.next_report[due] = now + interval[due] * rng.uniform(0.8, 1.2, int(due.sum()))
        lost = duty & (now < self.lost_until)
        send = np.flatnonzero(due & ~lost)
        if not len(send):
            return []
        first = ~self.reported[send]
        self.reported[send] = True
        return self._fixes(send, now, s, duty, first)

    def _fixes(
        self, send: np.ndarray, now: float, s: float, duty: np.ndarray, first: np.ndarray
    ) -> list[SimFix]:
        rng = self.rng
        k = len(send)
        pos, vel = self.positions(s)
        pos, vel = pos[send], vel[send]
        u, z = rng.random((3, k)), rng.standard_normal((3, k))
        # A phone's first fix is never the hopeless kind here: every guard must be
        # on the map within the demo's first half minute.
        bad = (u[0] < BAD_FIX_SHARE) & ~first
        accuracy = np.where(
            bad, BAD_FIX_ACCURACY_M, 4.0 + (HONEST_NOISE_M - 4.0) * rng.beta(2, 3, k)
        )
        # Displacement no larger than the reported accuracy (a 68 % radius in real phones;
        # clipped here so the server's speed filter never trips on honest fixes).
        honest = np.minimum(np.abs(z[0]) * accuracy / 2.5, accuracy)
        radius = np.where(bad, accuracy * (0.3 + 0.7 * u[1]), honest)
        angle = 2 * np.pi * u[2]
        lon, lat = self._unproject.transform(
            pos[:, 0] + radius * np.cos(angle), pos[:, 1] + radius * np.sin(angle)
        )
        speed = np.hypot(vel[:, 0], vel[:, 1])
        moving = speed > 0.05
        # GPS speed: a little noise when walking, a few cm/s of drift when standing.
        shown_speed = np.where(moving, np.maximum(speed + 0.1 * z[1], 0.0), np.abs(0.05 * z[2]))
        heading = np.degrees(np.arctan2(vel[:, 0], vel[:, 1])) % 360.0
        charging = (self.activity[send] == Activity.RESTING) & (self.battery[send] < 100.0)
        heading_or_none = np.where(moving, heading, None)
        # Columns in SimFix field order, as Python lists: making ~100 small objects from
        # numpy scalars would be the slow part of a step.
        # numpy's stubs reject a None branch; at run time it makes an object array
        columns: tuple[Any, ...] = (
            self.guard_ids[send], self.device_ids[send], self.transport[send],
            np.full(k, float(now)), lon, lat, accuracy, shown_speed, heading_or_none,
            self.battery[send], charging, duty[send],
            np.where(self.sos[send], "sos", None),  # type: ignore[call-overload]
        )  # fmt: skip
        self.sos[send] = False
        return [SimFix(*row) for row in zip(*(c.tolist() for c in columns), strict=True)]

    # ------------------------------------------------------------------ hooks

    def _guard(self, guard_id: str) -> int:
        try:
            return self.index[guard_id]
        except KeyError:
            raise KeyError(f"unknown guard {guard_id!r}") from None

    def send_guard_to(self, guard_id: str, lon: float, lat: float, now: float) -> None:
        """Make the guard walk (or ride, if on an e-bike) straight to ``lon, lat`` and wait.

        He stays there until :meth:`release_guard` or the end of his shift.
        """
        i = self._guard(guard_id)
        if not self.started:
            self._start(now)
        s = max(self.sim_time(now), self.last_sim)
        pos, _ = self.positions(s)
        target = self._local([lon], [lat])[0]
        mps = DISPATCH_MPS.get(str(self.mobility[i]), DISPATCH_MPS["foot"])
        self._walk(i, Activity.DISPATCHED, s, [pos[i], target], mps, hold=True)

    def release_guard(self, guard_id: str, now: float) -> None:
        """A dispatched guard walks back to his post (off duty: to his rest spot)."""
        i = self._guard(guard_id)
        if not self.started or self.activity[i] != Activity.DISPATCHED:
            return
        s = max(self.sim_time(now), self.last_sim)
        pos, _ = self.positions(s)
        if self.duty[i]:
            self._walk(i, Activity.RETURNING, s, [pos[i], self.post[i]], self.walk_mps[i])
        else:
            self._go_off(i, s, pos[i])

    def trigger_sos(self, guard_id: str) -> None:
        """The guard's next fix carries ``alarm=sos`` (the one-click alarm)."""
        self.sos[self._guard(guard_id)] = True

    def snapshot(self, now: float) -> pd.DataFrame:
        """Per-guard state at ``now`` (after a step): for tests, logs and debugging."""
        if not self.started:
            self._start(now)
        s = max(self.sim_time(now), self.last_sim)
        pos, vel = self.positions(s)
        lon, lat = self._unproject.transform(pos[:, 0], pos[:, 1])
        return pd.DataFrame({
            "guard_id": self.guard_ids, "unit_id": self.unit_ids,
            "activity": [Activity(int(a)).name.lower() for a in self.activity],
            "on_duty": self.duty, "signal_lost": self.duty & (now < self.lost_until),
            "lon": lon, "lat": lat, "speed_mps": np.linalg.norm(vel, axis=1),
            "distance_to_post_m": np.linalg.norm(pos - self.post, axis=1),
            "battery_pct": self.battery, "transport": self.transport.astype(str),
        })  # fmt: skip
