"""Incident heat: where and when preventable cases happen.

* :func:`filter_incidents` — by kind(s), time window ``[start, end)`` and
  hours of day (``22-6`` wraps midnight; local time of the station's ``tz``).
* :func:`kde_grid` — smooth density: a 2-D histogram on a local metre grid
  blurred by ``scipy.ndimage.gaussian_filter`` (binned kernel density,
  Gaussian kernel of ``bandwidth_m``), in incidents per km².
* :func:`h3_counts` / :func:`h3_geojson` — counts per H3 hexagon (res 9 by
  default: ~200 m edge, 0.1 km²) with the cell outlines.
* :func:`top_units` — the compounds with most incidents (tagged ``unit_id``,
  else the unit polygon containing the point).
* :func:`zone_breakdown` — per zone: count, share of all cases, per kind.
* :func:`heat_layer` — everything the map layer of
  ``GET /api/v1/heat?kind=&from=&to=&hours=`` needs, as a JSON-able dict
  (the caller adds the kinds' labels);
  :func:`parse_heat_query` turns the query string into its arguments.

All seven incident kinds are preventable cases (可防性案件), so "preventable
cases per zone" is the count per zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import geopandas as gpd
import h3
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from h3.api import numpy_int as h3i
from scipy.ndimage import gaussian_filter
from shapely.geometry.base import BaseGeometry

__all__ = [
    "LOCAL_TZ",
    "PREVENTABLE_KINDS",
    "HeatGrid",
    "HeatInputError",
    "filter_incidents",
    "h3_counts",
    "h3_geojson",
    "heat_layer",
    "kde_grid",
    "parse_heat_query",
    "top_units",
    "zone_breakdown",
]

#: Default station time zone; callers pass the TIMEZONE setting as ``tz``.
LOCAL_TZ = "Asia/Shanghai"
#: Plain codes (geo imports nothing of the product); a test keeps them equal to
#: ``shouwang.vocab.PREVENTABLE_KINDS``.
PREVENTABLE_KINDS = ("burglary", "theft_from_vehicle", "bike_theft", "pickpocketing", "fraud",
                     "vandalism", "other_theft")  # fmt: skip
MAX_GRID_CELLS = 4_000_000  # ~32 MB of float64; a city at 25 m cells


# What the filters accept: strings from a query, or values from Python callers.
KindsArg = str | Sequence[str] | None
TimeArg = str | datetime | pd.Timestamp | None
HoursArg = str | Sequence[int] | None
Problems = list[dict[str, str]]


class HeatInputError(ValueError):
    """Bad filter input; ``problems`` lists every problem as ``{"field", "problem"}``."""

    def __init__(self, problems: list[dict[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{p['field']}: {p['problem']}" for p in problems))


# --- filters ----------------------------------------------------------------------


def _timestamp(
    value: TimeArg, field: str, problems: Problems, tz: str = LOCAL_TZ
) -> pd.Timestamp | None:
    """A tz-aware timestamp; a naive one is read as local time (``tz``)."""
    if value is None or value == "":
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        problems.append({"field": field, "problem": f"not an ISO-8601 time: {value!r}"})
        return None
    return ts.tz_localize(tz) if ts.tzinfo is None else ts


def _hours(value: HoursArg, problems: Problems) -> tuple[int, int] | None:
    """``"22-6"`` or ``(22, 6)``: hours ``h`` with 22 <= h or h < 6."""
    if value is None or value == "":
        return None
    try:
        a, b = (int(x) for x in (value.split("-") if isinstance(value, str) else value))
    except (ValueError, TypeError):
        problems.append({"field": "hours", "problem": f"expected 'from-to' hours: {value!r}"})
        return None
    if not (0 <= a <= 23 and 0 <= b <= 24) or a == b:
        problems.append({"field": "hours", "problem": "from 0-23, to 0-24, not equal"})
        return None
    return a, b


def _kinds(value: KindsArg, problems: Problems) -> tuple[str, ...] | None:
    if value is None or value == "" or value == []:
        return None
    kinds = tuple(value.split(",") if isinstance(value, str) else value)
    unknown = [k for k in kinds if k not in PREVENTABLE_KINDS]
    if unknown:
        problems.append(
            {
                "field": "kind",
                "problem": f"unknown kinds {unknown}; one of {list(PREVENTABLE_KINDS)}",
            }
        )
    return kinds


def _occurred_at(incidents: pd.DataFrame) -> pd.Series:
    t = incidents["occurred_at"]
    if not isinstance(t.dtype, pd.DatetimeTZDtype):
        t = pd.to_datetime(t, utc=True, format="ISO8601")
    return t


def filter_incidents(
    incidents: pd.DataFrame,
    *,
    kinds: KindsArg = None,
    start: TimeArg = None,
    end: TimeArg = None,
    hours: HoursArg = None,
    tz: str = LOCAL_TZ,
) -> pd.DataFrame:
    """The incidents matching every given filter.

    Parameters
    ----------
    incidents : DataFrame
        ``kind``, ``occurred_at`` (tz-aware, or ISO-8601 strings with zone),
        ``lon``, ``lat`` (docs/design.md, ``incidents.csv``).
    kinds : str or sequence of str, optional
        ``"burglary,fraud"`` or a list; default all.
    start, end : timestamp or ISO-8601 str, optional
        Half-open window ``[start, end)``; naive times are local (``tz``).
    hours : str or (int, int), optional
        Local hours of day ``[from, to)``; ``"22-6"`` wraps midnight.
    tz : str
        The station's time zone (the TIMEZONE setting), for naive times and hours.

    Raises
    ------
    HeatInputError
        Listing every problem (unknown kinds, bad times, start ≥ end, bad hours).
    """
    problems: list[dict[str, str]] = []
    missing = [c for c in ("kind", "occurred_at", "lon", "lat") if c not in incidents.columns]
    if missing:
        problems.append({"field": "incidents", "problem": f"columns missing: {missing}"})
    kinds_t = _kinds(kinds, problems)
    t0, t1 = _timestamp(start, "from", problems, tz), _timestamp(end, "to", problems, tz)
    if t0 is not None and t1 is not None and t0 >= t1:
        problems.append({"field": "from", "problem": "must be before 'to'"})
    hrs = _hours(hours, problems)
    if problems:
        raise HeatInputError(problems)
    keep = np.ones(len(incidents), dtype=bool)
    if kinds_t is not None:
        keep &= incidents["kind"].isin(kinds_t).to_numpy()
    t = _occurred_at(incidents)
    if t0 is not None:
        keep &= (t >= t0).to_numpy()
    if t1 is not None:
        keep &= (t < t1).to_numpy()
    if hrs is not None:
        h = t.dt.tz_convert(tz).dt.hour.to_numpy()
        a, b = hrs
        keep &= ((h >= a) & (h < b)) if a < b else ((h >= a) | (h < b))
    return incidents.loc[keep]


def parse_heat_query(args: Mapping[str, str], tz: str = LOCAL_TZ) -> dict[str, Any]:
    """Arguments for :func:`heat_layer` from ``?kind=&from=&to=&hours=``.

    ``kind`` may be comma-separated; empty values mean "no filter"; naive times
    are local (``tz``). Raises :class:`HeatInputError` with every problem (the
    API's ``details``).
    """
    problems: list[dict[str, str]] = []
    kinds = _kinds(args.get("kind"), problems)
    start = _timestamp(args.get("from"), "from", problems, tz)
    end = _timestamp(args.get("to"), "to", problems, tz)
    hours = _hours(args.get("hours"), problems)
    if start is not None and end is not None and start >= end:
        problems.append({"field": "from", "problem": "must be before 'to'"})
    if problems:
        raise HeatInputError(problems)
    return {"kinds": kinds, "start": start, "end": end, "hours": hours}


# --- density ----------------------------------------------------------------------


EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class HeatGrid:
    """Smoothed incident density on a regular lon/lat-aligned metre grid.

    ``lon`` (nx,) and ``lat`` (ny,) are the cell-centre axes (ascending; a
    plotly contour/heatmap takes them as x/y), ``density_per_km2`` is
    ``(ny, nx)``. ``n_incidents`` went in, ``n_in_grid`` fell inside the grid;
    Σ density × cell area ≈ ``n_in_grid`` less the kernel tails that leave the
    grid (< 0.5 % with the default 3-bandwidth margin).
    """

    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    density_per_km2: npt.NDArray[np.float64]
    cell_m: float
    bandwidth_m: float
    n_incidents: int
    n_in_grid: int

    @property
    def cell_km2(self) -> float:
        return self.cell_m**2 / 1e6

    def points(self, min_fraction: float = 0.01) -> dict[str, list[float]]:
        """Cells above ``min_fraction`` of the peak, flat, for a Densitymap layer."""
        z = self.density_per_km2
        peak = float(z.max()) if z.size else 0.0
        keep = z > peak * min_fraction if peak > 0 else np.zeros(z.shape, dtype=bool)
        ii, jj = np.nonzero(keep)
        return {
            "lon": np.round(self.lon[jj], 6).tolist(),
            "lat": np.round(self.lat[ii], 6).tolist(),
            "z": np.round(z[keep], 3).tolist(),
        }


def kde_grid(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    bandwidth_m: float = 150.0,
    cell_m: float = 50.0,
    bounds: tuple[float, float, float, float] | None = None,
    margin_bw: float = 3.0,
) -> HeatGrid:
    """Binned Gaussian kernel density of points, in points per km².

    The metre grid is a local equirectangular projection about the centre of
    the extent (x = R·cos φ0·Δλ, y = R·Δφ): cells line up with lon/lat, so
    centres convert back with one multiply-add and no pyproj call; within
    25 km of the centre its distances are within 0.2 % of true (UTM).

    Parameters
    ----------
    lon, lat : array-like
        WGS-84 degrees.
    bandwidth_m : float
        Kernel standard deviation in metres.
    cell_m : float
        Grid cell edge (keep ≤ bandwidth / 2 for a smooth surface).
    bounds : (min_lon, min_lat, max_lon, max_lat), optional
        Grid extent before the margin (e.g. the zones' bounds, for a grid that
        does not move with the filter); default the points' bounds.
    margin_bw : float
        Margin round the extent, in bandwidths, so the kernel tails stay in.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    problems: Problems = []
    if not (bandwidth_m > 0 and cell_m > 0):
        problems.append({"field": "bandwidth_m/cell_m", "problem": "must be positive"})
    if bounds is None and not len(lon):
        problems.append({"field": "bounds", "problem": "needed when there are no points"})
    if problems:
        raise HeatInputError(problems)
    if bounds is None:
        bounds = (lon.min(), lat.min(), lon.max(), lat.max())
    lon0, lat0 = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    m_per_deg_lat = np.float64(EARTH_RADIUS_M * np.pi / 180)
    m_per_deg_lon = m_per_deg_lat * np.cos(np.radians(lat0))
    pad = margin_bw * bandwidth_m
    x0 = (bounds[0] - lon0) * m_per_deg_lon - pad
    y0 = (bounds[1] - lat0) * m_per_deg_lat - pad
    nx = int(np.ceil(((bounds[2] - lon0) * m_per_deg_lon + pad - x0) / cell_m))
    ny = int(np.ceil(((bounds[3] - lat0) * m_per_deg_lat + pad - y0) / cell_m))
    if nx * ny > MAX_GRID_CELLS:
        raise HeatInputError(
            [{"field": "cell_m", "problem": f"grid of {nx}x{ny} cells is too large"}]
        )
    j = np.floor(((lon - lon0) * m_per_deg_lon - x0) / cell_m).astype(np.int64)
    i = np.floor(((lat - lat0) * m_per_deg_lat - y0) / cell_m).astype(np.int64)
    inside = (i >= 0) & (i < ny) & (j >= 0) & (j < nx)
    counts = np.bincount(i[inside] * nx + j[inside], minlength=nx * ny).reshape(ny, nx)
    smooth = gaussian_filter(counts.astype(float), sigma=bandwidth_m / cell_m, mode="constant")
    return HeatGrid(
        lon=lon0 + (x0 + (np.arange(nx) + 0.5) * cell_m) / m_per_deg_lon,
        lat=lat0 + (y0 + (np.arange(ny) + 0.5) * cell_m) / m_per_deg_lat,
        density_per_km2=smooth / (cell_m**2 / 1e6),
        cell_m=float(cell_m),
        bandwidth_m=float(bandwidth_m),
        n_incidents=len(lon),
        n_in_grid=int(inside.sum()),
    )


# --- hexagons ---------------------------------------------------------------------


def h3_counts(lon: npt.ArrayLike, lat: npt.ArrayLike, *, res: int = 9) -> pd.DataFrame:
    """Points per H3 cell: ``h3`` (str), ``count``, centre ``lon``/``lat``.

    Sorted by count (desc) then cell id. One C call per point (h3 has no
    array API); about 1 µs each.
    """
    lons: list[float] = np.asarray(lon, dtype=float).tolist()
    lats: list[float] = np.asarray(lat, dtype=float).tolist()
    cells = np.fromiter(
        map(h3i.latlng_to_cell, lats, lons, [res] * len(lats)), dtype=np.uint64, count=len(lats)
    )
    uniq, count = np.unique(cells, return_counts=True)
    ids = [h3.int_to_str(int(c)) for c in uniq]
    centres = np.array([h3.cell_to_latlng(c) for c in ids]).reshape(-1, 2)
    out = pd.DataFrame({"h3": ids, "count": count, "lon": centres[:, 1], "lat": centres[:, 0]})
    return out.sort_values(["count", "h3"], ascending=[False, True], ignore_index=True)


def h3_geojson(counts: pd.DataFrame, *, precision: int = 6) -> dict[str, Any]:
    """A FeatureCollection of the hexagons of :func:`h3_counts` (lon/lat order)."""
    features = []
    for cell, n in zip(counts["h3"], counts["count"], strict=True):
        ring = [
            [round(lo, precision), round(la, precision)] for la, lo in h3.cell_to_boundary(cell)
        ]
        features.append(
            {
                "type": "Feature",
                "id": cell,
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                "properties": {"h3": cell, "count": int(n)},
            }
        )
    return {"type": "FeatureCollection", "features": features}


# --- rankings ---------------------------------------------------------------------


def _label_points(
    geoms: Iterable[BaseGeometry],
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
) -> npt.NDArray[np.int_]:
    """Index of the first polygon containing each point (-1 none); vectorised per polygon."""
    out = np.full(len(lon), -1, dtype=int)
    for k, g in enumerate(geoms):
        x0, y0, x1, y1 = g.bounds
        cand = np.flatnonzero((out < 0) & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        if len(cand):
            shapely.prepare(g)
            out[cand[shapely.contains_xy(g, lon[cand], lat[cand])]] = k
    return out


def _assign(
    incidents: pd.DataFrame, areas: gpd.GeoDataFrame, id_col: str
) -> npt.NDArray[np.object_]:
    """Area id per incident: its tag in ``id_col`` if known, else the polygon it lies in."""
    ids = areas[id_col].astype(str).to_numpy()
    tag = (
        incidents[id_col].astype("string").fillna("").to_numpy(dtype=object)
        if id_col in incidents.columns
        else np.full(len(incidents), "", dtype=object)
    )
    known = np.isin(tag, ids)
    out = np.where(known, tag, "").astype(object)
    todo = np.flatnonzero(~known)
    if len(todo):
        geoms = areas.to_crs(4326).geometry.to_numpy() if areas.crs else areas.geometry.to_numpy()
        k = _label_points(
            geoms,
            incidents["lon"].to_numpy(dtype=float)[todo],
            incidents["lat"].to_numpy(dtype=float)[todo],
        )
        out[todo[k >= 0]] = ids[k[k >= 0]]
    return out


def top_units(incidents: pd.DataFrame, units: gpd.GeoDataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` units with most incidents (ties by ``unit_id``), ranks from 1.

    An incident counts for the unit it is tagged with, or, untagged, the
    unit polygon it lies in. Units without incidents are not listed.
    Columns: ``rank``, ``unit_id``, ``name_zh``, ``kind``, ``zone_id``
    (those present in ``units``), ``count``.
    """
    uid = _assign(incidents, units, "unit_id")
    counts = pd.Series(uid[uid != ""]).value_counts()
    table = pd.DataFrame({"unit_id": counts.index.astype(str), "count": counts.to_numpy()})
    table = table.sort_values(["count", "unit_id"], ascending=[False, True]).head(n)
    info = [c for c in ("unit_id", "name_zh", "kind", "zone_id") if c in units.columns]
    table = table.merge(pd.DataFrame(units[info]).astype({"unit_id": str}), on="unit_id")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table[["rank", *info, "count"]].reset_index(drop=True)


def zone_breakdown(incidents: pd.DataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Preventable cases per zone: ``zone_id`` (``name_zh``), ``count``, ``share_pct``, per kind.

    Every zone gets a row (zeros included). ``share_pct`` is of ALL given
    incidents, so cases outside every zone lower the zones' shares.
    """
    zid = _assign(incidents, zones, "zone_id")
    ids = zones["zone_id"].astype(str).to_numpy()
    zi = pd.Index(ids).get_indexer(pd.Index(zid))  # -1: outside every zone
    ki = pd.Index(PREVENTABLE_KINDS).get_indexer(pd.Index(incidents["kind"].astype(str)))
    ok = (zi >= 0) & (ki >= 0)
    nk = len(PREVENTABLE_KINDS)
    cross = np.bincount(zi[ok] * nk + ki[ok], minlength=len(ids) * nk).reshape(len(ids), nk)
    table = pd.DataFrame({"zone_id": ids, "count": np.bincount(zi[zi >= 0], minlength=len(ids))})
    if "name_zh" in zones.columns:
        table.insert(1, "name_zh", zones["name_zh"].astype(str).to_numpy())
    total = len(incidents)
    table["share_pct"] = 100.0 * table["count"] / total if total else 0.0
    for k, kind in enumerate(PREVENTABLE_KINDS):
        table[kind] = cross[:, k]
    return table


# --- the map layer ----------------------------------------------------------------


def heat_layer(
    incidents: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    kinds: KindsArg = None,
    start: TimeArg = None,
    end: TimeArg = None,
    hours: HoursArg = None,
    bandwidth_m: float = 150.0,
    cell_m: float = 50.0,
    h3_res: int = 9,
    n_top: int = 10,
    tz: str = LOCAL_TZ,
) -> dict[str, Any]:
    """Everything the heat map layer needs, JSON-able.

    The density grid spans the zones' bounds (so it does not jump when the
    filter changes). Keys: ``filters``, ``n_incidents``, ``density``
    (``lon``/``lat``/``z`` of cells above 1 % of the peak, ``unit``
    ``per_km2``, ``cell_m``, ``bandwidth_m``, ``max``), ``hexagons``
    (FeatureCollection with ``count``), ``top_units`` and ``zones`` (counts,
    shares, per kind). Times are read and shown in ``tz`` (the station's).
    """
    sel = filter_incidents(incidents, kinds=kinds, start=start, end=end, hours=hours, tz=tz)
    lon, lat = sel["lon"].to_numpy(dtype=float), sel["lat"].to_numpy(dtype=float)
    zb = zones.to_crs(4326).total_bounds if zones.crs else zones.total_bounds
    bounds = (float(zb[0]), float(zb[1]), float(zb[2]), float(zb[3]))
    grid = kde_grid(lon, lat, bandwidth_m=bandwidth_m, cell_m=cell_m, bounds=bounds)
    hexes = h3_counts(lon, lat, res=h3_res)
    t = _occurred_at(sel) if len(sel) else None
    hrs = _hours(hours, [])
    # filter_incidents above has raised on any bad time, so these parse again.
    t0, t1 = _timestamp(start, "from", [], tz), _timestamp(end, "to", [], tz)
    return {
        "filters": {
            "kinds": list(_kinds(kinds, []) or PREVENTABLE_KINDS),
            "from": None if t0 is None else t0.isoformat(),
            "to": None if t1 is None else t1.isoformat(),
            "hours": list(hrs) if hrs else None,
        },
        "n_incidents": len(sel),
        "first_at": None if t is None else t.min().tz_convert(tz).isoformat(),
        "last_at": None if t is None else t.max().tz_convert(tz).isoformat(),
        "density": {
            **grid.points(),
            "unit": "per_km2",
            "cell_m": grid.cell_m,
            "bandwidth_m": grid.bandwidth_m,
            "max": float(grid.density_per_km2.max()) if grid.density_per_km2.size else 0.0,
        },
        "hexagons": {**h3_geojson(hexes), "res": h3_res},
        "top_units": top_units(sel, units, n_top).to_dict("records"),
        "zones": zone_breakdown(sel, zones).to_dict("records"),
    }
