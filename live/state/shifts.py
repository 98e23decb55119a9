"""Duty from shift patterns.

Shift patterns of the guard list:

- ``day``: 08:00–20:00 local time, every day;
- ``night``: 20:00–08:00 local time, every day;
- ``rotating``: day shift and night shift on alternate dates (a night shift
  belongs to the date it starts on). Half of the rotating guards start on
  even dates, half on odd ones (by ``rotation_offset``), so a unit keeps
  cover on both shifts.

A dispatcher can override duty per guard (see ``LiveStore.set_duty_override``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from shouwang.vocab import Shift

DAY_START_H = 8
NIGHT_START_H = 20
SHIFTS: tuple[str, ...] = tuple(s.value for s in Shift)


def rotation_offset(guard_id: str) -> int:
    """0 or 1: which dates a rotating guard works days. Stable per guard id."""
    digits = "".join(ch for ch in guard_id if ch.isdigit())
    return int(digits) % 2 if digits else sum(map(ord, guard_id)) % 2


def on_duty(
    shifts: npt.ArrayLike, offsets: npt.ArrayLike, now_ts: float, tz: str
) -> npt.NDArray[np.bool_]:
    """Whether each guard is on shift at ``now_ts``.

    Parameters
    ----------
    shifts
        Array of ``day``/``night``/``rotating``.
    offsets
        Array of 0/1 from :func:`rotation_offset`.
    now_ts
        Epoch seconds.
    tz
        IANA time zone of the station.

    Returns
    -------
    numpy.ndarray of bool
    """
    local = datetime.fromtimestamp(now_ts, ZoneInfo(tz))
    daytime = DAY_START_H <= local.hour < NIGHT_START_H
    # A night shift that started yesterday evening runs until 08:00 today.
    shift_date = local.date() if local.hour >= DAY_START_H else local.date() - timedelta(days=1)
    parity = shift_date.toordinal() % 2
    kind = np.asarray(shifts)
    rotating_day = (np.asarray(offsets) + parity) % 2 == 0
    rotating = kind == Shift.ROTATING.value
    works_day: npt.NDArray[np.bool_] = (kind == Shift.DAY.value) | (rotating & rotating_day)
    works_night: npt.NDArray[np.bool_] = (kind == Shift.NIGHT.value) | (rotating & ~rotating_day)
    return works_day if daytime else works_night


def shift_window(shift: str, offset: int, now_ts: float, tz: str) -> tuple[float, float] | None:
    """Start and end (epoch s) of the guard's current shift, or None when off shift."""
    if not on_duty(np.array([shift]), np.array([offset]), now_ts, tz)[0]:
        return None
    zone = ZoneInfo(tz)
    local = datetime.fromtimestamp(now_ts, zone)
    if DAY_START_H <= local.hour < NIGHT_START_H:
        start = local.replace(hour=DAY_START_H, minute=0, second=0, microsecond=0)
        return start.timestamp(), (start + timedelta(hours=12)).timestamp()
    day = local.date() if local.hour >= NIGHT_START_H else local.date() - timedelta(days=1)
    start = datetime(day.year, day.month, day.day, NIGHT_START_H, tzinfo=zone)
    return start.timestamp(), (start + timedelta(hours=12)).timestamp()
