"""Bad-fix filters: each verdict, a phone's backlog in one batch, and a scalar reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.distance import EARTH_RADIUS_M, haversine_m
from live.fixes import Fix
from live.ingest.filters import (
    FilterSettings,
    PreviousFix,
    Verdict,
    judge,
)

NOW = 1_700_000_000.0
BASE_LAT, BASE_LON = 33.78, 118.38
DEFAULT = FilterSettings()
#: Metres per degree of latitude on the filter's sphere.
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0


def north(metres: float) -> float:
    """Latitude ``metres`` north of the base point."""
    return BASE_LAT + metres / M_PER_DEG


def fix(ts=NOW, lat=BASE_LAT, lon=BASE_LON, device="G001", accuracy=None) -> Fix:
    return Fix(device_id=device, lat=lat, lon=lon, ts=ts, accuracy_m=accuracy)


def one(f: Fix, prev: PreviousFix | None = None, settings_: FilterSettings = DEFAULT) -> Verdict:
    return judge([f], [prev], NOW, settings_)[0]


# --------------------------------------------------------------------------- haversine


def test_haversine_known_distances():
    assert haversine_m(0, 0, 1, 0) == pytest.approx(M_PER_DEG)
    assert haversine_m(0, 0, 0, 1) == pytest.approx(M_PER_DEG)
    assert haversine_m(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_M)
    assert haversine_m(90, 0, -90, 0) == pytest.approx(math.pi * EARTH_RADIUS_M)
    assert haversine_m(BASE_LAT, BASE_LON, BASE_LAT, BASE_LON) == 0.0
    # 1 degree of longitude at 60 N is about half of one at the equator.
    assert haversine_m(60, 10, 60, 11) == pytest.approx(M_PER_DEG / 2, rel=2e-3)


def test_haversine_broadcasts():
    lats = np.array([0.0, 1.0, 2.0])
    out = haversine_m(0.0, 0.0, lats[:, None], np.zeros((1, 4)))
    assert out.shape == (3, 4)
    assert np.allclose(out[:, 0], lats * M_PER_DEG)


# --------------------------------------------------------------------------- each verdict


def test_first_fix_of_a_device_is_live():
    assert one(fix()) is Verdict.LIVE


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (90.5, BASE_LON),
        (-91, BASE_LON),
        (BASE_LAT, 180.01),
        (math.nan, BASE_LON),
        (BASE_LAT, math.inf),
    ],
)
def test_out_of_range(lat, lon):
    assert one(fix(lat=lat, lon=lon)) is Verdict.REJECT_OUT_OF_RANGE


def test_non_finite_time_is_out_of_range():
    assert one(fix(ts=math.nan)) is Verdict.REJECT_OUT_OF_RANGE


def test_null_island():
    assert one(fix(lat=0.0, lon=0.0)) is Verdict.REJECT_NULL_ISLAND
    assert one(fix(lat=0.000001, lon=-0.000001)) is Verdict.REJECT_NULL_ISLAND
    assert one(fix(lat=0.0, lon=0.01)) is Verdict.LIVE  # on the equator, not at (0, 0)
    allow = FilterSettings(reject_null_island=False)
    assert one(fix(lat=0.0, lon=0.0), settings_=allow) is Verdict.LIVE


def test_future():
    assert one(fix(ts=NOW + 300)) is Verdict.LIVE
    assert one(fix(ts=NOW + 301)) is Verdict.REJECT_FUTURE
    assert one(fix(ts=NOW + 301), settings_=FilterSettings(max_future_s=600)) is Verdict.LIVE


def test_inaccurate():
    assert one(fix(accuracy=100.0)) is Verdict.LIVE
    assert one(fix(accuracy=100.5)) is Verdict.REJECT_INACCURATE
    assert one(fix(accuracy=None)) is Verdict.LIVE
    assert one(fix(accuracy=150), settings_=FilterSettings(max_accuracy_m=200)) is Verdict.LIVE


def test_history_only_when_older_than_latest():
    prev = PreviousFix(ts=NOW - 60, lat=BASE_LAT, lon=BASE_LON)
    assert one(fix(ts=NOW - 61), prev) is Verdict.HISTORY_ONLY
    # Older fixes are not speed-checked against the newer latest fix.
    assert one(fix(ts=NOW - 3600, lat=north(50_000)), prev) is Verdict.HISTORY_ONLY


def test_too_fast_and_plausible_speed():
    prev = PreviousFix(ts=NOW - 100, lat=BASE_LAT, lon=BASE_LON)
    assert one(fix(lat=north(1000)), prev) is Verdict.LIVE  # 10 m/s, an e-bike
    assert one(fix(lat=north(1600)), prev) is Verdict.REJECT_TOO_FAST  # 16 m/s
    fast = FilterSettings(max_speed_mps=20.0)
    assert one(fix(lat=north(1600)), prev, fast) is Verdict.LIVE


def test_same_time_with_movement_is_too_fast_but_a_duplicate_is_fine():
    prev = PreviousFix(ts=NOW, lat=BASE_LAT, lon=BASE_LON)
    assert one(fix(), prev) is Verdict.LIVE
    assert one(fix(lat=north(200)), prev) is Verdict.REJECT_TOO_FAST
    # Less than a second apart counts as a second: 10 m in 0.2 s is a walk, not 50 m/s.
    prev = PreviousFix(ts=NOW - 0.2, lat=BASE_LAT, lon=BASE_LON)
    assert one(fix(lat=north(10)), prev) is Verdict.LIVE


def test_reported_accuracy_allows_for_jitter():
    prev = PreviousFix(ts=NOW - 1, lat=BASE_LAT, lon=BASE_LON)
    assert one(fix(lat=north(30)), prev) is Verdict.REJECT_TOO_FAST  # 30 m/s
    assert one(fix(lat=north(30), accuracy=20), prev) is Verdict.LIVE  # (30 - 20) m / 1 s


def test_static_checks_come_first():
    prev = PreviousFix(ts=NOW - 10, lat=BASE_LAT, lon=BASE_LON)
    # Old AND inaccurate: inaccurate. Future AND too fast: future.
    assert one(fix(ts=NOW - 20, accuracy=500), prev) is Verdict.REJECT_INACCURATE
    assert one(fix(ts=NOW + 900, lat=north(90_000)), prev) is Verdict.REJECT_FUTURE


# --------------------------------------------------------------------------- batches


def test_backlog_of_one_device_is_judged_in_time_order():
    prev = PreviousFix(ts=NOW - 200, lat=BASE_LAT, lon=BASE_LON)
    t0 = NOW - 200
    fixes = [
        fix(ts=t0 + 120, lat=north(600)),  # C: 300 m in 60 s after A -> live
        fix(ts=t0 + 60, lat=north(300)),  # A: 300 m in 60 s -> live
        fix(ts=t0 + 90, lat=north(20_000)),  # B: 19.7 km in 30 s -> too fast
        fix(ts=t0 - 30, lat=BASE_LAT),  # E: older than the stored fix -> history
        fix(ts=t0 + 180, lat=north(900)),  # D: 300 m in 60 s after C -> live
        fix(ts=t0 + 180, lat=north(900), accuracy=250),  # inaccurate, whatever else
    ]
    verdicts = judge(fixes, [prev] * len(fixes), NOW, DEFAULT)
    assert verdicts == [
        Verdict.LIVE,
        Verdict.LIVE,
        Verdict.REJECT_TOO_FAST,
        Verdict.HISTORY_ONLY,
        Verdict.LIVE,
        Verdict.REJECT_INACCURATE,
    ]
    # C is judged against A, the latest *accepted* fix, not against the rejected B (from
    # which it would be too fast) nor the stored fix (600 m in 120 s is fine either way).
    only_b_then_c = judge([fixes[2], fixes[0]], [prev, prev], NOW, DEFAULT)
    assert only_b_then_c == [Verdict.REJECT_TOO_FAST, Verdict.LIVE]


def test_backlog_without_stored_fix_starts_from_its_oldest_fix():
    fixes = [fix(ts=NOW - 10, lat=north(5000)), fix(ts=NOW - 70), fix(ts=NOW - 40, lat=north(300))]
    assert judge(fixes, [None] * 3, NOW, DEFAULT) == [
        Verdict.REJECT_TOO_FAST,  # 4.7 km in 30 s after the middle one
        Verdict.LIVE,  # the oldest: nothing to compare with
        Verdict.LIVE,  # 300 m in 30 s
    ]


def test_devices_do_not_interfere():
    prev_a = PreviousFix(ts=NOW - 60, lat=BASE_LAT, lon=BASE_LON)
    prev_b = PreviousFix(ts=NOW - 60, lat=north(10_000), lon=BASE_LON)
    fixes = [
        fix(device="A", lat=north(10_000)),  # A jumps 10 km
        fix(device="B", lat=north(10_000)),  # B stays: live
        fix(device="A", ts=NOW - 30, lat=north(100)),  # A walks: live
        fix(device="C", ts=NOW - 5),  # no stored fix: live
    ]
    previous = [prev_a, prev_b, prev_a, None]
    verdicts = judge(fixes, previous, NOW, DEFAULT)
    # A's walk (NOW-30) is judged first and accepted; the jump (NOW) is then too fast.
    assert verdicts == [Verdict.REJECT_TOO_FAST, Verdict.LIVE, Verdict.LIVE, Verdict.LIVE]


def test_disagreeing_previous_entries_use_the_newest():
    old = PreviousFix(ts=NOW - 600, lat=north(5000), lon=BASE_LON)
    new = PreviousFix(ts=NOW - 60, lat=BASE_LAT, lon=BASE_LON)
    fixes = [fix(ts=NOW - 30, lat=north(100)), fix(ts=NOW - 100)]
    assert judge(fixes, [old, new], NOW, DEFAULT) == [Verdict.LIVE, Verdict.HISTORY_ONLY]
    assert judge(fixes, [new, old], NOW, DEFAULT) == [Verdict.LIVE, Verdict.HISTORY_ONLY]


def test_empty_and_mismatched_inputs():
    assert judge([], [], NOW, DEFAULT) == []
    with pytest.raises(ValueError, match="previous has 0 entries for 1 fixes"):
        judge([fix()], [], NOW, DEFAULT)


def test_large_batch_of_one_device():
    # A phone back online after 1000 fixes at 1 Hz walking north at 1.5 m/s, one glitch.
    n = 1000
    fixes = [fix(ts=NOW - n + i, lat=north(1.5 * i), accuracy=5) for i in range(n)]
    fixes[500] = fix(ts=NOW - n + 500, lat=north(3000), accuracy=5)
    verdicts = judge(fixes, [None] * n, NOW, DEFAULT)
    assert verdicts[500] is Verdict.REJECT_TOO_FAST
    assert verdicts.count(Verdict.LIVE) == n - 1


# --------------------------------------------------------------------------- reference


def _scalar_haversine(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))


def reference_judge(fixes, previous, now, s):
    """A plain per-fix implementation of the documented rules, for comparison."""
    stored = {}
    for f, p in zip(fixes, previous, strict=True):
        if p is not None and (f.device_id not in stored or stored[f.device_id].ts < p.ts):
            stored[f.device_id] = p
    verdicts = [None] * len(fixes)
    for i, f in enumerate(fixes):
        finite = all(math.isfinite(v) for v in (f.lat, f.lon, f.ts))
        if not finite or abs(f.lat) > 90 or abs(f.lon) > 180:
            verdicts[i] = Verdict.REJECT_OUT_OF_RANGE
        elif s.reject_null_island and abs(f.lat) <= 1e-5 and abs(f.lon) <= 1e-5:
            verdicts[i] = Verdict.REJECT_NULL_ISLAND
        elif f.ts > now + s.max_future_s:
            verdicts[i] = Verdict.REJECT_FUTURE
        elif f.accuracy_m is not None and f.accuracy_m > s.max_accuracy_m:
            verdicts[i] = Verdict.REJECT_INACCURATE
    waiting = [i for i in range(len(fixes)) if verdicts[i] is None]
    latest = dict(stored)
    for i in sorted(waiting, key=lambda i: (fixes[i].device_id, fixes[i].ts, i)):
        f = fixes[i]
        ref = latest.get(f.device_id)
        if ref is None:
            verdict = Verdict.LIVE
        elif f.ts < ref.ts:
            verdict = Verdict.HISTORY_ONLY
        else:
            moved = _scalar_haversine(ref.lat, ref.lon, f.lat, f.lon) - (f.accuracy_m or 0.0)
            speed = max(moved, 0.0) / max(f.ts - ref.ts, 1.0)
            verdict = Verdict.REJECT_TOO_FAST if speed > s.max_speed_mps else Verdict.LIVE
        verdicts[i] = verdict
        if verdict is Verdict.LIVE:
            latest[f.device_id] = PreviousFix(ts=f.ts, lat=f.lat, lon=f.lon)
    return verdicts


# Coordinates mostly on a grid of about 1 m around the base (specials now and then: null
# island and near it, out of range, NaN); times within minutes of now. Implied speeds
# then land on both sides of the thresholds, and half-second time steps are common.
_steps = st.one_of(st.integers(-8, 8), st.integers(-300, 300))
_grid_lat = _steps.map(lambda k: BASE_LAT + k * 1e-5)
_grid_lon = _steps.map(lambda k: BASE_LON + k * 1e-5)
_lat = st.one_of(
    _grid_lat, _grid_lat, _grid_lat, st.sampled_from([0.0, 5e-6, 5e-4, 95.0, -90.0, math.nan])
)
_lon = st.one_of(_grid_lon, _grid_lon, _grid_lon, st.sampled_from([0.0, -5e-6, 5e-4, 181.0]))
_fix = st.builds(
    Fix,
    device_id=st.sampled_from(["A", "B", "C"]),
    lat=_lat,
    lon=_lon,
    ts=st.one_of(st.integers(-60, 20), st.integers(-1800, 800)).map(lambda d: NOW + d / 2),
    accuracy_m=st.one_of(st.none(), st.integers(0, 5).map(float), st.integers(0, 150).map(float)),
)
_prev = st.one_of(
    st.none(),
    st.builds(
        PreviousFix,
        ts=st.integers(-60, 0).map(lambda d: NOW + d / 2),
        lat=_grid_lat,
        lon=_grid_lon,
    ),
)
_settings = st.builds(
    FilterSettings,
    max_future_s=st.sampled_from([0.0, 10.0, 300.0]),
    max_accuracy_m=st.sampled_from([20.0, 100.0]),
    max_speed_mps=st.sampled_from([1.0, 5.0, 15.0]),
    reject_null_island=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(
    fixes=st.lists(_fix, max_size=25),
    stored=st.fixed_dictionaries({"A": _prev, "B": _prev, "C": _prev}),
    s=_settings,
)
def test_judge_matches_scalar_reference(fixes, stored, s):
    previous = [stored[f.device_id] for f in fixes]
    assert judge(fixes, previous, NOW, s) == reference_judge(fixes, previous, NOW, s)
