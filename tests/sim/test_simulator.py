"""The guard simulator: behaviour over a simulated day (no HTTP), wire formats through the
real decoders, and a run against the real app served over HTTP."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo.distance import haversine_m
from live.ingest.protocols import decode_batch, decode_osmand
from shouwang.sim.behaviour import MAX_WALL_SPEED_MPS, GuardWorld, SimFix
from shouwang.sim.simulator import Simulator, batch_item, osmand_params

TZ = "Asia/Shanghai"
#: 06:00 local: the night shift has two hours to go, the day shift starts at 08:00.
START = datetime(2024, 5, 6, 6, 0, tzinfo=ZoneInfo(TZ)).timestamp()
DAY_S = 26 * 3600  # both shift changes, twice for the night shift
STEP_S = 5.0
M_PER_DEG_LAT = 111_000.0
SHIFTS = ["day", "night", "rotating", "day", "night", "rotating", "day", "night"]


def small_dataset() -> SimpleNamespace:
    """Two walled units with a gate, four checkpoints and eight guards each."""
    lat0, lon0 = 33.78, 118.38
    m_lon = M_PER_DEG_LAT * np.cos(np.radians(lat0))
    units, gates, cps, guards = [], [], [], []
    for u, (dx, dy, w, h) in enumerate([(0, 0, 240, 180), (400, 50, 160, 260)], start=1):
        uid = f"U0{u}"
        x0, y0 = lon0 + dx / m_lon, lat0 + dy / M_PER_DEG_LAT
        x1, y1 = x0 + w / m_lon, y0 + h / M_PER_DEG_LAT
        units.append({"unit_id": uid, "geometry": box(x0, y0, x1, y1)})
        gx, gy = (x0 + x1) / 2, y0  # gate in the middle of the south wall
        gates.append({"gate_id": f"{uid}-G1", "unit_id": uid, "geometry": Point(gx, gy)})
        corners = [(0.2, 0.2), (0.8, 0.25), (0.75, 0.8), (0.25, 0.75)]
        for seq, (fx, fy) in enumerate(corners, start=1):
            cps.append(
                {
                    "checkpoint_id": f"{uid}-P{seq}",
                    "unit_id": uid,
                    "seq": seq,
                    "geometry": Point(x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)),
                }
            )
        for k, shift in enumerate(SHIFTS):
            n = len(guards) + 1
            post = (gx + (k % 3 - 1) * 3 / m_lon, gy + 8 / M_PER_DEG_LAT)  # in the gate room
            guards.append(
                {
                    "guard_id": f"G{n:03d}",
                    "name": f"guard {n}",
                    "unit_id": uid,
                    "device_id": f"86000000000{n:04d}",
                    "shift": shift,
                    "post_gate_id": f"{uid}-G1",
                    "post_lon": post[0],
                    "post_lat": post[1],
                    "mobility": "foot" if k % 2 else "ebike",
                    "zone_id": "C",
                    "geometry": Point(*post),
                }
            )
    frame = lambda rows: gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")  # noqa: E731
    return SimpleNamespace(
        units=frame(units), gates=frame(gates), checkpoints=frame(cps), guards=frame(guards)
    )


def run_day(
    world: GuardWorld, start: float = START, span_s: float = DAY_S, step_s: float = STEP_S
) -> pd.DataFrame:
    """Every fix of a simulated span, one row each."""
    rows = []
    for now in np.arange(start, start + span_s, step_s):
        rows.extend(world.step(float(now)))
    return pd.DataFrame([{name: getattr(f, name) for name in f.__slots__} for f in rows])


def implied_speeds(fixes: pd.DataFrame, subtract_accuracy: bool) -> pd.Series:
    """Speed between consecutive fixes of each guard the server would accept (≤ 100 m)."""
    f = fixes[fixes["accuracy_m"] <= 100].sort_values(["guard_id", "ts"])
    same = f["guard_id"].eq(f["guard_id"].shift())
    d = haversine_m(f["lat"].shift(), f["lon"].shift(), f["lat"], f["lon"])
    if subtract_accuracy:  # as live.ingest.filters does: the new fix's own accuracy allowed for
        d = np.maximum(d - f["accuracy_m"], 0.0)
    return (d / (f["ts"] - f["ts"].shift()).clip(lower=1.0))[same]


@pytest.fixture(scope="module")
def data() -> SimpleNamespace:
    return small_dataset()


@pytest.fixture(scope="module")
def day(data) -> pd.DataFrame:
    return run_day(GuardWorld(data, tz=TZ, seed=7))


def with_post_distance(fixes: pd.DataFrame, data) -> pd.DataFrame:
    posts = data.guards.set_index("guard_id")[["post_lon", "post_lat"]]
    f = fixes.join(posts, on="guard_id")
    f["post_m"] = haversine_m(f["lat"], f["lon"], f["post_lat"], f["post_lon"])
    return f


def test_every_guard_reports_within_ten_seconds_and_all_day(day, data):
    first = day.groupby("guard_id")["ts"].min()
    assert set(first.index) == set(data.guards["guard_id"])
    assert (first - START).max() <= 10.0 + STEP_S
    # Nobody falls silent for good: everyone still reports in the last hour.
    last = day.groupby("guard_id")["ts"].max()
    assert (last > START + DAY_S - 3600).all()


def test_on_duty_guards_stand_at_post_and_patrol(day, data):
    f = with_post_distance(day[day["on_duty"] & (day["accuracy_m"] <= 100)], data)
    share_at_post = f.groupby("guard_id")["post_m"].apply(lambda d: (d <= 30).mean())
    assert len(share_at_post) == len(data.guards)  # every guard works some time that day
    assert share_at_post.between(0.4, 0.97).all(), share_at_post.to_dict()
    # Patrols go well away from the gate room, to the far checkpoints.
    far = f.groupby("guard_id")["post_m"].max()
    assert (far > 100).all(), far.to_dict()


def test_patrol_rounds_pass_every_checkpoint_of_the_unit(day, data):
    f = day[day["on_duty"] & (day["accuracy_m"] <= 100)]
    unit_of = data.guards.set_index("guard_id")["unit_id"]
    for guard_id, fixes in f.groupby("guard_id"):
        cps = data.checkpoints[data.checkpoints["unit_id"] == unit_of[guard_id]]
        for cp in cps.itertuples():
            d = haversine_m(fixes["lat"], fixes["lon"], cp.geometry.y, cp.geometry.x)
            # The guard stops 15–60 s at the point; a fix is displaced by ≤ its accuracy.
            assert (d <= 25).sum() >= 2, (guard_id, cp.checkpoint_id, float(d.min()))


def test_patrol_visits_checkpoints_in_seq_order(data):
    world = GuardWorld(data, tz=TZ, seed=3)
    world.step(START + 3 * 3600)  # 09:00: day guards on shift
    guard = int(np.flatnonzero(world.duty)[0])
    world._patrol(guard, world.last_sim)
    cps = data.checkpoints[data.checkpoints["unit_id"] == world.unit_ids[guard]]
    cp_xy = world.patrol_points[world.unit_ids[guard]]
    assert len(cp_xy) == len(cps) == 4
    times = world.times[guard]
    visit = [
        times[np.flatnonzero(np.all(np.isclose(world.points[guard], p), axis=1))[0]] for p in cp_xy
    ]
    assert visit == sorted(visit)


def test_no_implied_speed_above_fifteen_mps(day):
    raw = implied_speeds(day, subtract_accuracy=False)
    assert len(raw) > 10_000
    # Even without the filter's accuracy allowance, honest fixes stay plausible.
    assert raw.max() < 15.0
    assert day["speed_mps"].max() < 2.0  # walking inside the unit


def rounds_started(world: GuardWorld, start: float, span_s: float) -> tuple[int, pd.DataFrame]:
    """Patrol rounds begun (seen once a minute) and the fixes, over a wall-clock span."""
    rounds, rows, before = 0, [], None
    for now in np.arange(start, start + span_s, STEP_S):
        rows.extend(world.step(float(now)))
        if (now - start) % 60 == 0:
            patrolling = world.snapshot(float(now))["activity"].eq("patrol").to_numpy()
            if before is not None:
                rounds += int((patrolling & ~before).sum())
            before = patrolling
    return rounds, pd.DataFrame([{n: getattr(f, n) for n in f.__slots__} for f in rows])


def test_speedup_shortens_behaviour_but_not_timestamps_or_speed(data):
    start = START + 3 * 3600  # 09:00, day shift
    fast_rounds, fast = rounds_started(GuardWorld(data, tz=TZ, seed=7, speedup=30.0), start, 3600)
    slow_rounds, slow = rounds_started(GuardWorld(data, tz=TZ, seed=7), start, 3600)
    # One wall hour at 30x is 30 behaviour hours: many more rounds than in real time
    # (fewer than 30x as many: walking is capped at 8 m/s of wall-clock speed).
    assert fast_rounds > 5 * max(slow_rounds, 1)
    assert fast["ts"].max() < start + 3600  # wall-clock time stamps, never ahead
    assert implied_speeds(fast, subtract_accuracy=True).max() < 15.0
    assert fast["speed_mps"].max() <= MAX_WALL_SPEED_MPS + 0.5
    assert slow["speed_mps"].max() < 2.0


def test_short_report_interval_at_high_speedup_stays_under_the_speed_filter(data):
    world = GuardWorld(data, tz=TZ, seed=4, speedup=60.0, report_every_s=2.0)
    fixes = run_day(world, start=START + 3 * 3600, span_s=1800, step_s=1.0)
    assert implied_speeds(fixes, subtract_accuracy=True).max() < 15.0
    assert (fixes["speed_mps"] > 1.0).any()  # they do walk


def test_shift_change_outgoing_guards_leave_by_the_gate_or_to_the_dormitory(data):
    world = GuardWorld(data, tz=TZ, seed=9)
    evening = START + 13 * 3600 + 50 * 60  # 19:50
    fixes = run_day(world, start=evening, span_s=30 * 60)
    after = world.snapshot(evening + 30 * 60).set_index("guard_id")  # 20:20
    gates = data.gates.set_index("unit_id").geometry
    walls = data.units.set_index("unit_id").geometry
    day_guards = data.guards[data.guards["shift"] == "day"]
    assert len(day_guards) == 6
    for g in day_guards.itertuples():
        i = world.index[g.guard_id]
        here = after.loc[g.guard_id]
        assert not here["on_duty"] and here["activity"] == "resting"
        inside = walls[g.unit_id].contains(Point(here["lon"], here["lat"]))
        assert inside == bool(world.dormitory[i])
        if not world.dormitory[i]:  # he walked out through his gate after 20:00
            mine = fixes[
                (fixes["guard_id"] == g.guard_id)
                & (fixes["ts"] >= evening + 600)
                & (fixes["accuracy_m"] <= 100)
            ]
            gate = gates[g.unit_id]
            assert (haversine_m(mine["lat"], mine["lon"], gate.y, gate.x) < 25).any()
    # The night guards came on and walked to their posts.
    night = after.loc[data.guards.loc[data.guards["shift"] == "night", "guard_id"]]
    assert night["on_duty"].all() and (night["distance_to_post_m"] < 1).all()


def test_signal_loss_gaps_for_a_small_share_of_duty_time(day):
    f = day.sort_values(["guard_id", "ts"])
    on = f["on_duty"] & f["on_duty"].shift(fill_value=False)  # this fix and the one before
    gap = f["ts"].diff()[f["guard_id"].eq(f["guard_id"].shift()) & on]
    lost_s = gap[gap > 120].sum()
    duty_s = gap[gap <= 120].sum() + lost_s
    assert (gap > 120).sum() >= 3  # some guards lose signal…
    assert 0.005 < lost_s / duty_s < 0.07  # …for a small share of the time
    assert gap[gap > 120].max() <= 15 * 60 + 10  # 3–15 min each


def test_gps_noise_and_hopeless_fixes(day):
    good = day["accuracy_m"] <= 100
    assert day.loc[good, "accuracy_m"].between(4, 20).all()
    bad_share = (~good).mean()
    assert 0.003 < bad_share < 0.02
    assert (day.loc[~good, "accuracy_m"] == 150).all()


def test_off_duty_guards_report_about_once_a_minute(day):
    f = day.sort_values(["guard_id", "ts"])
    both_off = ~f["on_duty"] & ~f["on_duty"].shift(fill_value=True)
    gap = f["ts"].diff()[f["guard_id"].eq(f["guard_id"].shift()) & both_off]
    assert len(gap) > 100
    assert gap.between(48 - STEP_S, 72 + STEP_S).all()
    on = f["ts"].diff()[
        f["guard_id"].eq(f["guard_id"].shift())
        & f["on_duty"]
        & f["on_duty"].shift(fill_value=False)
    ]
    assert on.median() <= 5 + STEP_S


def test_battery_drains_on_duty_and_heading_follows_movement(day):
    g = day[day["on_duty"]].sort_values("ts").groupby("guard_id")["battery_pct"]
    assert ((g.first() - g.last()) > 0).mean() > 0.8
    moving = day[day["speed_mps"] > 0.5]
    assert moving["heading_deg"].notna().all()
    assert day.loc[day["speed_mps"] < 0.3, "heading_deg"].isna().all()


def test_same_seed_same_fixes_other_seed_other_fixes(data):
    a = run_day(GuardWorld(data, tz=TZ, seed=11), span_s=1800)
    b = run_day(GuardWorld(data, tz=TZ, seed=11), span_s=1800)
    c = run_day(GuardWorld(data, tz=TZ, seed=12), span_s=1800)
    pd.testing.assert_frame_equal(a, b)
    assert not a[["lon", "lat"]].equals(c[["lon", "lat"]])


def test_half_the_guards_by_osmand_half_by_batch(data):
    world = GuardWorld(data, tz=TZ)
    assert sorted(pd.Series(world.transport).value_counts().tolist()) == [8, 8]


def test_send_guard_to_walks_him_there(data):
    world = GuardWorld(data, tz=TZ, seed=5)
    world.step(START + 4 * 3600)  # 10:00
    guard_id = str(world.guard_ids[np.flatnonzero(world.duty)[0]])
    target = data.units.geometry.iloc[1].centroid  # into the neighbouring unit
    world.send_guard_to(guard_id, target.x, target.y, START + 4 * 3600)
    fixes = run_day(world, start=START + 4 * 3600 + STEP_S, span_s=900)
    mine = fixes[fixes["guard_id"] == guard_id].sort_values("ts")
    end = mine[mine["accuracy_m"] <= 100].iloc[-5:]
    assert (haversine_m(end["lat"], end["lon"], target.y, target.x) < 25).all()
    assert implied_speeds(mine, subtract_accuracy=False).max() < 15.0
    assert (
        world.snapshot(START + 4 * 3600 + 900).set_index("guard_id").loc[guard_id, "activity"]
        == "dispatched"
    )
    world.release_guard(guard_id, START + 4 * 3600 + 900)
    run_day(world, start=START + 4 * 3600 + 904, span_s=900)
    assert (
        world.snapshot(START + 4 * 3600 + 1804)
        .set_index("guard_id")
        .loc[guard_id, "distance_to_post_m"]
        < 1.0
    )


def test_wire_formats_decode_to_the_same_fix(data):
    world = GuardWorld(data, tz=TZ, seed=2)
    fixes = run_day(world, span_s=3 * 3600, start=START + 3 * 3600)  # day shift, patrols
    guard_id = str(world.guard_ids[0])
    world.trigger_sos(guard_id)
    sos = []
    for now in np.arange(START + 6 * 3600, START + 7 * 3600, STEP_S):
        sos = [f for f in world.step(float(now)) if f.guard_id == guard_id]
        if sos:
            break
    assert sos[0].alarm == "sos"
    assert decode_osmand(osmand_params(sos[0]), {}, None, now=sos[0].ts).alarm == "sos"
    assert decode_batch([batch_item(sos[0])]).fixes[0][1].alarm == "sos"

    sample = SimFix(**fixes[fixes["speed_mps"] > 1.0].iloc[0].to_dict())
    osm = decode_osmand(osmand_params(sample), {}, None, now=sample.ts)
    assert osm.device_id == sample.device_id
    assert osm.speed_mps == pytest.approx(sample.speed_mps, abs=0.01)  # sent in knots
    assert osm.heading_deg == pytest.approx(sample.heading_deg, abs=0.1)
    assert osm.lat == pytest.approx(sample.lat, abs=1e-6) and osm.ts == int(sample.ts)
    batch = decode_batch([batch_item(sample)])
    assert not batch.rejected
    got = batch.fixes[0][1]
    assert got.speed_mps == pytest.approx(sample.speed_mps, abs=0.01)
    assert got.accuracy_m == pytest.approx(sample.accuracy_m, abs=0.1)


# --------------------------------------------------------------------------- live server


@pytest.fixture
def live_server(settings, redis_handle, clean_engine, pilot):
    """The real app (Redis, SQL, API) served over HTTP on a free port, wall clock."""
    from werkzeug.serving import make_server

    from shouwang.runtime.app import build_context, create_app

    ctx = build_context(settings, redis_handle=redis_handle, engine=clean_engine, dataset=pilot)
    server = make_server("127.0.0.1", 0, create_app(ctx), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", ctx
    server.shutdown()
    thread.join(5)
    ctx.close()
    ctx.store.wipe()


def test_simulator_gives_every_pilot_guard_a_live_position_over_http(live_server, pilot):
    import requests

    url, ctx = live_server
    sim = Simulator(url, pilot, speedup=20.0, seed=7, tz=TZ)
    runner = threading.Thread(target=sim.run, daemon=True)
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(1.0)
            body = requests.get(f"{url}/api/v1/guards", timeout=5).json()
            with_fix = [f for f in body["features"] if f["geometry"] is not None]
            if len(with_fix) == len(pilot.guards) and sim.stats.sent > 400:
                break
        first = {f["id"]: f["geometry"]["coordinates"] for f in with_fix}
        later: dict = {}

        def moved_guards() -> list[str]:
            later.update(requests.get(f"{url}/api/v1/guards", timeout=5).json())
            return [
                f["id"]
                for f in later["features"]
                if f["geometry"]
                and haversine_m(
                    f["geometry"]["coordinates"][1],
                    f["geometry"]["coordinates"][0],
                    first[f["id"]][1],
                    first[f["id"]][0],
                )
                > 5
            ]

        deadline = time.monotonic() + 20  # poll: more than 20 guards walk 5 m
        while len(moved := moved_guards()) <= 20 and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        started = time.monotonic()
        sim.stop()
        assert time.monotonic() - started < 3.0
        runner.join(3)
    assert not runner.is_alive()
    assert len(first) == len(pilot.guards)  # ALL guards have a live position
    assert len(moved) > 20, f"only {len(moved)} guards moved more than 5 m in 20 s"
    stats = sim.stats
    assert stats.accepted > 0.9 * stats.sent and stats.failed == 0
    # Both wire formats reached the server.
    sources = {f["properties"]["source"] for f in later["features"]}
    assert {"osmand", "batch"} <= sources
    counts = ctx.store.rejection_counts()
    assert counts.get("too_fast", 0) == 0
    assert sim.status_line().endswith("(speedup 20x)")


def test_a_dead_server_is_survived_logged_and_stop_is_prompt(data, caplog):
    import socket
    from concurrent.futures import ThreadPoolExecutor

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sim = Simulator(url, data, tz=TZ)
    assert not sim.wait_for_server(timeout_s=1.0)
    fixes = []
    for now in np.arange(START, START + 12, 1.0):
        fixes.extend(sim.step(float(now)))
    assert len({f.guard_id for f in fixes}) == len(data.guards)
    with ThreadPoolExecutor(2) as pool:
        sim._route(fixes, pool)
    sim._flush_batch()
    by_batch = sum(f.transport == "batch" for f in fixes)
    assert sim.stats.sent == 0 and sim.stats.failed + sim.stats.unsent == len(fixes) - by_batch
    assert len(sim._pending) == by_batch  # kept for when the server is back
    assert any(r.levelname == "WARNING" and "failed" in r.getMessage() for r in caplog.records)
    runner = threading.Thread(target=sim.run, daemon=True)
    runner.start()
    time.sleep(1.5)
    started = time.monotonic()
    sim.stop()
    runner.join(3)
    assert time.monotonic() - started < 3.0 and not runner.is_alive()
