"""The geo engine bound to one station's data set.

``geo/`` is pure; this class holds what is built once per process (the
walking street graph, the coverage grid) and turns live guard states from the
store into the frames the geo functions take. The API and the pages call it
with the states they read, so it never touches Redis itself.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from geo.coverage import coverage_if_removed, coverage_to_geojson, zone_coverage
from geo.heat import heat_layer
from geo.nearest import nearest_guards, nearest_to_geojson
from geo.network import build_street_graph
from live.state.shifts import on_duty, rotation_offset
from shouwang.dataset import Dataset
from shouwang.i18n import label
from shouwang.vocab import PREVENTABLE_KINDS, GuardStatus

GUARD_COLUMNS = ["guard_id", "name", "unit_id", "zone_id", "lon", "lat", "status", "on_duty",
                 "mobility"]  # fmt: skip


class GeoService:
    """Nearest guards, coverage and heat for the loaded data set.

    Parameters
    ----------
    dataset
        The station's :class:`shouwang.dataset.Dataset`.
    walk_speed_mps, ebike_speed_mps
        Street speeds of guards on foot and on e-bikes.
    tz
        Station time zone (planned coverage at a time of day).
    coverage_ttl_s
        How long a live coverage answer is reused (the wall asks often).
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        walk_speed_mps: float = 1.4,
        ebike_speed_mps: float = 4.0,
        tz: str = "Asia/Shanghai",
        coverage_ttl_s: float = 10.0,
    ) -> None:
        self.dataset = dataset
        self.walk_speed_mps = walk_speed_mps
        self.ebike_speed_mps = ebike_speed_mps
        self.tz = tz
        self.coverage_ttl_s = coverage_ttl_s
        self.graph = (
            build_street_graph(dataset.streets, dataset.gates, dataset.units)
            if len(dataset.streets)
            else None
        )
        self._cache: dict[tuple[object, ...], tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    # -- guard frames ---------------------------------------------------------
    @staticmethod
    def live_guards(states: pd.DataFrame) -> pd.DataFrame:
        """Guards with a live position, in the columns the geo functions take."""
        frame = states.loc[states["lon"].notna(), GUARD_COLUMNS].copy()
        return frame.reset_index(drop=True)

    def planned_guards(self, at_local: datetime) -> pd.DataFrame:
        """Guards on shift at ``at_local``, standing at their posts (planned cover)."""
        g = self.dataset.guards
        offsets = np.array([rotation_offset(str(x)) for x in g["guard_id"]])
        duty = on_duty(g["shift"].to_numpy(), offsets, at_local.timestamp(), self.tz)
        frame = pd.DataFrame(
            {
                "guard_id": g["guard_id"].astype(str),
                "name": g["name"],
                "unit_id": g["unit_id"],
                "zone_id": g["zone_id"],
                "lon": g["post_lon"].astype(float),
                "lat": g["post_lat"].astype(float),
                "on_duty": duty,
                "status": np.where(duty, GuardStatus.ON_POST.value, GuardStatus.OFF_DUTY.value),
                "mobility": g["mobility"],
            }
        )
        return frame.reset_index(drop=True)

    def local_time_today(self, hh_mm: str, now: float) -> datetime:
        """Today's (station time) datetime at ``HH:MM``; raises ValueError."""
        hour, minute = (int(part) for part in hh_mm.split(":", 1))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError("must be HH:MM between 00:00 and 23:59")
        today = datetime.fromtimestamp(now, ZoneInfo(self.tz))
        midnight = today.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight + timedelta(hours=hour, minutes=minute)

    # -- the three questions -------------------------------------------------
    def nearest(
        self,
        guards: pd.DataFrame,
        lon: float,
        lat: float,
        *,
        k: int = 5,
        mode: Literal["walk", "line"] = "walk",
        max_eta_s: float | None = None,
        zone_first: bool = False,
        with_coverage_radius_m: float | None = None,
    ) -> dict[str, Any]:
        """Ranked candidates as GeoJSON (paths included).

        With ``with_coverage_radius_m``, each candidate also carries the
        coverage his zone keeps if he leaves (``covered_pct_without``).
        """
        result = nearest_guards(
            lon, lat, guards, k=k, mode=mode, max_eta_s=max_eta_s, zone_first=zone_first,
            zones=self.dataset.zones, units=self.dataset.units,
            graph=self.graph if mode == "walk" else None,
            walk_speed_mps=self.walk_speed_mps, ebike_speed_mps=self.ebike_speed_mps,
        )  # fmt: skip
        body = nearest_to_geojson(result)
        if with_coverage_radius_m and body["features"]:
            ids = [f["id"] for f in body["features"]]
            kept = coverage_if_removed(
                self.dataset.zones, guards, ids, radius_m=with_coverage_radius_m, method="grid"
            )
            home = kept[kept["home_zone"]] if "home_zone" in kept else kept
            by_guard = home.drop_duplicates("guard_id").set_index("guard_id")
            for f in body["features"]:
                if f["id"] in by_guard.index:
                    row = by_guard.loc[f["id"]]
                    f["properties"]["coverage"] = {
                        "zone_id": row["zone_id"],
                        "covered_pct_now": round(float(row["covered_pct_now"]), 1),
                        "covered_pct_without": round(float(row["covered_pct_without"]), 1),
                        "loss_pp": round(float(row["loss_pp"]), 1),
                    }
        return body

    def coverage(
        self,
        guards: pd.DataFrame,
        *,
        radius_m: float | None = None,
        walk_s: float | None = None,
        method: Literal["exact", "grid"] = "exact",
        cache_key: object = None,
    ) -> dict[str, Any]:
        """Per-zone coverage and gap polygons as GeoJSON; cached briefly by ``cache_key``."""
        key = (cache_key, radius_m, walk_s, method)
        now = time.monotonic()
        if cache_key is not None:
            with self._lock:
                hit = self._cache.get(key)
            if hit and now - hit[0] < self.coverage_ttl_s:
                return hit[1]
        result = zone_coverage(
            self.dataset.zones, guards, radius_m=radius_m, walk_s=walk_s, method=method,
            graph=self.graph if walk_s is not None else None,
            walk_speed_mps=self.walk_speed_mps,
        )  # fmt: skip
        body = coverage_to_geojson(result)
        if cache_key is not None:
            with self._lock:
                self._cache[key] = (now, body)
        return body

    def heat(self, **query: Any) -> dict[str, Any]:
        """Heat layer of the historical and recorded incidents (see ``geo.heat.heat_layer``).

        Hours of day and naive times are in the station's time zone; the
        answer names the kinds in zh-CN (``kind_labels``).
        """
        ds = self.dataset
        body = heat_layer(ds.incidents, ds.zones, ds.units, tz=self.tz, **query)
        body["kind_labels"] = {k.value: label(k, "zh") for k in PREVENTABLE_KINDS}
        return body
