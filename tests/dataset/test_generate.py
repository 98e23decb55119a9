"""The pilot generator: deterministic, committed output, and the published counts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from data.generate import generate
from shouwang.dataset import Dataset, load_dataset

ROOT = Path(__file__).resolve().parents[2]
PILOT = ROOT / "data" / "pilot"
FILES = sorted(p.name for p in PILOT.iterdir())
KIND_COUNTS = {"government": 5, "residential": 13, "school": 6, "liquor": 6, "commercial": 7}
ZONE_KINDS = {
    "C": "government",
    "W": "residential",
    "E": "liquor",
    "S": "school",
    "N": "commercial",
}


@pytest.fixture(scope="module")
def pilot() -> Dataset:
    return load_dataset(PILOT)


def test_same_seed_same_bytes_as_committed(tmp_path: Path) -> None:
    assert FILES == [
        "checkpoints.geojson", "gates.geojson", "guards.csv", "incidents.csv",
        "streets.geojson", "units.geojson", "zones.geojson",
    ]  # fmt: skip
    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, 54321, progress=False)
    # the command line, in a fresh interpreter with another string hash seed
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-m", "shouwang", "generate-data", "--out", str(b), "--seed", "54321"],
        check=True, env=env, cwd=ROOT, capture_output=True,
    )  # fmt: skip
    for name in FILES:
        committed = (PILOT / name).read_bytes()
        assert (a / name).read_bytes() == committed, f"{name} differs from data/pilot"
        assert (b / name).read_bytes() == committed, f"{name} differs when run as a script"


def test_another_seed_gives_another_data_set(tmp_path: Path) -> None:
    generate(tmp_path, 7, progress=False)
    assert (tmp_path / "guards.csv").read_bytes() != (PILOT / "guards.csv").read_bytes()
    assert (tmp_path / "units.geojson").read_bytes() != (PILOT / "units.geojson").read_bytes()
    load_dataset(tmp_path)  # still a valid data set


def test_zones_and_units(pilot: Dataset) -> None:
    assert sorted(pilot.zones["zone_id"]) == ["C", "E", "N", "S", "W"]
    assert dict(zip(pilot.zones["zone_id"], pilot.zones["unit_kind"], strict=True)) == ZONE_KINDS
    assert len(pilot.units) == 37
    assert pilot.units["kind"].value_counts().to_dict() == KIND_COUNTS
    # each zone groups units of its one kind
    assert (pilot.units["kind"] == pilot.units["zone_id"].map(ZONE_KINDS)).all()
    assert pilot.units["company"].nunique() in range(10, 16)
    assert pilot.units["address"].str.match(r"^洋河新区.+\d+号$").all()
    # sizes: sides 50-400 m, walls not all rectangles
    walls = pilot.units.to_crs(pilot.units.estimate_utm_crs()).geometry
    rect = shapely.minimum_rotated_rectangle(walls.to_numpy())
    ring = shapely.get_coordinates(shapely.get_exterior_ring(rect)).reshape(len(walls), 5, 2)
    sides = np.hypot(*np.diff(ring, axis=1).transpose(2, 0, 1))
    assert sides.min() >= 50 and sides.max() <= 401
    n_vertices = shapely.get_num_coordinates(walls.to_numpy()) - 1
    assert (n_vertices > 4).sum() >= 3
    by_kind = pd.Series(walls.area.to_numpy(), index=pilot.units["kind"]).groupby(level=0).mean()
    assert by_kind.idxmax() == "residential"


def test_gates_and_checkpoints(pilot: Dataset) -> None:
    gates = pilot.gates.merge(pilot.units[["unit_id", "kind"]], on="unit_id")
    per_unit = gates.groupby("unit_id").size()
    assert per_unit.between(1, 4).all() and len(per_unit) == 37
    residential = gates[gates["kind"] == "residential"].groupby("unit_id").size()
    assert residential.between(2, 4).all()
    assert gates["name_zh"].str.endswith("门").all()
    cps = pilot.checkpoints.groupby("unit_id")["seq"].agg(["size", "min", "max"])
    assert len(cps) == 37 and cps["size"].between(3, 8).all()
    assert (cps["min"] == 1).all() and (cps["max"] == cps["size"]).all()


def test_streets(pilot: Dataset) -> None:
    streets = pilot.streets
    assert 200 <= len(streets) <= 1500
    kinds = streets["kind"].value_counts()
    assert kinds["gate_link"] == len(pilot.gates) and kinds["road"] > kinds["lane"] > 0
    assert streets.loc[streets["kind"] == "road", "name_zh"].nunique() >= 10


def test_guards(pilot: Dataset) -> None:
    g = pilot.guards
    assert len(g) == 207 and g["guard_id"].is_unique and g["device_id"].is_unique
    per_unit = g.groupby("unit_id").size()
    assert len(per_unit) == 37 and per_unit.min() >= 2
    assert g["device_id"].str.fullmatch(r"8612345\d{8}").all()
    assert g["phone"].str.fullmatch(r"1[3-9]\d{9}").all()
    assert set(g["shift"]) == {"day", "night", "rotating"}
    assert 0.65 <= g["licensed"].mean() <= 0.85
    assert 0.03 <= (g["mobility"] == "ebike").mean() <= 0.2
    # every post is the gate room: inside the unit, 5-15 m (+ a little to the side) from its gate
    crs = g.estimate_utm_crs()
    gates = pilot.gates.set_index("gate_id").to_crs(crs).geometry
    dist = g.to_crs(crs).distance(gates.loc[g["post_gate_id"]].reset_index(drop=True))
    assert dist.between(5, 16).all()
    walls = pilot.units.set_index("unit_id").geometry
    assert shapely.within(g.geometry.to_numpy(), walls.loc[g["unit_id"]].to_numpy()).all()


def test_incidents(pilot: Dataset) -> None:
    inc = pilot.incidents
    assert 1200 <= len(inc) <= 2000
    assert set(inc["kind"]) == {
        "burglary", "theft_from_vehicle", "bike_theft", "pickpocketing", "fraud",
        "vandalism", "other_theft",
    }  # fmt: skip
    local = inc["occurred_at"].dt.tz_convert("Asia/Shanghai")
    assert local.min() >= pd.Timestamp("2025-11-01", tz="Asia/Shanghai")
    assert local.max() < pd.Timestamp("2026-11-01", tz="Asia/Shanghai")
    assert local.dt.to_period("M").nunique() == 12
    raw = (PILOT / "incidents.csv").read_text(encoding="utf-8")
    assert all(
        re.search(r"\+08:00$", t) for t in pd.read_csv(PILOT / "incidents.csv")["occurred_at"]
    )
    assert "description" in raw.splitlines()[0]
    hour = local.dt.hour
    night = hour.isin([22, 23, 0, 1, 2, 3, 4, 5])
    assert night[inc["kind"] == "burglary"].mean() > 0.5
    assert hour[inc["kind"] == "pickpocketing"].between(9, 21).mean() > 0.8
    # burglary happens inside compounds; the unit and zone columns say where
    burglary = inc[inc["kind"] == "burglary"]
    assert (burglary["unit_id"] != "").all()
    assert (inc["zone_id"] != "").all()
    # a few hotspots: the busiest 1% of 100 m cells hold a large share of cases
    xy = shapely.get_coordinates(inc.to_crs(inc.estimate_utm_crs()).geometry.to_numpy())
    _, counts = np.unique(np.floor(xy / 100), axis=0, return_counts=True)
    top = np.sort(counts)[::-1][: max(1, len(counts) // 20)]
    assert top.sum() > 0.3 * len(inc)
