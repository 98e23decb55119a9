"""Shift patterns → on duty."""

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from live.state.shifts import on_duty, rotation_offset, shift_window

TZ = "Asia/Shanghai"


def at(y, mo, d, h, mi=0) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(TZ)).timestamp()


def test_day_and_night_shifts():
    shifts = np.array(["day", "night"])
    offsets = np.zeros(2, dtype=int)
    assert on_duty(shifts, offsets, at(2026, 11, 21, 8, 0), TZ).tolist() == [True, False]
    assert on_duty(shifts, offsets, at(2026, 11, 21, 19, 59), TZ).tolist() == [True, False]
    assert on_duty(shifts, offsets, at(2026, 11, 21, 20, 0), TZ).tolist() == [False, True]
    assert on_duty(shifts, offsets, at(2026, 11, 22, 7, 59), TZ).tolist() == [False, True]


def test_rotating_guards_alternate_and_cover_both_shifts():
    shifts = np.array(["rotating", "rotating"])
    offsets = np.array([0, 1])
    for day in range(20, 24):
        noon = on_duty(shifts, offsets, at(2026, 11, day, 12), TZ)
        night = on_duty(shifts, offsets, at(2026, 11, day, 23), TZ)
        early = on_duty(shifts, offsets, at(2026, 11, day + 1, 3), TZ)
        assert noon.sum() == 1 and night.sum() == 1  # one on each shift
        assert (noon != night).all()  # the day worker rests at night
        assert (night == early).all()  # a night shift runs past midnight


def test_rotation_offset_is_stable_and_split():
    offsets = [rotation_offset(f"G{i:03d}") for i in range(1, 101)]
    assert offsets == [rotation_offset(f"G{i:03d}") for i in range(1, 101)]
    assert 40 <= sum(offsets) <= 60


def test_shift_window():
    start, end = shift_window("night", 0, at(2026, 11, 22, 3), TZ)
    assert start == at(2026, 11, 21, 20) and end == at(2026, 11, 22, 8)
    assert shift_window("day", 0, at(2026, 11, 22, 3), TZ) is None
