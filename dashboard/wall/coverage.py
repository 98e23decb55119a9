"""The wall's coverage column: share of each zone within 300 m of a guard on duty.

Recomputed server-side every ``every_s`` (30 s) by a background job, never in
a request: the wall reads the last result. The geo engine's
``geo.coverage.zone_coverage`` is used when it is installed; without it the
job reports ``available = False`` and the wall leaves the column out.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable

import geopandas as gpd
import pandas as pd

from shouwang.jobs import ThreadJob

RADIUS_M = 300.0


def _engine():
    """``(zone_coverage, build_coverage_grid, default_grid_m)`` or None when absent."""
    try:
        coverage = importlib.import_module("geo.coverage")
        grid = importlib.import_module("geo.coverage_grid")
        return coverage.zone_coverage, grid.build_coverage_grid, grid.default_grid_m
    except (ImportError, AttributeError):
        return None


class ZoneCoverageJob(ThreadJob):
    """Keeps the latest straight-line coverage % per zone.

    Parameters
    ----------
    zones
        The joint-defence zones (``zone_id`` + polygons).
    states
        Returns the current guard states (``LiveStore.states`` columns).
    radius_m
        Reach of a guard, straight line.
    every_s
        Recompute period.
    """

    name = "wall-coverage"

    def __init__(
        self,
        zones: gpd.GeoDataFrame,
        states: Callable[[], pd.DataFrame],
        *,
        radius_m: float = RADIUS_M,
        every_s: float = 30.0,
    ) -> None:
        super().__init__()
        self.zones = zones
        self.states = states
        self.radius_m = radius_m
        self.every_s = every_s
        self._engine = _engine()
        self._grid = None
        self._latest: dict[str, float] | None = None
        self.computed_at: float | None = None
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        """Whether the geo engine offers zone coverage."""
        return self._engine is not None

    def latest(self) -> dict[str, float] | None:
        """zone_id → covered % of the last run (None before the first one)."""
        with self._lock:
            return None if self._latest is None else dict(self._latest)

    def compute(self) -> dict[str, float] | None:
        """Recompute now from the current states; returns and keeps the result."""
        if self._engine is None:
            return None
        zone_coverage, build_grid, default_grid_m = self._engine
        if self._grid is None:  # the zones do not change: rasterise them once
            area_m2 = self.zones.to_crs(self.zones.estimate_utm_crs()).area.min()
            self._grid = build_grid(self.zones, default_grid_m(self.radius_m, area_m2))
        result = zone_coverage(
            self.zones,
            self.states(),
            radius_m=self.radius_m,
            method="grid",
            grid=self._grid,
            with_gaps=False,
        )
        table = result.zones
        latest = dict(
            zip(table["zone_id"].astype(str), table["covered_pct"].astype(float), strict=True)
        )
        with self._lock:
            self._latest, self.computed_at = latest, time.time()
        return latest

    def start(self) -> None:
        if self._engine is not None:  # nothing to compute without the geo engine
            super().start()

    def _run(self) -> None:
        while True:
            with self._round("wall coverage"):  # the column shows the last good figures meanwhile
                self.compute()
            if self._stop.wait(self.every_s):
                return
