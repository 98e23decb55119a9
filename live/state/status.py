"""Guard status rules: what the map shows for each guard, from his live state.

Pure and vectorised over all guards; the store reads Redis and calls
:func:`derive_status`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.distance import haversine_m
from shouwang.vocab import GuardStatus

__all__ = ["GuardStatus", "derive_status"]


def derive_status(
    states: pd.DataFrame, *, post_radius_m: float, signal_lost_after_s: float
) -> pd.Series:
    """Status of each guard, by precedence.

    1. ``off_duty``: not on shift (whatever his phone says);
    2. ``signal_lost``: on duty and no fix for ``signal_lost_after_s`` (or never);
    3. ``dispatched``: sent to an incident (``incident_id`` set);
    4. ``on_post``: within ``post_radius_m`` of his post;
    5. ``patrolling``: on duty elsewhere.

    Parameters
    ----------
    states
        Columns on_duty, last_fix_at, age_s, lon, lat, post_lon, post_lat, incident_id.
    """
    off_post_m = haversine_m(states["lat"], states["lon"], states["post_lat"], states["post_lon"])
    status = np.where(off_post_m <= post_radius_m, GuardStatus.ON_POST, GuardStatus.PATROLLING)
    status = np.where(states["incident_id"].notna(), GuardStatus.DISPATCHED, status)
    stale = states["last_fix_at"].isna() | (states["age_s"] > signal_lost_after_s)
    status = np.where(stale, GuardStatus.SIGNAL_LOST, status)
    status = np.where(~states["on_duty"].astype(bool), GuardStatus.OFF_DUTY, status)
    return pd.Series(status, index=states.index).astype(str)
