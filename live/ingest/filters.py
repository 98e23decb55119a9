"""Bad-fix filters: decide, for each decoded fix, whether it becomes a guard's live position.

Checks, in this order (the first that fails gives the verdict):

1. ``out_of_range``: lat outside [-90, 90], lon outside [-180, 180], or a non-finite
   lat/lon/ts. The decoders already refuse these; the filter guards fixes made elsewhere
   (simulator, replays).
2. ``null_island``: lat and lon both within 1e-5 degrees (about 1 m) of 0, what phones
   send when they have no position (only when ``reject_null_island``).
3. ``future``: ts more than ``max_future_s`` after the server's ``now`` (a wrong clock).
4. ``inaccurate``: a reported ``accuracy_m`` above ``max_accuracy_m`` (no accuracy reported
   passes: most fixes without it come from GPS-only trackers).
5. ``history_only``: older than the device's latest accepted fix. It is kept for the
   history, but must not move the guard back on the live map.
6. ``too_fast``: the implied speed from the latest accepted fix, haversine distance less
   the new fix's own reported accuracy (GPS jitter allowance) over the time between them,
   is above ``max_speed_mps``. The time is counted as at least 1 s, so a jump at the same
   second is too fast while a duplicate (same place, same time) is not.
7. ``live``: the new live position.

Several fixes of one device in one request (a phone that was offline sends its backlog)
are judged in time order, each against the latest fix accepted before it, whether stored
or earlier in the same request.

Checks 1-4 are numpy expressions over the whole request. Checks 5-6 depend on which
earlier fix was accepted, so they walk each device's fixes in time order; the distances
they need are computed beforehand as arrays, one per device.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from geo.distance import haversine_m
from live.fixes import Fix, PreviousFix

#: Half-width of the "no position" box around (0, 0), degrees.
NULL_ISLAND_DEG = 1e-5
#: Shortest time step used for the implied speed, seconds (phone clocks tick in seconds).
MIN_STEP_S = 1.0


@dataclass(frozen=True)
class FilterSettings:
    """Thresholds of the bad-fix filters (settings ``FILTER_*``)."""

    max_future_s: float = 300.0
    max_accuracy_m: float = 100.0
    max_speed_mps: float = 15.0
    reject_null_island: bool = True


class Verdict(StrEnum):
    """What to do with one fix."""

    LIVE = "live"
    HISTORY_ONLY = "history_only"
    REJECT_OUT_OF_RANGE = "out_of_range"
    REJECT_NULL_ISLAND = "null_island"
    REJECT_FUTURE = "future"
    REJECT_INACCURATE = "inaccurate"
    REJECT_TOO_FAST = "too_fast"


def _static_verdicts(
    lat: np.ndarray,
    lon: np.ndarray,
    ts: np.ndarray,
    acc: np.ndarray,
    now: float,
    settings: FilterSettings,
) -> np.ndarray:
    """Checks 1-4 for every fix at once; "" where the fix passes them all."""
    with np.errstate(invalid="ignore"):
        out_of_range = ~(
            np.isfinite(lat)
            & np.isfinite(lon)
            & np.isfinite(ts)
            & (np.abs(lat) <= 90.0)
            & (np.abs(lon) <= 180.0)
        )
        null_island = (np.abs(lat) <= NULL_ISLAND_DEG) & (np.abs(lon) <= NULL_ISLAND_DEG)
        if not settings.reject_null_island:
            null_island[:] = False
        future = ts > now + settings.max_future_s
        # NaN accuracy means "not reported" and compares False: such fixes pass.
        inaccurate = acc > settings.max_accuracy_m
    return np.select(
        [out_of_range, null_island, future, inaccurate],
        [
            Verdict.REJECT_OUT_OF_RANGE.value,
            Verdict.REJECT_NULL_ISLAND.value,
            Verdict.REJECT_FUTURE.value,
            Verdict.REJECT_INACCURATE.value,
        ],
        default="",
    ).astype(object)


def judge(
    fixes: Sequence[Fix],
    previous: Sequence[PreviousFix | None],
    now: float,
    settings: FilterSettings,
) -> list[Verdict]:
    """Give each fix its verdict (see the module docstring for the checks and their order).

    Parameters
    ----------
    fixes : sequence of Fix
        Decoded fixes, any devices, any order.
    previous : sequence of PreviousFix or None
        ``previous[i]`` is the latest accepted fix stored for ``fixes[i].device_id`` before
        this request, or None if the device has none. Entries for fixes of one device
        should agree; if they do not, the newest of them is used.
    now : float
        Server time, epoch seconds.
    settings : FilterSettings
        Thresholds.

    Returns
    -------
    list of Verdict
        One verdict per fix, in the order of ``fixes``.
    """
    n = len(fixes)
    if len(previous) != n:
        raise ValueError(f"previous has {len(previous)} entries for {n} fixes")
    if n == 0:
        return []

    lat = np.fromiter((f.lat for f in fixes), dtype=float, count=n)
    lon = np.fromiter((f.lon for f in fixes), dtype=float, count=n)
    ts = np.fromiter((f.ts for f in fixes), dtype=float, count=n)
    acc = np.fromiter(
        (np.nan if f.accuracy_m is None else f.accuracy_m for f in fixes), dtype=float, count=n
    )
    verdicts = _static_verdicts(lat, lon, ts, acc, now, settings)

    # The stored previous fix per device: the newest entry given for that device.
    device_codes, device_index = np.unique(
        np.array([f.device_id for f in fixes], dtype=object).astype(str), return_inverse=True
    )
    prev_ts = np.full(len(device_codes), np.nan)
    prev_lat = np.full(len(device_codes), np.nan)
    prev_lon = np.full(len(device_codes), np.nan)
    for i, prev in enumerate(previous):
        if prev is not None:
            code = device_index[i]
            if not prev_ts[code] >= prev.ts:  # NaN (none yet) or older: take this one
                prev_ts[code], prev_lat[code], prev_lon[code] = prev.ts, prev.lat, prev.lon

    # Only fixes that passed checks 1-4 take part in the ordering and speed checks.
    candidates = np.flatnonzero(verdicts == "")
    # Walk order: by device, then time, then position in the request (stable).
    order = candidates[np.lexsort((candidates, ts[candidates], device_index[candidates]))]
    # Split the walk order into runs of one device.
    groups = np.split(order, np.flatnonzero(np.diff(device_index[order])) + 1)
    allowance = np.nan_to_num(acc, nan=0.0)
    max_speed = settings.max_speed_mps

    for group in groups:
        if group.size == 0:
            continue
        code = device_index[group[0]]
        g_lat, g_lon, g_ts = lat[group], lon[group], ts[group]
        # Distances from the stored previous fix, and between every two fixes of the group:
        # the walk below only looks these up.
        from_stored = haversine_m(prev_lat[code], prev_lon[code], g_lat, g_lon)
        between = haversine_m(g_lat[:, None], g_lon[:, None], g_lat[None, :], g_lon[None, :])
        moved_stored = np.maximum(from_stored - allowance[group], 0.0)
        moved_between = np.maximum(between - allowance[group][None, :], 0.0)

        last = -1  # index in the group of the latest accepted fix; -1 means the stored one
        last_ts = prev_ts[code]  # NaN when the device has no stored fix
        for k in range(group.size):
            if np.isnan(last_ts):
                verdict = Verdict.LIVE
            elif g_ts[k] < last_ts:
                verdict = Verdict.HISTORY_ONLY
            else:
                moved = moved_stored[k] if last < 0 else moved_between[last, k]
                step = max(g_ts[k] - last_ts, MIN_STEP_S)
                verdict = Verdict.REJECT_TOO_FAST if moved / step > max_speed else Verdict.LIVE
            verdicts[group[k]] = verdict.value
            if verdict is Verdict.LIVE:
                last, last_ts = k, g_ts[k]

    return [Verdict(v) for v in verdicts]
