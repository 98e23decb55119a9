"""Incident heat (geo.heat): density mass, filters, H3 counts, rankings, map layer."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.heat import (
    PREVENTABLE_KINDS,
    HeatInputError,
    filter_incidents,
    h3_counts,
    h3_geojson,
    heat_layer,
    kde_grid,
    parse_heat_query,
    top_units,
    zone_breakdown,
)

PILOT = Path(__file__).resolve().parents[2] / "data" / "pilot"
LON0, LAT0 = 118.37, 33.78


def incidents(n: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2025-11-01T00:00:00+08:00")
    return pd.DataFrame(
        {
            "incident_id": [f"I{i:05d}" for i in range(n)],
            "kind": rng.choice(PREVENTABLE_KINDS, n),
            "occurred_at": (
                t0 + pd.to_timedelta(rng.uniform(0, 30 * 86400, n), unit="s")
            ).tz_convert("UTC"),
            "lon": LON0 + rng.normal(0, 0.004, n),
            "lat": LAT0 + rng.normal(0, 0.004, n),
            "unit_id": "",
            "zone_id": "",
        }
    )


# --- density ---------------------------------------------------------------------


@pytest.mark.parametrize("bandwidth_m, cell_m", [(150.0, 50.0), (80.0, 20.0), (300.0, 100.0)])
def test_kde_mass_is_conserved(bandwidth_m, cell_m):
    inc = incidents(2000)
    g = kde_grid(inc.lon, inc.lat, bandwidth_m=bandwidth_m, cell_m=cell_m)
    assert g.n_in_grid == 2000
    mass = g.density_per_km2.sum() * g.cell_km2
    assert mass == pytest.approx(2000, rel=0.005)  # only the tails beyond 3 bandwidths leave
    assert g.density_per_km2.shape == (len(g.lat), len(g.lon))
    assert (np.diff(g.lon) > 0).all() and (np.diff(g.lat) > 0).all()


def test_kde_peak_at_the_cluster_and_density_unit():
    # 100 incidents on one spot: peak density = 100 / (2 pi sigma^2) per m^2
    lon = np.full(100, LON0)
    lat = np.full(100, LAT0)
    g = kde_grid(lon, lat, bandwidth_m=100.0, cell_m=10.0)
    i, j = np.unravel_index(np.argmax(g.density_per_km2), g.density_per_km2.shape)
    assert abs(g.lon[j] - LON0) < 0.0002 and abs(g.lat[i] - LAT0) < 0.0002
    expected_peak = 100 / (2 * np.pi * 100.0**2) * 1e6
    assert g.density_per_km2.max() == pytest.approx(expected_peak, rel=0.05)


def test_kde_points_outside_given_bounds_are_left_out():
    inc = incidents(300)
    far = pd.DataFrame({"lon": [LON0 + 0.5], "lat": [LAT0]})
    lon = np.r_[inc.lon, far.lon]
    lat = np.r_[inc.lat, far.lat]
    g = kde_grid(lon, lat, bounds=(LON0 - 0.02, LAT0 - 0.02, LON0 + 0.02, LAT0 + 0.02))
    assert g.n_incidents == 301 and g.n_in_grid == 300
    pts = g.points()
    assert len(pts["lon"]) == len(pts["z"]) > 0


# --- filters ----------------------------------------------------------------------


def timed(local_times: list[str]) -> pd.DataFrame:
    n = len(local_times)
    return pd.DataFrame(
        {
            "kind": ["burglary", "fraud"] * (n // 2) + ["burglary"] * (n % 2),
            "occurred_at": pd.to_datetime(local_times)
            .tz_localize("Asia/Shanghai")
            .tz_convert("UTC"),
            "lon": LON0,
            "lat": LAT0,
        }
    )


def test_hours_wrap_midnight_in_local_time():
    t = timed(
        [
            "2025-11-01 21:59",
            "2025-11-01 22:00",
            "2025-11-02 00:30",
            "2025-11-02 05:59",
            "2025-11-02 06:00",
            "2025-11-02 12:00",
        ]
    )
    got = filter_incidents(t, hours="22-6").occurred_at.dt.tz_convert("Asia/Shanghai")
    assert got.dt.strftime("%H:%M").tolist() == ["22:00", "00:30", "05:59"]
    day = filter_incidents(t, hours=(6, 22)).occurred_at.dt.tz_convert("Asia/Shanghai")
    assert day.dt.strftime("%H:%M").tolist() == ["21:59", "06:00", "12:00"]


def test_hours_of_day_are_binned_in_the_given_time_zone():
    """The same instants fall in other hours of day in another station's zone."""
    t = timed(["2025-11-01 21:59", "2025-11-01 22:00", "2025-11-02 06:00", "2025-11-02 12:00"])
    shanghai = filter_incidents(t, hours="22-6").occurred_at.dt.tz_convert("UTC")
    utc = filter_incidents(t, hours="22-6", tz="UTC").occurred_at.dt.tz_convert("UTC")
    # 22:00 in Shanghai is 14:00 UTC; 06:00 and 12:00 Shanghai are 22:00 and 04:00 UTC.
    assert shanghai.dt.strftime("%H:%M").tolist() == ["14:00"]
    assert utc.dt.strftime("%H:%M").tolist() == ["22:00", "04:00"]
    # A naive time is read in the same zone.
    q = parse_heat_query({"from": "2025-11-02 00:00"}, tz="UTC")
    assert q["start"].isoformat() == "2025-11-02T00:00:00+00:00"


def test_window_is_half_open_and_kind_filter():
    t = timed(["2025-11-01 08:00", "2025-11-02 08:00", "2025-11-03 08:00", "2025-11-04 08:00"])
    got = filter_incidents(t, start="2025-11-02T08:00:00+08:00", end="2025-11-04 08:00")
    assert len(got) == 2  # the 2nd and 3rd; 'to' is excluded, naive 'to' is local time
    assert filter_incidents(t, kinds="fraud").kind.unique().tolist() == ["fraud"]
    assert len(filter_incidents(t, kinds=["fraud", "burglary"])) == 4
    # ISO strings as in incidents.csv work too
    s = t.assign(
        occurred_at=t.occurred_at.dt.tz_convert("Asia/Shanghai").map(pd.Timestamp.isoformat)
    )
    assert len(filter_incidents(s, start="2025-11-02", end="2025-11-04")) == 2


def test_bad_filters_report_every_problem():
    with pytest.raises(HeatInputError) as err:
        filter_incidents(timed(["2025-11-01 08:00"]), kinds="arson", start="soon", hours="25-3")
    assert {p["field"] for p in err.value.problems} == {"kind", "from", "hours"}
    with pytest.raises(HeatInputError) as err:
        parse_heat_query({"from": "2025-11-05", "to": "2025-11-01", "hours": "x"})
    assert {p["field"] for p in err.value.problems} == {"from", "hours"}
    q = parse_heat_query({"kind": "fraud,burglary", "from": "", "hours": "22-6"})
    assert q["kinds"] == ("fraud", "burglary") and q["start"] is None and q["hours"] == (22, 6)


# --- hexagons ---------------------------------------------------------------------


def test_h3_counts_sum_to_filtered_total_and_match_h3():
    inc = filter_incidents(incidents(1500, seed=3), hours="20-8", kinds="burglary,bike_theft")
    counts = h3_counts(inc.lon, inc.lat, res=9)
    assert counts["count"].sum() == len(inc) > 0
    direct = pd.Series(
        [h3.latlng_to_cell(la, lo, 9) for la, lo in zip(inc.lat, inc.lon, strict=True)]
    ).value_counts()
    assert dict(zip(counts.h3, counts["count"], strict=True)) == direct.to_dict()
    assert counts["count"].is_monotonic_decreasing
    gj = h3_geojson(counts)
    ring = gj["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7
    assert sum(f["properties"]["count"] for f in gj["features"]) == len(inc)


# --- rankings ---------------------------------------------------------------------


def square(lon: float, lat: float, half: float = 0.001) -> shapely.Polygon:
    return shapely.box(lon - half, lat - half, lon + half, lat + half)


def test_top_units_tagged_or_inside_and_ties_by_id():
    units = gpd.GeoDataFrame(
        {"unit_id": ["U03", "U01", "U02"], "name_zh": ["丙", "甲", "乙"]},
        geometry=[square(LON0, LAT0), square(LON0 + 0.01, LAT0), square(LON0 + 0.02, LAT0)],
        crs=4326,
    )
    inc = pd.DataFrame(
        {
            "lon": [LON0, LON0, LON0 + 0.01, LON0 + 0.02, LON0 + 0.5, LON0 + 0.5],
            "lat": [LAT0] * 6,
            # two untagged inside U03, one inside U01, one tagged U02 far away (tag wins)
            "unit_id": ["", None, "", "", "U02", ""],
        }
    )
    inc.loc[3, "unit_id"] = "U02"
    top = top_units(inc, units)
    assert top["unit_id"].tolist() == ["U02", "U03", "U01"]  # 2, 2, 1; U02 < U03 on the tie
    assert top["count"].tolist() == [2, 2, 1]
    assert top["rank"].tolist() == [1, 2, 3]
    assert top_units(inc, units, n=1)["unit_id"].tolist() == ["U02"]
    # the same input in another row order gives the same ranking
    shuffled = inc.sample(frac=1.0, random_state=1)
    assert top_units(shuffled, units).equals(top)


def test_zone_breakdown_counts_shares_and_kinds():
    zones = gpd.GeoDataFrame(
        {"zone_id": ["E", "W"]},
        geometry=[square(LON0 + 0.01, LAT0, 0.01), square(LON0 - 0.01, LAT0, 0.01)],
        crs=4326,
    )
    inc = pd.DataFrame(
        {
            "kind": ["fraud", "fraud", "burglary", "vandalism", "fraud"],
            "lon": [LON0 + 0.005, LON0 + 0.006, LON0 - 0.005, LON0 + 1, LON0 + 1],
            "lat": [LAT0] * 5,
            "zone_id": ["", "", "", "", "W"],  # the last is tagged W although far away
        }
    )
    out = zone_breakdown(inc, zones).set_index("zone_id")
    assert out["count"].to_dict() == {"E": 2, "W": 2}
    assert out["share_pct"].to_dict() == {"E": 40.0, "W": 40.0}  # one case outside every zone
    assert (
        out.loc["E", "fraud"] == 2 and out.loc["W", "burglary"] == 1 and out.loc["W", "fraud"] == 1
    )
    assert (out[list(PREVENTABLE_KINDS)].sum(axis=1) == out["count"]).all()


# --- the map layer on the pilot ----------------------------------------------------


@pytest.fixture(scope="module")
def pilot():
    if not (PILOT / "incidents.csv").exists():
        pytest.skip("pilot data set not generated")
    from shouwang.dataset import load_dataset

    return load_dataset(PILOT)


def test_heat_layer_on_pilot(pilot):
    args = parse_heat_query({"kind": "burglary,bike_theft", "hours": "22-6"})
    layer = heat_layer(pilot.incidents, pilot.zones, pilot.units, **args)
    layer = json.loads(json.dumps(layer))
    n = len(filter_incidents(pilot.incidents, **args))
    assert layer["n_incidents"] == n > 0
    assert sum(f["properties"]["count"] for f in layer["hexagons"]["features"]) == n
    assert sum(z["count"] for z in layer["zones"]) <= n
    counts = [u["count"] for u in layer["top_units"]]
    assert len(counts) <= 10 and counts == sorted(counts, reverse=True)
    assert layer["density"]["unit"] == "per_km2" and len(layer["density"]["z"]) > 0
    assert layer["filters"]["hours"] == [22, 6]
