"""Benchmark: zone coverage (grid vs exact) and incident heat, pilot and city scale.

Run from the repository root::

    .venv/bin/python bench/geo_coverage_heat.py [--quick]

Every figure is printed next to a baseline measured in the same run and the
ratio. City scale is synthetic and seeded: 50 zones over 24 km x 24 km,
200,000 guards in 2,500 compounds of whom ~49 % count (on duty, signal not
lost), 100,000 incidents. Targets (2-core machine): city coverage <= 250 ms
within 1 percentage point of exact; heat for 100k incidents <= 100 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.coverage import build_coverage_grid, default_grid_m, zone_coverage  # noqa: E402
from geo.crs import local_crs, to_local, to_wgs84  # noqa: E402
from geo.heat import PREVENTABLE_KINDS, filter_incidents, h3_counts, kde_grid  # noqa: E402

CENTRE = (118.35, 33.95)


def timed(fn, repeat: int = 1):
    """Best wall time of ``repeat`` runs (seconds) and the last result."""
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def line(label: str, value_s: float, base_label: str, base_s: float, extra: str = "") -> None:
    print(
        f"  {label:<34} {value_s * 1e3:9.1f} ms   {base_label:<30} {base_s * 1e3:10.1f} ms"
        f"   x{base_s / value_s:7.1f}  {extra}"
    )


def city(seed: int = 7, n_guards: int = 200_000, n_units: int = 2_500, n_inc: int = 100_000):
    rng = np.random.default_rng(seed)
    crs = local_crs(*CENTRE)
    cx, cy = (float(v) for v in to_local(*CENTRE, crs))
    half = 12_000.0
    box = shapely.box(cx - half, cy - half, cx + half, cy + half)
    seeds = shapely.multipoints(rng.uniform(-half, half, (50, 2)) + [cx, cy])
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box))
    zones = gpd.GeoDataFrame(
        {"zone_id": [f"Z{i:02d}" for i in range(len(cells))]},
        geometry=shapely.intersection(cells, box),
        crs=crs,
    ).to_crs(4326)
    units = rng.uniform(-half, half, (n_units, 2)) + [cx, cy]
    size = rng.zipf(1.6, n_units).clip(1, 400).astype(float)  # a few big compounds
    unit_of = rng.choice(n_units, n_guards, p=size / size.sum())
    xy = units[unit_of] + rng.normal(0, 60, (n_guards, 2))
    lon, lat = to_wgs84(xy[:, 0], xy[:, 1], crs)
    shift = rng.choice(["day", "night", "rotating"], n_guards, p=[0.45, 0.45, 0.10])
    on_duty = (shift == "day") | ((shift == "rotating") & (rng.random(n_guards) < 0.5))
    status = rng.choice(
        ["on_post", "patrolling", "dispatched", "signal_lost"], n_guards, p=[0.7, 0.2, 0.06, 0.04]
    )
    guards = pd.DataFrame(
        {
            "guard_id": [f"G{i:06d}" for i in range(n_guards)],
            "lon": lon,
            "lat": lat,
            "on_duty": on_duty,
            "status": status,
        }
    )
    hot = units[rng.choice(n_units, n_inc, p=size / size.sum())] + rng.normal(0, 150, (n_inc, 2))
    ilon, ilat = to_wgs84(hot[:, 0], hot[:, 1], crs)
    t0 = pd.Timestamp("2025-01-01T00:00:00+08:00")
    incidents = pd.DataFrame(
        {
            "kind": rng.choice(PREVENTABLE_KINDS, n_inc),
            "occurred_at": t0 + pd.to_timedelta(rng.uniform(0, 365 * 86400, n_inc), unit="s"),
            "lon": ilon,
            "lat": ilat,
        }
    )
    return zones, guards, incidents


def bench_pilot(progress) -> None:
    if not (ROOT / "data/pilot/zones.geojson").exists():
        print("pilot: data/pilot not generated, skipped")
        return
    from geo.network import build_street_graph
    from shouwang.dataset import load_dataset

    ds = load_dataset(ROOT / "data/pilot")
    graph = build_street_graph(ds.streets, ds.gates, ds.units)
    g = ds.guards
    guards = pd.DataFrame(
        {
            "guard_id": g["guard_id"],
            "lon": g["post_lon"],
            "lat": g["post_lat"],
            "on_duty": g["shift"].astype(str).ne("night").to_numpy(),
            "status": "on_post",
        }
    )
    print(f"\npilot: {len(ds.zones)} zones, {len(guards)} guards, {len(ds.incidents)} incidents")
    for reach in ({"radius_m": 200.0}, {"walk_s": 180.0}):
        kw = dict(graph=graph, with_gaps=False, **reach)
        te, ex = timed(lambda kw=kw: zone_coverage(ds.zones, guards, method="exact", **kw), 3)
        tg, gr = timed(lambda kw=kw: zone_coverage(ds.zones, guards, method="grid", **kw), 3)
        diff = np.abs(ex.zones.covered_pct - gr.zones.covered_pct).max()
        name = ", ".join(f"{k}={v:g}" for k, v in reach.items())
        line(f"coverage grid ({name})", tg, "exact shapely", te, f"max |diff| {diff:.2f} pp")
        progress.update(1)
    inc = ds.incidents
    tk, _ = timed(lambda: kde_grid(inc.lon, inc.lat, bandwidth_m=150, cell_m=50), 5)
    th, _ = timed(lambda: h3_counts(inc.lon, inc.lat), 5)
    tb, _ = timed(lambda: h3_str_baseline(inc.lon, inc.lat), 5)
    line("heat KDE + H3 (pilot)", tk + th, "H3 str API + value_counts", tb)
    progress.update(1)


def h3_str_baseline(lon, lat) -> pd.Series:
    """The obvious way: the str API per point, then pandas counts."""
    cells = [h3.latlng_to_cell(a, b, 9) for a, b in zip(lat, lon, strict=True)]
    return pd.Series(cells).value_counts()


def kde_direct(x, y, qx, qy, bandwidth_m: float) -> np.ndarray:
    """Exact Gaussian sum at query points (kernel cut at 5 bandwidths), per km²."""
    tree = cKDTree(np.column_stack([x, y]))
    out = np.empty(len(qx))
    for k, nb in enumerate(tree.query_ball_point(np.column_stack([qx, qy]), 5 * bandwidth_m)):
        d2 = (x[nb] - qx[k]) ** 2 + (y[nb] - qy[k]) ** 2
        out[k] = np.exp(-d2 / (2 * bandwidth_m**2)).sum() / (2 * np.pi * bandwidth_m**2) * 1e6
    return out


def bench_city(progress, quick: bool) -> None:
    zones, guards, incidents = city(n_guards=50_000 if quick else 200_000)
    radius_m = 200.0
    print(
        f"\ncity: {len(zones)} zones, {len(guards):,} guards, {len(incidents):,} incidents,"
        f" radius {radius_m:g} m"
    )
    progress.update(1)
    grid_m = default_grid_m(radius_m)
    tb, grid = timed(lambda: build_coverage_grid(zones, grid_m))
    n_cells = int((grid.labels >= 0).sum())
    print(f"  grid: {grid_m:g} m cells, {n_cells:,} in zones, built once in {tb * 1e3:.0f} ms")
    tg, gr = timed(
        lambda: zone_coverage(
            zones, guards, radius_m=radius_m, method="grid", grid=grid, with_gaps=False
        ),
        3,
    )
    progress.update(1)
    te, ex = timed(
        lambda: zone_coverage(zones, guards, radius_m=radius_m, method="exact", with_gaps=False)
    )
    progress.update(1)
    diff = np.abs(ex.zones.covered_pct - gr.zones.covered_pct)
    print(
        f"  counted guards {gr.params['n_guards_counted']:,}; city covered"
        f" {100 * gr.zones.covered_m2.sum() / gr.zones.area_m2.sum():.1f} %"
    )
    line("coverage grid (prebuilt grid)", tg, "exact shapely", te,
         f"max |diff| {diff.max():.3f} pp, mean {diff.mean():.3f} pp")  # fmt: skip
    tc, _ = timed(
        lambda: zone_coverage(zones, guards, radius_m=radius_m, method="grid", with_gaps=False)
    )
    line("coverage grid (incl. grid build)", tc, "exact shapely", te)
    tgap, _ = timed(
        lambda: zone_coverage(zones, guards, radius_m=radius_m, method="grid", grid=grid)
    )
    line("coverage grid + gap polygons", tgap, "exact shapely (no gaps)", te)
    progress.update(1)

    lon, lat = incidents.lon.to_numpy(), incidents.lat.to_numpy()
    bounds = tuple(zones.total_bounds)
    tk, heat = timed(lambda: kde_grid(lon, lat, bandwidth_m=150, cell_m=50, bounds=bounds), 5)
    rng = np.random.default_rng(0)
    peak = heat.density_per_km2 > 0.05 * heat.density_per_km2.max()
    pick = rng.choice(np.flatnonzero(peak), 400, replace=False)
    pi, pj = np.unravel_index(pick, heat.density_per_km2.shape)
    crs = local_crs(*CENTRE)  # the baseline measures true distances in UTM
    qx, qy = to_local(heat.lon[pj], heat.lat[pi], crs)
    x, y = to_local(lon, lat, crs)
    td, direct = timed(lambda: kde_direct(x, y, qx, qy, 150.0))
    td_full = td / len(pick) * heat.density_per_km2.size
    rel = np.abs(heat.density_per_km2.ravel()[pick] - direct) / direct
    mass = heat.density_per_km2.sum() * heat.cell_km2 / heat.n_in_grid
    line(f"heat KDE ({heat.density_per_km2.size:,} cells)", tk,
         "direct Gaussian sum (extrap.)", td_full,
         f"median rel. err {np.median(rel):.1%}, mass {mass:.4f}")  # fmt: skip
    progress.update(1)
    th, hexes = timed(lambda: h3_counts(lon, lat), 3)
    tb, base = timed(lambda: h3_str_baseline(lon, lat))
    assert int(hexes["count"].sum()) == int(base.sum()) == len(lon)
    line(f"heat H3 res 9 ({len(hexes):,} cells)", th, "H3 str API + value_counts", tb)
    tf, sel = timed(
        lambda: filter_incidents(incidents, kinds="burglary,bike_theft", hours="22-6"), 5
    )
    line(f"filter kind+hours ({len(sel):,} left)", tf, "-", tf)
    line("heat total (filter+KDE+H3)", tf + tk + th, "baselines", td_full + tb)
    progress.update(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="50,000 guards instead of 200,000")
    args = ap.parse_args()
    t0 = time.perf_counter()
    with tqdm(total=9, desc="bench", file=sys.stderr) as progress:
        bench_pilot(progress)
        bench_city(progress, args.quick)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
