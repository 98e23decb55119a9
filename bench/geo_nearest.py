"""Benchmark: nearest k=5 guards, straight line vs walking, pilot and city scale.

Run from the repository root::

    .venv/bin/python bench/geo_nearest.py            # pilot + city (200,000 guards)
    .venv/bin/python bench/geo_nearest.py --guards 20000 --queries 100   # quicker

Prints, per scale and mode, the median and p95 latency of
``NearestIndex.query(k=5)`` beside a baseline measured in the same run
(scipy ``cKDTree.query(k=5)`` on the same candidates: the bare minimum any
nearest search pays), and the share of incidents where the straight-line
first guard is not the first to arrive by walking.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.crs import local_crs, to_local, to_wgs84  # noqa: E402
from geo.nearest import NearestIndex, nearest_to_geojson  # noqa: E402
from geo.network import build_street_graph  # noqa: E402

K = 5


def synthetic_city(n_side: int, n_guards: int, seed: int = 7):
    """A street grid of ``n_side`` x ``n_side`` junctions 100 m apart; about half
    the blocks are walled compounds (wall 15 m inside the streets) with one or
    two gates, each joined to the nearest street by a gate link.

    Returns streets, gates, units (EPSG:4326), guards (DataFrame), crs, origin.
    """
    rng = np.random.default_rng(seed)
    crs = local_crs(118.45, 33.75)
    ox, oy = (float(v) for v in to_local(118.45, 33.75, crs))
    step, inset = 100.0, 15.0
    xs = ox + step * np.arange(n_side)
    ys = oy + step * np.arange(n_side)
    # Grid streets, one segment per block side.
    gx, gy = np.meshgrid(xs[:-1], ys)
    horiz = shapely.linestrings(
        np.stack([np.c_[gx.ravel(), gy.ravel()], np.c_[gx.ravel() + step, gy.ravel()]], axis=1)
    )
    gx, gy = np.meshgrid(xs, ys[:-1])
    vert = shapely.linestrings(
        np.stack([np.c_[gx.ravel(), gy.ravel()], np.c_[gx.ravel(), gy.ravel() + step]], axis=1)
    )
    # Walled blocks and their gates (on the south or north wall, at a random x).
    bx, by = np.meshgrid(xs[:-1], ys[:-1])
    bx, by = bx.ravel(), by.ravel()
    walled = rng.random(len(bx)) < 0.5
    bx, by = bx[walled], by[walled]
    units = shapely.box(bx + inset, by + inset, bx + step - inset, by + step - inset)
    n_units = len(units)
    n_gates = rng.integers(1, 3, n_units)
    g_unit = np.repeat(np.arange(n_units), n_gates)
    second = np.r_[0, np.cumsum(n_gates)[:-1]]
    side_north = np.ones(len(g_unit), dtype=bool)
    side_north[second] = False  # the first gate south, a second one north
    g_x = bx[g_unit] + inset + rng.uniform(10, step - 2 * inset - 10, len(g_unit))
    g_y = np.where(side_north, by[g_unit] + step - inset, by[g_unit] + inset)
    street_y = np.where(side_north, by[g_unit] + step, by[g_unit])
    links = shapely.linestrings(np.stack([np.c_[g_x, g_y], np.c_[g_x, street_y]], axis=1))
    geoms = np.r_[horiz, vert, links]
    kind = ["road"] * (len(horiz) + len(vert)) + ["gate_link"] * len(links)
    unit_ids = np.array([f"U{i:05d}" for i in range(n_units)])

    def wgs(g):
        return gpd.GeoSeries(g, crs=crs).to_crs(4326).to_numpy()

    streets = gpd.GeoDataFrame(
        {"street_id": [f"S{i:06d}" for i in range(len(geoms))], "kind": kind},
        geometry=wgs(geoms), crs=4326,
    )  # fmt: skip
    gates = gpd.GeoDataFrame(
        {"gate_id": [f"{unit_ids[u]}-G{i}" for i, u in enumerate(g_unit)],
         "unit_id": unit_ids[g_unit]},
        geometry=wgs(shapely.points(g_x, g_y)), crs=4326,
    )  # fmt: skip
    units_gdf = gpd.GeoDataFrame({"unit_id": unit_ids}, geometry=wgs(units), crs=4326)

    # Guards: 70 % inside a compound (posts, patrols), 30 % anywhere.
    n_in = int(0.7 * n_guards)
    u = rng.integers(0, n_units, n_in)
    side = step - 2 * inset
    x = np.r_[
        bx[u] + inset + rng.uniform(0, side, n_in), rng.uniform(xs[0], xs[-1], n_guards - n_in)
    ]
    y = np.r_[
        by[u] + inset + rng.uniform(0, side, n_in), rng.uniform(ys[0], ys[-1], n_guards - n_in)
    ]
    lon, lat = to_wgs84(x, y, crs)
    guards = pd.DataFrame(
        {
            "guard_id": [f"G{i:06d}" for i in range(n_guards)],
            "lon": lon,
            "lat": lat,
            "status": rng.choice(["on_post", "patrolling", "dispatched", "signal_lost"],
                                 n_guards, p=[0.6, 0.25, 0.1, 0.05]),
            "on_duty": rng.random(n_guards) < 0.9,
            "zone_id": "C",
            "mobility": rng.choice(["foot", "ebike"], n_guards, p=[0.8, 0.2]),
        }
    )  # fmt: skip
    return streets, gates, units_gdf, guards, crs, (xs, ys, bx, by, inset, side)


def city_incidents(n: int, crs, geom, seed: int = 11):
    """Half inside compounds, half anywhere in the city."""
    rng = np.random.default_rng(seed)
    xs, ys, bx, by, inset, side = geom
    n_in = n // 2
    u = rng.integers(0, len(bx), n_in)
    x = np.r_[bx[u] + inset + rng.uniform(0, side, n_in), rng.uniform(xs[0], xs[-1], n - n_in)]
    y = np.r_[by[u] + inset + rng.uniform(0, side, n_in), rng.uniform(ys[0], ys[-1], n - n_in)]
    return to_wgs84(x, y, crs)


def measure(index: NearestIndex, lons, lats, label: str) -> dict:
    """Per query latency of line, walk and the cKDTree baseline; first-guard disagreement."""
    tree = cKDTree(np.column_stack([index.x_m, index.y_m]))
    px, py = to_local(lons, lats, index.crs)
    wall: dict[str, list[float]] = {"base": [], "line": [], "walk": [], "geojson": []}
    cpu: dict[str, list[float]] = {"line": [], "walk": []}
    differ = answered = 0
    for i in tqdm(range(len(lons)), desc=label, unit="q", leave=False):
        t0 = time.perf_counter()
        tree.query([px[i], py[i]], k=K)
        t1, c1 = time.perf_counter(), time.thread_time()
        line = index.query(lons[i], lats[i], k=K, mode="line")
        t2, c2 = time.perf_counter(), time.thread_time()
        walk = index.query(lons[i], lats[i], k=K, mode="walk")
        t3, c3 = time.perf_counter(), time.thread_time()
        nearest_to_geojson(walk)
        t4 = time.perf_counter()
        for key, v in (
            ("base", t1 - t0),
            ("line", t2 - t1),
            ("walk", t3 - t2),
            ("geojson", t4 - t3),
        ):
            wall[key].append(v)
        cpu["line"].append(c2 - c1)
        cpu["walk"].append(c3 - c2)
        if len(walk) and len(line):
            answered += 1
            differ += walk.columns["guard_id"][0] != line.columns["guard_id"][0]
    ms = {k: np.array(v) * 1e3 for k, v in wall.items()}
    ms |= {f"cpu_{k}": np.array(v) * 1e3 for k, v in cpu.items()}
    return {"label": label, "ms": ms, "differ": differ / max(answered, 1), "n": len(lons)}


def spatial_index_choice(index: NearestIndex, lons, lats, n: int = 300) -> dict[str, float]:
    """Median ms of one nearest query: scipy cKDTree (k=5) vs shapely STRtree vs
    geopandas sindex (both k=1 only: neither offers k nearest), built once."""
    xy = np.column_stack([index.x_m, index.y_m])
    pts = shapely.points(xy)
    tree = cKDTree(xy)
    strtree = shapely.STRtree(pts)
    sindex = gpd.GeoSeries(pts).sindex
    px, py = to_local(lons[:n], lats[:n], index.crs)
    probes = shapely.points(px, py)
    timings: dict[str, list[float]] = {"cKDTree k=5": [], "STRtree k=1": [], "sindex k=1": []}
    for i in range(len(probes)):
        t0 = time.perf_counter()
        tree.query([px[i], py[i]], k=K)
        t1 = time.perf_counter()
        strtree.query_nearest(probes[i])
        t2 = time.perf_counter()
        sindex.nearest(probes[i])
        t3 = time.perf_counter()
        timings["cKDTree k=5"].append(t1 - t0)
        timings["STRtree k=1"].append(t2 - t1)
        timings["sindex k=1"].append(t3 - t2)
    return {k: float(np.median(v) * 1e3) for k, v in timings.items()}


def load_pilot():
    from shouwang.dataset import load_dataset

    ds = load_dataset(ROOT / "data" / "pilot")
    guards = pd.DataFrame(
        {"guard_id": ds.guards["guard_id"], "lon": ds.guards["post_lon"],
         "lat": ds.guards["post_lat"], "status": "on_post", "on_duty": True,
         "zone_id": ds.guards["zone_id"], "mobility": ds.guards["mobility"]}
    )  # fmt: skip
    return ds, guards


def print_table(rows: list[dict]) -> None:
    print()
    print(f"{'scale':<28}{'mode':<7}{'median ms':>10}{'p95 ms':>9}{'cpu med ms':>11}"
          f"{'cKDTree med ms':>16}{'ratio':>8}")  # fmt: skip
    for r in rows:
        base = np.median(r["ms"]["base"])
        for mode in ("line", "walk"):
            t = r["ms"][mode]
            c = np.median(r["ms"][f"cpu_{mode}"])
            print(f"{r['label']:<28}{mode:<7}{np.median(t):>10.3f}{np.percentile(t, 95):>9.3f}"
                  f"{c:>11.3f}{base:>16.4f}{np.median(t) / base:>7.0f}x")  # fmt: skip
        g = r["ms"]["geojson"]
        print(f"{'':<28}{'+json':<7}{np.median(g):>10.3f}{np.percentile(g, 95):>9.3f}"
              "   (building the GeoJSON of the walk answer)")  # fmt: skip
    print()
    for r in rows:
        print(f"{r['label']}: straight-line first guard is not first to arrive walking in "
              f"{100 * r['differ']:.1f}% of {r['n']} incidents")  # fmt: skip


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--guards", type=int, default=200_000)
    ap.add_argument("--side", type=int, default=64, help="junctions per side of the grid")
    ap.add_argument("--queries", type=int, default=1000)
    args = ap.parse_args(argv)
    rows = []
    # Wall-clock latency suffers when other processes share the 2 cores; the
    # load average and the thread CPU time column make that visible.
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)

    if (ROOT / "data" / "pilot" / "streets.geojson").is_file():
        t0 = time.perf_counter()
        ds, guards = load_pilot()
        graph = build_street_graph(ds.streets, ds.gates, ds.units)
        index = NearestIndex(guards, graph=graph, zones=ds.zones)
        print(f"pilot: {len(index)} guards, {graph.n_nodes} nodes, {graph.n_edges} edges, "
              f"prepared in {time.perf_counter() - t0:.2f} s", flush=True)  # fmt: skip
        inc = ds.incidents.sample(min(args.queries, len(ds.incidents)), random_state=1)
        rows.append(measure(index, inc["lon"].to_numpy(), inc["lat"].to_numpy(),
                            f"pilot ({len(index)} guards)"))  # fmt: skip
    else:
        print("pilot: data/pilot not found, skipped")

    t0 = time.perf_counter()
    streets, gates, units, guards, crs, geom = synthetic_city(args.side, args.guards)
    t1 = time.perf_counter()
    graph = build_street_graph(streets, gates, units, crs)
    t2 = time.perf_counter()
    index = NearestIndex(guards, graph=graph)
    t3 = time.perf_counter()
    print(f"city: {len(guards)} guards ({len(index)} available), {len(units)} walled blocks, "
          f"{graph.n_nodes} nodes, {graph.n_edges} edges; generated {t1 - t0:.1f} s, "
          f"graph {t2 - t1:.1f} s, index {t3 - t2:.1f} s", flush=True)  # fmt: skip
    lons, lats = city_incidents(args.queries, crs, geom)
    rows.append(measure(index, lons, lats, f"city ({len(guards) // 1000}k guards)"))
    choice = spatial_index_choice(index, lons, lats)
    print_table(rows)
    print("\nline-mode index, median ms per query at city scale: "
          + ", ".join(f"{k} {v:.3f}" for k, v in choice.items()))  # fmt: skip


if __name__ == "__main__":
    main()
